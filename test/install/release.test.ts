/**
 * The release manager with fake bundle/venv/wheel operations: layout, upgrade and downgrade
 * rules, the box check, post-install, rollback, pruning, removal, the lock, and what a killed run
 * leaves behind. The real end-to-end run is in release-e2e.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import {
  type History,
  type InstallOptions,
  acquireLock,
  appPaths,
  checkBox,
  choosePrune,
  installBundle,
  listApps,
  pushRelease,
  reconcileHistory,
  releaseName,
  removeApp,
  resolvePrefix,
  rollback,
} from '../../src/install/index.js';
import { BOX, type FakeApp, deadPid, fakeManifest, fakeOps, treeListing, writeFakeBundle } from './release-fakes.js';
import { main, type CliIO } from '../../src/cli.js';
import { expectCode } from '../helpers/errors.js';

let tmp: string;
let prefix: string;
let bundles: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spk-release-'));
  prefix = path.join(tmp, 'prefix');
  bundles = path.join(tmp, 'bundles');
  fs.mkdirSync(bundles);
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const trusted = new Map();

function install(a: FakeApp | string, extra: Partial<InstallOptions> = {}) {
  const file = typeof a === 'string' ? a : writeFakeBundle(bundles, a);
  return installBundle(file, { trusted, prefix, ops: fakeOps(), ...extra });
}

const app = () => appPaths(prefix, 'my-app');
const currentTarget = () => fs.readlinkSync(app().current);

describe('installBundle: layout', () => {
  it('installs a first release: venv, app, launchers, .pth, env, marker, current, history', async () => {
    const r = await install({ version: '1.0', post_install: [] });
    expect(r.status).toBe('installed');
    expect(r.app).toBe('my-app');
    expect(r.previous).toBeNull();
    expect(r.release).toMatch(/^1\.0-[0-9a-f]{12}$/);
    const p = app();
    expect(currentTarget()).toBe(`releases/${r.release}`);
    expect(fs.statSync(p.data).isDirectory()).toBe(true);
    const rel = path.join(p.releases, r.release);
    expect(fs.readFileSync(path.join(rel, 'app/myapp/__init__.py'), 'utf8')).toContain('1.0');
    expect(fs.existsSync(path.join(rel, 'manifest.json'))).toBe(true);
    expect(fs.existsSync(path.join(rel, 'pylock.toml'))).toBe(true);
    expect(fs.existsSync(path.join(rel, 'venv/lib/python3.11/site-packages/dep-1.0-py3-none-any.whl.installed'))).toBe(true);
    const marker = JSON.parse(fs.readFileSync(path.join(rel, '.sneakpack-release.json'), 'utf8'));
    expect(marker).toMatchObject({ format: 1, name: r.release, app: 'my-app', version: '1.0', signer: '0123456789abcdef', python: 'python3' });
    expect(marker.bundle_sha256.slice(0, 12)).toBe(r.release.slice(-12));
    // The app is importable through a .pth that names its folder.
    const pth = fs.readFileSync(path.join(rel, 'venv/lib/python3.11/site-packages/_sneakpack_my_app.pth'), 'utf8');
    expect(pth).toBe(`${path.join(rel, 'app')}\n`);
    // The launcher runs the venv's python and exports the data folder.
    const launcher = fs.readFileSync(path.join(rel, 'venv/bin/myapp'), 'utf8');
    expect(launcher.split('\n')[0]).toBe(`#!${path.join(rel, 'venv/bin/python')}`);
    expect(launcher).toContain(`os.environ.setdefault("MYAPP_DATA", ${JSON.stringify(p.data)})`);
    expect(launcher).toContain('from myapp.cli import main');
    expect(fs.statSync(path.join(rel, 'venv/bin/myapp')).mode & 0o777).toBe(0o755);
    expect(r.scripts).toEqual([path.join(rel, 'venv/bin/myapp')]);
    expect(fs.readFileSync(path.join(rel, 'env'), 'utf8')).toContain(`MYAPP_DATA='${p.data}'`);
    const history = JSON.parse(fs.readFileSync(p.history, 'utf8')) as History;
    expect(history.stack).toEqual([r.release]);
    // Nothing left behind: no staging, no lock, no trash.
    expect(fs.readdirSync(prefix).sort()).toEqual(['my-app']);
    expect(fs.readdirSync(p.root).sort()).toEqual(['current', 'data', 'history.json', 'releases']);
  });

  it('puts app/src on sys.path too when the app has a src layout', async () => {
    const file = writeFakeBundle(bundles, { version: '1.0' });
    const b = JSON.parse(fs.readFileSync(file, 'utf8'));
    b.app = { 'src/myapp/__init__.py': '' };
    fs.writeFileSync(file, JSON.stringify(b));
    const r = await install(file);
    const pth = fs.readFileSync(path.join(r.releaseDir, 'venv/lib/python3.11/site-packages/_sneakpack_my_app.pth'), 'utf8');
    expect(pth.trim().split('\n')).toEqual([path.join(r.releaseDir, 'app'), path.join(r.releaseDir, 'app', 'src')]);
  });

  it('uses $SNEAKPACK_PREFIX, else /opt/sneakpack', () => {
    expect(resolvePrefix(undefined, {})).toBe('/opt/sneakpack');
    expect(resolvePrefix(undefined, { SNEAKPACK_PREFIX: '/srv/apps' })).toBe('/srv/apps');
    expect(resolvePrefix('rel', { SNEAKPACK_PREFIX: '/srv/apps' })).toBe(path.resolve('rel'));
  });

  it('names release folders VERSION-sha12 and refuses app names that are not names', () => {
    expect(releaseName('1.0.post1', 'ab'.repeat(32))).toBe('1.0.post1-abababababab');
    expect(() => appPaths(prefix, '../etc')).toThrow(/not a valid app name/);
    expect(() => appPaths(prefix, '.hidden')).toThrow(/not a valid app name/);
    expect(appPaths(prefix, 'My_App.x').app).toBe('my-app-x');
  });

  it('byte-compiles only when asked', async () => {
    const ops = fakeOps();
    await installBundle(writeFakeBundle(bundles, { version: '1.0' }), { trusted, prefix, ops });
    expect(ops.calls).not.toContain('compile');
    const ops2 = fakeOps();
    await installBundle(writeFakeBundle(bundles, { version: '2.0' }), { trusted, prefix, ops: ops2, compile: true });
    expect(ops2.calls).toContain('compile');
  });
});

describe('installBundle: versions', () => {
  it('upgrades, keeping the data folder byte-for-byte', async () => {
    const r1 = await install({ version: '1.0' });
    fs.writeFileSync(path.join(app().data, 'db.sqlite'), 'precious');
    fs.mkdirSync(path.join(app().data, 'uploads'));
    fs.writeFileSync(path.join(app().data, 'uploads', 'a.png'), 'png');
    const before = treeListing(app().data);
    const r2 = await install({ version: '2.0' });
    expect(r2.status).toBe('upgraded');
    expect(r2.previous).toBe(r1.release);
    expect(currentTarget()).toBe(`releases/${r2.release}`);
    expect(treeListing(app().data)).toEqual(before);
    const history = JSON.parse(fs.readFileSync(app().history, 'utf8')) as History;
    expect(history.stack).toEqual([r1.release, r2.release]);
    expect(history.before).toEqual([r1.release]);
  });

  it('installing the current bundle again changes nothing', async () => {
    const file = writeFakeBundle(bundles, { version: '1.0' });
    const r1 = await install(file);
    const before = treeListing(prefix);
    const r2 = await install(file);
    expect(r2.status).toBe('unchanged');
    expect(r2.release).toBe(r1.release);
    expect(treeListing(prefix)).toEqual(before);
  });

  it('the same version from another bundle is a new release', async () => {
    const r1 = await install({ version: '1.0' });
    const r2 = await install({ version: '1.0', salt: 'rebuilt' });
    expect(r2.status).toBe('reinstalled');
    expect(r2.release).not.toBe(r1.release);
    expect(r2.previous).toBe(r1.release);
  });

  it('refuses a downgrade, leaving the prefix byte-for-byte unchanged; --allow-downgrade installs it', async () => {
    await install({ version: '1.0' });
    await install({ version: '2.0' });
    fs.writeFileSync(path.join(app().data, 'db'), 'v2 data');
    const before = treeListing(prefix);
    const err = await expectCode(install({ version: '1.5' }), 'DOWNGRADE_REFUSED');
    expect(err.message).toContain('1.5');
    expect(err.message).toContain('2.0');
    expect(treeListing(prefix)).toEqual(before);
    // PEP 440 order, not string order: 10.0 > 9.0, 2.0rc1 < 2.0.
    await expectCode(install({ version: '2.0rc1' }), 'DOWNGRADE_REFUSED');
    const r = await install({ version: '1.5' }, { allowDowngrade: true });
    expect(r.status).toBe('downgraded');
    expect(fs.readFileSync(path.join(app().data, 'db'), 'utf8')).toBe('v2 data');
  });

  it('orders versions by PEP 440', async () => {
    await install({ version: '9.0' });
    expect((await install({ version: '10.0' })).status).toBe('upgraded');
    expect((await install({ version: '10.0.post1' })).status).toBe('upgraded');
    await expectCode(install({ version: '10.0a1' }), 'DOWNGRADE_REFUSED');
  });

  it('re-installing a release that was rolled away from builds it afresh', async () => {
    await install({ version: '1.0' });
    const file2 = writeFakeBundle(bundles, { version: '2.0' });
    const r2 = await install(file2);
    await rollback('my-app', { prefix });
    const again = await install(file2);
    expect(again.status).toBe('upgraded');
    expect(again.release).toBe(r2.release);
    expect(currentTarget()).toBe(`releases/${r2.release}`);
    expect(fs.existsSync(path.join(app().root, '.trash'))).toBe(false);
  });
});

describe('installBundle: refusals change nothing', () => {
  it('a bundle that fails verification leaves a missing prefix missing', async () => {
    await expectCode(install({ version: '1.0', failWith: 'SIGNATURE_MISMATCH' }), 'SIGNATURE_MISMATCH');
    expect(fs.existsSync(prefix)).toBe(false);
  });

  it('a bundle that fails verification leaves an existing prefix byte-for-byte unchanged', async () => {
    await install({ version: '1.0' });
    const before = treeListing(prefix);
    await expectCode(install({ version: '2.0', failWith: 'CHECKSUM_MISMATCH' }), 'CHECKSUM_MISMATCH');
    expect(treeListing(prefix)).toEqual(before);
  });

  it('a missing bundle file fails before touching the prefix', async () => {
    await expectCode(install(path.join(bundles, 'nope.tar')), 'FILE_NOT_FOUND');
    expect(fs.existsSync(prefix)).toBe(false);
  });

  it('refuses a wheel for another architecture, naming the wheel and both machines', async () => {
    await install({ version: '1.0' });
    const before = treeListing(prefix);
    const err = await expectCode(
      install({
        version: '2.0',
        target: 'cp311-manylinux_2_36_armv7l',
        machine: 'armv7l',
        wheels: [{ file: 'dep-1.0-py3-none-any.whl' }, { file: 'fast-2.0-cp311-cp311-manylinux_2_36_armv7l.whl' }],
      }),
      'BOX_INCOMPATIBLE',
    );
    expect(err.message).toContain('fast-2.0-cp311-cp311-manylinux_2_36_armv7l.whl');
    expect(err.message).toContain('bundle built for armv7l, this box is x86_64');
    expect(treeListing(prefix)).toEqual(before);
  });

  it('names the machines for a bundle built from a preset (no uname_machine in its profile)', async () => {
    await install({ version: '1.0' });
    const before = treeListing(prefix);
    for (const targetObject of [
      { name: 'debian12-armhf', compact: 'cp311-manylinux_2_36_armv7l', profile: { marker_environment: { platform_machine: 'armv7l' } } },
      { name: 'debian12-armhf', compact: 'cp311-manylinux_2_36_armv7l' },
    ]) {
      const err = await expectCode(
        install({ version: '2.0', targetObject, wheels: [{ file: 'fast-2.0-cp311-cp311-manylinux_2_36_armv7l.whl' }] }),
        'BOX_INCOMPATIBLE',
      );
      expect(err.message).toContain('bundle built for armv7l, this box is x86_64');
    }
    expect(treeListing(prefix)).toEqual(before);
  });

  it('refuses a first install for another Python and leaves no trace', async () => {
    const err = await expectCode(install({ version: '1.0', wheels: [{ file: 'fast-2.0-cp312-cp312-manylinux_2_17_x86_64.whl' }] }), 'BOX_INCOMPATIBLE');
    expect(err.message).toContain('cp312');
    expect(fs.existsSync(prefix)).toBe(false);
  });

  it("refuses an app whose requires-python the box's Python does not meet", async () => {
    const err = await expectCode(install({ version: '1.0', requires_python: '>=3.12' }), 'BOX_INCOMPATIBLE');
    expect(err.message).toContain('>=3.12');
    expect(err.message).toContain('3.11.2');
    expect(fs.existsSync(prefix)).toBe(false);
  });

  it("checkBox applies a wheel's own Requires-Python", () => {
    const m = fakeManifest({ version: '1' });
    const withNeeds = { ...m, wheels: [{ ...m.wheels[0]!, requires_python: '>=3.12' }] };
    expect(() => checkBox(withNeeds, BOX)).toThrow(/dep-1\.0-py3-none-any\.whl requires Python >=3\.12/);
    expect(() => checkBox({ ...m, wheels: [{ ...m.wheels[0]!, requires_python: '>=3.11' }] }, BOX)).not.toThrow();
  });

  it('checkBox names every unfit wheel and accepts a fitting bundle', () => {
    expect(() => checkBox(fakeManifest({ version: '1', wheels: [{ file: 'a-1-cp311-abi3-manylinux_2_17_x86_64.whl' }] }), BOX)).not.toThrow();
    const many = fakeManifest({
      version: '1',
      machine: 'aarch64',
      wheels: ['a', 'b', 'c'].map((n) => ({ file: `${n}-1-cp311-cp311-manylinux_2_17_aarch64.whl` })),
    });
    try {
      checkBox(many, BOX);
      expect.unreachable();
    } catch (e) {
      expect(isSneakpackError(e, 'BOX_INCOMPATIBLE')).toBe(true);
      const d = (e as { details: { wheels: { file: string; reason: string }[] } }).details;
      expect(d.wheels.map((w) => w.file)).toEqual(many.wheels.map((w) => w.file));
      expect(d.wheels.every((w) => w.reason === 'platform')).toBe(true);
    }
  });
});

describe('installBundle: post-install', () => {
  it('runs commands in the new release, venv bin first on PATH, data folder exported', async () => {
    const r = await install({
      version: '1.0',
      post_install: [['sh', '-c', 'echo "$PWD|$MYAPP_DATA|${PATH%%:*}|$VIRTUAL_ENV" > "$MYAPP_DATA/ran.txt"'], ['sh', '-c', 'echo argv >> "$MYAPP_DATA/ran.txt"']],
    });
    const [line1, line2] = fs.readFileSync(path.join(app().data, 'ran.txt'), 'utf8').trim().split('\n');
    const rel = r.releaseDir;
    expect(line1).toBe(`${fs.realpathSync(path.join(rel, 'app'))}|${app().data}|${path.join(rel, 'venv/bin')}|${path.join(rel, 'venv')}`);
    expect(line2).toBe('argv');
  });

  it('a failing command switches nothing and reports the command, status and output', async () => {
    const r1 = await install({ version: '1.0' });
    fs.writeFileSync(path.join(app().data, 'db'), 'v1');
    const before = treeListing(prefix);
    const err = await expectCode(install({ version: '2.0', post_install: [['true'], ['sh', '-c', 'echo migrating; echo "no such table" >&2; exit 3']] }), 'POST_INSTALL_FAILED');
    expect(err.message).toContain('exit 3');
    expect(err.message).toContain('status 3');
    expect(err.message).toContain('no such table');
    expect(currentTarget()).toBe(`releases/${r1.release}`);
    expect(treeListing(prefix)).toEqual(before);
  });

  it('a command that cannot start is a failure too', async () => {
    await expectCode(install({ version: '1.0', post_install: [['/nonexistent/tool']] }), 'POST_INSTALL_FAILED');
    expect(fs.existsSync(prefix)).toBe(false);
  });
});

describe('rollback', () => {
  it('walks back through the activation history, then says there is nothing left', async () => {
    const r1 = await install({ version: '1.0' });
    const r2 = await install({ version: '2.0' });
    const r3 = await install({ version: '3.0' });
    fs.writeFileSync(path.join(app().data, 'keep'), 'x');
    const data = treeListing(app().data);
    const b1 = await rollback('My_App', { prefix });
    expect(b1).toMatchObject({ app: 'my-app', from: r3.release, to: r2.release, fromVersion: '3.0', toVersion: '2.0' });
    expect(currentTarget()).toBe(`releases/${r2.release}`);
    const b2 = await rollback('my-app', { prefix });
    expect(b2.to).toBe(r1.release);
    await expectCode(rollback('my-app', { prefix }), 'NO_PREVIOUS_RELEASE');
    expect(currentTarget()).toBe(`releases/${r1.release}`);
    expect(treeListing(app().data)).toEqual(data);
    // After rolling back, installing 2.0 again is an upgrade, not a downgrade.
    expect((await install({ version: '2.5' })).status).toBe('upgraded');
  });

  it('skips releases that were pruned', async () => {
    const r1 = await install({ version: '1.0' });
    await install({ version: '2.0' });
    const r3 = await install({ version: '3.0' });
    fs.rmSync(path.join(app().releases, r1.release), { recursive: true });
    const b = await rollback('my-app', { prefix });
    expect(b.from).toBe(r3.release);
    await expectCode(rollback('my-app', { prefix }), 'NO_PREVIOUS_RELEASE');
  });

  it('an app that is not installed', async () => {
    await expectCode(rollback('ghost', { prefix }), 'APP_NOT_INSTALLED');
  });
});

describe('pruning', () => {
  it('keeps keepReleases releases, always current and previous', async () => {
    const rs = [];
    for (const v of ['1', '2', '3', '4']) rs.push(await install({ version: v }, { keepReleases: 2 }));
    expect(fs.readdirSync(app().releases).sort()).toEqual([rs[2]!.release, rs[3]!.release].sort());
    expect(rs[3]!.pruned).toEqual([rs[1]!.release]);
    await rollback('my-app', { prefix });
    expect(currentTarget()).toBe(`releases/${rs[2]!.release}`);
  });

  it("takes the manifest's keep_releases when no option is given, and refuses fewer than 2", async () => {
    for (const v of ['1', '2', '3', '4', '5']) await install({ version: v, keep_releases: 4 });
    expect(fs.readdirSync(app().releases)).toHaveLength(4);
    await expectCode(install({ version: '6' }, { keepReleases: 1 }), 'USAGE');
  });

  it('choosePrune: ranks by activation, then by install time; never current or previous', () => {
    const rel = (name: string, at: string) => ({ name, installedAt: at });
    const releases = [rel('a', '1'), rel('b', '2'), rel('c', '3'), rel('d', '4'), rel('e', '5')];
    // e was rolled away from (not on the stack); c is current, b previous.
    expect(choosePrune(releases, ['a', 'b', 'c'], 'c', 2).sort()).toEqual(['a', 'd', 'e']);
    expect(choosePrune(releases, ['a', 'b', 'c'], 'c', 3).sort()).toEqual(['d', 'e']);
    expect(choosePrune(releases, ['a', 'b', 'c'], 'c', 4).sort()).toEqual(['d']);
    expect(choosePrune(releases, ['a', 'b', 'c'], 'c', 10)).toEqual([]);
    // keep below 2 still keeps current and previous.
    expect(choosePrune(releases, ['d', 'a'], 'a', 1).sort()).toEqual(['b', 'c', 'e']);
    // Nothing current: newest installs are kept.
    expect(choosePrune(releases, [], null, 2).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('history', () => {
  const h = (stack: string[], before: string[]): History => ({ format: 1, stack, before });
  it('reconcileHistory: the symlink wins', () => {
    // Consistent.
    expect(reconcileHistory(h(['a', 'b'], ['a']), 'b')).toEqual(['a', 'b']);
    // Killed after writing the history, before switching: the old stack is the truth.
    expect(reconcileHistory(h(['a', 'b', 'c'], ['a', 'b']), 'b')).toEqual(['a', 'b']);
    // Killed during a rollback, same thing.
    expect(reconcileHistory(h(['a'], ['a', 'b']), 'b')).toEqual(['a', 'b']);
    // Someone switched by hand.
    expect(reconcileHistory(h(['a', 'b'], ['a']), 'x')).toEqual(['a', 'b', 'x']);
    expect(reconcileHistory(h(['a', 'b', 'c'], ['a', 'b']), 'a')).toEqual(['b', 'c', 'a']);
    // Pruned releases drop out.
    expect(reconcileHistory(h(['a', 'b', 'c'], ['a', 'b']), 'c', new Set(['a']))).toEqual(['b', 'c']);
    expect(reconcileHistory(h([], []), null)).toEqual([]);
    expect(pushRelease(['a', 'b', 'c'], 'a')).toEqual(['b', 'c', 'a']);
  });
});

describe('the lock', () => {
  it('is exclusive while its owner lives', async () => {
    fs.mkdirSync(tmp, { recursive: true });
    const file = path.join(tmp, '.lock');
    const lock = await acquireLock(file, { command: 'test' });
    const err = await expectCode(acquireLock(file), 'APP_LOCKED');
    expect(err.message).toContain(String(process.pid));
    expect(err.message).toContain(file);
    await lock.release();
    expect(fs.existsSync(file)).toBe(false);
    const again = await acquireLock(file);
    await again.release();
  });

  it('breaks a lock whose process is gone', async () => {
    const file = path.join(tmp, '.lock');
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: os.hostname(), started: 'then', command: 'install' }));
    const lock = await acquireLock(file);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it("respects another host's lock and a fresh empty one; breaks an old empty one", async () => {
    const file = path.join(tmp, '.lock');
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: 'other-box', started: 'then', command: '' }));
    await expectCode(acquireLock(file), 'APP_LOCKED');
    fs.writeFileSync(file, '');
    await expectCode(acquireLock(file), 'APP_LOCKED');
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(file, old, old);
    await (await acquireLock(file)).release();
  });

  it('does not release a lock someone else took over', async () => {
    const file = path.join(tmp, '.lock');
    const lock = await acquireLock(file);
    fs.writeFileSync(file, JSON.stringify({ pid: 1, host: os.hostname(), started: 'other', command: '' }));
    await lock.release();
    expect(fs.existsSync(file)).toBe(true);
  });

  it('an install of a locked app is refused and changes nothing', async () => {
    await install({ version: '1.0' });
    const lock = await acquireLock(app().lock);
    const before = treeListing(prefix);
    await expectCode(install({ version: '2.0' }), 'APP_LOCKED');
    await expectCode(rollback('my-app', { prefix }), 'APP_LOCKED');
    expect(treeListing(prefix)).toEqual(before);
    await lock.release();
  });
});

describe('leftovers of a killed run', () => {
  it('are cleaned by the next install, which succeeds', async () => {
    const r1 = await install({ version: '1.0' });
    const p = app();
    const dead = deadPid();
    // Everything a SIGKILL could leave: a lock, a staging folder, a half-built release, a
    // half-made symlink, a half-written history, trash, and a history written just before the
    // switch that never happened.
    fs.writeFileSync(p.lock, JSON.stringify({ pid: dead, host: os.hostname(), started: 'then', command: 'install' }));
    fs.mkdirSync(path.join(prefix, '.staging', `${dead}-abcdef`, 'bundle'), { recursive: true });
    fs.mkdirSync(path.join(p.releases, '2.0-000000000000', 'venv'), { recursive: true });
    fs.symlinkSync('releases/2.0-000000000000', path.join(p.root, 'current.tmp-1-aa'));
    fs.writeFileSync(path.join(p.root, 'history.json.tmp-1-bb'), '{');
    fs.mkdirSync(path.join(p.trash, 'x-1-cc', 'deep'), { recursive: true });
    fs.writeFileSync(p.history, JSON.stringify({ format: 1, stack: [r1.release, '2.0-000000000000'], before: [r1.release] }));
    // A live process's staging folder is left alone.
    const live = path.join(prefix, '.staging', `${process.ppid}-abcdef`);
    fs.mkdirSync(live);

    const r2 = await install({ version: '2.0' });
    expect(r2.previous).toBe(r1.release);
    expect(fs.readdirSync(p.root).sort()).toEqual(['current', 'data', 'history.json', 'releases']);
    expect(fs.readdirSync(p.releases).sort()).toEqual([r1.release, r2.release].sort());
    expect(fs.readdirSync(path.join(prefix, '.staging'))).toEqual([path.basename(live)]);
    expect(JSON.parse(fs.readFileSync(p.history, 'utf8')).stack).toEqual([r1.release, r2.release]);
    // And rollback goes to 1.0, not to the release that never was.
    expect((await rollback('my-app', { prefix })).to).toBe(r1.release);
  });

  it('a failed build removes its half-made release and keeps current', async () => {
    const r1 = await install({ version: '1.0' });
    const before = treeListing(prefix);
    const ops = fakeOps({
      async installWheel() {
        throw new Error('disk on fire');
      },
    });
    await expect(installBundle(writeFakeBundle(bundles, { version: '2.0' }), { trusted, prefix, ops })).rejects.toThrow('disk on fire');
    expect(treeListing(prefix)).toEqual(before);
    expect(currentTarget()).toBe(`releases/${r1.release}`);
  });
});

describe('remove and list', () => {
  it('lists apps with their releases, current and previous', async () => {
    expect(await listApps(prefix)).toEqual([]);
    const r1 = await install({ version: '1.0' });
    const r2 = await install({ version: '2.0' });
    await install({ name: 'other', version: '0.1' });
    const apps = await listApps(prefix);
    expect(apps.map((a) => a.app)).toEqual(['my-app', 'other']);
    expect(apps[0]).toMatchObject({ current: r2.release, version: '2.0', previous: r1.release, hasData: true });
    expect(apps[0]!.releases.map((r) => [r.name, r.current, r.previous])).toEqual([
      [r1.release, false, true],
      [r2.release, true, false],
    ]);
  });

  it('remove --keep-data keeps only the data; a later install finds it', async () => {
    await install({ version: '1.0' });
    fs.writeFileSync(path.join(app().data, 'db'), 'keep me');
    const r = await removeApp('my-app', { prefix, keepData: true });
    expect(r.keptData).toBe(true);
    expect(fs.readdirSync(app().root)).toEqual(['data']);
    expect((await listApps(prefix))[0]).toMatchObject({ app: 'my-app', current: null, hasData: true, releases: [] });
    await expectCode(rollback('my-app', { prefix }), 'APP_NOT_INSTALLED');
    expect((await install({ version: '0.5' })).status).toBe('installed');
    expect(fs.readFileSync(path.join(app().data, 'db'), 'utf8')).toBe('keep me');
  });

  it('remove deletes the whole app folder and leaves other apps alone', async () => {
    await install({ version: '1.0' });
    await install({ name: 'other', version: '0.1' });
    const other = treeListing(path.join(prefix, 'other'));
    const r = await removeApp('my-app', { prefix });
    expect(r.keptData).toBe(false);
    expect(fs.readdirSync(prefix)).toEqual(['other']);
    expect(treeListing(path.join(prefix, 'other'))).toEqual(other);
    await expectCode(removeApp('my-app', { prefix }), 'APP_NOT_INSTALLED');
  });
});

describe('CLI: list, rollback, remove', () => {
  function capture(): CliIO & { out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), isTTY: false };
  }
  it('prints JSON and text, and exits 1 with the code on errors', async () => {
    const r1 = await install({ version: '1.0' });
    const r2 = await install({ version: '2.0' });
    let io = capture();
    expect(await main(['list', '--prefix', prefix, '--json'], io)).toBe(0);
    const listed = JSON.parse(io.out.join(''));
    expect(listed.apps[0]).toMatchObject({ app: 'my-app', current: r2.release, previous: r1.release });
    io = capture();
    expect(await main(['list', '--prefix', prefix], io)).toBe(0);
    expect(io.out.join('')).toContain(`* ${r2.release}`);
    io = capture();
    expect(await main(['rollback', 'my-app', '--prefix', prefix, '--json'], io)).toBe(0);
    expect(JSON.parse(io.out.join(''))).toMatchObject({ ok: true, from: r2.release, to: r1.release });
    io = capture();
    expect(await main(['rollback', 'my-app', '--prefix', prefix, '--json'], io)).toBe(1);
    expect(JSON.parse(io.out.join('')).error.code).toBe('NO_PREVIOUS_RELEASE');
    io = capture();
    expect(await main(['remove', 'my-app', '--prefix', prefix, '--keep-data'], io)).toBe(0);
    expect(io.out.join('')).toContain('kept its data');
    io = capture();
    expect(await main(['install', path.join(bundles, 'x.tar'), '--prefix', prefix], io)).toBe(2);
    expect(io.err.join('')).toContain('--keys DIR');
  });
});
