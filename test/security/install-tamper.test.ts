/**
 * Tampering, replay and rollback through the real top-level path (issue 6): a prefix with a
 * release installed and a data folder full of precious things; then bundles changed on the way
 * (a byte changed, inserted or deleted; a wheel swapped for another validly built one; the
 * manifest edited; a signature from another bundle or another key; an untrusted signer; truncated,
 * trailing data, a gzip bomb), older releases and bundles for another box. Each is refused by
 * `installBundle` with its code and leaves the prefix, the data and everything beside the prefix
 * byte-for-byte unchanged. The same through `sneakpack install` for a few of them.
 *
 * test/bundle/ has the exhaustive reader-level cases (every byte, every archive trick); this file
 * is about what reaches the box.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GZIP_HEADER, canonicalJson, crc32 } from '../../src/bundle/index.js';
import { type ErrorCode, SneakpackError } from '../../src/errors.js';
import { encodeEntryHeaders } from '../../src/bundle/tar.js';
import { installBundle } from '../../src/install/index.js';
import { encodeSignature, signMessage } from '../../src/sign/index.js';
import { Rng } from '../helpers/random.js';
import { runCli } from '../helpers/cli.js';
import { wheelBytes } from '../helpers/wheels.js';
import { type RawEntry, packRaw, unpackRaw } from '../bundle/fixtures.js';
import {
  type Sandbox,
  APP,
  HAVE_PYTHON,
  PYTHON,
  buildBundle,
  expectRefused,
  goodWheel,
  installOptions,
  makeSandbox,
  removeSandbox,
  seedData,
  snapshot,
  writeMutant,
} from './fixtures.js';

let sb: Sandbox;
/** The installed release (2.0.0) and the next one (3.0.0), both validly signed. */
let current: string;
let next: string;
let nextTar: Buffer;
let nextEntries: RawEntry[];
let older: string;

beforeAll(async () => {
  if (!HAVE_PYTHON) return;
  sb = await makeSandbox('tamper');
  older = await buildBundle(sb, { version: '1.0.0' });
  current = await buildBundle(sb, { version: '2.0.0' });
  next = await buildBundle(sb, { version: '3.0.0' });
  nextTar = fs.readFileSync(next);
  nextEntries = unpackRaw(nextTar);
  const r = await installBundle(current, installOptions(sb));
  expect(r.status).toBe('installed');
  seedData(sb);
});
afterAll(() => removeSandbox(sb));

/** A gzip file in sneakpack's canonical framing (the header `writeBundle` writes) around `tar`. */
function gzipOf(tar: Buffer): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(tar), 0);
  trailer.writeUInt32LE(tar.length % 2 ** 32, 4);
  return Buffer.concat([GZIP_HEADER, zlib.deflateRawSync(tar, { level: 1 }), trailer]);
}

const install = (file: string, extra = {}) => () => installBundle(file, installOptions(sb, extra));
const entryIndex = (suffix: string): number => nextEntries.findIndex((e) => e.path.endsWith(suffix));
const replaced = (i: number, data: Buffer): Buffer => packRaw(nextEntries.map((e, j) => (j === i ? { ...e, data } : e)));

describe.skipIf(!HAVE_PYTHON)('tampered bundles are refused by installBundle, changing nothing', () => {
  it('the untampered next release is accepted (the cases below differ from it only by their attack)', async () => {
    // Checked on a copy of the prefix, so the installed state stays as the other cases expect it.
    const copy = path.join(sb.work, 'copy-prefix');
    fs.cpSync(sb.prefix, copy, { recursive: true, verbatimSymlinks: true });
    const r = await installBundle(next, installOptions(sb, { prefix: copy }));
    expect(r.status).toBe('upgraded');
    expect(packRaw(nextEntries)).toEqual(nextTar);
  });

  it('a changed byte in a wheel, in the app, in the manifest → HASH_MISMATCH', async () => {
    for (const suffix of ['.whl', '/cli.py', '/manifest.json']) {
      const e = nextEntries[entryIndex(suffix)]!;
      const data = Buffer.from(e.data!);
      data[Math.floor(data.length / 2)] ^= 0x01;
      await expectRefused(sb, install(writeMutant(sb, 'byte.tar', replaced(entryIndex(suffix), data))), 'HASH_MISMATCH');
    }
  });

  it('a changed byte in a tar header → BUNDLE_CORRUPT', async () => {
    // The second header (the manifest's) starts after the signature's header and padded data.
    const sigSize = nextEntries[0]!.data!.length;
    const hdr = 512 + Math.ceil(sigSize / 512) * 512;
    expect(nextTar.toString('utf8', hdr, hdr + 100)).toContain('/manifest.json');
    const mutant = Buffer.from(nextTar);
    mutant[hdr + 3] ^= 0x20;
    await expectRefused(sb, install(writeMutant(sb, 'hdr.tar', mutant)), 'BUNDLE_CORRUPT');
  });

  it('an inserted or a deleted byte → HASH_MISMATCH inside an entry, BUNDLE_CORRUPT where a header was expected', async () => {
    const wheelAt = nextTar.indexOf(nextEntries[entryIndex('.whl')]!.data!) + 100;
    const manifestAt = nextTar.indexOf(Buffer.from('"school-app"'));
    const cases: [string, Buffer, string][] = [
      ['insert in the manifest', Buffer.concat([nextTar.subarray(0, manifestAt), Buffer.from('X'), nextTar.subarray(manifestAt)]), 'BUNDLE_CORRUPT'],
      ['delete in the manifest', Buffer.concat([nextTar.subarray(0, manifestAt), nextTar.subarray(manifestAt + 1)]), 'BUNDLE_CORRUPT'],
      ['insert in the wheel', Buffer.concat([nextTar.subarray(0, wheelAt), Buffer.from('X'), nextTar.subarray(wheelAt)]), 'HASH_MISMATCH'],
      ['delete in the wheel', Buffer.concat([nextTar.subarray(0, wheelAt), nextTar.subarray(wheelAt + 1)]), 'HASH_MISMATCH'],
      ['insert a block before the end', Buffer.concat([nextTar.subarray(0, nextTar.length - 10240), Buffer.alloc(512, 0x41), nextTar.subarray(nextTar.length - 10240)]), 'BUNDLE_CORRUPT'],
    ];
    for (const [what, bytes, code] of cases) {
      const err = await expectRefused(sb, install(writeMutant(sb, `${what.replace(/ /g, '-')}.tar`, bytes)), code).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
      expect(err).toBeDefined();
    }
  });

  it('the wheel swapped for another validly built wheel of the same name → HASH_MISMATCH (same size) / BUNDLE_SIZE_MISMATCH', async () => {
    const i = entryIndex('.whl');
    const original = nextEntries[i]!.data!;
    // A real, valid greetlib 1.0 wheel with other code, padded until its zip is exactly as long.
    const rng = new Rng(6);
    let same: Buffer | null = null;
    let other: Buffer | null = null;
    for (let k = 0; k < 3000 && (same === null || other === null); k++) {
      const pad = Array.from({ length: k }, () => rng.int(0, 15).toString(16)).join('');
      const w = wheelBytes({
        name: 'greetlib',
        version: '1.0',
        files: { 'greetlib/__init__.py': `import os\ndef greet(who):\n    os.system("id")\n    return "pwned " + who\n# ${pad}\n` },
        distInfoFiles: { 'entry_points.txt': '[console_scripts]\ngreet = greetlib:main\n' },
      }).bytes;
      if (w.length !== original.length) other ??= w;
      else if (!w.equals(original)) same = w;
    }
    expect(same, 'found a same-size wheel').not.toBeNull();
    await expectRefused(sb, install(writeMutant(sb, 'swap.tar', replaced(i, same!))), 'HASH_MISMATCH');
    expect(other).not.toBeNull();
    await expectRefused(sb, install(writeMutant(sb, 'swap2.tar', replaced(i, other!))), 'BUNDLE_SIZE_MISMATCH');
  });

  it('the manifest edited (a post-install command added; the version changed in place) → HASH_MISMATCH, the command never runs', async () => {
    const i = entryIndex('/manifest.json');
    const m = JSON.parse(nextEntries[i]!.data!.toString()) as { app: { post_install: string[][] } };
    const evil = path.join(sb.canary, 'pwned');
    m.app.post_install = [['touch', evil]];
    await expectRefused(sb, install(writeMutant(sb, 'manifest.tar', replaced(i, Buffer.from(canonicalJson(m as never))))), 'HASH_MISMATCH');
    // An edit that keeps the manifest's size.
    const original = nextEntries[i]!.data!.toString();
    const sameSize = original.replace('"3.0.0"', '"9.0.0"');
    expect(sameSize.length).toBe(original.length);
    await expectRefused(sb, install(writeMutant(sb, 'manifest2.tar', replaced(i, Buffer.from(sameSize)))), 'HASH_MISMATCH');
    expect(fs.existsSync(evil)).toBe(false);
  });

  it('the signature of another bundle → HASH_MISMATCH; another key under the trusted key number → SIGNATURE_MISMATCH', async () => {
    const otherSig = unpackRaw(fs.readFileSync(older))[0]!.data!;
    await expectRefused(sb, install(writeMutant(sb, 'othersig.tar', replaced(0, otherSig))), 'HASH_MISMATCH');
    // Bob signs the very same checksum list; the signature claims alice's key number.
    const sigText = nextEntries[0]!.data!.toString('utf8');
    const list = sigText.split('\n').slice(2).join('\n');
    const message = new TextEncoder().encode(list);
    const bobSig = signMessage(sb.bob.secretKey, message, sigText.split('\n')[0]!.replace(/^untrusted comment: /, ''));
    const spoofed = Buffer.from(encodeSignature({ ...bobSig, keynum: sb.alice.publicKey.keynum }, message));
    expect(spoofed.toString('utf8').split('\n').slice(2).join('\n')).toBe(list);
    await expectRefused(sb, install(writeMutant(sb, 'spoof.tar', replaced(0, spoofed))), 'SIGNATURE_MISMATCH');
  });

  it('a bundle signed by a key the box does not trust → UNTRUSTED_KEY naming the key number', async () => {
    const bobs = await buildBundle(sb, { version: '3.0.0', key: sb.bob });
    const err = await expectRefused(sb, install(bobs), 'UNTRUSTED_KEY');
    expect(err.message).toContain(sb.bob.publicKey.keynum);
  });

  it('truncated anywhere → BUNDLE_TRUNCATED; trailing data → BUNDLE_TRAILING_DATA', async () => {
    for (const cut of [100, 512, 1500, Math.floor(nextTar.length / 2), nextTar.length - 1]) {
      await expectRefused(sb, install(writeMutant(sb, 'cut.tar', nextTar.subarray(0, cut))), 'BUNDLE_TRUNCATED');
    }
    await expectRefused(sb, install(writeMutant(sb, 'trail.tar', Buffer.concat([nextTar, Buffer.from('#!/bin/sh\nrm -rf /\n')]))), 'BUNDLE_TRAILING_DATA');
    await expectRefused(sb, install(writeMutant(sb, 'trail2.tar', Buffer.concat([nextTar, Buffer.alloc(10240)]))), 'BUNDLE_TRAILING_DATA');
  });

  it('a gzip bomb (a header claiming 6 GiB, 16 MiB of zeros) → BUNDLE_TOO_LARGE, without filling the disk', async () => {
    const stem = nextEntries[0]!.path.split('/')[0]!;
    const header = encodeEntryHeaders(`${stem}/SHA256.sig`, 6 * 1024 ** 3, 0o644, Number(JSON.parse(nextEntries[1]!.data!.toString()).created));
    const bomb = gzipOf(Buffer.concat([header, Buffer.alloc(16 * 1024 * 1024)]));
    expect(bomb.length).toBeLessThan(1 << 20);
    await expectRefused(sb, install(writeMutant(sb, 'bomb.tar.gz', bomb)), 'BUNDLE_TOO_LARGE');
    // A valid bundle followed by zeros inside the same gzip stream.
    const padded = gzipOf(Buffer.concat([nextTar, Buffer.alloc(16 * 1024 * 1024)]));
    await expectRefused(sb, install(writeMutant(sb, 'bomb2.tar.gz', padded)), 'BUNDLE_TRAILING_DATA');
  });

  it('not a bundle at all, or no such file → BUNDLE_CORRUPT / FILE_NOT_FOUND', async () => {
    await expectRefused(sb, install(writeMutant(sb, 'garbage.tar', Buffer.alloc(4096, 0x41))), 'BUNDLE_CORRUPT');
    await expectRefused(sb, install(path.join(sb.work, 'missing.tar')), 'FILE_NOT_FOUND');
  });
});

describe.skipIf(!HAVE_PYTHON)('replay and rollback', () => {
  it('an older, validly signed release over a newer one → DOWNGRADE_REFUSED', async () => {
    const err = await expectRefused(sb, install(older), 'DOWNGRADE_REFUSED');
    expect(err.message).toContain('1.0.0');
    expect(err.message).toContain('2.0.0');
    expect(err.message).toContain('--allow-downgrade');
  });

  it('replaying the current bundle changes nothing (status unchanged)', async () => {
    const before = snapshot(sb);
    const r = await installBundle(current, installOptions(sb));
    expect(r.status).toBe('unchanged');
    expect(snapshot(sb)).toEqual(before);
  });

  it('a validly signed bundle for another architecture → BOX_INCOMPATIBLE naming both machines', async () => {
    const arm = goodWheel(path.join(sb.work, 'arm'), { tags: 'cp311-cp311-manylinux_2_17_armv7l' });
    const file = await buildBundle(sb, { version: '3.0.0', machine: 'armv7l', wheels: [{ path: arm }] });
    const err = await expectRefused(sb, install(file), 'BOX_INCOMPATIBLE');
    expect(err.message).toContain('greetlib-1.0-cp311-cp311-manylinux_2_17_armv7l.whl');
    expect(err.message).toMatch(/bundle built for armv7l, this box is x86_64|bundle built for armv7l, this box is/);
  });

  it('a validly signed bundle for another Python → BOX_INCOMPATIBLE (wheel tags, and requires-python)', async () => {
    const cp312 = goodWheel(path.join(sb.work, 'cp312'), { tags: 'cp312-cp312-manylinux_2_17_x86_64' });
    const err = await expectRefused(sb, install(await buildBundle(sb, { version: '3.0.0', wheels: [{ path: cp312 }] })), 'BOX_INCOMPATIBLE');
    expect(err.message).toContain('cp312');
    const newer = await expectRefused(sb, install(await buildBundle(sb, { version: '3.0.0', app: { requires_python: '>=3.12' } })), 'BOX_INCOMPATIBLE');
    expect(newer.message).toContain('>=3.12');
  });
});

describe.skipIf(!HAVE_PYTHON)('the same through `sneakpack install`', () => {
  /** Run the CLI; a refusal (exit 1, `{ok: false, error}` on stdout) becomes the SneakpackError it reports. */
  const cli = (file: string) => async () => {
    const r = runCli(['install', file, '--keys', sb.keysDir, '--prefix', sb.prefix, '--python', PYTHON, '--json']);
    if (r.status === 0) return r;
    expect(r.status, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: ErrorCode; message: string } };
    expect(out.ok).toBe(false);
    throw new SneakpackError(out.error.code, out.error.message);
  };

  it('exits 1 with the code in JSON: changed byte, untrusted signer, downgrade, trailing data', async () => {
    const i = entryIndex('.whl');
    const data = Buffer.from(nextEntries[i]!.data!);
    data[7] ^= 0x80;
    await expectRefused(sb, cli(writeMutant(sb, 'cli-byte.tar', replaced(i, data))), 'HASH_MISMATCH');
    await expectRefused(sb, cli(await buildBundle(sb, { version: '3.0.0', key: sb.bob })), 'UNTRUSTED_KEY');
    await expectRefused(sb, cli(older), 'DOWNGRADE_REFUSED');
    await expectRefused(sb, cli(writeMutant(sb, 'cli-trail.tar', Buffer.concat([nextTar, Buffer.from('x')]))), 'BUNDLE_TRAILING_DATA');
  });

  it('with --allow-downgrade the older release installs, the data folder untouched', async () => {
    const data = snapshot(sb).data;
    const r = runCli(['install', older, '--keys', sb.keysDir, '--prefix', sb.prefix, '--python', PYTHON, '--json', '--allow-downgrade']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, status: 'downgraded', app: APP, version: '1.0.0' });
    expect(snapshot(sb).data).toEqual(data);
  });
});
