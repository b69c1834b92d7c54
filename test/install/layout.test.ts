import { describe, expect, it } from 'vitest';
import {
  type PlanMember,
  compareCodePoints,
  headersDirName,
  installedRecord,
  placeMember,
  planFiles,
  recordPathFor,
  schemeForWheel,
} from '../../src/install/layout.js';
import { serializeRecord } from '../../src/wheel/index.js';
import { codeOfSync } from '../helpers/errors.js';

const V = '/srv/app/venv';
const scheme = {
  purelib: `${V}/lib/python3.11/site-packages`,
  platlib: `${V}/lib64/python3.11/site-packages`,
  headers: `${V}/include/site/python3.11`,
  scripts: `${V}/bin`,
  data: V,
};

const codeOf = codeOfSync;

describe('scheme mapping', () => {
  it("puts headers under pip's per-project folder, named from the file name", () => {
    expect(headersDirName('Foo_Bar')).toBe('Foo-Bar');
    expect(schemeForWheel(scheme, 'Foo_Bar').headers).toBe(`${V}/include/site/python3.11/Foo-Bar`);
    expect(schemeForWheel(scheme, 'foo').scripts).toBe(`${V}/bin`);
  });

  it('sends root files to purelib or platlib and .data files to their scheme', () => {
    expect(placeMember('foo/__init__.py', true, 'w')).toEqual({ scheme: 'purelib', path: 'foo/__init__.py' });
    expect(placeMember('foo/__init__.py', false, 'w')).toEqual({ scheme: 'platlib', path: 'foo/__init__.py' });
    expect(placeMember('foo-1.0.data/scripts/tool', true, 'w')).toEqual({ scheme: 'scripts', path: 'tool' });
    expect(placeMember('foo-1.0.data/data/share/a/b.txt', true, 'w')).toEqual({ scheme: 'data', path: 'share/a/b.txt' });
    expect(placeMember('foo-1.0.data/platlib/x.so', true, 'w')).toEqual({ scheme: 'platlib', path: 'x.so' });
    // Only the first component decides: a package directory named like data is still a root file.
    expect(placeMember('pkg/foo.data/x', true, 'w')).toEqual({ scheme: 'purelib', path: 'pkg/foo.data/x' });
  });

  it('refuses .data members without a scheme key or with an unknown one', () => {
    expect(codeOf(() => placeMember('foo-1.0.data/scripts', true, 'w'))).toBe('INVALID_WHEEL_FILE');
    expect(codeOf(() => placeMember('foo-1.0.data/scripts/', true, 'w'))).toBe('INVALID_WHEEL_FILE');
    expect(codeOf(() => placeMember('foo-1.0.data/lib/x.py', true, 'w'))).toBe('INVALID_WHEEL_FILE');
    expect(codeOf(() => placeMember('foo.data', true, 'w'))).toBe('INVALID_WHEEL_FILE');
  });
});

describe('RECORD paths', () => {
  it('are relative to the directory holding .dist-info, as pip writes them', () => {
    const lib = scheme.purelib;
    expect(recordPathFor(`${lib}/foo/__init__.py`, lib)).toBe('foo/__init__.py');
    expect(recordPathFor(`${V}/bin/tool`, lib)).toBe('../../../bin/tool');
    expect(recordPathFor(`${V}/include/site/python3.11/Foo-Bar/foo.h`, lib)).toBe('../../../include/site/python3.11/Foo-Bar/foo.h');
    expect(recordPathFor(`${V}/share/foo/x`, lib)).toBe('../../../share/foo/x');
    expect(recordPathFor(`${scheme.platlib}/x.so`, lib)).toBe('../../../lib64/python3.11/site-packages/x.so');
  });

  it('are sorted by code point, RECORD itself with neither hash nor size', () => {
    const h = { algorithm: 'sha256', value: 'x' };
    const rows = installedRecord(
      [
        { path: 'b/\u{1F600}', hash: h, size: 1 },
        { path: 'b/\uFFFD', hash: h, size: 1 },
        { path: '../../../bin/z', hash: h, size: 2 },
        { path: 'B', hash: h, size: 3 },
      ],
      'foo-1.0.dist-info/RECORD',
    );
    expect(rows.map((r) => r.path)).toEqual(['../../../bin/z', 'B', 'b/\uFFFD', 'b/\u{1F600}', 'foo-1.0.dist-info/RECORD']);
    expect(serializeRecord(rows).endsWith('foo-1.0.dist-info/RECORD,,\n')).toBe(true);
    // JavaScript's default order (UTF-16) would put the astral character first.
    expect(['b/\uFFFD', 'b/\u{1F600}'].sort()).toEqual(['b/\u{1F600}', 'b/\uFFFD']);
    expect(compareCodePoints('b/\uFFFD', 'b/\u{1F600}')).toBeLessThan(0);
  });
});

describe('planFiles', () => {
  const ctx = {
    wheel: 'foo-1.0-py3-none-any.whl',
    distInfoDir: 'foo-1.0.dist-info',
    rootIsPurelib: true,
    dirs: schemeForWheel(scheme, 'foo'),
    scriptNames: new Set(['foo-cli']),
    exclude: new Set(['foo-1.0.dist-info/RECORD']),
  };
  const m = (name: string, executable = false): PlanMember => ({ name, isDirectory: name.endsWith('/'), executable });

  it('places, moves and skips', () => {
    const plan = planFiles(
      [
        m('foo/'),
        m('foo/__init__.py'),
        m('foo/run.sh', true),
        m('foo-1.0.data/scripts/tool'),
        m('foo-1.0.data/scripts/foo-cli'),
        m('foo-1.0.data/scripts/foo-cli-script.py'),
        m('foo-1.0.data/headers/foo.h'),
        m('foo-1.0.dist-info/METADATA'),
        m('foo-1.0.dist-info/RECORD'),
      ],
      ctx,
    );
    expect(plan.files.map((f) => [f.member, f.dest, f.recordPath, f.mode.toString(8), f.isScript])).toEqual([
      ['foo/__init__.py', `${scheme.purelib}/foo/__init__.py`, 'foo/__init__.py', '644', false],
      ['foo/run.sh', `${scheme.purelib}/foo/run.sh`, 'foo/run.sh', '755', false],
      ['foo-1.0.data/scripts/tool', `${V}/bin/tool`, '../../../bin/tool', '755', true],
      ['foo-1.0.data/headers/foo.h', `${V}/include/site/python3.11/foo/foo.h`, '../../../include/site/python3.11/foo/foo.h', '644', false],
      ['foo-1.0.dist-info/METADATA', `${scheme.purelib}/foo-1.0.dist-info/METADATA`, 'foo-1.0.dist-info/METADATA', '644', false],
    ]);
    expect(plan.skipped).toEqual(['foo-1.0.data/scripts/foo-cli', 'foo-1.0.data/scripts/foo-cli-script.py']);
  });

  it('refuses two members on one path, and a file where a directory must be', () => {
    expect(codeOf(() => planFiles([m('x.py'), m('foo-1.0.data/purelib/x.py')], ctx))).toBe('INSTALL_CONFLICT');
    expect(codeOf(() => planFiles([m('foo/a'), m('foo/a/b.py')], ctx))).toBe('INSTALL_CONFLICT');
  });

  it('refuses every path that leaves its scheme directory', () => {
    for (const bad of ['../evil.py', 'foo/../../evil.py', '/etc/passwd', 'foo-1.0.data/data/../../x', 'foo-1.0.data/scripts/../x', 'a//b', './a']) {
      expect(codeOf(() => planFiles([m(bad)], ctx)), bad).toBe('UNSAFE_PATH');
    }
  });
});
