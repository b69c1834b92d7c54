/**
 * RECORD: CSV writing and reading differential against Python's `csv` module (the dialect pip and
 * installer use), plus validation against archive members (pypa/installer style: every problem).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { readCsv } from '../../src/wheel/record.js';
import {
  parseRecord,
  recordIssues,
  serializeRecord,
  validateRecord,
  type ArchiveMember,
  type RecordEntry,
} from '../../src/wheel/index.js';
import { runReference } from '../helpers/reference.js';
import { Rng } from '../helpers/random.js';

const rng = new Rng(376_2009);
const PATH_PIECES = [
  'foo', 'bar.py', '/', '/', 'a b', ',', '"', '""', ' ', 'é', '日本', '\r', '\n', '\r\n', '\t', "'", '\\', '🙂', '\u2028',
  '\u0000', '#', '=', 'x,y', '"q"', 'Ω', '..',
];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function randomEntry(): RecordEntry {
  let path = '';
  const n = rng.int(1, 6);
  for (let i = 0; i < n; i++) path += rng.pick(PATH_PIECES);
  let hash: RecordEntry['hash'] = null;
  if (rng.chance(0.7)) {
    let value = '';
    for (let i = 0; i < 43; i++) value += rng.pick([...B64]);
    hash = { algorithm: rng.pick(['sha256', 'sha512', 'md5']), value };
  }
  const size = rng.chance(0.7) ? rng.int(0, 10_000_000) : null;
  return { path, hash, size };
}

const ENTRY_SETS: RecordEntry[][] = [];
for (let i = 0; i < 400; i++) {
  const set: RecordEntry[] = [];
  const n = rng.int(1, 5);
  for (let j = 0; j < n; j++) set.push(randomEntry());
  ENTRY_SETS.push(set);
}

const CSV_ALPHABET = [',', '"', '\r', '\n', 'a', 'b', ' ', 'é', '\u0000'];
const RANDOM_CSV: string[] = [];
for (let i = 0; i < 1500; i++) {
  let t = '';
  const n = rng.int(0, 24);
  for (let j = 0; j < n; j++) t += rng.pick(CSV_ALPHABET);
  RANDOM_CSV.push(t);
}

describe('RECORD vs Python csv', () => {
  let ref: { written: string[]; readBack: string[][][]; random: (['ok', string[][]] | ['err', string])[] };
  beforeAll(() => {
    ref = runReference(
      `
import csv, io
written, read_back, random = [], [], []
for rows in INPUT['sets']:
    f = io.StringIO()
    w = csv.writer(f, delimiter=',', quotechar='"', lineterminator='\\n')
    for path, h, size in rows:
        w.writerow((path, h, size))
    text = f.getvalue()
    written.append(text)
    read_back.append(list(csv.reader(io.StringIO(text, newline=''), delimiter=',', quotechar='"', lineterminator='\\n')))
for text in INPUT['random']:
    try:
        random.append(['ok', list(csv.reader(io.StringIO(text, newline=''), delimiter=',', quotechar='"', lineterminator='\\n'))])
    except csv.Error as e:
        random.append(['err', str(e)])
emit({'written': written, 'readBack': read_back, 'random': random})
`,
      {
        sets: ENTRY_SETS.map((set) =>
          set.map((e) => [e.path, e.hash ? `${e.hash.algorithm}=${e.hash.value}` : '', e.size === null ? '' : String(e.size)]),
        ),
        random: RANDOM_CSV,
      },
    );
  });

  it(`serializeRecord writes ${ENTRY_SETS.length} generated RECORDs byte-for-byte like csv.writer`, () => {
    const disagreements: unknown[] = [];
    ENTRY_SETS.forEach((set, i) => {
      const mine = serializeRecord(set);
      if (mine !== ref.written[i]) disagreements.push({ set, mine, theirs: ref.written[i] });
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
    // The generator really produced quoting cases.
    expect(ref.written.filter((t) => t.includes('"')).length).toBeGreaterThan(100);
  });

  it('parseRecord reads them back to the same entries, and the same rows as csv.reader', () => {
    const disagreements: unknown[] = [];
    ENTRY_SETS.forEach((set, i) => {
      const text = ref.written[i]!;
      if (JSON.stringify(readCsv(text)) !== JSON.stringify(ref.readBack[i])) {
        disagreements.push({ text, mine: readCsv(text), theirs: ref.readBack[i] });
      }
      const back = parseRecord(text);
      if (JSON.stringify(back) !== JSON.stringify(set)) disagreements.push({ text, back, set });
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
  });

  it(`readCsv agrees with csv.reader on ${RANDOM_CSV.length} random texts of quotes, commas and line breaks`, () => {
    const disagreements: unknown[] = [];
    RANDOM_CSV.forEach((text, i) => {
      const theirs = ref.random[i]!;
      let mine: ['ok', string[][]] | ['err', string];
      try {
        mine = ['ok', readCsv(text)];
      } catch (e) {
        mine = ['err', (e as Error).message];
      }
      if (mine[0] !== theirs[0] || (mine[0] === 'ok' && JSON.stringify(mine[1]) !== JSON.stringify(theirs[1]))) {
        disagreements.push({ text, mine, theirs });
      }
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
  });
});

describe('parseRecord', () => {
  it('reads the usual RECORD', () => {
    const text =
      'foo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\n' +
      'foo-1.0.dist-info/RECORD,,\r\n\r\n';
    expect(parseRecord(text)).toEqual([
      { path: 'foo/__init__.py', hash: { algorithm: 'sha256', value: '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU' }, size: 0 },
      { path: 'foo-1.0.dist-info/RECORD', hash: null, size: null },
    ]);
  });

  it('gathers every bad row', () => {
    try {
      parseRecord('a,sha256=x\nb,nohash,1\nc,sha256=x,12x\n,,\nok,,\n');
      expect.unreachable();
    } catch (e) {
      expect(isSneakpackError(e, 'INVALID_RECORD')).toBe(true);
      const issues = (e as { details: { issues: string[] } }).details.issues;
      expect(issues).toHaveLength(4);
      expect(issues.join('\n')).toMatch(/row 1: expected 3 fields/);
      expect(issues.join('\n')).toMatch(/row 2 \(b\): hash 'nohash'/);
      expect(issues.join('\n')).toMatch(/row 3 \(c\): size '12x'/);
      expect(issues.join('\n')).toMatch(/row 4: the path is empty/);
    }
  });
});

// --------------------------------------------------------------------------------------------

const b64 = (data: Buffer): string => data.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const HASHLIB_TO_NODE: Record<string, string> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', blake2b: 'blake2b512' };

function member(path: string, content: string): ArchiveMember {
  const data = Buffer.from(content);
  return { path, size: data.length, digest: (alg) => b64(createHash(HASHLIB_TO_NODE[alg] ?? alg).update(data).digest()) };
}

function entry(path: string, content: string, algorithm = 'sha256'): RecordEntry {
  const data = Buffer.from(content);
  return { path, hash: { algorithm, value: b64(createHash(HASHLIB_TO_NODE[algorithm]!).update(data).digest()) }, size: data.length };
}

const OPTS = { wheel: 'foo-1.0-py3-none-any.whl', distInfoDir: 'foo-1.0.dist-info' };
const GOOD_MEMBERS = [
  member('foo/__init__.py', 'x = 1\n'),
  member('foo/data.bin', 'abc'),
  { path: 'foo/', size: 0, isDirectory: true },
  member('foo-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\n'),
  member('foo-1.0.dist-info/RECORD', '…'),
  member('foo-1.0.dist-info/RECORD.jws', 'sig'),
];
const GOOD_ENTRIES: RecordEntry[] = [
  entry('foo/__init__.py', 'x = 1\n'),
  entry('foo/data.bin', 'abc', 'sha512'),
  entry('foo-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\n', 'blake2b'),
  { path: 'foo-1.0.dist-info/RECORD', hash: null, size: null },
];

describe('validateRecord', () => {
  it('accepts a consistent RECORD (directories, RECORD itself and its signature need no row)', () => {
    expect(recordIssues(GOOD_ENTRIES, GOOD_MEMBERS, OPTS)).toEqual([]);
    expect(() => validateRecord(GOOD_ENTRIES, GOOD_MEMBERS, OPTS)).not.toThrow();
  });

  it('gathers every problem before failing', () => {
    const entries: RecordEntry[] = [
      { ...entry('foo/__init__.py', 'x = 2\n') }, // hash and size of other content
      { path: 'foo/data.bin', hash: { algorithm: 'md5', value: 'kAFQmDzST7DWlj99KOF_cg' }, size: 3 },
      { path: 'foo-1.0.dist-info/METADATA', hash: { algorithm: 'sha1', value: 'x' }, size: 22 },
      { path: 'foo-1.0.dist-info/METADATA', hash: null, size: null }, // duplicate
      { path: '../../etc/passwd', hash: null, size: null },
      { path: '/abs', hash: null, size: null },
      { ...entry('x', ''), path: 'foo/gone.py' },
      { path: 'foo/nohash.py', hash: null, size: 4 },
      { path: 'foo/shorthash.py', hash: { algorithm: 'sha256', value: 'abc' }, size: 1 },
      { path: 'foo/whirl.py', hash: { algorithm: 'whirlpool', value: 'abc' }, size: 1 },
      { path: 'foo-1.0.dist-info/RECORD', hash: null, size: null },
    ];
    const members = [
      ...GOOD_MEMBERS,
      member('foo/unlisted.py', ''),
      member('foo/nohash.py', 'abcd'),
      member('foo/shorthash.py', 'a'),
      member('foo/whirl.py', 'a'),
    ];
    let issues: string[] = [];
    try {
      validateRecord(entries, members, OPTS);
      expect.unreachable();
    } catch (e) {
      expect(isSneakpackError(e, 'INVALID_RECORD')).toBe(true);
      issues = (e as { details: { issues: string[] } }).details.issues;
    }
    const all = issues.join('\n');
    for (const expected of [
      /sha256 of foo\/__init__.py is .* but RECORD says/,
      /foo\/data.bin has a forbidden weak hash algorithm 'md5'/,
      /METADATA has a forbidden weak hash algorithm 'sha1'/,
      /METADATA is listed more than once/,
      /"..\/..\/etc\/passwd" is unsafe: it has a '..' component/,
      /"\/abs" is unsafe: it is absolute/,
      /foo\/gone.py is listed in RECORD but not in the archive/,
      /foo\/unlisted.py is not mentioned in RECORD/,
      /hash \/ size of foo\/nohash.py is not included in RECORD/,
      /foo\/shorthash.py has a malformed sha256 digest/,
      /foo\/whirl.py has an unsupported hash algorithm 'whirlpool'/,
    ]) {
      expect(all).toMatch(expected);
    }
    expect(issues).toHaveLength(13); // the two unsafe paths are also absent from the archive
    expect(all).toContain(OPTS.wheel);
  });

  it('reports a size mismatch and a missing RECORD', () => {
    const issues = recordIssues(
      [{ ...entry('foo/__init__.py', 'x = 1\n'), size: 99 }],
      [member('foo/__init__.py', 'x = 1\n')],
      OPTS,
    );
    expect(issues).toEqual([
      `In ${OPTS.wheel}, size of foo/__init__.py is 6 but RECORD says 99`,
      `In ${OPTS.wheel}, foo-1.0.dist-info/RECORD is missing`,
    ]);
  });
});
