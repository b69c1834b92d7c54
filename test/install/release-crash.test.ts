/**
 * Issue 6, "Faults": the installer SIGKILLed at every filesystem change it makes during a first
 * install, an upgrade and a rollback. A child process runs the built release manager (dist/, with
 * fake bundle/venv/wheel operations) with `fs/promises` wrapped so that its k-th mutating call
 * kills the process first. Afterwards `current` must be the old or the new release and complete,
 * the data folder byte-for-byte unchanged, and running the same command again must succeed and
 * leave no staging, lock, trash or temporary files behind.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { type InstallResult, appPaths, installBundle, readCurrent, rollback } from '../../src/install/index.js';
import { ROOT } from '../helpers/cli.js';
import { Rng } from '../helpers/random.js';
import { fakeOps, treeListing, writeFakeBundle } from './release-fakes.js';

const CHILD = String.raw`
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
const [distIndex, mode, prefix, arg, killAtText] = process.argv.slice(2);
const killAt = Number(killAtText);
let count = 0;
const fsp = fs.promises;
const mutating = ['mkdir', 'rm', 'rmdir', 'rename', 'symlink', 'writeFile', 'copyFile', 'unlink', 'chmod', 'open'];
for (const name of mutating) {
  const real = fsp[name];
  fsp[name] = function (...args) {
    if (name === 'open' && !/[wa]/.test(String(args[1] ?? 'r'))) return real.apply(this, args);
    count++;
    if (count === killAt) process.kill(process.pid, 'SIGKILL');
    return real.apply(this, args);
  };
}
syncBuiltinESMExports();
const lib = await import(distIndex);
const ops = {
  async extract(file, destDir) {
    const bundle = JSON.parse(await fsp.readFile(file, 'utf8'));
    const top = destDir;
    await fsp.mkdir(path.join(top, 'wheels'), { recursive: true });
    await fsp.writeFile(path.join(top, 'manifest.json'), JSON.stringify(bundle.manifest));
    for (const w of bundle.manifest.wheels) await fsp.writeFile(path.join(top, 'wheels', w.file), 'wheel ' + w.file);
    for (const [rel, text] of Object.entries(bundle.app ?? {})) {
      await fsp.mkdir(path.dirname(path.join(top, 'app', rel)), { recursive: true });
      await fsp.writeFile(path.join(top, 'app', rel), text);
    }
    return { manifest: bundle.manifest, keynum: '0123456789abcdef' };
  },
  async probe() {
    return { python: { version: '3.11.2' }, uname_machine: 'x86_64', tags: ['py3-none-any'] };
  },
  async createVenv(python, dir) {
    const site = path.join(dir, 'lib', 'python3.11', 'site-packages');
    await fsp.mkdir(site, { recursive: true });
    await fsp.mkdir(path.join(dir, 'bin'), { recursive: true });
    return { dir, python: path.join(dir, 'bin', 'python'), pythonVersion: '3.11', scheme: { purelib: site, platlib: site, scripts: path.join(dir, 'bin'), headers: dir, data: dir } };
  },
  async installWheel(wheelPath, venv) {
    await fsp.copyFile(wheelPath, path.join(venv.scheme.purelib, path.basename(wheelPath) + '.installed'));
  },
  async compile() {},
};
if (mode === 'install') await lib.installBundle(arg, { trusted: new Map(), prefix, ops, keepReleases: 2 });
else await lib.rollback(arg, { prefix });
process.stdout.write(String(count));
`;

let tmp: string;
let script: string;
const distIndex = path.join(ROOT, 'dist', 'install', 'index.js');

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spk-crash-'));
  script = path.join(tmp, 'child.mjs');
  fs.writeFileSync(script, CHILD);
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function runChild(mode: 'install' | 'rollback', prefix: string, arg: string, killAt: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, distIndex, mode, prefix, arg, String(killAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Run `fn` over `items` with at most `n` at a time. */
async function pool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const trusted = new Map();

interface Scenario {
  /** Bundles installed before the command under test (in-process, not killed). */
  setup: string[];
  /**
   * How many kill points to try: the last `tail` (commit, history, switch, prune, cleanup — where
   * ordering matters most) plus `spread` chosen by a seeded PRNG from the rest. Every point with
   * SNEAKPACK_CRASH_ALL=1 (each child is a Node start, ~0.3 s).
   */
  sample: { tail: number; spread: number };
  /** The command the child runs and the test re-runs. */
  command: { mode: 'install'; bundle: string } | { mode: 'rollback' };
}

function killPoints(total: number, sample: { tail: number; spread: number }, seed: number): number[] {
  const all = Array.from({ length: total }, (_, i) => i + 1);
  if (process.env.SNEAKPACK_CRASH_ALL === '1' || sample.tail + sample.spread >= total) return all;
  const chosen = new Set(all.slice(-sample.tail));
  const rng = new Rng(seed);
  while (chosen.size < sample.tail + sample.spread) chosen.add(rng.int(1, total));
  return [...chosen].sort((a, b) => a - b);
}

/** Kill the command at each of its mutations in turn; check the invariants after each. */
async function crashEverywhere(name: string, scenario: Scenario): Promise<number> {
  const base = path.join(tmp, name);
  const prepare = async (dir: string): Promise<InstallResult[]> => {
    const results: InstallResult[] = [];
    for (const b of scenario.setup) results.push(await installBundle(b, { trusted, prefix: dir, ops: fakeOps(), keepReleases: 2 }));
    const data = appPaths(dir, 'my-app').data;
    if (fs.existsSync(data)) fs.writeFileSync(path.join(data, 'db'), `data of ${name}`);
    return results;
  };
  const arg = scenario.command.mode === 'install' ? scenario.command.bundle : 'my-app';
  // A dry run counts the mutations.
  const dry = path.join(base, 'dry');
  await prepare(dry);
  const counted = await runChild(scenario.command.mode, dry, arg, -1);
  expect(counted.code, counted.stderr).toBe(0);
  const total = Number(counted.stdout);
  expect(total).toBeGreaterThan(5);

  const ks = killPoints(total, scenario.sample, name.length);
  const failures = await pool(ks, 6, async (k) => {
    const dir = path.join(base, `k${k}`);
    const before = await prepare(dir);
    const paths = appPaths(dir, 'my-app');
    const dataBefore = treeListing(paths.data);
    const oldCurrent = fs.existsSync(paths.root) ? await readCurrent(paths) : null;
    const r = await runChild(scenario.command.mode, dir, arg, k);
    if (r.signal !== 'SIGKILL') return `k=${k}: expected SIGKILL, got ${r.code}/${r.signal}: ${r.stderr}`;
    // At this instant: current is the old release or the new one, and complete.
    const now = fs.existsSync(paths.root) ? await readCurrent(paths) : null;
    if (now !== oldCurrent) {
      if (now === null || !fs.existsSync(path.join(paths.releases, now, '.sneakpack-release.json'))) return `k=${k}: current ${now} is not a complete release`;
    }
    if (JSON.stringify(treeListing(paths.data)) !== JSON.stringify(dataBefore) && dataBefore[0] !== '(absent)') return `k=${k}: data changed`;
    // Running the same command again succeeds...
    try {
      if (scenario.command.mode === 'install') await installBundle(scenario.command.bundle, { trusted, prefix: dir, ops: fakeOps(), keepReleases: 2 });
      else await rollback('my-app', { prefix: dir });
    } catch (e) {
      // ...except a rollback that had already switched has nowhere further to go here.
      if (!(scenario.command.mode === 'rollback' && isSneakpackError(e, 'NO_PREVIOUS_RELEASE') && now !== oldCurrent)) return `k=${k}: re-run failed: ${String(e)}`;
    }
    // ...and leaves no leftovers.
    const top = fs.readdirSync(dir);
    if (top.join(',') !== 'my-app') return `k=${k}: prefix holds ${top.join(',')}`;
    const inApp = fs.readdirSync(paths.root).sort().join(',');
    if (inApp !== 'current,data,history.json,releases') return `k=${k}: app folder holds ${inApp}`;
    for (const rel of fs.readdirSync(paths.releases)) {
      if (!fs.existsSync(path.join(paths.releases, rel, '.sneakpack-release.json'))) return `k=${k}: incomplete release ${rel} left`;
    }
    const final = await readCurrent(paths);
    const stack = JSON.parse(fs.readFileSync(paths.history, 'utf8')).stack as string[];
    if (stack[stack.length - 1] !== final) return `k=${k}: history ${stack.join(',')} disagrees with current ${final}`;
    if (scenario.command.mode === 'rollback' && final !== before[0]!.release) return `k=${k}: rollback ended at ${final}`;
    if (dataBefore[0] !== '(absent)' && JSON.stringify(treeListing(paths.data)) !== JSON.stringify(dataBefore)) return `k=${k}: data changed by the re-run`;
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  });
  expect(failures.filter((f) => f !== null)).toEqual([]);
  return total;
}

describe('SIGKILL at filesystem changes', () => {
  let bundles: string;
  beforeAll(() => {
    bundles = path.join(tmp, 'bundles');
    fs.mkdirSync(bundles, { recursive: true });
  });

  it('during a first install', async () => {
    const v1 = writeFakeBundle(bundles, { version: '1.0' });
    await crashEverywhere('first', { setup: [], sample: { tail: 4, spread: 4 }, command: { mode: 'install', bundle: v1 } });
  });

  it('during an upgrade that also prunes', async () => {
    const v1 = writeFakeBundle(bundles, { version: '1.0' });
    const v2 = writeFakeBundle(bundles, { version: '2.0' });
    const v3 = writeFakeBundle(bundles, { version: '3.0' });
    await crashEverywhere('upgrade', { setup: [v1, v2], sample: { tail: 14, spread: 4 }, command: { mode: 'install', bundle: v3 } });
  });

  it('during a rollback', async () => {
    const v1 = writeFakeBundle(bundles, { version: '1.0' });
    const v2 = writeFakeBundle(bundles, { version: '2.0' });
    await crashEverywhere('rollback', { setup: [v1, v2], sample: { tail: 20, spread: 0 }, command: { mode: 'rollback' } });
  });
});
