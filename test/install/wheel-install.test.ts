/**
 * installWheel's I/O half against a venv-shaped directory (no interpreter needed): what it
 * writes, and that hostile wheels are refused with a specific code and leave the venv exactly as
 * it was.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { installWheel, type InstallWheelOptions } from '../../src/install/wheel-install.js';
import type { VenvInfo } from '../../src/install/venv.js';
import { parseRecord, serializeRecord } from '../../src/wheel/index.js';
import { writeZip } from '../helpers/wheels.js';
import { type RawWheelSpec, fakeVenv as emptyVenv, rawWheel } from './fixtures.js';
import { codeOf } from '../helpers/errors.js';

const root = mkdtempSync(join(tmpdir(), 'sneakpack-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
let venv: VenvInfo;
let wheels: string;

/** A venv-shaped directory with one package already installed. */
function fakeVenv(): VenvInfo {
  const venv = emptyVenv(join(root, `venv${++n}`));
  mkdirSync(join(venv.scheme.purelib, 'existing'));
  writeFileSync(join(venv.scheme.purelib, 'existing', '__init__.py'), 'EXISTING = 1\n');
  writeFileSync(join(venv.dir, 'bin', 'existing-tool'), '#!/bin/sh\n');
  return venv;
}

/** Every path under `dir` with its kind, mode and sha256. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) {
        out[r] = `dir ${(st.mode & 0o777).toString(8)}`;
        walk(r);
      } else {
        out[r] = `${st.isSymbolicLink() ? 'link' : 'file'} ${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(join(dir, r))).digest('hex')}`;
      }
    }
  };
  walk('');
  return out;
}

beforeEach(() => {
  venv = fakeVenv();
  wheels = join(root, `wheels${n}`);
});

const good = (over: Partial<RawWheelSpec> = {}): RawWheelSpec => ({
  name: 'demo',
  version: '1.0',
  members: [
    { name: 'demo/__init__.py', data: 'def main():\n    return 0\n' },
    { name: 'demo/big.bin', data: Buffer.alloc(300_000, 7) },
    { name: 'demo-1.0.data/scripts/demo-sh', data: '#!python\nprint(1)\n', mode: 0o644 },
    { name: 'demo-1.0.data/scripts/demo-cli-script.py', data: '# setuptools wrapper\n' },
    { name: 'demo-1.0.data/headers/demo.h', data: '#define DEMO\n' },
    { name: 'demo-1.0.data/data/share/demo/readme.txt', data: 'hi\n' },
  ],
  entryPoints: '[console_scripts]\ndemo-cli = demo:main\n',
  ...over,
});

/** Members are inflated in memory up to a size and streamed above it: both paths, same results. */
const MODES: [string, Partial<InstallWheelOptions>][] = [
  ['members inflated in memory', {}],
  ['members streamed', { streamAbove: 0 }],
];

describe('installWheel', () => {
  it.each(MODES)('installs, records and reports (%s)', async (_mode, modeOptions) => {
    const w = rawWheel(wheels, good());
    const r = await installWheel(w, venv, { ...modeOptions, requested: true, installer: 'sneakpack-test' });
    const site = venv.scheme.purelib;
    expect(r).toMatchObject({ filename: 'demo-1.0-py3-none-any.whl', name: 'demo', version: '1.0', scripts: ['demo-cli'], warnings: [] });
    expect(r.skipped).toEqual(['demo-1.0.data/scripts/demo-cli-script.py']);
    expect(r.distInfoDir).toBe(join(site, 'demo-1.0.dist-info'));
    // A .data script always gets 0755 (pip would keep the archive's 0644) and the venv's Python.
    expect(readFileSync(join(venv.dir, 'bin', 'demo-sh'), 'utf8')).toBe(`#!${venv.python}\nprint(1)\n`);
    expect(lstatSync(join(venv.dir, 'bin', 'demo-sh')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(venv.dir, 'bin', 'demo-cli')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(venv.dir, 'bin', 'demo-cli'), 'utf8')).toContain('from demo import main\n');
    expect(existsSync(join(venv.dir, 'bin', 'demo-cli-script.py'))).toBe(false);
    expect(readFileSync(join(venv.dir, 'include', 'site', 'python3.11', 'demo', 'demo.h'), 'utf8')).toBe('#define DEMO\n');
    expect(readFileSync(join(venv.dir, 'share', 'demo', 'readme.txt'), 'utf8')).toBe('hi\n');
    expect(readFileSync(join(r.distInfoDir, 'INSTALLER'), 'utf8')).toBe('sneakpack-test\n');
    expect(readFileSync(join(r.distInfoDir, 'REQUESTED'), 'utf8')).toBe('');
    // RECORD: what was written, sorted, every row true to its file, RECORD itself last-written and empty-hashed.
    const recordText = readFileSync(join(r.distInfoDir, 'RECORD'), 'utf8');
    const record = parseRecord(recordText);
    expect(serializeRecord(r.record)).toBe(recordText);
    expect(record.map((e) => e.path)).toEqual([
      '../../../bin/demo-cli',
      '../../../bin/demo-sh',
      '../../../include/site/python3.11/demo/demo.h',
      '../../../share/demo/readme.txt',
      'demo-1.0.dist-info/INSTALLER',
      'demo-1.0.dist-info/METADATA',
      'demo-1.0.dist-info/RECORD',
      'demo-1.0.dist-info/REQUESTED',
      'demo-1.0.dist-info/WHEEL',
      'demo-1.0.dist-info/entry_points.txt',
      'demo/__init__.py',
      'demo/big.bin',
    ]);
    for (const e of record) {
      if (e.path.endsWith('/RECORD')) {
        expect(e.hash).toBeNull();
        continue;
      }
      const data = readFileSync(join(site, e.path));
      expect(e.size, e.path).toBe(data.length);
      expect(e.hash!.value, e.path).toBe(createHash('sha256').update(data).digest('base64url'));
    }
  });

  it('refuses to install over itself, leaving the first install intact', async () => {
    const w = rawWheel(wheels, good());
    await installWheel(w, venv);
    const before = tree(venv.dir);
    expect(await codeOf(installWheel(w, venv))).toBe('INSTALL_CONFLICT');
    expect(tree(venv.dir)).toEqual(before);
  });

  it('checks the expected name and version', async () => {
    const w = rawWheel(wheels, good());
    expect((await installWheel(w, venv, { expected: { name: 'Demo', version: '1.0.0' } })).name).toBe('demo');
    const other = fakeVenv();
    expect(await codeOf(installWheel(w, other, { expected: { name: 'demo', version: '1.1' } }))).toBe('INVALID_WHEEL_FILE');
    expect(await codeOf(installWheel(w, other, { expected: { name: 'dem0', version: '1.0' } }))).toBe('INVALID_WHEEL_FILE');
  });

  it('keeps the executable bit of regular archive members only, as pip does', async () => {
    const w = rawWheel(wheels, good({
      members: [
        { name: 'demo/__init__.py', data: '' },
        { name: 'demo/x.sh', data: '#!/bin/sh\n', mode: 0o700 },
        { name: 'demo/ro.txt', data: 'r', mode: 0o400 },
        { name: 'demo/link', data: '/etc/passwd', mode: 0o120777 },
      ],
    }));
    await installWheel(w, venv);
    const site = venv.scheme.purelib;
    expect(lstatSync(join(site, 'demo/x.sh')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(site, 'demo/ro.txt')).mode & 0o777).toBe(0o644);
    // A symlink entry becomes a plain file holding the target's name: nothing followed.
    const link = lstatSync(join(site, 'demo/link'));
    expect(link.isFile() && (link.mode & 0o777) === 0o644).toBe(true);
    expect(readFileSync(join(site, 'demo/link'), 'utf8')).toBe('/etc/passwd');
  });

  it('warns about a newer minor Wheel-Version and refuses a newer major', async () => {
    const wheelFile = (version: string) => rawWheel(join(wheels, version), {
      ...good(),
      members: [
        { name: 'demo/__init__.py', data: '' },
      ],
      entryPoints: undefined,
      wheelText: `Wheel-Version: ${version}\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n`,
    });
    const r = await installWheel(wheelFile('1.9'), venv);
    expect(r.warnings.join()).toContain('1.9');
    expect(await codeOf(installWheel(wheelFile('2.0'), fakeVenv()))).toBe('INVALID_WHEEL_FILE');
  });
});

/** Hostile and broken wheels: each must fail with its code and leave the venv untouched. */
describe.each(MODES)('installWheel refuses hostile wheels (%s)', (_mode, modeOptions) => {
  const cases: [string, string, (dir: string) => string, Partial<InstallWheelOptions>?][] = [
    ['a ../ member', 'UNSAFE_PATH', (d) => rawWheel(d, good({ members: [...good().members, { name: '../evil.py', data: 'x' }] }))],
    ['a nested ../ member', 'UNSAFE_PATH', (d) => rawWheel(d, good({ members: [...good().members, { name: 'demo/../../evil.py', data: 'x' }] }))],
    ['an absolute member', 'UNSAFE_PATH', (d) => rawWheel(d, good({ members: [...good().members, { name: '/tmp/evil.py', data: 'x' }] }))],
    ['a backslash member', 'UNSAFE_PATH', (d) => rawWheel(d, good({ members: [...good().members, { name: '..\\evil.py', data: 'x' }] }))],
    ['a .data/scripts/../ member', 'UNSAFE_PATH', (d) => rawWheel(d, good({ members: [...good().members, { name: 'demo-1.0.data/scripts/../../evil', data: 'x' }] }))],
    ['a RECORD path escaping', 'UNSAFE_PATH', (d) => rawWheel(d, good({ extraRecord: [{ path: '../../../../etc/cron.d/x', hash: null, size: null }] }))],
    ['a RECORD hash mismatch (last member)', 'INVALID_RECORD', (d) =>
      rawWheel(d, good({ members: [...good().members, { name: 'demo/zz.py', data: 'real', recordAs: { hash: { algorithm: 'sha256', value: 'A'.repeat(43) } } }] }))],
    ['a RECORD size mismatch', 'INVALID_RECORD', (d) =>
      rawWheel(d, good({ members: [...good().members, { name: 'demo/zz.py', data: 'real', recordAs: { size: 5 } }] }))],
    ['a file missing from RECORD', 'INVALID_RECORD', (d) => rawWheel(d, good({ members: [...good().members, { name: 'demo/sneaky.py', data: 'x', unrecorded: true }] }))],
    ['RECORD listing a file not in the zip', 'INVALID_RECORD', (d) =>
      rawWheel(d, good({ extraRecord: [{ path: 'demo/ghost.py', hash: { algorithm: 'sha256', value: 'A'.repeat(43) }, size: 1 }] }))],
    ['an md5 RECORD hash', 'INVALID_RECORD', (d) =>
      rawWheel(d, good({ members: [...good().members, { name: 'demo/zz.py', data: 'x', recordAs: { hash: { algorithm: 'md5', value: 'A'.repeat(22) } } }] }))],
    ['a METADATA name mismatch', 'INVALID_WHEEL_FILE', (d) => rawWheel(d, good({ metadataName: 'other' }))],
    ['a METADATA version mismatch', 'INVALID_WHEEL_FILE', (d) => rawWheel(d, good({ metadataVersion: '1.1' }))],
    ['an entry point named ../evil', 'INVALID_ENTRY_POINTS', (d) => rawWheel(d, good({ entryPoints: '[console_scripts]\n../evil = demo:main\n' }))],
    ['an entry point named a/b', 'INVALID_ENTRY_POINTS', (d) => rawWheel(d, good({ entryPoints: '[gui_scripts]\na/b = demo:main\n' }))],
    ['an unknown .data scheme', 'INVALID_WHEEL_FILE', (d) => rawWheel(d, good({ members: [...good().members, { name: 'demo-1.0.data/etc/x', data: 'x' }] }))],
    ['two members on one path', 'INSTALL_CONFLICT', (d) => rawWheel(d, good({ members: [...good().members, { name: 'demo-1.0.data/purelib/demo/__init__.py', data: 'x' }] }))],
    ['a file over an existing one', 'INSTALL_CONFLICT', (d) => rawWheel(d, good({ members: [...good().members, { name: 'existing/__init__.py', data: 'x' }] }))],
    ['a launcher over an existing script', 'INSTALL_CONFLICT', (d) => rawWheel(d, good({ entryPoints: '[console_scripts]\nexisting-tool = demo:main\n' }))],
    ['a duplicate member', 'INVALID_WHEEL_FILE', (d) => rawWheel(d, good({ members: [...good().members, { name: 'demo/__init__.py', data: 'again' }] }))],
    ['a declared size above the limit', 'ARCHIVE_TOO_LARGE', (d) => rawWheel(d, good()), { limits: { maxFileSize: 100_000 } }],
    ['a total size above the limit', 'ARCHIVE_TOO_LARGE', (d) => rawWheel(d, good()), { limits: { maxTotalSize: 200_000 } }],
    ['a member inflating past its declared and recorded size', 'ARCHIVE_TOO_LARGE', (d) => bomb(d)],
    ['a member that is not a deflate stream', 'INVALID_WHEEL_FILE', (d) => bomb(d, Buffer.from('\xff\xff not a deflate stream at all')) ],
    ['a member compressed with bzip2 (method 12)', 'INVALID_WHEEL_FILE', (d) => bomb(d, Buffer.alloc(1000), 12)],
    ['not a zip', 'INVALID_WHEEL_FILE', (d) => {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'demo-1.0-py3-none-any.whl'), 'not a zip at all');
      return join(d, 'demo-1.0-py3-none-any.whl');
    }],
    ['a missing wheel', 'FILE_NOT_FOUND', (d) => join(d, 'demo-1.0-py3-none-any.whl')],
  ];

  it.each(cases)('%s → %s', async (_what, code, make, options) => {
    const w = make(wheels);
    const before = tree(venv.dir);
    expect(await codeOf(installWheel(w, venv, { ...modeOptions, ...(options ?? {}) }))).toBe(code);
    expect(tree(venv.dir)).toEqual(before);
  });

  it('cleans up files it had already written when a later member fails its hash', async () => {
    // demo/zz.py comes after every other payload member: they were written, then removed.
    const w = rawWheel(wheels, good({ members: [...good().members, { name: 'demo/zz.py', data: 'real', recordAs: { size: 4, hash: { algorithm: 'sha256', value: 'A'.repeat(43) } } }] }));
    expect(await codeOf(installWheel(w, venv, modeOptions))).toBe('INVALID_RECORD');
    expect(existsSync(join(venv.scheme.purelib, 'demo'))).toBe(false);
    expect(existsSync(join(venv.dir, 'share'))).toBe(false);
    expect(existsSync(join(venv.dir, 'include'))).toBe(false);
  });
});

/**
 * A wheel whose `demo/bomb.bin` says (in the zip headers and in RECORD) it is 1000 bytes, but
 * whose deflate stream inflates to 16 MiB of zeros. An honest member comes first, so the
 * failure happens after something was written.
 */
function bomb(dir: string, body = deflateRawSync(Buffer.alloc(16 * 1024 * 1024)), method = 8): string {
  const init = Buffer.from('');
  const fake = Buffer.alloc(1000);
  const h = (b: Buffer) => createHash('sha256').update(b).digest('base64url');
  const distInfo = 'demo-1.0.dist-info';
  const metadata = Buffer.from('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n');
  const wheel = Buffer.from('Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n');
  const record = serializeRecord([
    { path: 'demo/__init__.py', hash: { algorithm: 'sha256', value: h(init) }, size: 0 },
    { path: 'demo/bomb.bin', hash: { algorithm: 'sha256', value: h(fake) }, size: 1000 },
    { path: `${distInfo}/METADATA`, hash: { algorithm: 'sha256', value: h(metadata) }, size: metadata.length },
    { path: `${distInfo}/WHEEL`, hash: { algorithm: 'sha256', value: h(wheel) }, size: wheel.length },
    { path: `${distInfo}/RECORD`, hash: null, size: null },
  ]);
  const zip = writeZip([
    { name: 'demo/__init__.py', data: init },
    // Stored: writeZip writes `data` as the body, declaredSize in the headers.
    { name: 'demo/bomb.bin', data: body, method: 'store', declaredSize: 1000 },
    { name: `${distInfo}/METADATA`, data: metadata },
    { name: `${distInfo}/WHEEL`, data: wheel },
    { name: `${distInfo}/RECORD`, data: record },
  ]);
  // Mark the stored body as compressed with `method` in both headers (deflate: it inflates to 16 MiB).
  const patched = Buffer.from(zip);
  for (const sig of [0x04034b50, 0x02014b50]) {
    let pos = -1;
    while ((pos = patched.indexOf(Buffer.from(new Uint8Array(new Uint32Array([sig]).buffer)), pos + 1)) >= 0) {
      const nameOffset = sig === 0x04034b50 ? 30 : 46;
      const nameLen = patched.readUInt16LE(pos + (sig === 0x04034b50 ? 26 : 28));
      if (patched.subarray(pos + nameOffset, pos + nameOffset + nameLen).toString() === 'demo/bomb.bin') {
        patched.writeUInt16LE(method, pos + (sig === 0x04034b50 ? 8 : 10));
      }
    }
  }
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'demo-1.0-py3-none-any.whl');
  writeFileSync(path, patched);
  return path;
}

/** `reuse`: hard-linking the files of the same wheel from an earlier venv (upgrades). */
describe('installWheel sharing unchanged files with an earlier install', () => {
  /** Every file the install put in `venv`, as RECORD lists it. */
  const recorded = (r: { record: readonly { path: string }[]; distInfoDir: string }) =>
    r.record.map((e) => join(r.distInfoDir, '..', e.path));

  it('links every file but scripts, launchers and generated files; RECORD stays true', async () => {
    const w = rawWheel(wheels, good());
    const first = await installWheel(w, venv);
    const next = fakeVenv();
    const r = await installWheel(w, next, { reuse: { venvDir: venv.dir } });
    const plain = await installWheel(w, fakeVenv());
    expect(r.linked).toBe(7); // __init__.py, big.bin, demo.h, readme.txt, METADATA, WHEEL, entry_points.txt
    expect(plain.linked).toBe(0);
    // Same RECORD rows as installing afresh, except the launcher and script (they name the venv's python).
    const byPath = (x: typeof r) => new Map(x.record.map((e) => [e.path, e]));
    for (const [p, e] of byPath(plain)) {
      if (p.startsWith('../../../bin/')) continue;
      expect(byPath(r).get(p), p).toEqual(e);
    }
    expect([...byPath(r).keys()]).toEqual([...byPath(plain).keys()]);
    for (const file of recorded(r)) {
      const st = lstatSync(file);
      const shared = !file.includes(`${join(next.dir, 'bin')}/`) && !/(RECORD|INSTALLER)$/.test(file);
      expect(st.nlink, file).toBe(shared ? 2 : 1);
      if (shared) expect(st.ino, file).toBe(lstatSync(file.replace(next.dir, venv.dir)).ino);
    }
    // The script and the launcher name the new venv's interpreter, not the old one's.
    expect(readFileSync(join(next.dir, 'bin', 'demo-sh'), 'utf8')).toBe(`#!${next.python}\nprint(1)\n`);
    expect(readFileSync(join(next.dir, 'bin', 'demo-cli'), 'utf8')).toContain(next.python);
    expect(first.linked).toBe(0);
  });

  it('writes a file instead when the earlier copy changed size or mode, or is gone', async () => {
    const w = rawWheel(wheels, good());
    await installWheel(w, venv);
    const site = venv.scheme.purelib;
    writeFileSync(join(site, 'demo', '__init__.py'), 'tampered, longer than before\n');
    chmodSync(join(site, 'demo', 'big.bin'), 0o600);
    rmSync(join(venv.dir, 'share', 'demo', 'readme.txt'));
    const next = fakeVenv();
    const r = await installWheel(w, next, { reuse: { venvDir: venv.dir } });
    expect(r.linked).toBe(4);
    const nsite = next.scheme.purelib;
    expect(readFileSync(join(nsite, 'demo', '__init__.py'), 'utf8')).toBe('def main():\n    return 0\n');
    expect(lstatSync(join(nsite, 'demo', 'big.bin')).mode & 0o777).toBe(0o644);
    expect(lstatSync(join(nsite, 'demo', 'big.bin')).nlink).toBe(1);
    expect(readFileSync(join(next.dir, 'share', 'demo', 'readme.txt'), 'utf8')).toBe('hi\n');
  });

  it('writes everything when the earlier install has no readable RECORD', async () => {
    const w = rawWheel(wheels, good());
    const first = await installWheel(w, venv);
    writeFileSync(join(first.distInfoDir, 'RECORD'), 'not,a,valid,record,row\n');
    const r = await installWheel(w, fakeVenv(), { reuse: { venvDir: venv.dir } });
    expect(r.linked).toBe(0);
    const r2 = await installWheel(w, fakeVenv(), { reuse: { venvDir: join(root, 'no-such-venv') } });
    expect(r2.linked).toBe(0);
  });

  it('removes the links it made when a later member fails', async () => {
    await installWheel(rawWheel(wheels, good()), venv);
    // The same files plus a script (never linked) that fails its hash after the others were linked.
    const bad = rawWheel(join(wheels, 'bad'), good({
      members: [...good().members, { name: 'demo-1.0.data/scripts/zz-tool', data: '#!python\n', recordAs: { hash: { algorithm: 'sha256', value: 'A'.repeat(43) } } }],
    }));
    const next = fakeVenv();
    const before = tree(next.dir);
    expect(await codeOf(installWheel(bad, next, { reuse: { venvDir: venv.dir } }))).toBe('INVALID_RECORD');
    expect(tree(next.dir)).toEqual(before);
    expect(lstatSync(join(venv.scheme.purelib, 'demo', 'big.bin')).nlink).toBe(1);
  });
});
