/**
 * `entry_points.txt` — entry points specification, "File format": an INI file read by Python's
 * `configparser` with `=` as the only delimiter and case-sensitive keys, as pypa/installer and
 * `importlib.metadata` read it; each value is an object reference `module[:attr] [extras]`.
 * The `console_scripts` and `gui_scripts` groups name the scripts an installer writes.
 */
import { SneakpackError } from '../errors.js';
import { PY_SPACE_CLASS, PY_WORD_CLASS, isPySpace, pyRstrip, pyStrip } from './pystr.js';

/** One entry point (entry points spec, "Data model"). */
export interface EntryPoint {
  /** Group (INI section), e.g. `console_scripts`. */
  readonly group: string;
  /** Name within the group (case-sensitive), e.g. the script name. */
  readonly name: string;
  /** The value as written (after `configparser` joining and `%` interpolation). */
  readonly value: string;
  /** Importable module, e.g. `foo.cli`. */
  readonly module: string;
  /** Object within the module, e.g. `main` or `App.run`; `null` when the reference is a module. */
  readonly attr: string | null;
  /** Extras from `[a, b]`, stripped, empties dropped (deprecated by the spec, kept for display). */
  readonly extras: readonly string[];
}

/** The groups whose entries become scripts (entry points spec, "Use for scripts"). */
export const SCRIPT_GROUPS = Object.freeze(['console_scripts', 'gui_scripts'] as const);

/** configparser's `DEFAULTSECT`: its keys appear in every other section. */
const DEFAULT_SECTION = 'DEFAULT';

/** configparser's `MAX_INTERPOLATION_DEPTH`. */
const MAX_INTERPOLATION_DEPTH = 10;

/**
 * importlib.metadata / installer object reference pattern:
 * `(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$`.
 */
const OBJECT_REFERENCE = new RegExp(
  `^([${PY_WORD_CLASS}.]+)[${PY_SPACE_CLASS}]*(?::[${PY_SPACE_CLASS}]*([${PY_WORD_CLASS}.]+)[${PY_SPACE_CLASS}]*)?` +
    `(?:(\\[[^\\n]*\\])[${PY_SPACE_CLASS}]*)?$`,
  'u',
);

function fail(message: string, details: Record<string, unknown> = {}): SneakpackError {
  return new SneakpackError('INVALID_ENTRY_POINTS', message, { details });
}

/**
 * Read INI text as `ConfigParser(delimiters="=")` with `optionxform = str` reads it
 * (`read_string`), returning `[section, [[key, value], …]]` pairs as `items(section)` gives them
 * (DEFAULT keys first, `%` interpolation applied). Internal; exported for tests.
 */
export function readEntryPointsIni(text: string, file = 'entry_points.txt'): [string, [string, string][]][] {
  const sections = new Map<string, Map<string, string[]>>();
  const defaults = new Map<string, string[]>();
  const added = new Set<string>();
  const errors: string[] = [];
  let cursect: Map<string, string[]> | null = null;
  let sectname: string | null = null;
  let optname: string | null = null;
  let indentLevel = 0;
  // StringIO iteration: lines end at '\n' only.
  const lines = text.split(/(?<=\n)/);
  lines.forEach((line, index) => {
    const lineno = index + 1;
    const stripped = pyStrip(line);
    const clean = stripped.startsWith('#') || stripped.startsWith(';') ? '' : stripped;
    if (clean === '') {
      // empty_lines_in_values: a blank (not comment) line inside a value is kept.
      if (stripped === '' && cursect !== null && optname) cursect.get(optname)!.push('');
      return;
    }
    let indent = 0;
    while (indent < line.length && isPySpace(line[indent]!)) indent++;
    if (cursect !== null && optname && indent > indentLevel) {
      cursect.get(optname)!.push(clean);
      return;
    }
    indentLevel = indent;
    const header = /^\[([^\n]+)\]/.exec(clean);
    if (!header && cursect === null) {
      throw fail(`${file} line ${lineno}: ${JSON.stringify(line)} comes before any [section] header`, { file, line: lineno });
    }
    if (header) {
      sectname = header[1]!;
      if (sections.has(sectname)) {
        if (added.has(`s:${sectname}`)) {
          throw fail(`${file} line ${lineno}: section [${sectname}] appears twice`, { file, line: lineno, section: sectname });
        }
        cursect = sections.get(sectname)!;
        added.add(`s:${sectname}`);
      } else if (sectname === DEFAULT_SECTION) {
        cursect = defaults;
      } else {
        cursect = new Map();
        sections.set(sectname, cursect);
        added.add(`s:${sectname}`);
      }
      optname = null;
      return;
    }
    const eq = clean.indexOf('=');
    if (eq < 0) {
      errors.push(`line ${lineno}: ${JSON.stringify(line)} is neither [section] nor name = value`);
      return;
    }
    const key = pyRstrip(clean.slice(0, eq));
    const value = pyStrip(clean.slice(eq + 1));
    if (key === '') errors.push(`line ${lineno}: ${JSON.stringify(line)} has no name before '='`);
    optname = key;
    const id = `o:${sectname}\u0000${key}`;
    if (added.has(id)) {
      throw fail(`${file} line ${lineno}: '${key}' appears twice in [${sectname}]`, { file, line: lineno, section: sectname, name: key });
    }
    added.add(id);
    cursect!.set(key, [value]);
  });
  if (errors.length > 0) {
    throw fail(`${file} has syntax errors:\n${errors.map((e) => `  ${file} ${e}`).join('\n')}`, { file, errors });
  }
  const join = (v: string[]): string => pyRstrip(v.join('\n'));
  const out: [string, [string, string][]][] = [];
  for (const [section, options] of sections) {
    const d = new Map<string, string>();
    for (const [k, v] of defaults) d.set(k, join(v));
    for (const [k, v] of options) d.set(k, join(v));
    const items: [string, string][] = [];
    for (const [k, v] of d) items.push([k, interpolate(v, d, section, k, file)]);
    out.push([section, items]);
  }
  return out;
}

/** configparser `BasicInterpolation.before_get`: `%%` → `%`, `%(name)s` → that option's value. */
function interpolate(value: string, map: Map<string, string>, section: string, option: string, file: string): string {
  const acc: string[] = [];
  const some = (rest: string, depth: number): void => {
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw fail(`${file} [${section}] ${option}: '%(…)s' references nest deeper than ${MAX_INTERPOLATION_DEPTH}`, { section, name: option });
    }
    while (rest) {
      const p = rest.indexOf('%');
      if (p < 0) {
        acc.push(rest);
        return;
      }
      if (p > 0) {
        acc.push(rest.slice(0, p));
        rest = rest.slice(p);
      }
      const c = rest.slice(1, 2);
      if (c === '%') {
        acc.push('%');
        rest = rest.slice(2);
      } else if (c === '(') {
        const m = /^%\(([^)]+)\)s/.exec(rest);
        if (!m) throw fail(`${file} [${section}] ${option}: bad '%' reference in ${JSON.stringify(value)}`, { section, name: option, value });
        rest = rest.slice(m[0].length);
        const v = map.get(m[1]!);
        if (v === undefined) {
          throw fail(`${file} [${section}] ${option}: ${JSON.stringify(value)} refers to undefined '${m[1]}'`, { section, name: option, value });
        }
        if (v.includes('%')) some(v, depth + 1);
        else acc.push(v);
      } else {
        throw fail(
          `${file} [${section}] ${option}: '%' must be followed by '%' or '(' in ${JSON.stringify(value)} (write '%%' for a percent sign)`,
          { section, name: option, value },
        );
      }
    }
  };
  some(value, 1);
  return acc.join('');
}

/**
 * Parse an object reference (entry points spec, "Data model"): `module[:attr] [extras]`, as the
 * importlib.metadata pattern does.
 *
 * @throws SneakpackError `INVALID_ENTRY_POINTS` when `value` is not one.
 */
export function parseObjectReference(value: string, where = 'entry point'): { module: string; attr: string | null; extras: string[] } {
  const m = OBJECT_REFERENCE.exec(value);
  if (!m) {
    throw fail(`${where}: ${JSON.stringify(value)} is not an object reference 'module:attr [extras]'`, { value });
  }
  const extras = m[3] ? m[3].slice(1, -1).split(',').map((e) => pyStrip(e)).filter((e) => e !== '') : [];
  return { module: m[1]!, attr: m[2] ?? null, extras };
}

/** Why `name` cannot be a script file name, or `null` when it can. */
export function unsafeScriptName(name: string): string | null {
  if (name === '') return 'it is empty';
  if (/[/\\]/.test(name)) return 'it contains a path separator';
  if (name.includes('..')) return "it contains '..'";
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  return null;
}

/**
 * Parse `entry_points.txt` (entry points specification, "File format") into entry points, in file
 * order. Every value must be an object reference; in `console_scripts` and `gui_scripts` it must
 * name an attribute (`module:func`, as installer requires) and the name must be usable as a file
 * name in `bin/` — no path separator, no `..`, no control character — so an installer can never
 * be steered outside its scripts directory.
 *
 * Stricter than installer, which only checks the script groups: a malformed value in any group
 * is an error here.
 *
 * @throws SneakpackError `INVALID_ENTRY_POINTS` naming the file, group, name and value.
 */
export function parseEntryPoints(text: string, file = 'entry_points.txt'): EntryPoint[] {
  const out: EntryPoint[] = [];
  for (const [group, items] of readEntryPointsIni(text, file)) {
    const isScript = (SCRIPT_GROUPS as readonly string[]).includes(group);
    for (const [name, value] of items) {
      const where = `${file} [${group}] ${name}`;
      const ref = parseObjectReference(value, where);
      if (isScript) {
        if (ref.attr === null) {
          throw fail(`${where}: ${JSON.stringify(value)} names no function (scripts need 'module:function')`, { file, group, name, value });
        }
        const unsafe = unsafeScriptName(name);
        if (unsafe) {
          throw fail(`${where}: script name ${JSON.stringify(name)} is unsafe: ${unsafe}`, { file, group, name, value });
        }
      }
      out.push(Object.freeze({ group, name, value, module: ref.module, attr: ref.attr, extras: Object.freeze(ref.extras) }));
    }
  }
  return out;
}

/** The `console_scripts` entry points (scripts run in a console). */
export function consoleScripts(entryPoints: readonly EntryPoint[]): EntryPoint[] {
  return entryPoints.filter((e) => e.group === 'console_scripts');
}

/** The `gui_scripts` entry points (scripts run without a console on Windows). */
export function guiScripts(entryPoints: readonly EntryPoint[]): EntryPoint[] {
  return entryPoints.filter((e) => e.group === 'gui_scripts');
}
