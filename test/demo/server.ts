/**
 * Helpers for the demo tests: start a server that prints `serving http://…` (the example app's
 * first line; it binds `--port 0`, so there is no race for a free port), fetch from it, and
 * always stop it — it runs in its own process group and the whole group is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';

export interface RunningServer {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

// A failing test must not leave a server behind.
process.on('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
});

/** Start `command args` and wait (at most `timeoutMs`) for its `serving URL` line. */
export function startServer(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunningServer> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('exit', () => live.delete(child));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (why: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${why}\n$ ${command} ${args.join(' ')}\n${out}`)));
    };
    const timer = setTimeout(() => fail(`no "serving" line within ${options.timeoutMs ?? 30_000} ms`), options.timeoutMs ?? 30_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /serving (http:\/\/\S+)/.exec(out);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ url: m[1]!, child, output: () => out, stop });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', (err) => fail(String(err)));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code}) before serving`));
  });
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with a timeout; `form` sends a urlencoded POST. */
export function request(url: string, options: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        timeout: 15_000,
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
