/**
 * A one-byte change anywhere in a bundle is rejected by verify (issue 4, "done means" 5): changed
 * bytes at random offsets of every region of the tar — ustar headers, pax headers and records,
 * the signature, the manifest, the lock, wheel and app data, block padding, end-of-archive blocks,
 * the record fill — plus inserted and deleted bytes. The regions are found by walking the tar here,
 * independently of the reader. Gzip bundles: mutation-gzip.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBundle, writeBundle } from '../../src/bundle/index.js';
import { Rng } from '../helpers/random.js';
import { listTree, makeInput, removeDir, tempDir, verifyVerdict, writeKeys } from './fixtures.js';

type Region = 'ustar header' | 'pax header' | 'pax record' | 'signature' | 'manifest' | 'lock' | 'wheel' | 'app' | 'padding' | 'end blocks' | 'record fill';

/** Classifies every byte of a bundle tar by walking its headers (sizes as octal at 124, type at 156). */
function regions(tar: Buffer): Region[] {
  const out: Region[] = new Array(tar.length);
  let pos = 0;
  let pendingPax = false;
  for (;;) {
    const block = tar.subarray(pos, pos + 512);
    if (block.every((b) => b === 0)) break;
    const size = parseInt(block.toString('latin1', 124, 135), 8);
    const type = String.fromCharCode(block[156]!);
    const name = block.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const prefix = block.toString('utf8', 345, 500).replace(/\0.*$/s, '');
    const full = prefix ? `${prefix}/${name}` : name;
    out.fill(type === 'x' ? 'pax header' : 'ustar header', pos, pos + 512);
    pos += 512;
    const dataRegion: Region =
      type === 'x'
        ? 'pax record'
        : pendingPax
          ? 'app' // every pax path in the fixture is an app file
          : full.endsWith('/SHA256.sig')
            ? 'signature'
            : full.endsWith('/manifest.json')
              ? 'manifest'
              : full.endsWith('/pylock.toml')
                ? 'lock'
                : full.includes('/wheels/')
                  ? 'wheel'
                  : 'app';
    pendingPax = type === 'x';
    out.fill(dataRegion, pos, pos + size);
    pos += size;
    const pad = (512 - (size % 512)) % 512;
    out.fill('padding', pos, pos + pad);
    pos += pad;
  }
  out.fill('end blocks', pos, pos + 1024);
  out.fill('record fill', pos + 1024, tar.length);
  return out;
}

let dir: string;
let keys: Awaited<ReturnType<typeof writeKeys>>;
let tar: Buffer;

beforeAll(async () => {
  dir = tempDir();
  keys = await writeKeys(join(dir, 'keys'), 'alice');
  const input = makeInput(join(dir, 'src'), { wheelSizes: [3000, 1700, 700] });
  tar = readFileSync((await writeBundle(input, { secretKey: keys.pair.secretKey, outDir: dir })).path);
});
afterAll(() => removeDir(dir));

/** The error code verify gives for `data`, or null when it accepts it. */
const verdict = (data: Buffer, name = 'mutant.tar'): Promise<string | null> => verifyVerdict(data, join(dir, name), keys.trusted);

describe('changes to a plain bundle', () => {
  it('the original verifies', async () => {
    expect(await verdict(tar)).toBeNull();
  });

  it('every changed byte, in every region, is rejected', async () => {
    const map = regions(tar);
    const byRegion = new Map<Region, number[]>();
    map.forEach((r, i) => {
      const list = byRegion.get(r) ?? [];
      list.push(i);
      byRegion.set(r, list);
    });
    // Every region is present in the fixture, so every class of offset is exercised.
    expect([...byRegion.keys()].sort()).toEqual(
      ['ustar header', 'pax header', 'pax record', 'signature', 'manifest', 'lock', 'wheel', 'app', 'padding', 'end blocks', 'record fill'].sort(),
    );
    const rng = new Rng(404);
    const offsets: number[] = [];
    for (const [, all] of byRegion) {
      for (let k = 0; k < 32; k++) offsets.push(all[rng.int(0, all.length - 1)]!);
    }
    // And every byte of the signature file's comment line (outside the Ed25519 signature).
    for (let i = 512; i < 512 + 'untrusted comment: verify with alice.pub\n'.length; i++) offsets.push(i);
    const accepted: number[] = [];
    const codes = new Map<string, number>();
    for (const off of offsets) {
      const mutant = Buffer.from(tar);
      mutant[off] = mutant[off]! ^ rng.int(1, 255);
      const code = await verdict(mutant);
      if (code === null) accepted.push(off);
      else codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(accepted.map((o) => `${o} (${map[o]})`)).toEqual([]);
    expect(offsets.length).toBeGreaterThan(380);
    // The reader names the damage specifically, not with one catch-all code.
    expect(codes.size).toBeGreaterThanOrEqual(5);
  });

  it('every inserted or deleted byte is rejected', async () => {
    const rng = new Rng(405);
    const accepted: string[] = [];
    for (let k = 0; k < 40; k++) {
      const off = rng.int(0, tar.length - 1);
      const inserted = Buffer.concat([tar.subarray(0, off), Buffer.from([rng.chance(0.5) ? 0 : rng.int(0, 255)]), tar.subarray(off)]);
      const deleted = Buffer.concat([tar.subarray(0, off), tar.subarray(off + 1)]);
      if ((await verdict(inserted)) === null) accepted.push(`insert at ${off}`);
      if ((await verdict(deleted)) === null) accepted.push(`delete at ${off}`);
    }
    // The very end: a zero byte appended or the last one removed.
    if ((await verdict(Buffer.concat([tar, Buffer.alloc(1)]))) === null) accepted.push('append a zero');
    if ((await verdict(tar.subarray(0, tar.length - 1))) === null) accepted.push('drop the last byte');
    expect(accepted).toEqual([]);
  });

  it('random multi-byte damage, duplicated and removed block runs are all rejected with a sneakpack error', async () => {
    const rng = new Rng(408);
    const accepted: string[] = [];
    for (let k = 0; k < 120; k++) {
      let mutant: Buffer;
      const kind = rng.int(0, 3);
      const a = rng.int(0, tar.length - 1);
      const len = rng.int(1, 3000);
      if (kind === 0) {
        mutant = Buffer.from(tar);
        for (let j = rng.int(2, 20); j > 0; j--) mutant[rng.int(0, tar.length - 1)] ^= rng.int(1, 255);
      } else if (kind === 1) {
        mutant = Buffer.concat([tar.subarray(0, a), tar.subarray(a, a + len), tar.subarray(a)]);
      } else if (kind === 2) {
        mutant = Buffer.concat([tar.subarray(0, a), tar.subarray(a + len)]);
      } else {
        // Whole 512-byte blocks moved: every piece is a well-formed part of a valid bundle.
        const b = 512 * rng.int(0, tar.length / 512 - 1);
        const c = 512 * rng.int(0, tar.length / 512 - 1);
        mutant = Buffer.from(tar);
        tar.copy(mutant, b, c, c + 512);
        if (mutant.equals(tar)) continue;
      }
      if ((await verdict(mutant)) === null) accepted.push(`kind ${kind} at ${a}`);
    }
    expect(accepted).toEqual([]);
  });

  it('extracting a mutant leaves the destination empty', async () => {
    const rng = new Rng(406);
    for (let k = 0; k < 25; k++) {
      const mutant = Buffer.from(tar);
      // Late offsets: most of the bundle is written before the damage is found.
      const off = rng.int(Math.floor(tar.length / 2), tar.length - 1);
      mutant[off] = mutant[off]! ^ rng.int(1, 255);
      writeFileSync(join(dir, 'm.tar'), mutant);
      const dest = join(dir, `dest${k}`);
      await expect(extractBundle(join(dir, 'm.tar'), dest, { trusted: keys.trusted })).rejects.toMatchObject({ name: 'SneakpackError' });
      expect(() => listTree(dest)).toThrow(/ENOENT/);
    }
  });
});
