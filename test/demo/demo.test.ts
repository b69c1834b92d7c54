/**
 * `npm run demo` (scripts/demo.mjs): issue 8's "clone and run the two commands" test, minus the
 * clone. The first test runs the whole demo — build the example's wheels, keygen, probe, build,
 * verify, install into a prefix, start the installed app, fetch its page, stop it — in a temp
 * work folder, and checks it succeeded, the page was fetched and the server is gone. It needs
 * every command the demo drives (build, verify, install); while one is missing it fails, naming
 * the step. The others check the demo fails clearly and leaves foreign folders alone.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const DEMO = join(ROOT, 'scripts', 'demo.mjs');

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the demo as `npm run demo` does (node scripts/demo.mjs), killed after `timeoutMs`. */
function runDemo(args: string[], timeoutMs = 240_000): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // SIGINT: the demo's handler stops the app's server before exiting.
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sneakpack-demo-test-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm run demo', () => {
  // The core of issue 8's fresh-clone test: the main job on the built-in example, end to end.
  it('builds, signs, verifies and installs the example, then starts it, fetches its page and stops it', async () => {
    const work = join(tmp, 'work');
    const r = await runDemo(['--workdir', work]);
    const shown = `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    expect(r.code, shown).toBe(0);
    expect(r.stdout, shown).toMatch(/^demo: OK: fetched http:\/\/127\.0\.0\.1:\d+\/ from the installed app/m);
    // Every step reported its time.
    expect(r.stdout.match(/^ {8}ok, \d+(\.\d+)? s$/gm)?.length).toBe(10);
    // The app ran from the prefix's `current` release, and post-install created its database in
    // the data folder sneakpack keeps across releases.
    const app = join(work, 'prefix', 'schoolnotes');
    expect(lstatSync(join(app, 'current')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(app, 'data', 'schoolnotes.sqlite3'))).toBe(true);
    // The server is stopped.
    const pid = Number(/pid (\d+),/.exec(r.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
    // It ends with the commands to do the same by hand.
    const byHand = r.stdout.slice(r.stdout.indexOf('The same by hand'));
    for (const cmd of ['keygen', 'target probe --python', 'build examples/schoolnotes', 'verify', 'install', 'schoolnotes-serve']) expect(byHand).toContain(cmd);
  }, 300_000);

  it('stops at the first step with a clear message when Python is missing', async () => {
    const r = await runDemo(['--workdir', join(tmp, 'nopython'), '--python', join(tmp, 'no-such-python3')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[ 1/10] Check the tools');
    expect(r.stderr).toContain('step 1 (Check the tools) failed');
    expect(r.stderr).toContain('no-such-python3');
    expect(existsSync(join(tmp, 'nopython'))).toBe(false);
  });

  it('refuses to empty a work folder it did not make', async () => {
    const foreign = join(tmp, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'precious.txt'), 'keep me');
    const r = await runDemo(['--workdir', foreign]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('was not made by the demo');
    expect(readFileSync(join(foreign, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('rejects unknown arguments', async () => {
    const r = await runDemo(['--frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown argument "--frobnicate"');
  });
});
