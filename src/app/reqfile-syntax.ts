/**
 * The line syntax of pip requirements files, ported from pip 24.2 `pip/_internal/req/req_file.py`
 * (`preprocess`, `break_args_options`, the `shlex` + `optparse` line parser) so that a file means
 * to sneakpack what it means to pip. Pure: no I/O.
 *
 * @see https://pip.pypa.io/en/stable/reference/requirements-file-format/
 */
import { PY_SPACE_CLASS, pyStrip } from '../wheel/pystr.js';

/** One logical line: the 1-based number of its first physical line and its text. */
export type LogicalLine = readonly [lineNumber: number, text: string];

/** Python's `str.splitlines()` boundaries (`\r\n` first). */
const SPLITLINES = /\r\n|[\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029]/;

/** pip's `COMMENT_RE = (^|\s+)#.*$` (Python `\s`). */
const COMMENT = new RegExp(`(?:^|[${PY_SPACE_CLASS}]+)#.*$`, 'u');

/** `COMMENT_RE.match(line)`: a comment from the start of the line. */
const COMMENT_AT_START = new RegExp(`^[${PY_SPACE_CLASS}]*#`, 'u');

/** pip's `ENV_VAR_RE`: only `${NAME}` with upper-case letters, digits and `_` (POSIX names). */
const ENV_VAR = /\$\{([A-Z0-9_]+)\}/g;

/**
 * pip's `preprocess`: split lines as Python's `str.splitlines()` does, join `\`-continued lines
 * (the joined line keeps the number of its first line; a comment line ends a continuation),
 * strip comments (`#` at the start or after whitespace) and surrounding whitespace, drop empty
 * lines, then expand `${NAME}` from `env` — an unset or empty variable is left as written.
 */
export function preprocessRequirements(text: string, env: Readonly<Record<string, string | undefined>>): LogicalLine[] {
  const physical = text.split(SPLITLINES);
  // splitlines() yields no empty last element for a trailing line break.
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();

  const joined: LogicalLine[] = [];
  let pending: string[] = [];
  let primary = 0;
  physical.forEach((raw, index) => {
    const lineNumber = index + 1;
    let line = raw;
    const isComment = COMMENT_AT_START.test(line);
    if (!line.endsWith('\\') || isComment) {
      // A leading space makes sure the comment is still seen as one once joined.
      if (isComment) line = ' ' + line;
      if (pending.length > 0) {
        pending.push(line);
        joined.push([primary, pending.join('')]);
        pending = [];
      } else {
        joined.push([lineNumber, line]);
      }
    } else {
      if (pending.length === 0) primary = lineNumber;
      // pip uses line.strip("\\"): backslashes go from both ends.
      pending.push(pyStrip(line, '\\'));
    }
  });
  if (pending.length > 0) joined.push([primary, pending.join('')]);

  const out: LogicalLine[] = [];
  for (const [lineNumber, line] of joined) {
    const stripped = pyStrip(line.replace(COMMENT, ''));
    if (stripped === '') continue;
    out.push([lineNumber, expandEnv(stripped, env)]);
  }
  return out;
}

function expandEnv(line: string, env: Readonly<Record<string, string | undefined>>): string {
  let out = line;
  for (const m of line.matchAll(ENV_VAR)) {
    const value = env[m[1]!];
    if (!value) continue;
    // str.replace: every occurrence, no replacement patterns.
    out = out.split(m[0]).join(value);
  }
  return out;
}

/**
 * pip's `break_args_options`: split on single spaces; everything before the first token that
 * starts with `-` is the requirement (markers survive because shlex never sees them), the rest
 * is options.
 */
export function breakArgsOptions(line: string): [args: string, options: string] {
  const tokens = line.split(' ');
  let i = 0;
  while (i < tokens.length && !tokens[i]!.startsWith('-')) i++;
  return [tokens.slice(0, i).join(' '), tokens.slice(i).join(' ')];
}

/** A syntax problem in the options part of a line; the caller adds the file and line. */
export class OptionSyntaxError extends Error {}

/** `shlex.split(s)` (POSIX mode, no comments). */
export function shlexSplit(s: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  let inToken = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\') {
        if (i + 1 >= s.length) throw new OptionSyntaxError(`could not split options: no closing quotation in ${JSON.stringify(s)}`);
        const next = s[i + 1]!;
        if (next === '"' || next === '\\') {
          cur += next;
          i++;
        } else cur += c;
      } else cur += c;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inToken) tokens.push(cur);
      cur = '';
      inToken = false;
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw new OptionSyntaxError(`could not split options: no escaped character after "\\" in ${JSON.stringify(s)}`);
      cur += s[++i]!;
      inToken = true;
    } else if (c === '"' || c === "'") {
      quote = c;
      inToken = true;
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (quote !== null) throw new OptionSyntaxError(`could not split options: no closing quotation in ${JSON.stringify(s)}`);
  if (inToken) tokens.push(cur);
  return tokens;
}

/** The options pip accepts in requirements files (`SUPPORTED_OPTIONS` + `SUPPORTED_OPTIONS_REQ`). */
export type RequirementsOption =
  | 'index-url'
  | 'extra-index-url'
  | 'no-index'
  | 'constraint'
  | 'requirement'
  | 'editable'
  | 'find-links'
  | 'no-binary'
  | 'only-binary'
  | 'prefer-binary'
  | 'require-hashes'
  | 'pre'
  | 'trusted-host'
  | 'use-feature'
  | 'global-option'
  | 'hash'
  | 'config-settings';

interface OptionSpec {
  readonly name: RequirementsOption;
  readonly short?: string;
  readonly long: readonly string[];
  readonly takesValue: boolean;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'index-url', short: '-i', long: ['--index-url', '--pypi-url'], takesValue: true },
  { name: 'extra-index-url', long: ['--extra-index-url'], takesValue: true },
  { name: 'no-index', long: ['--no-index'], takesValue: false },
  { name: 'constraint', short: '-c', long: ['--constraint'], takesValue: true },
  { name: 'requirement', short: '-r', long: ['--requirement'], takesValue: true },
  { name: 'editable', short: '-e', long: ['--editable'], takesValue: true },
  { name: 'find-links', short: '-f', long: ['--find-links'], takesValue: true },
  { name: 'no-binary', long: ['--no-binary'], takesValue: true },
  { name: 'only-binary', long: ['--only-binary'], takesValue: true },
  { name: 'prefer-binary', long: ['--prefer-binary'], takesValue: false },
  { name: 'require-hashes', long: ['--require-hashes'], takesValue: false },
  { name: 'pre', long: ['--pre'], takesValue: false },
  { name: 'trusted-host', long: ['--trusted-host'], takesValue: true },
  { name: 'use-feature', long: ['--use-feature'], takesValue: true },
  { name: 'global-option', long: ['--global-option'], takesValue: true },
  { name: 'hash', long: ['--hash'], takesValue: true },
  { name: 'config-settings', short: '-C', long: ['--config-settings'], takesValue: true },
];

const BY_LONG = new Map<string, OptionSpec>(OPTIONS.flatMap((o) => o.long.map((l) => [l, o] as [string, OptionSpec])));
const BY_SHORT = new Map<string, OptionSpec>(OPTIONS.filter((o) => o.short).map((o) => [o.short!, o]));

/** One option occurrence, in line order: the spelling used and its value (`null` for a flag). */
export interface OptionOccurrence {
  readonly option: RequirementsOption;
  readonly spelling: string;
  readonly value: string | null;
}

/** `optparse`'s `_match_abbrev`: an exact long option or a unique prefix of one. */
function matchLong(opt: string): OptionSpec {
  const exact = BY_LONG.get(opt);
  if (exact) return exact;
  const candidates = [...BY_LONG.keys()].filter((l) => l.startsWith(opt));
  if (candidates.length === 1) return BY_LONG.get(candidates[0]!)!;
  if (candidates.length === 0) throw new OptionSyntaxError(`no such option: ${opt}`);
  throw new OptionSyntaxError(`ambiguous option: ${opt} (${candidates.join(', ')}?)`);
}

/**
 * Read the options part of a line as pip's `optparse` parser does (long options by unique
 * prefix, `--opt=value` / `--opt value`, `-xVALUE` / `-x VALUE`). Positional words are returned
 * separately (pip ignores them silently; the caller refuses them).
 */
export function parseOptions(optionsText: string): { options: OptionOccurrence[]; positional: string[] } {
  const rargs = shlexSplit(optionsText);
  const options: OptionOccurrence[] = [];
  const positional: string[] = [];
  while (rargs.length > 0) {
    const arg = rargs[0]!;
    if (arg === '--') {
      rargs.shift();
      positional.push(...rargs);
      break;
    }
    if (arg.startsWith('--')) {
      rargs.shift();
      let opt = arg;
      let explicit = false;
      const eq = arg.indexOf('=');
      if (eq >= 0) {
        opt = arg.slice(0, eq);
        rargs.unshift(arg.slice(eq + 1));
        explicit = true;
      }
      const spec = matchLong(opt);
      if (spec.takesValue) {
        if (rargs.length === 0) throw new OptionSyntaxError(`${opt} option requires 1 argument`);
        options.push({ option: spec.name, spelling: opt, value: rargs.shift()! });
      } else {
        if (explicit) throw new OptionSyntaxError(`${opt} option does not take a value`);
        options.push({ option: spec.name, spelling: opt, value: null });
      }
    } else if (arg.startsWith('-') && arg.length > 1) {
      rargs.shift();
      // Every short option here takes a value, so only the first letter is an option.
      const opt = arg.slice(0, 2);
      const spec = BY_SHORT.get(opt);
      if (!spec) throw new OptionSyntaxError(`no such option: ${opt}`);
      if (arg.length > 2) rargs.unshift(arg.slice(2));
      if (rargs.length === 0) throw new OptionSyntaxError(`${opt} option requires 1 argument`);
      options.push({ option: spec.name, spelling: opt, value: rargs.shift()! });
    } else {
      positional.push(rargs.shift()!);
    }
  }
  return { options, positional };
}

/** The URL schemes pip's `is_url` recognises (plus VCS schemes). */
const URL_SCHEMES = new Set([
  'http', 'https', 'file', 'ftp',
  'bzr+http', 'bzr+https', 'bzr+ssh', 'bzr+sftp', 'bzr+ftp', 'bzr+lp', 'bzr+file',
  'git+http', 'git+https', 'git+ssh', 'git+git', 'git+file',
  'hg+file', 'hg+http', 'hg+https', 'hg+ssh', 'hg+static-http',
  'svn+ssh', 'svn+http', 'svn+https', 'svn+svn', 'svn+file',
]);

/** Python's `urllib.parse.urlsplit(s).scheme` (lower-cased), or `''`. */
export function urlScheme(s: string): string {
  const colon = s.indexOf(':');
  if (colon <= 0 || !/^[A-Za-z]/.test(s)) return '';
  const scheme = s.slice(0, colon);
  return /^[A-Za-z0-9+\-.]+$/.test(scheme) ? scheme.toLowerCase() : '';
}

/** pip's `is_url`: a scheme pip can fetch from (http, https, file, ftp or a VCS). */
export function isPipUrl(s: string): boolean {
  return URL_SCHEMES.has(urlScheme(s));
}

/** pip's `ARCHIVE_EXTENSIONS`. */
const ARCHIVE_EXTENSIONS = ['.zip', '.whl', '.tar.bz2', '.tbz', '.tar.gz', '.tgz', '.tar', '.tar.xz', '.txz', '.tlz', '.tar.lz', '.tar.lzma'];

/** pip's `_looks_like_path` (POSIX) or `is_archive_file` after `_strip_extras`. */
export function looksLikePathOrFile(name: string): boolean {
  if (name.includes('/') || name.startsWith('.')) return true;
  const noExtras = /^(.+)(\[[^\]]+\])$/.exec(name)?.[1] ?? name;
  const lower = noExtras.toLowerCase();
  return ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}
