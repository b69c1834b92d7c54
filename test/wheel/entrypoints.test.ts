/**
 * entry_points.txt: the INI reader and the object-reference pattern, differential against Python's
 * `configparser` set up as pypa/installer sets it up (`ConfigParser(delimiters="=")`,
 * `optionxform = str`, `items(section)`) and the importlib.metadata pattern; then our script policy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { readEntryPointsIni } from '../../src/wheel/entrypoints.js';
import { consoleScripts, guiScripts, parseEntryPoints, parseObjectReference } from '../../src/wheel/index.js';
import { runReference } from '../helpers/reference.js';
import { Rng } from '../helpers/random.js';

const rng = new Rng(2020_0405);

const SECTIONS = ['[console_scripts]', '[gui_scripts]', '[DEFAULT]', '[my.plugins]', '[ spaced ]', '[a]b]', '[Console_Scripts]', '[]'];
const LINES = [
  'foo = pkg.mod:main', 'Foo=pkg:main [extra1, extra2]', 'bar = pkg', 'baz = pkg:obj.attr', 'a:b = x:y', 'noequals',
  '= novalue', '  continued', '\tpkg:other', '# comment', '; comment', '', '   ', 'dup = x:y', 'dup = x:z',
  'pct = %(foo)s', 'pct2 = 100%%', 'bad = 5%', 'x = pkg:main extra', 'ünï = pkg:main', 'sp ace = a.b : c [ x ]',
  'empty =', 'deep = %(pct)s', 'weird = mod:attr [', 'tab\t= m:f', 'x==y = m:f', 'cr = m:f\r', 'foo=pkg:main#c',
  'ref = %(missing)s', 'n = 日本:語',
];

function generateIni(): string {
  const lines: string[] = [];
  if (rng.chance(0.9)) lines.push(rng.pick(SECTIONS.slice(0, 2)));
  const n = rng.int(0, 8);
  for (let i = 0; i < n; i++) {
    lines.push(rng.chance(0.12) ? rng.pick(SECTIONS) : rng.chance(0.5) ? rng.pick(LINES.slice(0, 4)) : rng.pick(LINES));
  }
  const eol = rng.pick(['\n', '\n', '\r\n']);
  return lines.join(eol) + (rng.chance(0.8) ? eol : '');
}

const TEXTS = [...new Set(Array.from({ length: 1200 }, generateIni))];

type RefItem = [string, string, [string, string | null, string | null] | null];
type RefOutcome = ['ok', [string, RefItem[]][]] | ['err', string];

const REF = `
import configparser, re
PATTERN = re.compile(r"(?P<module>[\\w.]+)\\s*(:\\s*(?P<attr>[\\w.]+)\\s*)?((?P<extras>\\[.*\\])\\s*)?$")
out = []
for text in INPUT:
    try:
        config = configparser.ConfigParser(delimiters="=")
        config.optionxform = str
        config.read_string(text)
        groups = []
        for section in config.sections():
            items = []
            for name, value in config.items(section):
                m = PATTERN.match(value)
                items.append([name, value, [m.group('module'), m.group('attr'), m.group('extras')] if m else None])
            groups.append([section, items])
        out.append(['ok', groups])
    except configparser.Error as e:
        out.append(['err', type(e).__name__])
emit(out)
`;

describe('entry_points.txt vs configparser (as installer reads it)', () => {
  let reference: RefOutcome[];
  beforeAll(() => {
    reference = runReference<RefOutcome[]>(REF, TEXTS);
  });

  it(`reads ${TEXTS.length} generated files into the same sections, items and references`, () => {
    const disagreements: unknown[] = [];
    const stats = { ok: 0, err: 0, references: 0, nonReferences: 0 };
    TEXTS.forEach((text, i) => {
      const theirs = reference[i]!;
      let mine: RefOutcome;
      try {
        mine = [
          'ok',
          readEntryPointsIni(text).map(([section, items]) => [
            section,
            items.map(([name, value]): RefItem => {
              try {
                const r = parseObjectReference(value);
                // Compare the raw bracket text; parseObjectReference also splits it.
                const raw = /(\[[^\n]*\])[\s]*$/u.exec(value)?.[1] ?? null;
                stats.references++;
                return [name, value, [r.module, r.attr, r.extras.length > 0 || raw !== null ? raw : null]];
              } catch (e) {
                if (!isSneakpackError(e, 'INVALID_ENTRY_POINTS')) throw e;
                stats.nonReferences++;
                return [name, value, null];
              }
            }),
          ]),
        ];
      } catch (e) {
        if (!isSneakpackError(e, 'INVALID_ENTRY_POINTS')) throw e;
        mine = ['err', e.message];
      }
      if (mine[0] !== theirs[0] || (mine[0] === 'ok' && JSON.stringify(mine[1]) !== JSON.stringify(theirs[1]))) {
        disagreements.push({ text, mine, theirs });
      }
      stats[mine[0]]++;
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(stats.ok).toBeGreaterThan(300);
    expect(stats.err).toBeGreaterThan(200);
    expect(stats.references).toBeGreaterThan(500);
    expect(stats.nonReferences).toBeGreaterThan(50);
  });
});

describe('parseEntryPoints', () => {
  it('reads groups, names (case kept), modules, attributes and extras', () => {
    const eps = parseEntryPoints(
      '[console_scripts]\nFoo = pkg.cli:main [color, fast]\nfoo = pkg.cli:Main.run\n\n[gui_scripts]\nfoo-gui = pkg.gui:main\n' +
        '# comment\n[pytest11]\nplug = pkg.plugin\n',
    );
    expect(eps).toEqual([
      { group: 'console_scripts', name: 'Foo', value: 'pkg.cli:main [color, fast]', module: 'pkg.cli', attr: 'main', extras: ['color', 'fast'] },
      { group: 'console_scripts', name: 'foo', value: 'pkg.cli:Main.run', module: 'pkg.cli', attr: 'Main.run', extras: [] },
      { group: 'gui_scripts', name: 'foo-gui', value: 'pkg.gui:main', module: 'pkg.gui', attr: 'main', extras: [] },
      { group: 'pytest11', name: 'plug', value: 'pkg.plugin', module: 'pkg.plugin', attr: null, extras: [] },
    ]);
    expect(consoleScripts(eps).map((e) => e.name)).toEqual(['Foo', 'foo']);
    expect(guiScripts(eps).map((e) => e.name)).toEqual(['foo-gui']);
  });

  it.each([
    ['[console_scripts]\n../../evil = pkg:main\n', 'path traversal'],
    ['[console_scripts]\nsub/dir = pkg:main\n', 'slash'],
    ['[gui_scripts]\nc:\\\\x = pkg:main\n', 'backslash'],
    ['[console_scripts]\n.. = pkg:main\n', 'dot-dot'],
    ['[console_scripts]\nfoo = pkg\n', 'no function'],
    ['[console_scripts]\nfoo = pkg:main extra\n', 'not a reference'],
    ['[plugins]\nfoo = not a reference\n', 'not a reference in another group'],
    ['foo = pkg:main\n', 'no section'],
    ['[console_scripts]\nfoo = a:b\nfoo = c:d\n', 'duplicate'],
    ['[console_scripts]\nfoo\n', 'no ='],
    ['[console_scripts]\nfoo = 5%\n', 'bad interpolation'],
  ])('refuses %j (%s)', (text) => {
    expect(() => parseEntryPoints(text)).toThrow(expect.objectContaining({ code: 'INVALID_ENTRY_POINTS' }));
  });

  it('names the group, name and value in the message', () => {
    expect(() => parseEntryPoints('[console_scripts]\n../x = pkg:main\n')).toThrow(
      /entry_points.txt \[console_scripts\] \.\.\/x: script name "\.\.\/x" is unsafe/,
    );
  });
});
