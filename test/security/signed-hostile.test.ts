/**
 * A compromised build machine (issue 6, "tricks inside a validly signed bundle"): every bundle
 * here is written by the real writer and signed by the TRUSTED key, so the signature checks pass
 * and only the installer's own checks stand between the content and the box. Each trick is
 * refused by `installBundle` with its code, leaving the prefix, the data folder and everything
 * beside the prefix byte-for-byte unchanged — in particular the canary folder the paths aim at.
 *
 * What a signed bundle can legitimately do is run code: the app and its wheels run when the app
 * starts, and post-install commands run during the install. Those are trusted publisher code
 * (docs/SECURITY.md); the last describe pins that boundary down.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPaths, installBundle, readCurrent } from '../../src/install/index.js';
import { serializeRecord } from '../../src/wheel/index.js';
import { writeZip } from '../helpers/wheels.js';
import { type RawWheelSpec, rawWheel } from '../install/fixtures.js';
import {
  type Sandbox,
  APP,
  HAVE_PYTHON,
  type WheelRef,
  buildBundle,
  dataDir,
  expectRefused,
  goodWheel,
  installOptions,
  makeSandbox,
  removeSandbox,
  seedData,
  snapshot,
  treeListing,
} from './fixtures.js';

let sb: Sandbox;
let n = 0;

beforeAll(async () => {
  if (!HAVE_PYTHON) return;
  sb = await makeSandbox('signed');
  await installBundle(await buildBundle(sb, { version: '1.0.0' }), installOptions(sb));
  seedData(sb);
});
afterAll(() => removeSandbox(sb));

/** A relative path that climbs out of wherever it is joined and lands in the canary folder. */
const intoCanary = (): string => `${'../'.repeat(40)}${sb.canary.slice(1)}/pwned`;

const good = (over: Partial<RawWheelSpec> = {}): RawWheelSpec => ({
  name: 'demo',
  version: '1.0',
  members: [
    { name: 'demo/__init__.py', data: 'def main():\n    return 0\n' },
    { name: 'demo-1.0.data/data/share/demo/readme.txt', data: 'hi\n' },
  ],
  entryPoints: '[console_scripts]\ndemo-cli = demo:main\n',
  ...over,
});
const plus = (...members: RawWheelSpec['members']) => good({ members: [...good().members, ...members] });

/** Write a hostile wheel (by spec or by function) into a fresh folder; returns its path. */
function wheel(make: RawWheelSpec | ((dir: string) => string)): string {
  const dir = path.join(sb.work, `w${++n}`);
  return typeof make === 'function' ? make(dir) : rawWheel(dir, make);
}

/** Sign a bundle of version 2.0.0 holding `wheels` (and the app overrides) with the trusted key, and install it. */
const installSigned = (wheels: WheelRef[], app: Parameters<typeof buildBundle>[1]['app'] = {}) => async () =>
  installBundle(await buildBundle(sb, { version: '2.0.0', wheels, ...(Object.keys(app).length ? { app } : {}) }), installOptions(sb));

/**
 * `demo/bomb.bin` says (zip headers and RECORD) it is 1000 bytes; its deflate stream inflates to
 * 16 MiB. An honest member comes first, so something was written before the bomb goes off.
 */
function zipBomb(dir: string): string {
  const init = Buffer.from('');
  const fake = Buffer.alloc(1000);
  const h = (b: Buffer) => createHash('sha256').update(b).digest('base64url');
  const distInfo = 'demo-1.0.dist-info';
  const metadata = Buffer.from('Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n');
  const wheelInfo = Buffer.from('Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n');
  const record = serializeRecord([
    { path: 'demo/__init__.py', hash: { algorithm: 'sha256', value: h(init) }, size: 0 },
    { path: 'demo/bomb.bin', hash: { algorithm: 'sha256', value: h(fake) }, size: 1000 },
    { path: `${distInfo}/METADATA`, hash: { algorithm: 'sha256', value: h(metadata) }, size: metadata.length },
    { path: `${distInfo}/WHEEL`, hash: { algorithm: 'sha256', value: h(wheelInfo) }, size: wheelInfo.length },
    { path: `${distInfo}/RECORD`, hash: null, size: null },
  ]);
  const zip = writeZip([
    { name: 'demo/__init__.py', data: init },
    { name: 'demo/bomb.bin', data: deflateRawSync(Buffer.alloc(16 * 1024 * 1024)), method: 'store', declaredSize: 1000 },
    { name: `${distInfo}/METADATA`, data: metadata },
    { name: `${distInfo}/WHEEL`, data: wheelInfo },
    { name: `${distInfo}/RECORD`, data: record },
  ]);
  // Relabel the stored body as deflated (method 8) in the local and central headers.
  for (const [sig, methodAt, nameLenAt, nameAt] of [[0x04034b50, 8, 26, 30], [0x02014b50, 10, 28, 46]] as const) {
    const marker = Buffer.alloc(4);
    marker.writeUInt32LE(sig);
    for (let pos = zip.indexOf(marker); pos >= 0; pos = zip.indexOf(marker, pos + 1)) {
      if (zip.toString('utf8', pos + nameAt, pos + nameAt + zip.readUInt16LE(pos + nameLenAt)) === 'demo/bomb.bin') zip.writeUInt16LE(8, pos + methodAt);
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'demo-1.0-py3-none-any.whl');
  fs.writeFileSync(file, zip);
  return file;
}

describe.skipIf(!HAVE_PYTHON)('validly signed wheels that try to escape the venv → UNSAFE_PATH', () => {
  const cases: [string, () => RawWheelSpec][] = [
    ['a ../ member', () => plus({ name: '../evil.py', data: 'x' })],
    ['a member climbing into the canary', () => plus({ name: intoCanary(), data: 'x' })],
    ['an absolute member naming the canary', () => plus({ name: `${sb.canary}/pwned`, data: 'x' })],
    ['a backslash member', () => plus({ name: '..\\..\\evil.py', data: 'x' })],
    ['a .data/scripts member climbing out', () => plus({ name: `demo-1.0.data/scripts/${intoCanary()}`, data: '#!python\n' })],
    ['a .data/data member climbing out', () => plus({ name: 'demo-1.0.data/data/../../../../../../evil', data: 'x' })],
    ['a RECORD path climbing into the canary', () => good({ extraRecord: [{ path: intoCanary(), hash: null, size: null }] })],
    ['an absolute RECORD path', () => good({ extraRecord: [{ path: '/etc/cron.d/evil', hash: null, size: null }] })],
  ];
  it.each(cases)('%s', async (_what, spec) => {
    await expectRefused(sb, installSigned([{ path: wheel(spec()) }]), 'UNSAFE_PATH');
    expect(fs.existsSync(path.join(sb.canary, 'pwned'))).toBe(false);
  });
});

describe.skipIf(!HAVE_PYTHON)('validly signed wheels that lie', () => {
  it('RECORD disagreeing with the files (hash, size, unlisted member, listed ghost) → INVALID_RECORD', async () => {
    const specs = [
      plus({ name: 'demo/zz.py', data: 'real', recordAs: { hash: { algorithm: 'sha256', value: 'A'.repeat(43) } } }),
      plus({ name: 'demo/zz.py', data: 'real', recordAs: { size: 3 } }),
      plus({ name: 'demo/sneaky.py', data: 'import os', unrecorded: true }),
      good({ extraRecord: [{ path: 'demo/ghost.py', hash: { algorithm: 'sha256', value: 'A'.repeat(43) }, size: 1 }] }),
    ];
    for (const spec of specs) await expectRefused(sb, installSigned([{ path: wheel(spec) }]), 'INVALID_RECORD');
  });

  it('a wheel whose METADATA claims another name or version than its file name → INVALID_WHEEL_FILE', async () => {
    await expectRefused(sb, installSigned([{ path: wheel(good({ metadataName: 'requests' })) }]), 'INVALID_WHEEL_FILE');
    await expectRefused(sb, installSigned([{ path: wheel(good({ metadataVersion: '9.9' })) }]), 'INVALID_WHEEL_FILE');
  });

  it('a manifest claiming another name or version for a wheel than its file name → INVALID_WHEEL_FILE', async () => {
    await expectRefused(sb, installSigned([{ path: wheel(good()), name: 'requests' }]), 'INVALID_WHEEL_FILE');
    await expectRefused(sb, installSigned([{ path: wheel(good()), version: '2.0' }]), 'INVALID_WHEEL_FILE');
  });

  it('entry-point names with path separators or dots → INVALID_ENTRY_POINTS', async () => {
    for (const name of ['../evil', `${sb.canary}/pwned`, '..']) {
      await expectRefused(sb, installSigned([{ path: wheel(good({ entryPoints: `[console_scripts]\n${name} = demo:main\n` })) }]), 'INVALID_ENTRY_POINTS');
    }
  });

  it('a launcher or script that would replace the venv interpreter → INSTALL_CONFLICT', async () => {
    await expectRefused(sb, installSigned([{ path: wheel(good({ entryPoints: '[console_scripts]\npython = demo:main\n' })) }]), 'INSTALL_CONFLICT');
    await expectRefused(sb, installSigned([{ path: wheel(plus({ name: 'demo-1.0.data/scripts/python3', data: '#!/bin/sh\n' })) }]), 'INSTALL_CONFLICT');
  });

  it('two wheels writing the same file (one shadowing the other) → INSTALL_CONFLICT', async () => {
    const other = wheel({ name: 'other', version: '1.0', members: [{ name: 'demo/__init__.py', data: 'import os\n' }] });
    await expectRefused(sb, installSigned([{ path: wheel(good()) }, { path: other }]), 'INSTALL_CONFLICT');
  });

  it('a zip bomb inside a wheel → ARCHIVE_TOO_LARGE', async () => {
    await expectRefused(sb, installSigned([{ path: wheel(zipBomb) }]), 'ARCHIVE_TOO_LARGE');
  });

  it('a wheel for another platform → BOX_INCOMPATIBLE, even when the manifest lists other tags for it', async () => {
    const arm = wheel(good({ tags: 'cp311-cp311-manylinux_2_17_armv7l', rootIsPurelib: false }));
    const err = await expectRefused(sb, installSigned([{ path: arm }]), 'BOX_INCOMPATIBLE');
    expect(err.message).toContain('armv7l');
    // The manifest's tags are the builder's notes; the file name is what the box checks.
    await expectRefused(sb, installSigned([{ path: arm, tags: ['py3-none-any'] }]), 'BOX_INCOMPATIBLE');
  });
});

describe.skipIf(!HAVE_PYTHON)('validly signed manifests that lie', () => {
  it('an app name that is a path (../x, a/b, .hidden) → INVALID_NAME', async () => {
    for (const name of ['../x', 'a/b', '.hidden']) {
      await expectRefused(sb, installSigned([{ path: wheel(good()) }], { name }), 'INVALID_NAME');
    }
  });

  it('an app script named like a path → INVALID_ENTRY_POINTS; a data variable that is not a name → INVALID_NAME', async () => {
    await expectRefused(sb, installSigned([{ path: wheel(good()) }], { scripts: { '../../evil': 'schoolapp.cli:main' } }), 'INVALID_ENTRY_POINTS');
    await expectRefused(sb, installSigned([{ path: wheel(good()) }], { scripts: { ok: 'schoolapp.cli:main; import os' } }), 'INVALID_ENTRY_POINTS');
    await expectRefused(sb, installSigned([{ path: wheel(good()) }], { data_dir_env: 'X=1; touch /tmp/pwned #' }), 'INVALID_NAME');
  });

  it('a version that is not PEP 440 → INVALID_VERSION', async () => {
    const file = await buildBundle(sb, { version: '2.0/../../x' });
    await expectRefused(sb, () => installBundle(file, installOptions(sb)), 'INVALID_VERSION');
  });
});

describe.skipIf(!HAVE_PYTHON)('what a signed bundle may do, and where it lands', () => {
  let own: Sandbox;
  beforeAll(async () => {
    own = await makeSandbox('signed-ok');
    await installBundle(await buildBundle(own, { version: '1.0.0' }), installOptions(own));
    seedData(own);
  });
  afterAll(() => removeSandbox(own));

  it('scripts with odd shebangs install inside the new release only; #!python lines get the venv interpreter', async () => {
    const scripts: Record<string, string | Buffer> = {
      'odd-crlf': '#!python\r\nprint(1)\r\n',
      'odd-args': '#!python -I -c "import os; os.system(\'touch /tmp/pwned\')"\nprint(1)\n',
      'odd-long': `#!python${' '.repeat(300)}\n`,
      'odd-nonl': '#!python',
      'odd-pythonw': '#!pythonw\n',
      'odd-env': '#!/usr/bin/env python3\n',
      'odd-relative': '#!../../../../bin/sh\n',
      'odd-binary': Buffer.from([0x23, 0x21, 0x00, 0xff, 0x0a, 0x00]),
    };
    const spec = good({ members: [...good().members, ...Object.entries(scripts).map(([name, data]) => ({ name: `demo-1.0.data/scripts/${name}`, data }))] });
    const before = snapshot(own);
    const r = await installBundle(await buildBundle(own, { version: '2.0.0', wheels: [{ path: rawWheel(path.join(own.work, 'odd'), spec) }] }), installOptions(own));
    expect(r.status).toBe('upgraded');
    const bin = path.join(r.releaseDir, 'venv', 'bin');
    const python = path.join(r.releaseDir, 'venv', 'bin', 'python');
    for (const [name, data] of Object.entries(scripts)) {
      const text = fs.readFileSync(path.join(bin, name));
      expect(fs.statSync(path.join(bin, name)).mode & 0o777, name).toBe(0o755);
      const original = Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (original.subarray(0, 8).toString('latin1') === '#!python') {
        expect(text.toString('utf8').split('\n')[0], name).toBe(`#!${python}`);
        const rest = original.subarray(original.indexOf(0x0a) + 1 || original.length);
        expect(text.subarray(text.indexOf(0x0a) + 1).equals(rest), name).toBe(true);
      } else {
        expect(text.equals(original), name).toBe(true);
      }
    }
    // Only the new release, current and history changed; nothing outside the prefix.
    const after = snapshot(own);
    expect(after.data).toEqual(before.data);
    expect(after.canary).toEqual(before.canary);
    expect(after.siblings).toEqual(before.siblings);
    const changed = after.prefix.filter((l) => !before.prefix.includes(l));
    const allowed = new RegExp(`^(F|D|L) ${APP}/(releases/${r.release.replace(/[.+]/g, '\\$&')}(/| )|current |history\\.json |releases 755)`);
    expect(changed.filter((l) => !allowed.test(l))).toEqual([]);
    const gone = before.prefix.filter((l) => !after.prefix.includes(l));
    expect(gone.filter((l) => !new RegExp(`^(L|F) ${APP}/(current|history\\.json) `).test(l))).toEqual([]);
    expect(fs.existsSync('/tmp/pwned')).toBe(false);
  });

  it('post-install commands are publisher code: they run with the installer\'s rights (documented, not sandboxed); a failing one switches nothing but is not undone', async () => {
    const paths = appPaths(own.prefix, APP);
    const currentBefore = await readCurrent(paths);
    const data = treeListing(dataDir(own));
    const mark = path.join(own.canary, 'written-by-post-install');
    const file = await buildBundle(own, { version: '3.0.0', app: { post_install: [['sh', '-c', `echo signed > ${mark}`], ['sh', '-c', 'exit 4']] } });
    await expect(installBundle(file, installOptions(own))).rejects.toMatchObject({ code: 'POST_INSTALL_FAILED' });
    expect(await readCurrent(paths)).toBe(currentBefore);
    expect(treeListing(dataDir(own))).toEqual(data);
    // The boundary docs/SECURITY.md states: the command ran, outside the prefix, and its effect stays.
    expect(fs.readFileSync(mark, 'utf8')).toBe('signed\n');
  });
});
