/**
 * Seeded generators of PEP 508 markers, requirement strings and names for the differential
 * tests. They aim at the corners: every operator and variable spelling, both quote styles,
 * whitespace and parenthesis variants, escapes in literals, reversed operands, values that are
 * and are not versions, and a share of deliberately broken inputs.
 */
import { ENVIRONMENT_VARIABLES } from '../../src/pep508/index.js';
import { TARGETS_DIR } from '../helpers/targets.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from '../helpers/random.js';


/** The `marker_environment` of every captured target (real machines: x86_64, aarch64, armv7l). */
export function targetEnvironments(): Record<string, string>[] {
  return readdirSync(TARGETS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(TARGETS_DIR, f), 'utf8')).marker_environment as Record<string, string>);
}

export const VARIABLES = [...ENVIRONMENT_VARIABLES, 'extra'] as const;

const LEGACY = ['os.name', 'sys.platform', 'platform.version', 'platform.machine', 'platform.python_implementation', 'python_implementation'];
/** Spellings packaging does not accept. */
const NOT_VARIABLES = ['platform.release', 'python-version', 'os_names', 'Python_version', 'extras', 'platform.system', 'implementation.name'];

const VERSION_VALUES = [
  '3', '3.8', '3.11', '3.12', '3.13', '3.12.1', '2.7', '3.8.*', '3.*', '3.13.0a2', '3.13.0rc1', '3.11.0b1',
  '1.0.post1', '3.8+local', ' 3.8', '3.8 ', 'v3.10', '3.8.0', '6.1', '6.18.44-fc-v657', '3.8.dev0', '1!2.0',
  '=3.8', '3.8,<4', '5.10.0-1-amd64', '3.x', '3.8.*.1', '10', '0', '7.3.13', '3.12.1+', '3.1.*',
];
const STRING_VALUES = [
  'linux', 'posix', 'nt', 'CPython', 'cpython', 'PyPy', 'x86_64', 'aarch64', 'armv7l', 'arm', 'AMD64', 'Linux',
  'Windows', 'Darwin', 'win32', 'darwin', 'lin', 'ux', 'x86', '', ' ', '#1 SMP', 'SMP', 'PREEMPT', 'Foo_Bar',
  'foo-bar', 'FOO.bar', 'foo__bar', 'test', 'a b', 'posix;', 'linux)', 'é', 'İ', 'Ω', '\u{1F600}',
  'a\\tb', '\\x41', '\\101', '\\u00e9', '\\\\', '\\d', 'line\\\nnext', '\\U0001F600',
];
/** Literal bodies that `ast.literal_eval` refuses. */
const BAD_LITERALS = ['\\x4', '\\u12', 'ends\\', '\\U00110000', 'a\nb', 'nul\0', '\\N'];

export const EXTRAS = ['foo-bar', 'Foo_Bar', 'FOO.bar', 'foo__bar', 'test', 'tests', '', 'socks', 'Socks', 'other'];

function ws(rng: Rng, p = 0.5): string {
  if (!rng.chance(p)) return '';
  return rng.pick([' ', ' ', '  ', '\t', ' \t ']);
}

function quote(rng: Rng, body: string): string {
  const hasDouble = body.includes('"');
  const hasSingle = body.includes("'");
  if (hasDouble && !hasSingle) return `'${body}'`;
  if (hasSingle && !hasDouble) return `"${body}"`;
  return rng.chance(0.5) ? `"${body}"` : `'${body}'`;
}

function variableText(rng: Rng): string {
  const r = rng.next();
  if (r < 0.77) return rng.pick(VARIABLES);
  if (r < 0.99) return rng.pick(LEGACY);
  return rng.pick(NOT_VARIABLES);
}

function valueFor(rng: Rng, variable: string, envs: readonly Record<string, string>[]): string {
  const key = variable.replace(/\./g, '_').replace(/^python_implementation$/, 'platform_python_implementation');
  const r = rng.next();
  if (key === 'extra' && r < 0.7) return rng.pick(EXTRAS);
  if (r < 0.3) {
    const v = rng.pick(envs)[key];
    if (v !== undefined) return rng.chance(0.2) ? v.slice(0, rng.int(0, v.length)) : v;
  }
  // Mostly the kind of value the variable holds; sometimes the other kind (InvalidVersion and
  // string-fallback territory).
  const versionLike = /version|release/.test(key);
  if (r < 0.86) return rng.pick(versionLike === rng.chance(0.85) ? VERSION_VALUES : STRING_VALUES);
  if (r < 0.98) return rng.pick([...VERSION_VALUES, ...STRING_VALUES]);
  if (r < 0.995) return rng.pick(VARIABLES); // a literal that names a variable
  return `"'`; // both quotes: cannot be quoted either way
}

const OPS = ['<', '<=', '==', '!=', '>=', '>', '~=', '===', 'in', 'not in'];
const COMMON_OPS = ['<', '<=', '==', '!=', '>=', '>', 'in', 'not in', '==', '!='];

function opText(rng: Rng): string {
  const op = rng.chance(0.8) ? rng.pick(COMMON_OPS) : rng.pick(OPS);
  if (op === 'not in' && rng.chance(0.3)) return rng.pick(['not  in', 'not\tin']);
  return op;
}

function comparison(rng: Rng, envs: readonly Record<string, string>[]): string {
  const variable = variableText(rng);
  const literalBody = rng.chance(0.01) ? rng.pick(BAD_LITERALS) : valueFor(rng, variable, envs);
  const literal = quote(rng, literalBody);
  const op = opText(rng);
  const shape = rng.next();
  let lhs: string;
  let rhs: string;
  if (shape < 0.72) [lhs, rhs] = [variable, literal];
  else if (shape < 0.92) [lhs, rhs] = [literal, variable]; // reversed operands
  else if (shape < 0.96) [lhs, rhs] = [variable, variableText(rng)];
  else [lhs, rhs] = [literal, quote(rng, rng.chance(0.5) ? rng.pick(VARIABLES) : valueFor(rng, variable, envs))];
  // Word operators need a boundary; symbolic ones may touch their operands.
  const isWord = /^[a-z]/.test(op);
  const w1 = isWord ? ws(rng, 1) : ws(rng);
  const w2 = isWord ? ws(rng, 1) : ws(rng);
  return `${lhs}${w1}${op}${w2}${rhs}`;
}

/** A marker expression from the PEP 508 grammar, `depth` levels of nesting at most. */
export function markerExpression(rng: Rng, envs: readonly Record<string, string>[], depth = 3): string {
  const n = rng.int(1, depth > 0 ? 3 : 1);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) parts.push(`${ws(rng, 0.95) || ' '}${rng.pick(['and', 'or'])}${ws(rng, 0.95) || ' '}`);
    if (depth > 0 && rng.chance(0.3)) {
      const inner = markerExpression(rng, envs, depth - 1);
      const wrapped = rng.chance(0.15) ? `(${ws(rng)}(${inner})${ws(rng)})` : `(${ws(rng)}${inner}${ws(rng)})`;
      parts.push(wrapped);
    } else {
      parts.push(comparison(rng, envs));
    }
  }
  return parts.join('');
}

/** A mostly valid marker; about one in ten is broken on purpose. */
export function markerText(rng: Rng, envs: readonly Record<string, string>[]): string {
  let text = markerExpression(rng, envs);
  if (rng.chance(0.2)) text = `${ws(rng)}${text}${ws(rng)}`;
  if (rng.chance(0.02)) text += '\n';
  if (rng.chance(0.1)) text = breakText(rng, text);
  return text;
}

function breakText(rng: Rng, text: string): string {
  const at = rng.int(0, text.length);
  switch (rng.int(0, 9)) {
    case 0:
      return text.replace(/\)(?!.*\))/, ''); // drop the last closing parenthesis
    case 1:
      return text.replace(/["']/, ''); // drop an opening quote
    case 2:
      return text.replace(/==|>=|<=|\bin\b/, '=');
    case 3:
      return `${text} ${rng.pick(['and', 'or', 'and ('])}`;
    case 4:
      return text.slice(0, at) + rng.pick(['foo', ')', '(', ';', ',', '@', '"', '!']) + text.slice(at);
    case 5:
      return text.replace(/not(\s+)in/, 'notin');
    case 6:
      return rng.pick(['', ' ', 'python_version', '"3.8"', 'python_version >', '()', 'and']);
    case 7:
      return text.replace(/ and | or /, ' && ');
    case 8:
      return `${text}\n${rng.pick(['', 'x'])}`;
    default:
      return text.replace(/python_version|os_name|extra/, 'python_versions');
  }
}

/** Environments to evaluate one marker against: real targets with variations. */
export function environmentFor(rng: Rng, envs: readonly Record<string, string>[]): Record<string, string | null> {
  const env: Record<string, string | null> = { ...rng.pick(envs) };
  if (rng.chance(0.5)) env.extra = rng.pick(EXTRAS);
  if (rng.chance(0.03)) env.extra = null; // packaging's legacy "extra: None" means ""
  if (rng.chance(0.15)) delete env[rng.pick(VARIABLES.filter((v) => v !== 'extra'))];
  if (rng.chance(0.05)) env.python_full_version = rng.pick(['3.13.0rc1', '3.12.1+local', '3.x', '3.8.0']);
  if (rng.chance(0.05)) env.python_version = rng.pick(['3.x', '3.10', '2.7']);
  if (rng.chance(0.05)) env.platform_release = rng.pick(['5.10.0-1-amd64', '6.1', 'NT']);
  return env;
}

// --------------------------------------------------------------------------------------------
// Requirements
// --------------------------------------------------------------------------------------------

const NAME_PARTS = ['requests', 'Foo', 'bar', 'zope', 'interface', 'a', 'X', '1', '42', 'py', 'typing', 'Ext'];
const SEPS = ['-', '_', '.', '--', '._', '-_.', ''];

/** A project-name-like string, sometimes with separators at the ends or odd characters. */
export function nameText(rng: Rng): string {
  let name = rng.pick(NAME_PARTS);
  for (let i = rng.int(0, 3); i > 0; i--) name += rng.pick(SEPS) + rng.pick(NAME_PARTS);
  if (rng.chance(0.02)) name = rng.pick(SEPS) + name;
  if (rng.chance(0.03)) name += rng.pick(SEPS);
  if (rng.chance(0.02)) name += rng.pick(['!', ' x', '\n', 'K', 'İ', 'ı', 'ſ', 'é']);
  return name;
}

const SPEC_VERSIONS = [
  '1.0', '2', '2.0.1', '1.0a1', '1.0.post1', '1.0.dev0', '1!1.0', 'v1.0', '1.0RC1', '1.0-1', '1.0_alpha_2',
  '1.0.preview', '0.9.0-r3', '1.0beta', '2.0.0.0', 'V2.ſ', '1.0.poſt1',
];
/** Allowed with `==`/`!=` only; elsewhere they are the tokenizer's trailing-suffix errors. */
const EQ_ONLY_VERSIONS = ['1.0.*', '1.*', '1.0+local.1', '1.0+Local', '1.0+ubuntu-1.2'];
const RARE_VERSIONS = ['1.0.*.1', 'foo', '1.0+', ''];

function specifierClause(rng: Rng): string {
  const op = rng.chance(0.02) ? '=' : rng.pick(['==', '!=', '>=', '<=', '<', '>', '~=', '===', '>=', '==']);
  const eq = op === '==' || op === '!=';
  const r = rng.next();
  const version =
    op === '===' && r < 0.5
      ? rng.pick(['foo', 'anything-goes', '1.0', '', 'a,b'])
      : r < 0.03
        ? rng.pick(RARE_VERSIONS)
        : (eq && r < 0.4) || r < 0.06
          ? rng.pick(EQ_ONLY_VERSIONS)
          : rng.pick(SPEC_VERSIONS);
  return `${op}${ws(rng, 0.2)}${version}`;
}

function specifiers(rng: Rng): string {
  const n = rng.int(1, 3);
  const clauses: string[] = [];
  for (let i = 0; i < n; i++) clauses.push(specifierClause(rng));
  let text = clauses.reduce((acc, c, i) => (i === 0 ? c : `${acc}${ws(rng, 0.3)},${ws(rng, 0.3)}${c}`), '');
  if (rng.chance(0.05)) text += ',';
  if (rng.chance(0.25)) {
    text = `(${ws(rng, 0.3)}${text}${ws(rng, 0.3)}${rng.chance(0.95) ? ')' : ''}`;
  }
  return text;
}

const URLS = [
  'https://example.com/pkg-1.0-py3-none-any.whl',
  'file:///tmp/wheels/pkg-1.0-py3-none-any.whl',
  'git+https://github.com/pypa/pip.git@v24.1#egg=pip',
  'https://example.com/a;b',
  'file:///C:/x y.whl',
  'http://[::1]/x.tar.gz',
  './local/path',
];

function extrasText(rng: Rng): string {
  const r = rng.next();
  if (r < 0.1) return rng.pick(['[]', '[ ]', '[a b]', '[a,]', '[a', '[,a]', '[a,,b]', '[ a ]']);
  const n = rng.int(1, 3);
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(rng.chance(0.2) ? rng.pick(names.length ? names : EXTRAS) : rng.pick([...EXTRAS.filter(Boolean), 'b', 'A', 'security']));
  return `[${ws(rng, 0.2)}${names.join(`${ws(rng, 0.2)},${ws(rng, 0.2)}`)}${ws(rng, 0.2)}]`;
}

/** A dependency specifier string, about one in eight broken on purpose. */
export function requirementText(rng: Rng, envs: readonly Record<string, string>[]): string {
  let text = ws(rng, 0.1) + nameText(rng);
  if (rng.chance(0.3)) text += ws(rng, 0.3) + extrasText(rng);
  const shape = rng.next();
  let hasUrl = false;
  if (shape < 0.2) {
    hasUrl = true;
    text += `${ws(rng, 0.8)}@${ws(rng, 0.8)}${rng.chance(0.98) ? rng.pick(URLS) : ''}`;
  } else if (shape < 0.8) {
    text += ws(rng, 0.4) + specifiers(rng);
  }
  if (rng.chance(0.45)) {
    // After a URL the marker needs whitespace before ';' (else the URL swallows it).
    const before = hasUrl ? rng.pick([' ', ' ', ' ', '\t', '']) : ws(rng, 0.5);
    const semi = rng.chance(0.97) ? ';' : '';
    text += `${before}${semi}${ws(rng, 0.7)}${markerExpression(rng, envs, 2)}`;
  }
  if (rng.chance(0.1)) text += ws(rng, 1);
  if (rng.chance(0.02)) text += '\n';
  if (rng.chance(0.05)) {
    const at = rng.int(0, text.length);
    text = text.slice(0, at) + rng.pick(['!', ' x', ']', '(', '.*', '+local', ';', '@', ' ,']) + text.slice(at);
  }
  return text;
}

const NAME_CHARS = ['a', 'B', 'z', 'Q', '0', '9', '-', '_', '.', '-', '_', '.', ' ', 'É', 'ß', 'İ', 'K', 'Σ', 'ſ', '\n', '~'];

/** Arbitrary short strings over name-ish characters, for `canonicalize_name`. */
export function rawName(rng: Rng): string {
  let s = '';
  for (let i = rng.int(0, 12); i > 0; i--) s += rng.pick(NAME_CHARS);
  return s;
}
