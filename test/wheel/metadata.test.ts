/**
 * Core metadata, differential against packaging 24.1: generated METADATA texts (folded lines,
 * CRLF/CR/LF, repeated and unknown fields, bodies, unix-from lines, broken headers) must split into
 * the same raw fields and leftovers as `metadata.parse_email`, and `parseCoreMetadata` must agree
 * with `Metadata.from_raw` on the fields the resolver uses wherever our documented policy matches
 * packaging's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import {
  metadataFromFields,
  parseCoreMetadata,
  parseRawMetadata,
  serializeCoreMetadata,
  type CoreMetadata,
} from '../../src/wheel/index.js';
import { runReference } from '../helpers/reference.js';
import { Rng } from '../helpers/random.js';

const rng = new Rng(566_2018);

/** Metadata-Version values: which both accept, which only we accept, which both refuse. */
const MV_BOTH = ['1.0', '1.1', '1.2', '2.1', '2.2', '2.3'];
const MV_OURS_ONLY = ['2.0', '2.4', '2.5'];
const MV_NEITHER = ['3.0', 'x', '', '2', '0.9'];

const NAMES = ['foo', 'Foo_Bar', 'zope.interface', 'a', 'A-1', '-bad', 'bad-', 'has space', '', 'ok.name', 'x_'];
const VERSIONS = ['1.0', '2!1.0.post1', 'v1.0rc1', '1.0+local', ' 1.0 ', 'bad', '', '1..0', '1.0.dev'];
const REQUIRES_DIST = [
  'requests>=2.0', 'foo[bar,baz] ; python_version < "3.8"', 'foo >>= 1', 'bar (>=1.0)', 'baz @ https://example.com/baz.whl',
  'Foo_Bar==1.*', '', 'foo; extra == "test"', 'foo==1.0; os_name=="nt" and extra=="x"', 'idna<4,>=2.5', 'x ; bad_marker',
  'Sphinx[docs]>=1.0;extra=="docs"', 'a==1.0.*.*',
];
const REQUIRES_PYTHON = ['>=3.8', '>=3.8,<4', '~=3.7', '>= 3.6', 'bad', '', '>=3.8.*', '==3.*', '!=3.0.*, >=2.7'];
const EXTRAS = ['test', 'Docs', 'dev_all', 'a.b', 'bad extra', '', '-x', 'UPPER'];
const OTHER = [
  ['Summary', 'A thing'], ['Summary', ''], ['Keywords', 'a, b ,c'], ['Keywords', ''], ['Project-URL', 'Home, https://x'],
  ['Project-URL', 'Home, https://y'], ['Project-URL', 'nocomma'], ['Classifier', 'Programming Language :: Python'],
  ['Author', 'Ann'], ['Author-email', 'a@b.c'], ['X-Custom', 'whatever'], ['License', 'MIT'], ['Home-page', 'https://h'],
  ['Platform', 'any'], ['Requires-External', 'C'], ['Description', 'header description'], ['Obsoletes-Dist', 'old'],
  ['Weird_Header', 'v'], ['Dynamic', 'Classifier'],
] as const;

function randomCase(field: string): string {
  const k = rng.int(0, 3);
  return k === 0 ? field.toLowerCase() : k === 1 ? field.toUpperCase() : field;
}

interface Generated {
  text: string;
  metadataVersion: string | null;
}

function generateMetadata(): Generated {
  const lines: string[] = [];
  const mv = rng.chance(0.9)
    ? rng.chance(0.8)
      ? rng.pick(MV_BOTH)
      : rng.pick([...MV_OURS_ONLY, ...MV_NEITHER])
    : null;
  const header = (name: string, value: string): void => {
    const sep = rng.pick([': ', ':', ':  ', ':\t']);
    lines.push(`${randomCase(name)}${sep}${value}`);
    if (rng.chance(0.05)) lines.push(`${rng.pick([' ', '\t', '        '])}${rng.pick(['continued', '', 'more text'])}`);
  };
  if (rng.chance(0.05)) lines.push('From someone@example.com Mon Jan  1 00:00:00 2024');
  if (rng.chance(0.03)) lines.push(' leading continuation');
  if (mv !== null) header('Metadata-Version', mv);
  if (rng.chance(0.93)) header('Name', rng.chance(0.7) ? rng.pick(NAMES.slice(0, 5)) : rng.pick(NAMES));
  if (rng.chance(0.03)) header('Name', 'second');
  if (rng.chance(0.93)) header('Version', rng.chance(0.7) ? rng.pick(VERSIONS.slice(0, 5)) : rng.pick(VERSIONS));
  const nReq = rng.int(0, 4);
  for (let i = 0; i < nReq; i++) header('Requires-Dist', rng.chance(0.6) ? rng.pick(REQUIRES_DIST.slice(0, 4)) : rng.pick(REQUIRES_DIST));
  if (rng.chance(0.4)) header('Requires-Python', rng.chance(0.6) ? rng.pick(REQUIRES_PYTHON.slice(0, 4)) : rng.pick(REQUIRES_PYTHON));
  if (rng.chance(0.04)) header('Requires-Python', '>=3');
  const nExtra = rng.int(0, 3);
  for (let i = 0; i < nExtra; i++) header('Provides-Extra', rng.chance(0.7) ? rng.pick(EXTRAS.slice(0, 4)) : rng.pick(EXTRAS));
  const nOther = rng.int(0, 4);
  for (let i = 0; i < nOther; i++) {
    const [k, v] = rng.pick(OTHER);
    header(k, v);
  }
  if (rng.chance(0.04)) lines.push(': no name');
  if (rng.chance(0.03)) lines.push('From the middle of the headers');
  const bodyKind = rng.int(0, 6);
  if (bodyKind === 1) lines.push('', 'The long description.', '', 'Second paragraph.');
  else if (bodyKind === 2) lines.push('', '');
  else if (bodyKind === 3) lines.push('Not A Header line', 'rest');
  else if (bodyKind === 4) lines.push('', 'Name: not-a-header-in-the-body');
  else if (bodyKind === 5 && rng.chance(0.5)) lines.push('From the end');
  const eol = rng.pick(['\n', '\n', '\n', '\r\n', '\r']);
  let text = lines.join(eol);
  if (rng.chance(0.8)) text += eol;
  return { text, metadataVersion: mv };
}

const CASES: Generated[] = [];
for (let i = 0; i < 1000; i++) CASES.push(generateMetadata());
CASES.push({ text: '', metadataVersion: null }, { text: '\n\nbody only', metadataVersion: null });

type FieldOutcome = ['ok', unknown] | ['err', string];

interface RefCase {
  raw: Record<string, unknown>;
  unparsed: Record<string, string[]>;
  /** `Metadata.from_raw(raw)` succeeded. */
  valid: boolean;
  /**
   * Each field the resolver uses, enriched on its own (`from_raw(raw, validate=False)` then the
   * attribute), so a value error is seen even where from_raw stops at "field introduced in a later
   * metadata version".
   */
  fields: Record<'name' | 'version' | 'requires_dist' | 'requires_python' | 'provides_extra', FieldOutcome>;
}

const REF = `
from pip._vendor.packaging import metadata
out = []
for text in INPUT:
    raw, unparsed = metadata.parse_email(text)
    try:
        metadata.Metadata.from_raw(raw)
        valid = True
    except metadata.ExceptionGroup:
        valid = False
    fields = {}
    for key, show in [('name', str), ('version', str),
                      ('requires_dist', lambda v: None if v is None else [str(r) for r in v]),
                      ('requires_python', lambda v: None if v is None else str(v)),
                      ('provides_extra', lambda v: None if v is None else list(v))]:
        ins = metadata.Metadata.from_raw(raw, validate=False)
        try:
            fields[key] = ['ok', show(getattr(ins, key))]
        except metadata.InvalidMetadata as e:
            fields[key] = ['err', str(e)]
    out.append({'raw': raw, 'unparsed': unparsed, 'valid': valid, 'fields': fields})
emit(out)
`;

describe('METADATA vs packaging.metadata', () => {
  let reference: RefCase[];
  beforeAll(() => {
    reference = runReference<RefCase[]>(REF, CASES.map((c) => c.text));
  });

  it(`parseRawMetadata splits ${CASES.length} generated texts exactly like parse_email`, () => {
    const disagreements: unknown[] = [];
    CASES.forEach((c, i) => {
      const { raw, unparsed } = parseRawMetadata(c.text);
      const mine = { raw, unparsed: Object.fromEntries(unparsed) };
      const theirs = { raw: reference[i]!.raw, unparsed: reference[i]!.unparsed };
      const sortKeys = (o: Record<string, unknown>): string => JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (sortKeys(mine.raw) !== sortKeys(theirs.raw) || sortKeys(mine.unparsed) !== sortKeys(theirs.unparsed)) {
        disagreements.push({ text: c.text, mine, theirs });
      }
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
  });

  it('parseCoreMetadata accepts exactly when packaging validates those fields, and reads them identically', () => {
    const disagreements: unknown[] = [];
    const stats = { ok: 0, err: 0, packagingRefusesWholeFile: 0 };
    CASES.forEach((c, i) => {
      const ref = reference[i]!;
      let mine: CoreMetadata | null = null;
      let myErr: string | null = null;
      try {
        mine = parseCoreMetadata(c.text);
      } catch (e) {
        if (!isSneakpackError(e, 'INVALID_METADATA')) throw e;
        myErr = e.message;
      }
      // Our policy, stated independently of the implementation: the five fields as packaging
      // validates them, a Metadata-Version we read (2.0 and 2.4+ too), and no repeated single-use
      // field (packaging silently files those under "unparsed").
      const fieldsOk = Object.values(ref.fields).every(([k]) => k === 'ok');
      const mv = ref.raw.metadata_version;
      const mvOk = typeof mv === 'string' && (MV_BOTH.includes(mv) || MV_OURS_ONLY.includes(mv));
      const repeated = 'summary' in ref.unparsed || 'requires-python' in ref.unparsed;
      const expectOk = fieldsOk && mvOk && !repeated;
      if (expectOk !== (mine !== null)) {
        disagreements.push({ text: c.text, expectOk, myErr, theirs: ref.fields });
        return;
      }
      if (mine === null) {
        stats.err++;
        return;
      }
      stats.ok++;
      if (!ref.valid) stats.packagingRefusesWholeFile++;
      const got = {
        name: mine.name,
        version: mine.version.toString(),
        requires_dist: mine.requiresDist.length > 0 || ref.fields.requires_dist[1] !== null ? mine.requiresDist.map(String) : null,
        requires_python: mine.requiresPython === null ? null : mine.requiresPython.toString(),
        provides_extra: mine.providesExtra.length > 0 || ref.fields.provides_extra[1] !== null ? [...mine.providesExtra] : null,
      };
      const theirs = Object.fromEntries(Object.entries(ref.fields).map(([k, v]) => [k, v[1]]));
      if (JSON.stringify(got) !== JSON.stringify(theirs)) disagreements.push({ text: c.text, mine: got, theirs });
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(stats.ok).toBeGreaterThan(150);
    expect(stats.err).toBeGreaterThan(150);
    expect(stats.packagingRefusesWholeFile).toBeGreaterThan(5);
  });
});

describe('parseCoreMetadata', () => {
  const GOOD = 'Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nRequires-Dist: idna>=2\nProvides-Extra: Dev_All\n\nHello\n';

  it('reads the typed fields and keeps unknown ones raw', () => {
    const m = parseCoreMetadata(`${GOOD.replace('\n\n', '\nX-Thing: a\nx-thing: b\n\n')}`);
    expect(m.name).toBe('Foo_Bar');
    expect(m.normalizedName).toBe('foo-bar');
    expect(m.providesExtra).toEqual(['dev-all']);
    expect(m.description).toBe('Hello\n');
    expect(m.raw.get('x-thing')).toEqual(['a', 'b']);
    expect(m.metadataVersionIsNewer).toBe(false);
  });

  it('accepts a newer 2.x Metadata-Version with a flag, refuses 3.0', () => {
    expect(parseCoreMetadata(GOOD.replace('2.1', '2.7')).metadataVersionIsNewer).toBe(true);
    expect(() => parseCoreMetadata(GOOD.replace('2.1', '3.0'))).toThrow(expect.objectContaining({ code: 'INVALID_METADATA' }));
  });

  it('gathers every problem and names each field and value', () => {
    try {
      parseCoreMetadata('Metadata-Version: 2.1\nName: ok\nVersion: 1..0\nRequires-Dist: foo >>= 1\nRequires-Dist: bar (\n');
      expect.unreachable();
    } catch (e) {
      expect(isSneakpackError(e, 'INVALID_METADATA')).toBe(true);
      const msg = (e as Error).message;
      expect(msg).toContain("METADATA Requires-Dist 'foo >>= 1'");
      expect(msg).toContain("'bar ('");
      expect(msg).toContain("'1..0'");
      expect((e as { details: { problems: unknown[] } }).details.problems).toHaveLength(3);
    }
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => parseCoreMetadata(new Uint8Array([0x4e, 0x61, 0xff]))).toThrow(expect.objectContaining({ code: 'INVALID_METADATA' }));
  });
});

describe('serializeCoreMetadata / metadataFromFields', () => {
  it('writes what it reads back, and what packaging reads identically', () => {
    const fields = {
      name: 'Foo.Bar',
      version: '1.0-1',
      summary: 'A summary',
      requiresPython: '>=3.8',
      requiresDist: ['requests (>=2)', 'pytest ; extra == "test"'],
      providesExtra: ['test'],
      description: 'Line one\n\nFrom here on: the body\n',
      extra: [['Classifier', 'License :: OSI Approved'] as const],
    };
    const text = serializeCoreMetadata(fields);
    const m = metadataFromFields(fields);
    expect(m.version.toString()).toBe('1.0.post1');
    expect(m.description).toBe(fields.description);
    const [ref] = runReference<RefCase[]>(REF, [text]);
    expect(ref!.valid).toBe(true);
    expect(ref!.raw.description).toBe(fields.description);
    expect(ref!.fields).toEqual({
      name: ['ok', 'Foo.Bar'],
      version: ['ok', '1.0.post1'],
      requires_dist: ['ok', m.requiresDist.map(String)],
      requires_python: ['ok', '>=3.8'],
      provides_extra: ['ok', ['test']],
    });
  });

  it('refuses header values that would span lines', () => {
    expect(() => serializeCoreMetadata({ name: 'x', version: '1', summary: 'a\nb' })).toThrow(
      expect.objectContaining({ code: 'INVALID_METADATA' }),
    );
  });
});
