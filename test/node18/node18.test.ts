/**
 * The box side under Node 18, the oldest Node sneakpack supports (Debian 12's is 18.19): the
 * built CLI (bin/sneakpack → dist/, built by the global setup) runs with Node 18 from the npm
 * registry (`npx -p node@18`, from the npm cache after the first download) and probes the box,
 * verifies a bundle, installs it into a temp prefix, lists it and refuses a bundle built for
 * another machine; the installed console script then runs with the venv's Python.
 *
 * Bundles are built in this process, with the current Node, as a publisher's machine would.
 * scripts/node18-check.sh runs the longer version (upgrade, rollback, remove, tampering).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { APP, APP_SCRIPT, buildFixtureBundle, fixtureTarget, writeFixturePublicKey } from './fixture.js';

/** Debian's own interpreter is the closest to a box; pyenv's 3.11 where there is none. */
const PYTHON = ['/usr/bin/python3', path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions', '3.11.7', 'bin', 'python3.11')].find(
  (p) => fs.existsSync(p),
);

let tmp: string;
let node18: string;

/** Run bin/sneakpack with Node 18 in a minimal environment (no NODE_OPTIONS from the test runner). */
function sneakpack18(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(node18, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, LANG: 'C.UTF-8' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(PYTHON === undefined)('the box side under Node 18', () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spk-node18-'));
    // --prefer-offline: once node@18 is in the npm cache, no network is needed (without it npx
    // retries the registry for minutes when offline).
    node18 = execFileSync('npx', ['--prefer-offline', '--yes', '--package', 'node@18', 'node', '-p', 'process.execPath'], {
      cwd: tmp,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    }).trim();
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('probes, verifies, installs, lists and refuses with Node 18; the installed app runs', async () => {
    const version = execFileSync(node18, ['--version'], { encoding: 'utf8' }).trim();
    expect(version).toMatch(/^v18\./);

    const boxJson = path.join(tmp, 'box.json');
    const probe = sneakpack18(['target', 'probe', '--python', PYTHON!, '-o', boxJson]);
    expect(probe.status, probe.stderr).toBe(0);
    const box = JSON.parse(fs.readFileSync(boxJson, 'utf8')) as { uname_machine: string; tags: string[] };
    expect(box.tags.length).toBeGreaterThan(10);

    const pub = writeFixturePublicKey(path.join(tmp, 'keys'));
    const bundle = await buildFixtureBundle({ outDir: path.join(tmp, 'bundles'), version: '1.0.0', target: await fixtureTarget(boxJson) });
    const otherMachine = box.uname_machine === 'x86_64' ? 'armv7l' : 'x86_64';
    const foreign = await buildFixtureBundle({
      outDir: path.join(tmp, 'foreign'),
      version: '1.0.0',
      target: await fixtureTarget(`cp311-manylinux_2_36_${otherMachine}`),
      depTags: `cp311-cp311-manylinux_2_17_${otherMachine}`,
    });

    const verified = sneakpack18(['verify', bundle, '--pubkey', pub, '--json']);
    expect(verified.status, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, app: APP, version: '1.0.0', wheels: 1 });

    const prefix = path.join(tmp, 'prefix');
    const installed = sneakpack18(['install', bundle, '--pubkey', pub, '--prefix', prefix, '--python', PYTHON!, '--json']);
    expect(installed.status, installed.stderr).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({ ok: true, status: 'installed', app: APP, version: '1.0.0' });

    // The console script runs with the venv's interpreter, imports the dependency and sees the
    // data folder the post-install step wrote to.
    const script = path.join(prefix, APP, 'current', 'venv', 'bin', APP_SCRIPT);
    const out = execFileSync(script, [], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: tmp } }).trim();
    expect(out).toMatch(/^hello box \| box-demo 1\.0\.0 \| python 3\.\d+\.\d+ \| machine \S+ \| venv True \| migrated 1\.0\.0$/);

    const listed = sneakpack18(['list', '--prefix', prefix, '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).apps.map((a: { app: string; version: string }) => [a.app, a.version])).toEqual([[APP, '1.0.0']]);

    const refused = sneakpack18(['install', foreign, '--pubkey', pub, '--prefix', prefix, '--python', PYTHON!, '--json']);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'BOX_INCOMPATIBLE', box: box.uname_machine });
    expect(refused.stderr).toContain(`greetlib-1.0-cp311-cp311-manylinux_2_17_${otherMachine}.whl`);
  });
});
