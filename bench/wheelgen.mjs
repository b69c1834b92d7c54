/**
 * Deterministic wheel files for the benchmarks, written member by member straight to disk (the
 * 1 GB workload never sits in memory). Plain JavaScript against dist/ so `npm run bench` needs no
 * TypeScript runner; the METADATA/WHEEL/RECORD text comes from sneakpack's own serializers, and
 * the zip layout is the one test/helpers/wheels.ts writes (fixed timestamps, modes, no extras).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../dist/bundle/index.js';
import { escapeWheelName, serializeCoreMetadata, serializeRecord, serializeWheelInfo, wheelFilename } from '../dist/wheel/index.js';

/** mulberry32, as test/helpers/random.ts: the same seed gives the same workload everywhere. */
export class Rng {
  constructor(seed) {
    this.state = seed >>> 0;
  }
  next() {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** Exponentially distributed with this mean, capped at 8x the mean (a few big files, many small). */
  size(mean) {
    return Math.max(64, Math.min(8 * mean, Math.round(-Math.log(1 - this.next()) * mean)));
  }
  hex(n) {
    let s = '';
    while (s.length < n) s += ((this.next() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}

const WORDS = 'the request response session handler value config route cache token stream parse render template context error module object default result'.split(' ');

/** Valid Python of about `bytes` bytes: functions and classes with random names and constants (compresses about 3-4x, like real source). */
export function pythonSource(rng, bytes, title) {
  const parts = [`"""${title}: generated for the sneakpack benchmark."""\nimport os\n\n`];
  let n = parts[0].length;
  while (n < bytes) {
    const id = rng.hex(8);
    const doc = Array.from({ length: rng.int(4, 12) }, () => WORDS[rng.int(0, WORDS.length - 1)]).join(' ');
    const chunk =
      rng.next() < 0.6
        ? `def f_${id}(a, b=${rng.int(0, 9999)}):\n    """${doc}."""\n    x = a * ${rng.int(1, 999)} + b\n    return x ^ 0x${rng.hex(6)}\n\n\n`
        : `class C_${id}:\n    """${doc}."""\n\n    name = "${rng.hex(16)}"\n\n    def get(self, y):\n        return y + ${rng.int(0, 99999)}\n\n\n`;
    parts.push(chunk);
    n += chunk.length;
  }
  return Buffer.from(parts.join(''), 'utf8');
}

/** `n` incompressible bytes, deterministic for `seed` (AES-128-CTR keystream). */
export function randomBytes(seed, n) {
  const key = createHash('sha256').update(`sneakpack bench ${seed}`).digest();
  const c = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return c.update(Buffer.alloc(n));
}

const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip written to a file one member at a time; `finish()` writes the central directory. */
class ZipFileWriter {
  constructor(path) {
    this.fd = openSync(path, 'w');
    this.offset = 0;
    this.central = [];
    this.count = 0;
  }
  write(buf) {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
    this.offset += buf.length;
  }
  add(name, data, { mode = 0o644, level = 6 } = {}) {
    const nameBuf = Buffer.from(name, 'utf8');
    const body = level === 0 ? data : deflateRawSync(data, { level });
    const method = level === 0 ? 0 : 8;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(((mode | 0o100000) << 16) >>> 0, 38);
    central.writeUInt32LE(this.offset, 42);
    this.central.push(central, nameBuf);
    this.write(local);
    this.write(nameBuf);
    this.write(body);
    this.count++;
  }
  finish() {
    const cd = Buffer.concat(this.central);
    const start = this.offset;
    this.write(cd);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.count, 8);
    end.writeUInt16LE(this.count, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(start, 16);
    this.write(end);
    closeSync(this.fd);
  }
}

function recordHash(data) {
  return createHash('sha256').update(data).digest('base64url');
}

/**
 * Write a wheel into `dir` and return `{ path, filename, files }`.
 *
 * `members` is an iterable of `[archivePath, Buffer, options?]` (generated lazily, so a 250 MB
 * wheel is never in memory whole); `level` 0 stores, else deflate level.
 */
export function writeWheel(dir, { name, version, tags = 'py3-none-any', requiresDist = [], providesExtra = [], entryPoints = null, members, level = 6 }) {
  mkdirSync(dir, { recursive: true });
  const filename = wheelFilename({ name, version, buildTag: null, tags });
  const path = join(dir, filename);
  const distInfo = `${escapeWheelName(name)}-${version}.dist-info`;
  const zip = new ZipFileWriter(path);
  const rows = [];
  const put = (p, data, opts = {}) => {
    zip.add(p, data, { level, ...opts });
    rows.push({ path: p, hash: { algorithm: 'sha256', value: recordHash(data) }, size: data.length });
  };
  for (const [p, data, opts] of members) put(p, data, opts);
  put(`${distInfo}/METADATA`, Buffer.from(serializeCoreMetadata({ name, version, summary: `${name}, a generated benchmark package`, requiresDist, providesExtra }), 'utf8'));
  put(`${distInfo}/WHEEL`, Buffer.from(serializeWheelInfo({ generator: 'sneakpack-bench', rootIsPurelib: tags.split('-')[2] === 'any', tags: [tags] }), 'utf8'));
  put(`${distInfo}/top_level.txt`, Buffer.from(`${escapeWheelName(name)}\n`, 'utf8'));
  if (entryPoints !== null) put(`${distInfo}/entry_points.txt`, Buffer.from(entryPoints, 'utf8'));
  rows.push({ path: `${distInfo}/RECORD`, hash: null, size: null });
  zip.add(`${distInfo}/RECORD`, Buffer.from(serializeRecord(rows), 'utf8'), { level });
  zip.finish();
  return { path, filename, files: zip.count };
}
