import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry } from 'yauzl';
import { afterAll, describe, expect, it } from 'vitest';
import { ZipFileReader, readZipEnd, readZipEntries, readZipMember } from '../../src/sources/zip-directory.js';
import { Rng } from '../helpers/random.js';
import { crc32 } from '../helpers/wheels.js';

// Differential: the zip reader of readWheelMetadata against yauzl 3.4 (open with strictFileNames,
// eachEntry, openReadStream with validateEntrySizes), which it replaced on the builder's path.
// Same entries and the same error, at the same stage, on generated and damaged archives.

const dir = mkdtempSync(join(tmpdir(), 'sneakpack-zipdir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface RawEntry {
  name: Buffer;
  data: Buffer;
  method: 0 | 8;
  flags: number;
  extra: Buffer;
  declaredSize?: number;
  declaredCompressed?: number;
}

function extraField(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

/** A zip from raw entries; `zip64` adds Zip64 end records (and 0xffffffff in the plain end record). */
function buildZip(entries: readonly RawEntry[], opts: { comment?: Buffer; zip64?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.method === 8 ? deflateRawSync(e.data) : e.data;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.flags, 6);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(crc32(e.data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(e.name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.flags, 8);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(crc32(e.data), 16);
    central.writeUInt32LE(e.declaredCompressed ?? body.length, 20);
    central.writeUInt32LE(e.declaredSize ?? e.data.length, 24);
    central.writeUInt16LE(e.name.length, 28);
    central.writeUInt16LE(e.extra.length, 30);
    central.writeUInt32LE(offset, 42);
    locals.push(local, e.name, body);
    centrals.push(central, e.name, e.extra);
    offset += 30 + e.name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const comment = opts.comment ?? Buffer.alloc(0);
  const tail: Buffer[] = [];
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  if (opts.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeBigUInt64LE(BigInt(entries.length), 24);
    rec.writeBigUInt64LE(BigInt(entries.length), 32);
    rec.writeBigUInt64LE(BigInt(cd.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 12);
    end.writeUInt32LE(0xffffffff, 16);
  } else {
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
  }
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...locals, cd, ...tail, end, comment]);
}

const NAMES = ['pkg/__init__.py', 'pkg/mod.py', 'pkg-1.0.dist-info/METADATA', 'pkg-1.0.dist-info/WHEEL', 'data/a b.txt', 'dir/'];
const HOSTILE = ['../evil.py', 'a/../../b', '/etc/passwd', 'C:/x', 'a\\b.py', 'ok/..', '..'];

function randomEntry(rng: Rng, i: number): RawEntry {
  let name: Buffer;
  let flags = 0;
  const extra: Buffer[] = [];
  const kind = rng.int(0, 9);
  if (kind <= 5) {
    name = Buffer.from(`${rng.pick(NAMES)}${i}`, 'utf8');
    flags = rng.chance(0.5) ? 0x800 : 0;
  } else if (kind === 6) {
    name = Buffer.from(rng.pick(HOSTILE), 'utf8');
  } else if (kind === 7) {
    // CP437 bytes (no UTF-8 flag), control characters included.
    name = Buffer.from(Array.from({ length: rng.int(1, 12) }, () => rng.int(1, 255)));
  } else if (kind === 8) {
    // An Info-ZIP Unicode Path field, its CRC right or wrong.
    name = Buffer.from(`plain${i}.txt`, 'latin1');
    const unicode = Buffer.from(rng.chance(0.5) ? `ünï/cødé${i}.py` : `../up${i}`, 'utf8');
    const crc = rng.chance(0.8) ? crc32(name) : 1234;
    const head = Buffer.alloc(5);
    head.writeUInt8(rng.chance(0.9) ? 1 : 2, 0);
    head.writeUInt32LE(crc, 1);
    extra.push(extraField(0x7075, Buffer.concat([head, unicode])));
  } else {
    name = Buffer.from(`x${i}.bin`);
    extra.push(extraField(0x5455, Buffer.from([1, 0, 0, 0, 0])));
  }
  const size = rng.chance(0.3) ? 0 : rng.int(1, 3000);
  const data = Buffer.from(Array.from({ length: size }, () => rng.int(97, 100)));
  const method = rng.chance(0.5) ? 0 : 8;
  const e: RawEntry = { name, data, method, flags, extra: Buffer.concat(extra) };
  if (rng.chance(0.08)) e.declaredSize = Math.max(0, data.length + rng.int(-2, 5));
  if (rng.chance(0.04)) e.flags |= 0x40;
  if (rng.chance(0.04)) e.flags |= 0x1;
  if (rng.chance(0.04)) e.extra = Buffer.concat([e.extra, Buffer.from([0x01, 0x00, 0x20, 0x00, 0x00])]);
  return e;
}

interface Outcome {
  stage: 'ok' | 'open' | 'directory';
  message?: string;
  entries?: { fileName: string; flags: number; method: number; compressed: number; size: number; offset: number }[];
  members?: string[];
}

const LIMIT = 2000;

/** What yauzl says, and the bytes (or error) of every readable member. */
async function viaYauzl(path: string): Promise<Outcome> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: true });
  } catch (e) {
    return { stage: 'open', message: (e as Error).message };
  }
  try {
    const entries: Entry[] = [];
    try {
      for await (const entry of zip.eachEntry()) entries.push(entry);
    } catch (e) {
      return { stage: 'directory', message: (e as Error).message };
    }
    const members: string[] = [];
    for (const entry of entries) {
      if (entry.uncompressedSize > LIMIT || entry.isEncrypted()) continue;
      try {
        const stream = await zip.openReadStreamPromise(entry);
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        members.push(Buffer.concat(chunks).toString('hex'));
      } catch (e) {
        members.push(`error: ${normalise((e as Error).message)}`);
      }
    }
    return {
      stage: 'ok',
      entries: entries.map((e) => ({ fileName: e.fileName, flags: e.generalPurposeBitFlag, method: e.compressionMethod, compressed: e.compressedSize, size: e.uncompressedSize, offset: e.relativeOffsetOfLocalHeader })),
      members,
    };
  } finally {
    zip.close();
  }
}

/** yauzl counts stream chunks in its "got at least" messages; the count is not part of the verdict. */
function normalise(message: string): string {
  return message.replace(/ got (at least|only) \d+$/, ' got $1 N');
}

async function viaOurs(path: string): Promise<Outcome> {
  const handle = await open(path, 'r');
  try {
    const reader = new ZipFileReader(handle, (await handle.stat()).size);
    let end;
    try {
      end = await readZipEnd(reader);
    } catch (e) {
      return { stage: 'open', message: (e as Error).message };
    }
    let entries;
    try {
      entries = await readZipEntries(reader, end);
    } catch (e) {
      return { stage: 'directory', message: (e as Error).message };
    }
    const members: string[] = [];
    for (const entry of entries) {
      if (entry.uncompressedSize > LIMIT || (entry.generalPurposeBitFlag & 1) !== 0) continue;
      try {
        members.push((await readZipMember(reader, entry, LIMIT, () => new Error('too big'))).toString('hex'));
      } catch (e) {
        members.push(`error: ${normalise((e as Error).message)}`);
      }
    }
    return {
      stage: 'ok',
      entries: entries.map((e) => ({ fileName: e.fileName, flags: e.generalPurposeBitFlag, method: e.compressionMethod, compressed: e.compressedSize, size: e.uncompressedSize, offset: e.relativeOffsetOfLocalHeader })),
      members,
    };
  } finally {
    await handle.close();
  }
}

describe('readZipEntries / readZipMember vs yauzl 3.4', () => {
  it('agree on generated archives: names (UTF-8, CP437, Unicode Path field), hostile paths, Zip64 end records, lying sizes', async () => {
    const rng = new Rng(7);
    let compared = 0;
    let failures = 0;
    for (let n = 0; n < 300; n++) {
      const entries = Array.from({ length: rng.int(0, 8) }, (_, i) => randomEntry(rng, i));
      const comment = rng.chance(0.2) ? Buffer.from('a comment'.repeat(rng.int(1, 20))) : undefined;
      const path = join(dir, `gen-${n}.zip`);
      writeFileSync(path, buildZip(entries, { ...(comment ? { comment } : {}), zip64: rng.chance(0.25) }));
      const [theirs, ours] = [await viaYauzl(path), await viaOurs(path)];
      expect(ours, `archive ${n}`).toEqual(theirs);
      compared++;
      if (theirs.stage !== 'ok') failures++;
    }
    // A directory larger than one read window (and members spread over the file).
    const many = Array.from({ length: 6000 }, (_, i) => ({ name: Buffer.from(`pkg/sub${i % 50}/module_${i}.py`), data: Buffer.from(`v = ${i}\n`), method: (i % 3 ? 8 : 0) as 0 | 8, flags: 0x800, extra: Buffer.alloc(0) }));
    const path = join(dir, 'many.zip');
    writeFileSync(path, buildZip(many));
    const big = await viaOurs(path);
    expect(big.entries).toHaveLength(6000);
    expect(big).toEqual(await viaYauzl(path));
    expect(compared).toBe(300);
    // The generator must exercise the refusals, not only the happy path.
    expect(failures).toBeGreaterThan(10);
    expect(failures).toBeLessThan(280);
  });

  it('agree on damaged archives: flipped bytes in the directory and end record, truncation, bad local headers', async () => {
    const rng = new Rng(11);
    const base = buildZip(
      Array.from({ length: 6 }, (_, i) => ({ name: Buffer.from(`pkg/m${i}.py`), data: Buffer.from(`x = ${i}\n`.repeat(40)), method: (i % 2 ? 0 : 8) as 0 | 8, flags: 0x800, extra: Buffer.alloc(0) })),
    );
    const cdStart = base.readUInt32LE(base.length - 22 + 16);
    const outcomes = new Set<string>();
    for (let n = 0; n < 200; n++) {
      const bytes = Buffer.from(base);
      const how = rng.int(0, 3);
      if (how === 0) {
        // Damage the central directory or the end record.
        for (let k = rng.int(1, 3); k > 0; k--) bytes[rng.int(cdStart, bytes.length - 1)] = rng.int(0, 255);
      } else if (how === 1) {
        // Damage a local header or member data.
        for (let k = rng.int(1, 3); k > 0; k--) bytes[rng.int(0, cdStart - 1)] = rng.int(0, 255);
      } else if (how === 2) {
        bytes.writeUInt32LE(rng.int(0, base.length + 100), base.length - 22 + 16);
      }
      const data = how === 3 ? bytes.subarray(0, rng.int(0, bytes.length - 1)) : bytes;
      const path = join(dir, `dmg-${n}.zip`);
      writeFileSync(path, data);
      const [theirs, ours] = [await viaYauzl(path), await viaOurs(path)];
      expect(ours, `damage ${n} (${how})`).toEqual(theirs);
      outcomes.add(theirs.stage === 'ok' ? `ok ${theirs.members!.filter((m) => m.startsWith('error')).length > 0}` : theirs.stage);
    }
    expect(outcomes).toEqual(new Set(['ok true', 'ok false', 'open', 'directory']));
  });
});
