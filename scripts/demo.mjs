#!/usr/bin/env node
/**
 * `npm run demo`: the whole sneakpack story on this machine, with the built-in example app
 * (examples/schoolnotes) and its dependencies (examples/deps).
 *
 *   node scripts/demo.mjs [--workdir DIR] [--python PY] [--no-pip]
 *
 * 1. check the tools (dist/ built by `npm ci`, a Python 3)
 * 2. build the example's wheels offline (scripts/build-example-wheels.mjs)
 * 3. make a throwaway signing key               sneakpack keygen
 * 4. probe this machine's Python as the target  sneakpack target probe
 * 5. build a signed bundle for that target      sneakpack build
 * 6. verify it                                  sneakpack verify
 * 7. install it into a demo prefix              sneakpack install
 * 8. start the installed app on 127.0.0.1, 9. fetch its page, 10. stop it
 *
 * Each step prints what it did and its time; the end shows the commands to do it by hand. Any
 * failure stops the demo with exit code 1 and says which step failed and why; the app's server
 * is always stopped. Everything goes to the work folder (default `.sneakpack-demo/`, git-ignored),
 * which is emptied first.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, buildExampleWheels, run } from './build-example-wheels.mjs';

const APP_DIR = join(ROOT, 'examples', 'schoolnotes');
const APP_NAME = 'schoolnotes';
const SERVE_SCRIPT = 'schoolnotes-serve';
const CLI = join(ROOT, 'bin', 'sneakpack');
/** The work folder holds this file, so the demo never empties a folder it did not make. */
const WORKDIR_MARKER = '.sneakpack-demo-workdir';
/** What the fetched page must contain: the page itself, and the note post-install put in the data folder. */
const EXPECTED_TEXT = ['<h1>School Notes</h1>', 'Welcome to School Notes'];
const SERVER_START_TIMEOUT_MS = 30_000;
const FETCH_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

class DemoError extends Error {}

function parseArgs(argv) {
  const opts = { workdir: join(ROOT, '.sneakpack-demo'), python: 'python3', usePip: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new DemoError(`${a} needs a value (see --help)`);
      return argv[++i];
    };
    if (a === '--workdir') opts.workdir = resolve(value());
    else if (a === '--python') opts.python = value();
    else if (a === '--no-pip') opts.usePip = false;
    else if (a === '-h' || a === '--help') opts.help = true;
    else throw new DemoError(`unknown argument ${JSON.stringify(a)} (see --help)`);
  }
  return opts;
}

/** A path as the user should type it from the repository folder: relative when inside it. */
function shown(p) {
  const rel = relative(ROOT, p);
  return rel === '' ? '.' : rel.startsWith('..') || resolve(ROOT, rel) !== resolve(p) ? p : rel;
}

function quote(arg) {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function seconds(ms) {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

const out = (line = '') => process.stdout.write(line + '\n');

// ---------------------------------------------------------------------------------------------

/** The commands a person would type, collected as the steps run. */
const byHand = [];

/** Run `node bin/sneakpack ARGS`; with `json`, parse its one JSON object. */
async function sneakpack(args, { json = false, record = true } = {}) {
  const argv = json ? [...args, '--json'] : args;
  if (record) byHand.push(['./bin/sneakpack', ...args.map((a) => (a.startsWith('/') ? shown(a) : a))].map(quote).join(' '));
  const r = await run(process.execPath, [CLI, ...argv], { timeoutMs: 300_000 });
  if (r.code !== 0) {
    const hint = /unknown command/.test(r.stderr) ? `\n(this checkout's sneakpack has no \`${args[0]}\` command yet)` : '';
    throw new DemoError(`sneakpack ${argv.map(quote).join(' ')}\nexited with ${r.code}:\n${(r.stderr + r.stdout).trim()}${hint}`);
  }
  if (!json) return r.stdout;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new DemoError(`sneakpack ${argv.join(' ')} did not print a JSON object; it printed:\n${r.stdout}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The app's server: started in its own process group so that stopping it stops everything it ran.

let server = null;

function startServer(command, args, cwd) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server = { child, exited: false, stderr: '', stdout: '' };
    const s = server;
    const timer = setTimeout(() => fail(new DemoError(`the app did not say it was serving within ${SERVER_START_TIMEOUT_MS / 1000} s`)), SERVER_START_TIMEOUT_MS);
    let settled = false;
    function fail(err) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new DemoError(`${err.message}\n$ ${[command, ...args].map(quote).join(' ')}\n${(s.stdout + s.stderr).trim()}`));
    }
    child.stdout.setEncoding('utf8').on('data', (d) => {
      s.stdout += d;
      const m = /serving (http:\/\/\S+)/.exec(s.stdout);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolvePromise(m[1]);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (s.stderr += d));
    child.on('error', (err) => fail(err));
    child.on('exit', (code, signal) => {
      s.exited = true;
      s.exitCode = code;
      s.signal = signal;
      fail(new DemoError(`the app exited (${signal ?? `exit code ${code}`}) before serving`));
    });
  });
}

function killServerGroup(signal) {
  if (server === null || server.exited) return;
  try {
    process.kill(-server.child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function stopServer() {
  if (server === null || server.exited) return { alreadyStopped: true };
  const s = server;
  const exited = new Promise((r) => s.child.once('exit', () => r(true)));
  killServerGroup('SIGTERM');
  const clean = await Promise.race([exited, new Promise((r) => setTimeout(() => r(false), STOP_TIMEOUT_MS))]);
  if (!clean) {
    killServerGroup('SIGKILL');
    await exited;
  }
  return { clean, code: s.exitCode, signal: s.signal };
}

process.on('exit', () => killServerGroup('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killServerGroup('SIGKILL');
    process.stderr.write(`\ndemo: interrupted (${sig})\n`);
    process.exit(130);
  });
}

function get(url) {
  return new Promise((resolvePromise, reject) => {
    const req = http.get(url, { timeout: FETCH_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new DemoError(`GET ${url}: no answer within ${FETCH_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------

async function prepareWorkdir(dir) {
  if (existsSync(dir)) {
    const entries = await readdir(dir);
    if (entries.length > 0 && !entries.includes(WORKDIR_MARKER)) {
      throw new DemoError(`${dir} exists and was not made by the demo (no ${WORKDIR_MARKER} in it); pass another --workdir`);
    }
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, WORKDIR_MARKER), 'made by scripts/demo.mjs; emptied by every demo run\n');
}

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    out('usage: node scripts/demo.mjs [--workdir DIR] [--python PY] [--no-pip]');
    out('Build, sign, verify, install and run the example app (examples/schoolnotes) on this machine.');
    return 0;
  }
  const w = opts.workdir;
  const paths = {
    wheelhouse: join(w, 'wheelhouse'),
    key: join(w, 'keys', 'demo'),
    target: join(w, 'target.json'),
    bundles: join(w, 'bundles'),
    prefix: join(w, 'prefix'),
  };
  const state = {};
  const steps = [
    {
      title: 'Check the tools',
      async run() {
        if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new DemoError('dist/ is missing: run `npm ci` (or `npm run build`) first');
        const py = await run(opts.python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)']).catch((err) => ({ code: -1, stderr: err.message, stdout: '' }));
        if (py.code !== 0) throw new DemoError(`cannot run ${opts.python}: ${py.stderr.trim()}\nThe demo needs a Python 3 (pass --python PATH to choose one).`);
        const [version, executable] = py.stdout.trim().split('\n');
        const sp = (await sneakpack(['--version'], { record: false })).trim();
        await prepareWorkdir(w);
        return [`node ${process.versions.node}, sneakpack ${sp}, ${opts.python} = Python ${version} (${executable})`, `work folder: ${shown(w)}/ (emptied)`];
      },
    },
    {
      title: "Build the example's wheels, offline",
      async run() {
        const r = await buildExampleWheels({ outDir: paths.wheelhouse, python: opts.python, usePip: opts.usePip });
        byHand.push(`node scripts/build-example-wheels.mjs -o ${quote(shown(paths.wheelhouse))}`);
        return [`${r.wheels.length} wheels from examples/deps/ with ${r.frontend}; C compiler: ${r.compiler ?? 'none, so textstats is pure Python only'}`, ...r.wheels.map((f) => `  ${f}`)];
      },
    },
    {
      title: 'Make a throwaway signing key',
      async run() {
        await mkdir(join(w, 'keys'), { recursive: true });
        await mkdir(paths.bundles, { recursive: true });
        byHand.push(`mkdir -p ${quote(shown(join(w, 'keys')))} ${quote(shown(paths.bundles))}`);
        const r = await sneakpack(['keygen', paths.key], { json: true });
        return [`key number ${r.keynum ?? '?'}: ${shown(paths.key)}.sec (secret, stays on the build PC), ${shown(paths.key)}.pub (goes to the box)`];
      },
    },
    {
      title: `Probe this machine's Python as the target box`,
      async run() {
        await sneakpack(['target', 'probe', '--python', opts.python, '-o', paths.target]);
        const profile = JSON.parse(readFileSync(paths.target, 'utf8'));
        const tags = profile.tags ?? [];
        return [`${shown(paths.target)}: Python ${profile.python?.version ?? '?'} (${profile.python?.implementation ?? '?'}), ${profile.marker_environment?.platform_machine ?? '?'}, ${tags.length} tags, best ${tags[0] ?? '?'}`];
      },
    },
    {
      title: 'Build a signed bundle for that target',
      async run() {
        const r = await sneakpack(['build', APP_DIR, '--target', paths.target, '--find-links', paths.wheelhouse, '--key', `${paths.key}.sec`, '-o', paths.bundles], { json: true });
        // build --json: { ok, path, sha256, size, app, version, target, wheels: [{ name, version, file, sha256, size }] }
        if (r.ok !== true || typeof r.path !== 'string') throw new DemoError(`build --json printed no bundle path: ${JSON.stringify(r)}`);
        state.bundle = resolve(ROOT, r.path);
        const lines = [`${r.app} ${r.version} for ${r.target}: ${shown(state.bundle)}`, `${(r.size / 1024).toFixed(1)} KiB, sha256 ${r.sha256}`, `the closure for this target, ${r.wheels.length} wheels:`];
        for (const wh of r.wheels) lines.push(`  ${wh.file}`);
        return lines;
      },
    },
    {
      title: 'Verify the bundle with the public key',
      async run() {
        const r = await sneakpack(['verify', state.bundle, '--pubkey', `${paths.key}.pub`], { json: true });
        if (r.ok !== true) throw new DemoError(`verify said: ${JSON.stringify(r)}`);
        // verify --json: { ok, bundle, app, version, target, keynum, pubkey, files, wheels, tar_bytes, compressed, format }
        return [
          `${r.app} ${r.version} for ${r.target}: signature good, all ${r.files} files (${r.wheels} wheels) match the signed checksums`,
          `signed by key ${r.keynum} (${shown(resolve(ROOT, String(r.pubkey ?? `${paths.key}.pub`)))})`,
        ];
      },
    },
    {
      title: 'Install it into the demo prefix',
      async run() {
        const r = await sneakpack(['install', state.bundle, '--pubkey', `${paths.key}.pub`, '--prefix', paths.prefix, '--python', opts.python], { json: true });
        state.install = r;
        const lines = [`${r.status ?? 'installed'} ${r.app ?? APP_NAME} ${r.version ?? ''} in ${shown(r.releaseDir ?? join(paths.prefix, APP_NAME))}`];
        if (r.dataDir) lines.push(`data folder (kept across upgrades): ${shown(r.dataDir)}`);
        for (const s of r.scripts ?? []) lines.push(`launcher: ${shown(s)}`);
        return lines;
      },
    },
    {
      title: 'Start the installed app on 127.0.0.1',
      async run() {
        // `current` is what an administrator (or a systemd unit) runs; it follows upgrades and rollbacks.
        const viaCurrent = join(paths.prefix, APP_NAME, 'current', 'venv', 'bin', SERVE_SCRIPT);
        const fromJson = (state.install.scripts ?? []).find((s) => s.endsWith(`${sep}${SERVE_SCRIPT}`));
        const launcher = existsSync(viaCurrent) ? viaCurrent : fromJson;
        if (launcher === undefined) throw new DemoError(`no ${SERVE_SCRIPT} launcher: looked for ${viaCurrent} and in install's "scripts"`);
        // --port 0: the app binds a free port and prints it, so there is no race for a port.
        state.url = await startServer(launcher, ['--host', '127.0.0.1', '--port', '0'], w);
        byHand.push(`${quote(shown(viaCurrent))} --host 127.0.0.1 --port 8000   # then open http://127.0.0.1:8000/`);
        return [`${shown(launcher)} --host 127.0.0.1 --port 0`, `pid ${server.child.pid}, ${server.stdout.trim().split('\n')[0]}`];
      },
    },
    {
      title: 'Fetch its page',
      async run() {
        const r = await get(state.url);
        if (r.status !== 200) throw new DemoError(`GET ${state.url} answered ${r.status}:\n${r.body.slice(0, 2000)}`);
        const missing = EXPECTED_TEXT.filter((t) => !r.body.includes(t));
        if (missing.length > 0) throw new DemoError(`GET ${state.url}: the page lacks ${missing.map((t) => JSON.stringify(t)).join(', ')}:\n${r.body.slice(0, 2000)}`);
        state.page = r.body;
        const footer = /<footer>([\s\S]*?)<\/footer>/.exec(r.body)?.[1].replace(/&middot;/g, '·').replace(/<[^>]+>/g, '').trim();
        return [`GET ${state.url} → 200, ${Buffer.byteLength(r.body)} bytes, the welcome note post-install wrote is there`, ...(footer ? [`page footer: ${footer}`] : [])];
      },
    },
    {
      title: 'Stop the app',
      async run() {
        const r = await stopServer();
        return [r.clean ? `stopped cleanly (${r.signal ?? `exit code ${r.code}`})` : `did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killed`];
      },
    },
  ];

  out(`sneakpack demo: ship examples/schoolnotes to this machine as if it were an offline box`);
  out();
  const started = performance.now();
  for (const [i, step] of steps.entries()) {
    out(`[${String(i + 1).padStart(2)}/${steps.length}] ${step.title}`);
    const t0 = performance.now();
    let lines;
    try {
      lines = await step.run();
    } catch (err) {
      await stopServer().catch(() => {});
      const msg = err instanceof DemoError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
      out(`        FAILED after ${seconds(performance.now() - t0)}`);
      process.stderr.write(`\ndemo: step ${i + 1} (${step.title}) failed:\n${msg.replace(/^/gm, '  ')}\n`);
      return 1;
    }
    for (const l of lines) out(`        ${l}`);
    out(`        ok, ${seconds(performance.now() - t0)}`);
  }
  out();
  out(`demo: OK: fetched ${state.url} from the installed app (${seconds(performance.now() - started)} in all)`);
  out();
  out('The same by hand (from the repository folder):');
  for (const c of byHand) out(`  ${c}`);
  out();
  out('On a real box: copy the bundle and the .pub file over, then run the install and start commands there;');
  out('probe the box first (./bin/sneakpack target probe --script > probe.py, run it there) to build for it.');
  return 0;
}

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    killServerGroup('SIGKILL');
    process.stderr.write(`demo: ${err instanceof DemoError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = err instanceof DemoError ? 1 : 70;
  });
