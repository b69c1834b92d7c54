import { describe, expect, it } from 'vitest';
import { SneakpackError } from '../../src/errors.js';
import {
  canonicalizeName,
  evaluateMarker,
  isValidName,
  parseMarker,
  parseRequirement,
  type MarkerEnvironment,
} from '../../src/pep508/index.js';

/** debian12-armv7l-cp311 as captured (see /work/shared/targets). */
const ARMV7L: MarkerEnvironment = {
  implementation_name: 'cpython',
  implementation_version: '3.11.2',
  os_name: 'posix',
  platform_machine: 'armv7l',
  platform_release: '6.18.44-fc-v657',
  platform_system: 'Linux',
  platform_version: '#1 SMP PREEMPT_DYNAMIC @0',
  python_full_version: '3.11.2',
  platform_python_implementation: 'CPython',
  python_version: '3.11',
  sys_platform: 'linux',
};

/** The error `fn` throws; fails the test when it does not throw a SneakpackError. */
function thrown(fn: () => unknown): SneakpackError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SneakpackError);
    return e as SneakpackError;
  }
  throw new Error('expected an error');
}

describe('canonicalizeName / isValidName', () => {
  it('collapses runs of -_. and lower-cases (PEP 503)', () => {
    expect(canonicalizeName('Foo.Bar__baz')).toBe('foo-bar-baz');
    expect(canonicalizeName('zope.interface')).toBe('zope-interface');
    expect(canonicalizeName('A-_.-B')).toBe('a-b');
    expect(canonicalizeName('-x-')).toBe('-x-');
  });

  it('accepts PEP 508 names only', () => {
    for (const ok of ['a', 'A1', 'zope.interface', 'foo_bar-baz', '1']) expect(isValidName(ok)).toBe(true);
    for (const bad of ['', '-a', 'a-', 'a b', 'é', 'foo\n', 'a!', '\u212aelvin']) expect(isValidName(bad)).toBe(false);
  });
});

describe('parseMarker: syntax and printing', () => {
  it('prints as packaging: double quotes, single spaces, canonical variable names', () => {
    expect(parseMarker("python_version>='3.8'").toString()).toBe('python_version >= "3.8"');
    expect(parseMarker('os.name=="posix" and\tsys.platform != "win32"').toString()).toBe(
      'os_name == "posix" and sys_platform != "win32"',
    );
    expect(parseMarker('python_implementation == "CPython"').toString()).toBe(
      'platform_python_implementation == "CPython"',
    );
    expect(parseMarker('platform.machine not  in "x86_64 aarch64"').toString()).toBe(
      'platform_machine not in "x86_64 aarch64"',
    );
  });

  it('keeps the parentheses that matter and drops the ones around a single atom', () => {
    expect(parseMarker('(os_name == "a" or os_name == "b") and os_name == "c"').toString()).toBe(
      '(os_name == "a" or os_name == "b") and os_name == "c"',
    );
    expect(parseMarker('((os_name == "a"))').toString()).toBe('os_name == "a"');
    // packaging 24.1 drops the inner pair here too; printing is lossy, evaluation is not.
    const m = parseMarker('((os_name == "a" or os_name == "b")) and os_name == "c"');
    expect(m.toString()).toBe('os_name == "a" or os_name == "b" and os_name == "c"');
    expect(m.evaluate({ os_name: 'a' })).toBe(false);
    expect(parseMarker(m.toString()).evaluate({ os_name: 'a' })).toBe(true);
  });

  it('normalises the extra only in the first comparison, as packaging does', () => {
    expect(parseMarker('extra == "Foo_Bar"').toString()).toBe('extra == "foo-bar"');
    expect(parseMarker('"Foo_Bar" == extra').toString()).toBe('"foo-bar" == extra');
    expect(parseMarker('os_name == "x" and extra == "Foo_Bar"').toString()).toBe(
      'os_name == "x" and extra == "Foo_Bar"',
    );
  });

  it('decodes Python string escapes in literals', () => {
    const m = parseMarker('os_name == "\\x70osix" and platform_version in \'#1\\tSMP\'');
    expect(m.toString()).toBe('os_name == "posix" and platform_version in "#1\tSMP"');
    expect(parseMarker('os_name == "\\d"').toString()).toBe('os_name == "\\d"');
  });

  it('accepts a trailing newline, like Python\'s $', () => {
    expect(parseMarker('os_name == "posix"\n').toString()).toBe('os_name == "posix"');
  });

  it('is immutable', () => {
    const m = parseMarker('os_name == "posix" and (python_version > "3" or extra == "x")');
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.expression)).toBe(true);
    expect(Object.isFrozen(m.expression[0])).toBe(true);
    expect(Object.isFrozen(m.expression[2])).toBe(true);
  });

  it('lists the environment keys evaluation reads', () => {
    expect(parseMarker('python_version >= "3.8" and (os.name == "nt" or "3" < python_version)').variables()).toEqual([
      'os_name',
      'python_version',
    ]);
    expect(parseMarker('extra == "a" or platform_release >= "5"').variables()).toEqual(['extra', 'platform_release']);
  });

  it.each([
    ['', 'Expected a marker variable or quoted string'],
    ['python_version', 'Expected marker operator'],
    ['python_version = "3"', 'Expected marker operator'],
    ['python_version >= "3" and', 'Expected a marker variable or quoted string'],
    ['(os_name == "a"', 'Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression'],
    ['os_name notin "a"', 'Expected marker operator'],
    ['os_name not "a"', "Expected 'in' after 'not'"],
    ['platform.release == "x"', 'Expected a marker variable or quoted string'],
    ['os_name == "a" foo', 'Expected end of marker expression'],
    ['os_name == "unterminated', 'Expected a marker variable or quoted string'],
    ['os_name == "\\x4"', 'Invalid string literal'],
    // The token is `"ends\"` (the regex knows no escapes), then the backslash eats the quote.
    ['os_name == "ends\\"', 'Invalid string literal (unterminated string literal)'],
  ])('rejects %j with INVALID_MARKER', (text, reason) => {
    const e = thrown(() => parseMarker(text));
    expect(e.code).toBe('INVALID_MARKER');
    expect(e.message).toContain(JSON.stringify(text));
    expect(e.message).toContain(reason);
    expect(e.message).toMatch(/\n {4}.*\n {4} *\^+$/);
  });

  it('puts the caret where packaging does', () => {
    const e = thrown(() => parseMarker('python_version >= "3" andd os_name == "a"'));
    expect(e.details.span).toEqual([22, 22]);
    expect(e.message.split('\n').at(-1)).toBe(`    ${' '.repeat(22)}^`);
  });
});

describe('Marker#evaluate', () => {
  it('compares versions as PEP 440 versions, not strings', () => {
    expect(evaluateMarker('python_version >= "3.8"', ARMV7L)).toBe(true);
    expect(evaluateMarker('python_version < "3.9"', ARMV7L)).toBe(false); // "3.11" < "3.9" as strings
    expect(evaluateMarker('python_version == "3.11.*"', ARMV7L)).toBe(true);
    expect(evaluateMarker('python_full_version ~= "3.11.0"', ARMV7L)).toBe(true);
    expect(evaluateMarker('python_version === "3.11"', ARMV7L)).toBe(true);
  });

  it('accepts pre-releases of the target interpreter', () => {
    const rc = { ...ARMV7L, python_full_version: '3.13.0rc1' };
    expect(evaluateMarker('python_full_version >= "3.13.0rc1"', rc)).toBe(true);
    expect(evaluateMarker('python_full_version >= "3.13"', rc)).toBe(false);
    expect(evaluateMarker('python_full_version >= "3.12"', rc)).toBe(true);
  });

  it('handles reversed operands', () => {
    // Specifier("<3.11").contains("3.8"): reads as "3.8 < 3.11".
    expect(evaluateMarker('"3.8" < python_version', ARMV7L)).toBe(true);
    expect(evaluateMarker('"3.12" > python_version', ARMV7L)).toBe(true);
    expect(evaluateMarker('"3.12" < python_version', ARMV7L)).toBe(false);
    expect(evaluateMarker('"arm" in platform_machine', ARMV7L)).toBe(true);
  });

  it('falls back to string comparison when op + value is not a specifier', () => {
    expect(evaluateMarker('platform_machine == "armv7l"', ARMV7L)).toBe(true);
    expect(evaluateMarker('os_name < "z"', ARMV7L)).toBe(true);
    expect(evaluateMarker('platform_machine in "x86_64 armv7l"', ARMV7L)).toBe(true);
    expect(evaluateMarker('platform_machine not in "x86_64 aarch64"', ARMV7L)).toBe(true);
    expect(evaluateMarker('sys_platform != "linux"', ARMV7L)).toBe(false);
  });

  it('normalises extras on both sides and defaults extra to ""', () => {
    const m = parseMarker('os_name == "posix" and extra == "Foo_Bar"');
    expect(m.evaluate({ ...ARMV7L, extra: 'foo-bar' })).toBe(true);
    expect(m.evaluate({ ...ARMV7L, extra: 'FOO.bar' })).toBe(true);
    expect(m.evaluate({ ...ARMV7L, extra: 'other' })).toBe(false);
    expect(m.evaluate(ARMV7L)).toBe(false);
    expect(m.evaluate(ARMV7L, { extra: 'foo__bar' })).toBe(true);
    expect(parseMarker('extra == ""').evaluate(ARMV7L)).toBe(true);
  });

  it('throws UNDEFINED_MARKER_VARIABLE for a variable the target lacks, even when the result is decided', () => {
    const { platform_release: _, ...compact } = ARMV7L;
    const text = 'python_version >= "3" or platform_release >= "5"';
    const e = thrown(() => evaluateMarker(text, compact));
    expect(e.code).toBe('UNDEFINED_MARKER_VARIABLE');
    expect(e.details.variable).toBe('platform_release');
    expect(e.message).toContain('platform_release');
    expect(e.message).toContain('python_version >= "3" or platform_release >= "5"');
    expect(evaluateMarker('python_version >= "3"', compact)).toBe(true);
  });

  it('throws INVALID_MARKER_COMPARISON where packaging raises InvalidVersion', () => {
    const e = thrown(() => evaluateMarker('platform_release >= "5.10"', ARMV7L)); // 6.18.44-fc-v657
    expect(e.code).toBe('INVALID_MARKER_COMPARISON');
    expect(e.details.reason).toBe('InvalidVersion');
    expect(e.message).toContain('6.18.44-fc-v657');
    expect(thrown(() => evaluateMarker('os_name === "posix"', ARMV7L)).details.reason).toBe('InvalidVersion');
  });

  it('throws INVALID_MARKER_COMPARISON where packaging raises UndefinedComparison', () => {
    const e = thrown(() => evaluateMarker('os_name ~= "posix"', ARMV7L));
    expect(e.code).toBe('INVALID_MARKER_COMPARISON');
    expect(e.details.reason).toBe('UndefinedComparison');
  });

  it('never reads the running process', () => {
    expect(thrown(() => evaluateMarker('sys_platform == "linux"', {})).code).toBe('UNDEFINED_MARKER_VARIABLE');
  });
});

describe('parseRequirement', () => {
  it('splits name, extras, specifier and marker', () => {
    const r = parseRequirement('Requests [socks, Security,socks] >= 2.8.1 , <3 ; python_version >= "3.8"');
    expect(r.name).toBe('Requests');
    expect(r.extras).toEqual(['Security', 'socks']);
    expect(r.specifier.toString()).toBe('<3,>=2.8.1');
    expect(r.url).toBeNull();
    expect(r.marker?.toString()).toBe('python_version >= "3.8"');
    expect(r.toString()).toBe('Requests[Security,socks]<3,>=2.8.1; python_version >= "3.8"');
    expect(Object.isFrozen(r)).toBe(true);
  });

  it('accepts parenthesised specifiers and bare names', () => {
    expect(parseRequirement('foo (>=1.0,<2)').toString()).toBe('foo<2,>=1.0');
    const bare = parseRequirement('  zope.interface  ');
    expect(bare.toString()).toBe('zope.interface');
    expect(bare.specifier.specifiers).toHaveLength(0);
    expect(bare.marker).toBeNull();
  });

  it('parses direct references, printed as packaging 24.1 prints them', () => {
    const r = parseRequirement('pkg @ file:///wheels/pkg-1.0-py3-none-any.whl ; extra == "Foo_Bar"');
    expect(r.url).toBe('file:///wheels/pkg-1.0-py3-none-any.whl');
    expect(r.marker?.toString()).toBe('extra == "foo-bar"');
    expect(r.toString()).toBe('pkg@ file:///wheels/pkg-1.0-py3-none-any.whl ; extra == "foo-bar"');
    // Without whitespace the ';' is part of the URL.
    expect(parseRequirement('pkg @ https://x/a;b').url).toBe('https://x/a;b');
  });

  it.each([
    ['', 'Expected package name at the start of dependency specifier'],
    ['foo >= 1.0 python_version', 'Expected end or semicolon (after version specifier)'],
    ['foo bar', 'Expected end or semicolon (after name and no valid version specifier)'],
    ['foo[a b]', 'Expected comma between extra names'],
    ['foo[a,]', 'Expected extra name after comma'],
    ['foo (>=1.0', 'Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier'],
    ['foo >=1.0.*', '.* suffix can only be used with `==` or `!=` operators'],
    ['foo >=1.0+local', 'Local version label can only be used with `==` or `!=` operators'],
    ['foo @ ', 'Expected URL after @'],
    ['foo @ https://x python_version > "3"', 'Expected end or semicolon (after URL and whitespace)'],
    ['foo ; python_version >', 'Expected a marker variable or quoted string'],
    ['foo ===foo,<1.0.*', 'Invalid specifier'],
  ])('rejects %j with INVALID_REQUIREMENT', (text, reason) => {
    const e = thrown(() => parseRequirement(text));
    expect(e.code).toBe('INVALID_REQUIREMENT');
    expect(e.message).toContain(JSON.stringify(text));
    expect(e.message).toContain(reason);
  });

  it('shows the input with a caret under the problem', () => {
    const e = thrown(() => parseRequirement('requests >= 2.0 python_version'));
    expect(e.message).toBe(
      'Invalid requirement "requests >= 2.0 python_version": Expected end or semicolon (after version specifier)\n' +
        '    requests >= 2.0 python_version\n' +
        '             ^^^^^^^^',
    );
  });
});
