/**
 * The tar and JSON layers against references:
 * - GNU tar (`--format=ustar`, owner 0, numeric, fixed mtime) writes byte-for-byte the same
 *   archive as our canonical encoder for generated ASCII paths (including prefix splits), and
 *   refuses exactly the paths we store with pax;
 * - Python's tarfile computes the same pax records (length-prefix rollover cases);
 * - Python's `json.dumps(sort_keys=True, indent=2, ensure_ascii=False)` gives the same bytes as
 *   our canonical JSON for generated values (astral-plane keys, control characters, escapes).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, type JsonValue } from '../../src/bundle/index.js';
import { paxRecord, ustarPathFields } from '../../src/bundle/tar.js';
import { runReference } from '../helpers/reference.js';
import { Rng } from '../helpers/random.js';
import { type RawEntry, bytes, packRaw, removeDir, tempDir } from './fixtures.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => removeDir(dir));

function randomSegment(rng: Rng, alphabet: string, min: number, max: number): string {
  let s = '';
  for (let i = rng.int(min, max); i > 0; i--) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

describe('GNU tar --format=ustar as the reference for the ustar layer', () => {
  it('writes the same bytes as our encoder for 150 generated files, and refuses what we put in pax', () => {
    const rng = new Rng(2024);
    const entries: RawEntry[] = [];
    const paxOnly: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; entries.length < 150; i++) {
      // Folder names without '-', file names with it: no file is also a folder.
      const depth = rng.int(0, 9);
      const segs = Array.from({ length: depth }, () => randomSegment(rng, 'abcdefghijklmnopqrstuvwxyz0123456789_', 1, rng.chance(0.3) ? 60 : 14));
      const file = `${rng.chance(0.12) ? randomSegment(rng, 'abcdefghijklmnopqrstuvwxyz0123456789._', 95, 110) : randomSegment(rng, 'abcdefghijklmnopqrstuvwxyz0123456789._', 1, 20)}-${i}`;
      const path = ['top', ...segs, file].join('/');
      if (seen.has(path) || path.length > 400) continue;
      seen.add(path);
      if (ustarPathFields(path) === null) {
        paxOnly.push(path);
        continue;
      }
      const size = rng.chance(0.2) ? 0 : rng.chance(0.1) ? 512 * rng.int(1, 3) : rng.int(1, 1500);
      entries.push({ path, data: bytes(rng, size), mode: rng.chance(0.2) ? 0o755 : 0o644, mtime: 1700000000 });
    }
    // Both kinds of long path are exercised: prefix-split ones here, pax-only ones below.
    expect(entries.filter((e) => e.path.length > 100).length).toBeGreaterThan(20);
    expect(paxOnly.length).toBeGreaterThan(5);
    const root = join(dir, 'gnu');
    for (const e of entries) {
      const abs = join(root, e.path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, e.data!);
      chmodSync(abs, e.mode!);
    }
    const flags = ['--format=ustar', '--no-recursion', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@1700000000', '-C', root, '-cf', '-'];
    const gnu = spawnSync('tar', [...flags, ...entries.map((e) => e.path)], { maxBuffer: 1 << 28 });
    expect(gnu.stderr.toString()).toBe('');
    expect(gnu.status).toBe(0);
    const ours = packRaw(entries);
    const firstDiff = ours.findIndex((b, i) => b !== gnu.stdout[i]);
    expect({ length: ours.length, firstDiff }).toEqual({ length: gnu.stdout.length, firstDiff: -1 });
    for (const path of paxOnly.slice(0, 12)) {
      const abs = join(root, path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, 'x');
      const r = spawnSync('tar', [...flags, path]);
      expect({ path, refused: r.status !== 0 && /too long/i.test(r.stderr.toString()) }).toEqual({ path, refused: true });
    }
  });
});

describe('pax records', () => {
  it('match Python tarfile, including where the length prefix gains a digit', () => {
    const values: string[] = [];
    for (const n of [1, 2, 80, 88, 89, 90, 91, 95, 96, 97, 98, 99, 100, 101, 990, 991, 992, 993, 994, 995, 996, 997, 998, 1000, 4000]) {
      values.push('p'.repeat(n), `top/${'é'.repeat(Math.max(1, Math.floor(n / 2)))}`);
    }
    const ref = runReference<string[]>(
      `
import tarfile
out = []
for v in INPUT:
    buf = tarfile.TarInfo._create_pax_generic_header({"path": v}, tarfile.XHDTYPE, "utf-8")
    size = int(buf[124:136].rstrip(b"\\0 ").decode(), 8)
    out.append(buf[512:512 + size].decode("utf-8"))
emit(out)
`,
      values,
    );
    expect(values.map((v) => paxRecord('path', v).toString('utf8'))).toEqual(ref);
  });
});

describe('canonical JSON', () => {
  function randomString(rng: Rng): string {
    const pool = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', 'ß', '\u2028', '\uffff', '\ufeff', '😀', '\u{10000}', '\u{1f600}', 'ｱ', '\ud7ff', '\ue000'];
    let s = '';
    for (let i = rng.int(0, 6); i > 0; i--) s += rng.pick(pool);
    return s;
  }
  function randomValue(rng: Rng, depth: number): JsonValue {
    const kind = depth > 3 ? rng.int(0, 3) : rng.int(0, 5);
    switch (kind) {
      case 0:
        return rng.pick([null, true, false]);
      case 1:
        return rng.pick([0, 1, -1, 42, 2 ** 53 - 1, -(2 ** 53 - 1), 1700000000]);
      case 2:
      case 3:
        return randomString(rng);
      case 4:
        return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, depth + 1));
      default: {
        const o: Record<string, JsonValue> = {};
        for (let i = rng.int(0, 5); i > 0; i--) o[randomString(rng)] = randomValue(rng, depth + 1);
        return o;
      }
    }
  }

  it('gives the bytes Python json.dumps(sort_keys=True, indent=2, ensure_ascii=False) gives, for 400 values', () => {
    const rng = new Rng(7);
    const values = Array.from({ length: 400 }, () => randomValue(rng, 0));
    const ours = values.map((v) => canonicalJson(v));
    const ref = runReference<string[]>(
      `
import json
emit([json.dumps(v, sort_keys=True, indent=2, ensure_ascii=False) + "\\n" for v in INPUT])
`,
      values,
    );
    const bad = ours.map((o, i) => (o === ref[i] ? null : { value: values[i], ours: o, python: ref[i] })).filter((x) => x !== null);
    expect(bad.slice(0, 20)).toEqual([]);
  });

  it('sorts keys by code point (not UTF-16 units) and refuses what it cannot encode canonically', () => {
    expect(canonicalJson({ '\uffff': 1, '\u{10000}': 2, a: 3 })).toBe('{\n  "a": 3,\n  "\uffff": 1,\n  "\u{10000}": 2\n}\n');
    expect(() => canonicalJson({ x: 1.5 })).toThrow(RangeError);
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(RangeError);
    expect(() => canonicalJson({ x: '\ud800' })).toThrow(RangeError);
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow(RangeError);
  });
});
