/**
 * Shared fixtures of the bundle tests: fixed-seed keys, a generated app with wheels (arbitrary
 * bytes: the bundle layer does not open wheels), and a raw tar packer for hostile archives that
 * reuses the canonical header encoder, so each hostile case differs from a valid bundle only by
 * its attack.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type BundleInput,
  type BundleManifest,
  BLOCK_SIZE,
  RECORD_SIZE,
  canonicalJson,
  checksumEntriesOf,
  verifyBundle,
} from '../../src/bundle/index.js';
import { isSneakpackError } from '../../src/errors.js';
import {
  type KeyPair,
  type TrustedKeys,
  encodePublicKey,
  encodeSecretKey,
  encodeSignature,
  formatChecksumList,
  keyPairFromSeed,
  loadTrustedKeys,
  signMessage,
} from '../../src/sign/index.js';
import { blockPadding, encodeEntryHeaders, encodeHeaderBlock, paxRecord, type RawHeaderFields } from '../../src/bundle/tar.js';
import { Rng } from '../helpers/random.js';
import { codeOf as sharedCodeOf } from '../helpers/errors.js';

/** A fixed 32-byte seed per label. */
export function seed(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`sneakpack test seed: ${label}`).digest());
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'sneakpack-bundle-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A key pair written as NAME.pub / NAME.sec in `dir`, and the trusted set of just that key. */
export async function writeKeys(dir: string, name: string): Promise<{ pair: KeyPair; pub: string; sec: string; trusted: TrustedKeys }> {
  const pair = keyPairFromSeed(seed(name));
  mkdirSync(dir, { recursive: true });
  const pub = join(dir, `${name}.pub`);
  const sec = join(dir, `${name}.sec`);
  writeFileSync(pub, encodePublicKey(pair.publicKey));
  writeFileSync(sec, encodeSecretKey(pair.secretKey, { salt: seed(`${name} salt`).subarray(0, 16) }), { mode: 0o600 });
  return { pair, pub, sec, trusted: await loadTrustedKeys({ pubkeys: [pub] }) };
}

/** Deterministic pseudo-random bytes. */
export function bytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(0, 255);
  return b;
}

export interface AppOptions {
  /** Seed of the generated contents. */
  seed?: number;
  /** Include paths that need the ustar prefix field and pax headers. */
  longPaths?: boolean;
  /** File mode applied to every generated file on disk (besides the executable one). */
  fileMode?: number;
  /** Mode of the executable file on disk. */
  execMode?: number;
  /** Sizes of the wheels. */
  wheelSizes?: number[];
}

/** App files relative to app/, with their contents; deterministic for a seed. */
export function appContents(options: AppOptions = {}): Array<{ path: string; data: Buffer; exec: boolean }> {
  const rng = new Rng(options.seed ?? 1);
  const files: Array<{ path: string; data: Buffer; exec: boolean }> = [
    { path: 'pyproject.toml', data: Buffer.from('[project]\nname = "schoolapp"\nversion = "1.2.0"\n'), exec: false },
    { path: 'schoolapp/__init__.py', data: Buffer.from('__version__ = "1.2.0"\n'), exec: false },
    { path: 'schoolapp/main.py', data: Buffer.from('def main():\n    print("hello")\n'), exec: false },
    { path: 'bin/run.sh', data: Buffer.from('#!/bin/sh\nexec python3 -m schoolapp "$@"\n'), exec: true },
    { path: 'static/logo.bin', data: bytes(rng, 1537), exec: false },
    { path: 'empty.txt', data: Buffer.alloc(0), exec: false },
    { path: 'exact.bin', data: bytes(rng, 512), exec: false },
  ];
  if (options.longPaths ?? true) {
    // > 100 bytes with the top folder: stored with the ustar prefix field.
    files.push({ path: `${'deep/'.repeat(12)}file-with-a-long-name.txt`, data: Buffer.from('deep\n'), exec: false });
    // Non-ASCII: a pax path record.
    files.push({ path: 'données/é-ü-ß.txt', data: Buffer.from('unicode\n'), exec: false });
    // A last segment of 120 bytes: no ustar split fits, so pax.
    files.push({ path: `long/${'n'.repeat(120)}.txt`, data: Buffer.from('long\n'), exec: false });
  }
  return files;
}

/**
 * Writes an app and its wheels under `dir` and returns the BundleInput for them. `fileMode`
 * and the on-disk layout may vary between calls; the bundle must not.
 */
export function makeInput(dir: string, options: AppOptions = {}): BundleInput {
  const rng = new Rng((options.seed ?? 1) * 7919);
  const appDir = join(dir, 'app');
  const wheelDir = join(dir, 'wheelhouse');
  mkdirSync(wheelDir, { recursive: true });
  const appFiles = appContents(options).map((f) => {
    const abs = join(appDir, ...f.path.split('/'));
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, f.data);
    const mode = f.exec ? (options.execMode ?? 0o755) : (options.fileMode ?? 0o644);
    chmodSync(abs, mode);
    return { path: f.path, absPath: abs, mode };
  });
  const sizes = options.wheelSizes ?? [3000, 20000, 700];
  const names = ['attrs', 'numpy', 'six'];
  const wheels = sizes.map((size, i) => {
    const name = names[i % names.length]! + (i >= names.length ? String(i) : '');
    const version = `${i + 1}.0.${i}`;
    const tags = i === 1 ? ['cp311-cp311-manylinux_2_17_armv7l', 'cp311-cp311-manylinux2014_armv7l'] : ['py3-none-any'];
    const filename =
      i === 1 ? `${name}-${version}-cp311-cp311-manylinux_2_17_armv7l.manylinux2014_armv7l.whl` : `${name}-${version}-py3-none-any.whl`;
    const path = join(wheelDir, filename);
    writeFileSync(path, bytes(rng, size));
    return { path, filename, name, version, tags, requires_python: i === 1 ? '>=3.9' : null };
  });
  return {
    app: { name: 'schoolapp', version: '1.2.0', scripts: { schoolapp: 'schoolapp.main:main' }, post_install: [['python', '-m', 'schoolapp', 'migrate']], data_dir_env: 'SCHOOLAPP_DATA', requires_python: '>=3.9', keep_releases: 3 },
    target: {
      name: 'debian12-armhf',
      compact: 'cp311-manylinux_2_36_armv7l',
      profile: {
        python_version: '3.11.2',
        marker_environment: { python_version: '3.11', platform_machine: 'armv7l', sys_platform: 'linux' },
        tags: ['cp311-cp311-manylinux_2_36_armv7l', 'cp311-abi3-manylinux_2_36_armv7l', 'py3-none-any'],
      },
    },
    wheels,
    appFiles,
    lockText: 'lock-version = "1.0"\ncreated-by = "sneakpack"\n',
    sourceDateEpoch: 1700000000,
  };
}

/** The code of the SneakpackError `p` rejects with (fails the test on any other outcome). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  return (await sharedCodeOf(p)) ?? 'RESOLVED';
}

/**
 * The mutation tests' oracle: write `data` to `file` and verify it against `trusted`; the error
 * code, or null when it verifies. Any error that is not a SneakpackError fails the test.
 */
export async function verifyVerdict(data: Buffer, file: string, trusted: TrustedKeys): Promise<string | null> {
  writeFileSync(file, data);
  try {
    await verifyBundle(file, { trusted });
    return null;
  } catch (e) {
    if (isSneakpackError(e)) return e.code;
    throw new Error(`verify threw a non-sneakpack error: ${(e as Error).stack}`);
  }
}

/** Names in a folder, recursively (for "left nothing behind" checks). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(prefix + e.name + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
    }
  };
  walk(dir, '');
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// Raw archives

/** One entry of a hand-made archive. */
export interface RawEntry {
  /** Full path (with the top folder). */
  path: string;
  data?: Buffer;
  /** Canonical header for a regular file unless `header` is given. */
  mode?: number;
  mtime?: number;
  /** Raw header fields (the attack); `size` defaults to the data length. */
  header?: RawHeaderFields;
  /** Pax records placed in an `x` header before the entry. */
  pax?: Array<[string, string]>;
  /** Override the pax header's typeflag (e.g. 'g'). */
  paxType?: string;
}

/** Packs entries: canonical headers unless overridden, zero padding, end blocks, record fill. */
export function packRaw(entries: RawEntry[], options: { end?: boolean; record?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    if (e.pax !== undefined) {
      const records = Buffer.concat(e.pax.map(([k, v]) => paxRecord(k, v)));
      parts.push(encodeHeaderBlock({ name: '././@PaxHeader', mode: 0o644, size: records.length, mtime: e.mtime ?? 1700000000, typeflag: e.paxType ?? 'x' }));
      parts.push(records, Buffer.alloc(blockPadding(records.length)));
    }
    if (e.header !== undefined) {
      parts.push(encodeHeaderBlock({ name: e.path, mode: 0o644, mtime: e.mtime ?? 1700000000, size: data.length, ...e.header }));
    } else {
      parts.push(encodeEntryHeaders(e.path, data.length, e.mode ?? 0o644, e.mtime ?? 1700000000));
    }
    parts.push(data, Buffer.alloc(blockPadding(data.length)));
  }
  if (options.end ?? true) parts.push(Buffer.alloc(2 * BLOCK_SIZE));
  let out = Buffer.concat(parts);
  if (options.record ?? true) out = Buffer.concat([out, Buffer.alloc((RECORD_SIZE - (out.length % RECORD_SIZE)) % RECORD_SIZE)]);
  return out;
}

/** A file of a forged bundle: path below the top folder, contents, mode. */
export interface ForgedFile {
  rel: string;
  data: Buffer;
  mode?: '0644' | '0755';
}

/**
 * A complete, validly signed bundle made from `files` (in the order given) with `base`'s app and
 * target: what a compromised build machine could produce. Returns the signature and manifest
 * entries and the file entries so tests can add their attack.
 */
export function forge(
  base: BundleManifest,
  files: ForgedFile[],
  key: KeyPair,
  options: { manifestEdit?: (m: Record<string, unknown>) => void; extraListed?: ForgedFile[]; stem?: string } = {},
): { stem: string; sig: Buffer; manifest: Buffer; entries: RawEntry[] } {
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const manifestFiles = files.map((f) => ({ path: f.rel, size: f.data.length, sha256: sha(f.data), mode: f.mode ?? '0644' }));
  const wheels = files
    .filter((f) => f.rel.startsWith('wheels/'))
    .map((f) => ({ file: f.rel.slice(7), name: 'x', version: '1', tags: ['py3-none-any'], size: f.data.length, sha256: sha(f.data), requires_python: null }));
  const m: Record<string, unknown> = { ...base, wheels, files: manifestFiles, signer: { keynum: key.secretKey.keynum, comment: 'verify with alice.pub' } };
  options.manifestEdit?.(m);
  const manifest = Buffer.from(canonicalJson(m as unknown as BundleManifest));
  const listed = checksumEntriesOf(m as unknown as BundleManifest, sha(manifest));
  for (const f of options.extraListed ?? []) listed.push({ algorithm: 'SHA256', path: f.rel, digest: sha(f.data) });
  const message = new TextEncoder().encode(formatChecksumList(listed));
  const sig = Buffer.from(encodeSignature(signMessage(key.secretKey, message, 'verify with alice.pub'), message));
  const stem = options.stem ?? `${base.app.name}-${base.app.version}-${base.target.compact}`;
  const mtime = base.created;
  const entries: RawEntry[] = [
    { path: `${stem}/SHA256.sig`, data: sig, mtime },
    { path: `${stem}/manifest.json`, data: manifest, mtime },
    ...files.map((f) => ({ path: `${stem}/${f.rel}`, data: f.data, mode: f.mode === '0755' ? 0o755 : 0o644, mtime })),
  ];
  return { stem, sig, manifest, entries };
}

/** The entries of a bundle tar (regular files, pax paths applied), walked independently of the reader. */
export function unpackRaw(tar: Buffer): RawEntry[] {
  const out: RawEntry[] = [];
  let pos = 0;
  let paxPath: string | null = null;
  for (;;) {
    const block = tar.subarray(pos, pos + 512);
    if (block.length < 512 || block.every((b) => b === 0)) break;
    const str = (off: number, len: number): string => block.toString('utf8', off, off + len).replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12), 8);
    const mode = parseInt(str(100, 8), 8);
    const mtime = parseInt(str(136, 12), 8);
    const type = String.fromCharCode(block[156]!);
    const data = Buffer.from(tar.subarray(pos + 512, pos + 512 + size));
    pos += 512 + size + ((512 - (size % 512)) % 512);
    if (type === 'x') {
      paxPath = /^\d+ path=(.*)\n$/s.exec(data.toString('utf8'))![1]!;
      continue;
    }
    const prefix = str(345, 155);
    const path = paxPath ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    paxPath = null;
    out.push({ path, data, mode, mtime });
  }
  return out;
}
