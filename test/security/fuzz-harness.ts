/**
 * The mutation fuzzer of issue 6: fast-check generates mutations of a valid bundle and of a valid
 * wheel, and every mutant goes through the real readers and installer.
 *
 * - Bundle cases: a valid plain or gzip bundle with byte flips, truncations, insertions,
 *   deletions, block swaps and duplications, tar header field edits with a recomputed checksum
 *   (hostile names aimed at the canary, lying sizes, link and device types, pax and GNU types…),
 *   then optionally re-framed as gzip variants (another deflate level, another header, two
 *   members, trailing bytes, a bad CRC or length, truncation). Each is fed to `verifyBundle`,
 *   `extractBundle` (into a fresh folder) and `installBundle` (over an installed release).
 * - Wheel cases: a valid wheel with structural edits (hostile member names, RECORD stale or
 *   matching, lying sizes, odd modes, duplicate members, hostile entry points, WHEEL and METADATA
 *   variants) and/or byte mutations of the zip, put in a bundle that is then validly SIGNED (a
 *   compromised build machine) and installed.
 *
 * The properties checked for every case:
 * - the outcome is success or a `SneakpackError` — never another exception;
 * - no hang: each call has a time limit;
 * - a bundle call succeeds only on an unchanged input (the same tar bytes, however compressed);
 * - a failed call leaves its destination as it was: extraction folder absent, prefix (with its
 *   data folder) byte-for-byte unchanged, no staging left;
 * - a successful wheel-case install changes only the new release folder, `current` and
 *   `history.json` (the prefix is then restored for the next case);
 * - nothing outside the prefix and the extraction folder changes: a canary folder beside them, at
 *   which the hostile paths aim, and the sandbox's own listing.
 *
 * Used by test/security/fuzz.test.ts (a short, seeded CI budget) and by `npm run fuzz`
 * (scripts/fuzz.mjs: a long budget, printing the counts).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { isSneakpackError } from '../../src/errors.js';
import { GZIP_HEADER, crc32, extractBundle, verifyBundle } from '../../src/bundle/index.js';
import { installBundle } from '../../src/install/index.js';
import { parseRecord, serializeRecord } from '../../src/wheel/index.js';
import { type ZipEntry, writeZip } from '../helpers/wheels.js';
import { type Sandbox, APP, buildBundle, goodWheel, installOptions, makeSandbox, removeSandbox, seedData, snapshot, treeListing } from './fixtures.js';

/** How long to fuzz. */
export interface FuzzOptions {
  readonly seed: number;
  /** Number of cases (fast-check `numRuns`). */
  readonly runs: number;
  /** Stop after this many seconds even if `runs` is not reached. */
  readonly seconds?: number;
  /** Time limit of one call (verify, extract or install). */
  readonly callTimeoutMs?: number;
  /** Share of wheel cases (they build a venv, so they are slower), 0…1. */
  readonly wheelShare?: number;
  readonly log?: (line: string) => void;
}

/** What a run found. */
export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly bundleCases: number;
  readonly wheelCases: number;
  /** Calls made: `verify`, `extract`, `install` (bundle cases) and `install-wheel` (wheel cases). */
  readonly calls: number;
  /** Outcome histogram: `target:CODE` or `target:ok` → count. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Mutation kinds used → count. */
  readonly mutations: Readonly<Record<string, number>>;
  /** Property violations (empty when all held), with the case that caused each. */
  readonly failures: readonly string[];
  readonly seconds: number;
}

// ---------------------------------------------------------------------------------------------
// Mutations

type ByteEdit =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'swap-blocks'; a: number; b: number }
  | { kind: 'dup-block'; a: number; b: number };

/**
 * Positions are fractions (0…1) of the current length, so one edit applies to any input. Drawn as
 * integers: fast-check's doubles crowd near 0 (they spread over the float exponents), which would
 * aim nearly every edit at the first header.
 */
const FRAC_STEPS = 1_000_000_000;
const frac = fc.integer({ min: 0, max: FRAC_STEPS - 1 }).map((i) => i / FRAC_STEPS);

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: frac, xor: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: frac }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: frac, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: frac, n: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap-blocks' as const), a: frac, b: frac }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dup-block' as const), a: frac, b: frac }) },
);

function applyByteEdit(data: Buffer, e: ByteEdit): Buffer {
  const at = (f: number): number => Math.min(data.length, Math.floor(f * data.length));
  switch (e.kind) {
    case 'flip': {
      if (data.length === 0) return data;
      const out = Buffer.from(data);
      const i = Math.min(data.length - 1, at(e.at));
      out[i] = out[i]! ^ e.xor;
      return out;
    }
    case 'truncate':
      return data.subarray(0, at(e.at));
    case 'insert':
      return Buffer.concat([data.subarray(0, at(e.at)), Buffer.from(e.bytes), data.subarray(at(e.at))]);
    case 'delete':
      return Buffer.concat([data.subarray(0, at(e.at)), data.subarray(at(e.at) + e.n)]);
    case 'swap-blocks':
    case 'dup-block': {
      const blocks = Math.floor(data.length / 512);
      if (blocks < 2) return data;
      const a = Math.floor(e.a * blocks) * 512;
      const b = Math.floor(e.b * blocks) * 512;
      const blockA = Buffer.from(data.subarray(a, a + 512));
      if (e.kind === 'dup-block') return Buffer.concat([data.subarray(0, b), blockA, data.subarray(b)]);
      const out = Buffer.from(data);
      data.copy(out, a, b, b + 512);
      blockA.copy(out, b);
      return out;
    }
  }
}

/** ustar header fields: offset, length, and whether the field is numeric (octal). */
const FIELDS = {
  name: [0, 100, false],
  mode: [100, 8, true],
  uid: [108, 8, true],
  gid: [116, 8, true],
  size: [124, 12, true],
  mtime: [136, 12, true],
  typeflag: [156, 1, false],
  linkname: [157, 100, false],
  magic: [257, 6, false],
  version: [263, 2, false],
  uname: [265, 32, false],
  gname: [297, 32, false],
  devmajor: [329, 8, true],
  devminor: [337, 8, true],
  prefix: [345, 155, false],
} as const;
type Field = keyof typeof FIELDS;

type HeaderEdit = { kind: 'header'; entry: number; field: Field; value: HeaderValue };
/** A value for a header field: symbolic, resolved against the sandbox and the entry. */
type HeaderValue =
  | { v: 'text'; text: string }
  | { v: 'canary-abs' }
  | { v: 'canary-rel' }
  | { v: 'sibling-of-top'; name: string }
  | { v: 'number'; n: number }
  | { v: 'size-delta'; d: number }
  | { v: 'base256' }
  | { v: 'garbage'; bytes: number[] };

const headerValue: fc.Arbitrary<HeaderValue> = fc.oneof(
  fc.record({ v: fc.constant('text' as const), text: fc.constantFrom('../evil', '/etc/evil', 'a/../../evil', '', '0', '1', '2', '3', '4', '5', '6', '7', 'g', 'x', 'L', 'K', 'S', 'ustar ', 'ustar\0', '00', ' \0', 'root', 'A'.repeat(100), 'wheels/x.whl', 'app/évil.py', 'APP/x', 'manifest.json', 'SHA256.sig') }),
  fc.record({ v: fc.constant('canary-abs' as const) }),
  fc.record({ v: fc.constant('canary-rel' as const) }),
  fc.record({ v: fc.constant('sibling-of-top' as const), name: fc.constantFrom('app/x.py', 'wheels/a-1-py3-none-any.whl', '../x', 'app/../../x', 'app/schoolapp/CLI.py') }),
  fc.record({ v: fc.constant('number' as const), n: fc.oneof(fc.integer({ min: 0, max: 0o7777 }), fc.integer({ min: 0, max: 2 ** 33 - 1 }), fc.constantFrom(0, 0o755, 0o4755, 0o1777, 2 ** 33 - 1)) }),
  fc.record({ v: fc.constant('size-delta' as const), d: fc.integer({ min: -600, max: 600 }) }),
  fc.record({ v: fc.constant('base256' as const) }),
  fc.record({ v: fc.constant('garbage' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }) }),
);

const headerEdit: fc.Arbitrary<HeaderEdit> = fc.record({
  kind: fc.constant('header' as const),
  entry: fc.nat({ max: 40 }),
  field: fc.constantFrom(...(Object.keys(FIELDS) as Field[])),
  value: headerValue,
});

/** Offsets of every header block of a tar (walking sizes), pax headers included. */
function headerOffsets(tar: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos + 512 <= tar.length) {
    const block = tar.subarray(pos, pos + 512);
    if (block.every((b) => b === 0)) break;
    out.push(pos);
    const size = parseInt(block.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) break;
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function writeChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}

function applyHeaderEdit(tar: Buffer, e: HeaderEdit, ctx: { canary: string; stem: string }): Buffer {
  const offsets = headerOffsets(tar);
  if (offsets.length === 0) return tar;
  const pos = offsets[e.entry % offsets.length]!;
  const out = Buffer.from(tar);
  const block = out.subarray(pos, pos + 512);
  const [off, len, numeric] = FIELDS[e.field];
  let bytes: Buffer;
  const v = e.value;
  switch (v.v) {
    case 'text':
      bytes = Buffer.from(v.text, 'utf8');
      break;
    case 'canary-abs':
      bytes = Buffer.from(`${ctx.canary}/pwned`);
      break;
    case 'canary-rel':
      bytes = Buffer.from(`${ctx.stem}/${'../'.repeat(20)}${ctx.canary.slice(1)}/pwned`.slice(-len));
      break;
    case 'sibling-of-top':
      bytes = Buffer.from(`${ctx.stem}/${v.name}`);
      break;
    case 'number':
      bytes = Buffer.from(numeric ? v.n.toString(8).padStart(len - 1, '0').slice(-(len - 1)) + '\0' : String(v.n));
      break;
    case 'size-delta': {
      const size = parseInt(block.toString('latin1', 124, 136).replace(/\0.*$/s, '') || '0', 8);
      bytes = Buffer.from(Math.max(0, size + v.d).toString(8).padStart(11, '0') + '\0');
      if (e.field !== 'size') bytes = Buffer.from(Math.max(0, v.d).toString(8));
      break;
    }
    case 'base256': {
      bytes = Buffer.alloc(len, 0xff);
      bytes[0] = 0x80;
      break;
    }
    case 'garbage':
      bytes = Buffer.from(v.bytes);
      break;
  }
  block.fill(0, off, off + len);
  bytes.copy(block, off, 0, Math.min(len, bytes.length));
  writeChecksum(block);
  return out;
}

type GzVariant =
  | { kind: 'gz-canonical'; level: number }
  | { kind: 'gz-node-header'; level: number }
  | { kind: 'gz-fname' }
  | { kind: 'gz-two-members'; split: number }
  | { kind: 'gz-empty-member-after' }
  | { kind: 'gz-trailing'; bytes: number[] }
  | { kind: 'gz-crc'; xor: number }
  | { kind: 'gz-isize'; xor: number }
  | { kind: 'gz-truncated'; cut: number }
  | { kind: 'gz-stored' };

const gzVariant: fc.Arbitrary<GzVariant> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('gz-canonical' as const), level: fc.integer({ min: 0, max: 9 }) }) },
  fc.record({ kind: fc.constant('gz-node-header' as const), level: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('gz-fname' as const) }),
  fc.record({ kind: fc.constant('gz-two-members' as const), split: frac }),
  fc.record({ kind: fc.constant('gz-empty-member-after' as const) }),
  fc.record({ kind: fc.constant('gz-trailing' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('gz-crc' as const), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('gz-isize' as const), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('gz-truncated' as const), cut: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('gz-stored' as const) }),
);

/** sneakpack's gzip framing (the header `writeBundle` writes) around a deflate body of `tar`. */
function gzipCanonical(tar: Buffer, level = 6): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(tar), 0);
  trailer.writeUInt32LE(tar.length % 2 ** 32, 4);
  return Buffer.concat([GZIP_HEADER, zlib.deflateRawSync(tar, { level }), trailer]);
}

function applyGz(tar: Buffer, g: GzVariant): Buffer {
  switch (g.kind) {
    case 'gz-canonical':
      return gzipCanonical(tar, g.level);
    case 'gz-node-header':
      return zlib.gzipSync(tar, { level: g.level });
    case 'gz-fname': {
      const body = gzipCanonical(tar).subarray(GZIP_HEADER.length);
      const header = Buffer.from(GZIP_HEADER);
      header[3] = 0x08;
      return Buffer.concat([header, Buffer.from('bundle.tar\0'), body]);
    }
    case 'gz-two-members': {
      const at = Math.floor(g.split * tar.length);
      return Buffer.concat([gzipCanonical(tar.subarray(0, at)), gzipCanonical(tar.subarray(at))]);
    }
    case 'gz-empty-member-after':
      return Buffer.concat([gzipCanonical(tar), gzipCanonical(Buffer.alloc(0))]);
    case 'gz-trailing':
      return Buffer.concat([gzipCanonical(tar), Buffer.from(g.bytes)]);
    case 'gz-crc': {
      const out = gzipCanonical(tar);
      out[out.length - 8] = out[out.length - 8]! ^ g.xor;
      return out;
    }
    case 'gz-isize': {
      const out = gzipCanonical(tar);
      out[out.length - 1] = out[out.length - 1]! ^ g.xor;
      return out;
    }
    case 'gz-truncated': {
      const out = gzipCanonical(tar);
      return out.subarray(0, Math.max(0, out.length - g.cut));
    }
    case 'gz-stored':
      return gzipCanonical(tar, 0);
  }
}

interface BundleCase {
  readonly kind: 'bundle';
  readonly tarEdits: readonly (ByteEdit | HeaderEdit)[];
  readonly gz: GzVariant | null;
  readonly byteEdits: readonly ByteEdit[];
}

const bundleCase: fc.Arbitrary<BundleCase> = fc.record({
  kind: fc.constant('bundle' as const),
  // Mostly one edit (so each reaches the check it aims at), sometimes several.
  tarEdits: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.oneof(byteEdit, headerEdit)).map((t) => [...t]) },
    { weight: 1, arbitrary: fc.array(fc.oneof(byteEdit, headerEdit), { minLength: 0, maxLength: 3 }) },
  ),
  gz: fc.option(gzVariant, { freq: 2 }),
  byteEdits: fc.oneof({ weight: 3, arbitrary: fc.constant([] as ByteEdit[]) }, { weight: 1, arbitrary: fc.array(byteEdit, { minLength: 1, maxLength: 2 }) }),
});

// Wheel mutations ------------------------------------------------------------------------------

/** A wheel member name: symbolic values resolve against the sandbox. */
type MemberName = { n: 'text'; text: string } | { n: 'canary-abs' } | { n: 'canary-rel'; under: string };

const memberName: fc.Arbitrary<MemberName> = fc.oneof(
  fc.record({
    n: fc.constant('text' as const),
    text: fc.constantFrom(
      '../evil.py',
      'greetlib/../../evil.py',
      '/tmp/evil.py',
      '..\\evil.py',
      'greetlib-1.0.data/scripts/../../../evil',
      'greetlib-1.0.data/data/../../../../../evil',
      'greetlib-1.0.data/headers/x.h',
      'greetlib-1.0.data/purelib/greetlib/extra.py',
      'greetlib-1.0.data/unknown/x',
      'greetlib-1.0.data/scripts/python',
      'greetlib-1.0.data/scripts/odd',
      'greetlib/__init__.py',
      'greetlib/new.py',
      'greetlib/',
      'GREETLIB/__INIT__.py',
      'greetlib/\u00e9.py',
      'greetlib/a\0b.py',
      'other-1.0.dist-info/METADATA',
      'greetlib-1.0.dist-info/INSTALLER',
      'greetlib-1.0.dist-info/RECORD',
      '',
      '.',
      'a'.repeat(300),
    ),
  }),
  fc.record({ n: fc.constant('canary-abs' as const) }),
  fc.record({ n: fc.constant('canary-rel' as const), under: fc.constantFrom('', 'greetlib/', 'greetlib-1.0.data/scripts/', 'greetlib-1.0.data/data/') }),
);

type WheelEdit =
  | { kind: 'rename'; member: number; name: MemberName; record: boolean }
  | { kind: 'add'; name: MemberName; data: string; record: boolean }
  | { kind: 'change-data'; member: number; data: string }
  | { kind: 'lie-size'; member: number; size: number }
  | { kind: 'mode'; member: number; mode: number }
  | { kind: 'duplicate'; member: number }
  | { kind: 'drop'; member: number }
  | { kind: 'entry-points'; text: string }
  | { kind: 'wheel-file'; text: string }
  | { kind: 'metadata'; text: string }
  | { kind: 'store'; member: number };

const wheelEdit: fc.Arbitrary<WheelEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rename' as const), member: fc.nat({ max: 9 }), name: memberName, record: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), name: memberName, data: fc.constantFrom('x', '#!python\nprint(1)\n', '#!/bin/sh\nrm -rf /\n', ''), record: fc.boolean() }) },
  fc.record({ kind: fc.constant('change-data' as const), member: fc.nat({ max: 9 }), data: fc.constantFrom('import os\n', '', 'x'.repeat(1000)) }),
  fc.record({ kind: fc.constant('lie-size' as const), member: fc.nat({ max: 9 }), size: fc.oneof(fc.nat({ max: 5000 }), fc.constant(0xffffffff)) }),
  fc.record({ kind: fc.constant('mode' as const), member: fc.nat({ max: 9 }), mode: fc.constantFrom(0o120777, 0o40755, 0o104755, 0o100777, 0o20644, 0o10644, 0o140755) }),
  fc.record({ kind: fc.constant('duplicate' as const), member: fc.nat({ max: 9 }) }),
  fc.record({ kind: fc.constant('drop' as const), member: fc.nat({ max: 9 }) }),
  fc.record({
    kind: fc.constant('entry-points' as const),
    text: fc.constantFrom(
      '[console_scripts]\n../evil = greetlib:main\n',
      '[console_scripts]\na/b = greetlib:main\n',
      '[console_scripts]\npython = greetlib:main\n',
      '[gui_scripts]\ngreet = greetlib:main\n[console_scripts]\ngreet = greetlib:main\n',
      '[console_scripts]\nx = os:system("id")\n',
      '[console_scripts]\nx = \n',
      '[console_scripts\n',
      '[console_scripts]\n.. = greetlib:main\n',
      '[console_scripts]\nok-name = greetlib:main\n',
    ),
  }),
  fc.record({
    kind: fc.constant('wheel-file' as const),
    text: fc.constantFrom('', 'Wheel-Version: 2.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n', 'Wheel-Version: 1.9\nRoot-Is-Purelib: true\nTag: py3-none-any\n', 'Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_armv7l\n', 'garbage'),
  }),
  fc.record({
    kind: fc.constant('metadata' as const),
    text: fc.constantFrom('', 'Metadata-Version: 2.1\nName: requests\nVersion: 1.0\n', 'Metadata-Version: 2.1\nName: greetlib\nVersion: 9.0\n', 'Metadata-Version: 9.9\nName: greetlib\nVersion: 1.0\n', 'Name: greetlib\n'),
  }),
  fc.record({ kind: fc.constant('store' as const), member: fc.nat({ max: 9 }) }),
);

interface WheelCase {
  readonly kind: 'wheel';
  readonly edits: readonly WheelEdit[];
  readonly byteEdits: readonly ByteEdit[];
}

const wheelCase: fc.Arbitrary<WheelCase> = fc.record({
  kind: fc.constant('wheel' as const),
  edits: fc.array(wheelEdit, { minLength: 0, maxLength: 3 }),
  // Mostly structural edits: a random byte in a zip usually just makes it unreadable.
  byteEdits: fc.oneof({ weight: 3, arbitrary: fc.constant([] as ByteEdit[]) }, { weight: 1, arbitrary: fc.array(byteEdit, { minLength: 1, maxLength: 2 }) }),
});

interface Member {
  name: string;
  data: Buffer;
  mode: number;
  declaredSize?: number;
  method?: 'store' | 'deflate';
  record: boolean;
}

/** Read the members of a wheel written by `writeZip` (no zip64, no extra fields, deflate or store). */
function readZipMembers(zip: Buffer): Member[] {
  const out: Member[] = [];
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let pos = zip.readUInt32LE(eocd + 16);
  const count = zip.readUInt16LE(eocd + 10);
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(pos + 10);
    const csize = zip.readUInt32LE(pos + 20);
    const nameLen = zip.readUInt16LE(pos + 28);
    const extraLen = zip.readUInt16LE(pos + 30);
    const commentLen = zip.readUInt16LE(pos + 32);
    const mode = zip.readUInt32LE(pos + 38) >>> 16;
    const local = zip.readUInt32LE(pos + 42);
    const name = zip.toString('utf8', pos + 46, pos + 46 + nameLen);
    const lNameLen = zip.readUInt16LE(local + 26);
    const lExtraLen = zip.readUInt16LE(local + 28);
    const body = zip.subarray(local + 30 + lNameLen + lExtraLen, local + 30 + lNameLen + lExtraLen + csize);
    out.push({ name, data: method === 8 ? zlib.inflateRawSync(body) : Buffer.from(body), mode: mode & 0o7777, record: true });
    pos += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function resolveName(n: MemberName, canary: string): string {
  switch (n.n) {
    case 'text':
      return n.text;
    case 'canary-abs':
      return `${canary}/pwned`;
    case 'canary-rel':
      return `${n.under}${'../'.repeat(40)}${canary.slice(1)}/pwned`;
  }
}

/** Apply structural edits to a valid wheel, re-zip it with a RECORD for the members marked `record`. */
function mutateWheel(valid: Buffer, edits: readonly WheelEdit[], canary: string): Buffer {
  const all = readZipMembers(valid);
  const recordMember = all.find((m) => m.name.endsWith('.dist-info/RECORD'))!;
  const distInfo = recordMember.name.slice(0, -'/RECORD'.length);
  const members = all.filter((m) => m !== recordMember);
  const oldRecord = new Map(parseRecord(recordMember.data.toString('utf8'), 'fuzz').map((r) => [r.path, r]));
  const stale = new Set<string>();
  const pick = (i: number): Member | undefined => members[i % Math.max(1, members.length)];
  for (const e of edits) {
    switch (e.kind) {
      case 'rename': {
        const m = pick(e.member);
        if (m === undefined) break;
        if (!e.record) stale.add(m.name);
        m.name = resolveName(e.name, canary);
        m.record = e.record;
        break;
      }
      case 'add':
        members.push({ name: resolveName(e.name, canary), data: Buffer.from(e.data), mode: 0o644, record: e.record });
        break;
      case 'change-data': {
        const m = pick(e.member);
        if (m !== undefined) {
          stale.add(m.name);
          m.data = Buffer.from(e.data);
        }
        break;
      }
      case 'lie-size': {
        const m = pick(e.member);
        if (m !== undefined) m.declaredSize = e.size;
        break;
      }
      case 'mode': {
        const m = pick(e.member);
        if (m !== undefined) m.mode = e.mode;
        break;
      }
      case 'duplicate': {
        const m = pick(e.member);
        if (m !== undefined) members.push({ ...m, data: Buffer.concat([m.data, Buffer.from('#dup\n')]) });
        break;
      }
      case 'drop':
        members.splice(e.member % Math.max(1, members.length), 1);
        break;
      case 'entry-points':
      case 'wheel-file':
      case 'metadata': {
        const file = { 'entry-points': 'entry_points.txt', 'wheel-file': 'WHEEL', metadata: 'METADATA' }[e.kind];
        const name = `${distInfo}/${file}`;
        const m = members.find((x) => x.name === name);
        if (m !== undefined) m.data = Buffer.from(e.text);
        else members.push({ name, data: Buffer.from(e.text), mode: 0o644, record: true });
        break;
      }
      case 'store': {
        const m = pick(e.member);
        if (m !== undefined) m.method = 'store';
        break;
      }
    }
  }
  const rows = members
    .filter((m) => m.record || !stale.has(m.name))
    .map((m) => (stale.has(m.name) && oldRecord.has(m.name) ? oldRecord.get(m.name)! : { path: m.name, hash: { algorithm: 'sha256', value: sha256b64(m.data) }, size: m.data.length }));
  rows.push({ path: `${distInfo}/RECORD`, hash: null as never, size: null as never });
  const entries: ZipEntry[] = members.map((m) => ({
    name: m.name,
    data: m.data,
    mode: m.mode,
    ...(m.declaredSize === undefined ? {} : { declaredSize: m.declaredSize }),
    ...(m.method === undefined ? {} : { method: m.method }),
  }));
  entries.push({ name: `${distInfo}/RECORD`, data: serializeRecord(rows) });
  return writeZip(entries);
}

/** RECORD's hash form: urlsafe base64 sha256 without padding. */
function sha256b64(d: Buffer): string {
  return createHash('sha256').update(d).digest('base64url');
}

// ---------------------------------------------------------------------------------------------
// The run

class Timeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

interface World {
  readonly sb: Sandbox;
  readonly baseTar: Buffer;
  readonly baseGz: Buffer;
  readonly stem: string;
  readonly validWheel: Buffer;
  readonly template: string;
  readonly templateListing: string[];
}

async function makeWorld(): Promise<World> {
  const sb = await makeSandbox('fuzz');
  await installBundle(await buildBundle(sb, { version: '1.0.0' }), installOptions(sb));
  seedData(sb);
  const plain = await buildBundle(sb, { version: '2.0.0' });
  const gz = await buildBundle(sb, { version: '2.0.0', gzip: true });
  const baseTar = fs.readFileSync(plain);
  const validWheel = fs.readFileSync(goodWheel(path.join(sb.work, 'fuzz-wheel')));
  const template = path.join(sb.work, 'prefix-template');
  execFileSync('cp', ['-a', sb.prefix, template]);
  return {
    sb,
    baseTar,
    baseGz: fs.readFileSync(gz),
    stem: baseTar.toString('utf8', 0, 100).split('/')[0]!,
    validWheel,
    template,
    templateListing: treeListing(sb.prefix),
  };
}

/** Put the prefix back as the template has it (after an install that succeeded). */
function restorePrefix(w: World): void {
  fs.rmSync(w.sb.prefix, { recursive: true, force: true });
  execFileSync('cp', ['-a', w.template, w.sb.prefix]);
}

function gunzipOrNull(b: Buffer): Buffer | null {
  try {
    return zlib.gunzipSync(b);
  } catch {
    return null;
  }
}

/** Run the fuzzer; see the module comment for the properties. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const limit = options.callTimeoutMs ?? 30_000;
  const wheelShare = options.wheelShare ?? 0.25;
  const outcomes: Record<string, number> = {};
  const mutations: Record<string, number> = {};
  const failures: string[] = [];
  let cases = 0;
  let bundleCases = 0;
  let wheelCases = 0;
  let calls = 0;
  const count = (map: Record<string, number>, key: string): void => {
    map[key] = (map[key] ?? 0) + 1;
  };
  const w = await makeWorld();
  const { sb } = w;
  const extractRoot = path.join(sb.root, 'extract');
  fs.mkdirSync(extractRoot);
  let n = 0;

  /** Run one call; returns the outcome label, recording a failure for anything but a typed error. */
  async function call(target: string, run: () => Promise<unknown>, describeCase: string): Promise<string> {
    calls++;
    try {
      await withTimeout(run(), limit, target);
      count(outcomes, `${target}:ok`);
      return 'ok';
    } catch (e) {
      if (isSneakpackError(e)) {
        count(outcomes, `${target}:${e.code}`);
        return e.code;
      }
      const label = e instanceof Timeout ? 'HANG' : 'UNTYPED';
      count(outcomes, `${target}:${label}`);
      failures.push(`${target} ${label}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n  case: ${describeCase}`);
      return label;
    }
  }

  const outside = (): string => JSON.stringify({ canary: treeListing(sb.canary), siblings: fs.readdirSync(sb.root).sort() });
  const outsideBefore = outside();

  async function runBundleCase(c: BundleCase): Promise<void> {
    const desc = JSON.stringify(c);
    let tar: Buffer = Buffer.from(w.baseTar);
    for (const e of c.tarEdits) {
      tar = e.kind === 'header' ? applyHeaderEdit(tar, e, { canary: sb.canary, stem: w.stem }) : applyByteEdit(tar, e);
      count(mutations, e.kind === 'header' ? `header:${e.field}` : e.kind);
    }
    let data = c.gz === null ? tar : applyGz(tar, c.gz);
    if (c.gz !== null) count(mutations, c.gz.kind);
    for (const e of c.byteEdits) {
      data = applyByteEdit(data, e);
      count(mutations, `${c.gz === null ? '' : 'gz-bytes:'}${e.kind}`);
    }
    const file = path.join(sb.work, `fuzz-${++n}${c.gz === null ? '.tar' : '.tar.gz'}`);
    fs.writeFileSync(file, data);
    const unchanged = data.equals(w.baseTar) || (gunzipOrNull(data)?.equals(w.baseTar) ?? false);

    const v = await call('verify', () => verifyBundle(file, { trusted: sb.trusted }), desc);
    if (v === 'ok' && !unchanged) failures.push(`verify accepted a changed bundle\n  case: ${desc}`);

    const dest = path.join(extractRoot, String(n));
    const x = await call('extract', () => extractBundle(file, dest, { trusted: sb.trusted }), desc);
    if (x === 'ok') {
      if (!unchanged) failures.push(`extract accepted a changed bundle\n  case: ${desc}`);
      fs.rmSync(dest, { recursive: true, force: true });
    } else if (fs.existsSync(dest)) {
      failures.push(`extract failed (${x}) but left ${dest} behind: ${JSON.stringify(treeListing(dest).slice(0, 5))}\n  case: ${desc}`);
      fs.rmSync(dest, { recursive: true, force: true });
    }

    const before = treeListing(sb.prefix);
    const i = await call('install', () => installBundle(file, installOptions(sb)), desc);
    if (i === 'ok') {
      if (!unchanged) failures.push(`install accepted a changed bundle\n  case: ${desc}`);
      restorePrefix(w);
    } else if (JSON.stringify(treeListing(sb.prefix)) !== JSON.stringify(before)) {
      failures.push(`install failed (${i}) but changed the prefix\n  case: ${desc}`);
      restorePrefix(w);
    }
    fs.rmSync(file, { force: true });
  }

  async function runWheelCase(c: WheelCase): Promise<void> {
    const desc = JSON.stringify(c);
    let wheel = c.edits.length === 0 ? w.validWheel : mutateWheel(w.validWheel, c.edits, sb.canary);
    for (const e of c.edits) count(mutations, `wheel:${e.kind}`);
    for (const e of c.byteEdits) {
      wheel = applyByteEdit(wheel, e);
      count(mutations, `wheel-bytes:${e.kind}`);
    }
    const dir = path.join(sb.work, `fuzz-wheel-${++n}`);
    fs.mkdirSync(dir);
    const wheelPath = path.join(dir, 'greetlib-1.0-py3-none-any.whl');
    fs.writeFileSync(wheelPath, wheel);
    // Signed by the trusted key: only the installer's own checks stand in the way.
    const file = await buildBundle(sb, { version: '2.0.0', wheels: [{ path: wheelPath }] });
    const before = snapshot(sb);
    const i = await call('install-wheel', () => installBundle(file, installOptions(sb)), desc);
    const after = snapshot(sb);
    if (i === 'ok') {
      const current = fs.readlinkSync(path.join(sb.prefix, APP, 'current'));
      const release = `${APP}/${current}`;
      const allowed = (l: string): boolean =>
        l.startsWith(`F ${release}/`) || l.startsWith(`D ${release}/`) || l.startsWith(`L ${release}/`) || l.startsWith(`D ${release} `) ||
        l.startsWith(`L ${APP}/current `) || l.startsWith(`F ${APP}/history.json `);
      const stray = after.prefix.filter((l) => !before.prefix.includes(l) && !allowed(l));
      const lost = before.prefix.filter((l) => !after.prefix.includes(l) && !/^(L|F) [^/]+\/(current|history\.json) /.test(l));
      if (stray.length > 0 || lost.length > 0) failures.push(`a successful install changed the prefix outside its release: ${JSON.stringify({ stray: stray.slice(0, 5), lost: lost.slice(0, 5) })}\n  case: ${desc}`);
      if (JSON.stringify(after.data) !== JSON.stringify(before.data)) failures.push(`a successful install changed the data folder\n  case: ${desc}`);
      restorePrefix(w);
    } else if (JSON.stringify(after.prefix) !== JSON.stringify(before.prefix)) {
      failures.push(`install of a hostile wheel failed (${i}) but changed the prefix\n  case: ${desc}`);
      restorePrefix(w);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // fast-check's time limit abandons a running case rather than stopping it: wait for it before
  // tearing the sandbox down.
  let inFlight: Promise<void> | null = null;
  const anyCase = fc.oneof(
    { weight: Math.round((1 - wheelShare) * 100), arbitrary: bundleCase as fc.Arbitrary<BundleCase | WheelCase> },
    { weight: Math.round(wheelShare * 100), arbitrary: wheelCase as fc.Arbitrary<BundleCase | WheelCase> },
  );
  try {
    const result = await fc.check(
      fc.asyncProperty(anyCase, async (c) => {
        cases++;
        const failuresBefore = failures.length;
        if (c.kind === 'bundle') bundleCases++;
        else wheelCases++;
        inFlight = c.kind === 'bundle' ? runBundleCase(c) : runWheelCase(c);
        await inFlight;
        if (outside() !== outsideBefore) failures.push(`something outside the prefix changed\n  case: ${JSON.stringify(c)}`);
        if (JSON.stringify(treeListing(sb.prefix)) !== JSON.stringify(w.templateListing)) {
          failures.push(`the prefix is not back to its state after the case\n  case: ${JSON.stringify(c)}`);
          restorePrefix(w);
        }
        if (cases % 50 === 0) log(`${cases} cases, ${failures.length} failures, ${Math.round((Date.now() - started) / 1000)} s`);
        // A failure ends the run (no shrinking: cases are slow and each failure prints its case).
        return failures.length === failuresBefore;
      }),
      {
        seed: options.seed,
        numRuns: options.runs,
        endOnFailure: true,
        ...(options.seconds === undefined ? {} : { plugins: [fc.interruptAfterTimeLimit(options.seconds * 1000)] }),
      },
    );
    if (result.failed && failures.length === 0) failures.push(`fast-check: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`);
  } finally {
    await (inFlight as Promise<void> | null)?.catch(() => undefined);
    removeSandbox(sb);
  }
  return { seed: options.seed, cases, bundleCases, wheelCases, calls, outcomes, mutations, failures, seconds: (Date.now() - started) / 1000 };
}

/** The report as text: counts, then the outcome histogram, then failures. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `fuzz: seed ${r.seed}, ${r.cases} cases (${r.bundleCases} bundle, ${r.wheelCases} wheel), ${r.calls} calls, ${r.seconds.toFixed(1)} s, ${r.failures.length} failures`,
    'outcomes:',
    ...Object.entries(r.outcomes)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([k, v]) => `  ${String(v).padStart(7)}  ${k}`),
    'mutations:',
    ...Object.entries(r.mutations)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([k, v]) => `  ${String(v).padStart(7)}  ${k}`),
    ...(r.failures.length === 0 ? [] : ['failures:', ...r.failures.slice(0, 20).map((f) => `  - ${f}`)]),
  ];
  return lines.join('\n');
}
