/**
 * One-byte changes to a gzip bundle: every change is rejected, or provably harmless — the
 * decompressed tar is byte-identical, because deflate has a few bits inflate ignores (the padding
 * that aligns stored blocks and ends the stream). The gzip header and trailer are checked byte for
 * byte. docs/FORMAT.md "Compression" says so; the plain .tar is exact everywhere (mutation.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBundle } from '../../src/bundle/index.js';
import { Rng } from '../helpers/random.js';
import { makeInput, removeDir, tempDir, verifyVerdict, writeKeys } from './fixtures.js';

let dir: string;
let keys: Awaited<ReturnType<typeof writeKeys>>;
let tar: Buffer;
let tgz: Buffer;

beforeAll(async () => {
  dir = tempDir();
  keys = await writeKeys(join(dir, 'keys'), 'alice');
  const input = makeInput(join(dir, 'src'), { wheelSizes: [3000, 1700, 700] });
  tar = readFileSync((await writeBundle(input, { secretKey: keys.pair.secretKey, outDir: dir })).path);
  tgz = readFileSync((await writeBundle(input, { secretKey: keys.pair.secretKey, outDir: dir, gzip: true })).path);
});
afterAll(() => removeDir(dir));

const verdict = (data: Buffer, name: string): Promise<string | null> => verifyVerdict(data, join(dir, name), keys.trusted);

describe('one-byte changes to a gzip bundle', () => {
  it('every change is rejected, or leaves the decompressed tar byte-identical', async () => {
    expect(await verdict(tgz, 'mutant.tar.gz')).toBeNull();
    const rng = new Rng(407);
    let rejected = 0;
    const harmless: number[] = [];
    const offsets = [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 8 }, (_, i) => tgz.length - 1 - i)];
    while (offsets.length < 250) offsets.push(rng.int(0, tgz.length - 1));
    for (const off of offsets) {
      const mutant = Buffer.from(tgz);
      mutant[off] = mutant[off]! ^ rng.int(1, 255);
      const code = await verdict(mutant, 'mutant.tar.gz');
      if (code !== null) {
        rejected++;
        continue;
      }
      // Accepted: then what was verified must be exactly the original tar.
      const body = inflateRawSync(mutant.subarray(10, mutant.length - 8));
      expect(body.equals(tar)).toBe(true);
      harmless.push(off);
    }
    expect(rejected + harmless.length).toBe(250);
    // Ignored bits are rare (block-alignment padding); header and trailer bytes are all checked.
    expect(harmless.length).toBeLessThan(15);
    expect(harmless.filter((o) => o < 10 || o >= tgz.length - 8)).toEqual([]);
  });
});
