/**
 * Exclude patterns for an app's files: a gitignore-like subset, matched against POSIX paths
 * relative to the app folder (the `gitignore(5)` "PATTERN FORMAT" rules, minus per-directory
 * files and the `core.ignoreCase` option). Pure: no I/O.
 *
 * - `name` (no `/` except a trailing one) matches a file or directory of that name at any depth;
 * - a pattern with a `/` at the start or in the middle is anchored at the app folder
 *   (`/build`, `docs/_build`);
 * - a trailing `/` matches directories only (`media/`);
 * - `*` matches anything but `/`, `?` one character but `/`, `[a-z]` / `[!a-z]` a class;
 * - `**` as a whole segment: a leading `**/` matches at any depth, a trailing `/**` everything
 *   inside, `/**\/` zero or more directories;
 * - `!pattern` re-includes what an earlier pattern excluded — but, as in git, not inside a
 *   directory that is excluded itself (its contents are never looked at);
 * - `\` escapes the next character (`\!important.txt`, `\#file`).
 *
 * The last matching pattern decides. Excluding a directory excludes everything below it.
 */
import { SneakpackError } from '../errors.js';

/** One compiled pattern. */
export interface ExcludePattern {
  /** The pattern as written. */
  readonly source: string;
  /** `!pattern`: re-include. */
  readonly negated: boolean;
  /** Trailing `/`: only directories match. */
  readonly directoryOnly: boolean;
  /** Matches a relative POSIX path (no leading or trailing `/`). */
  readonly regex: RegExp;
}

function invalid(pattern: string, what: string, field: string): SneakpackError {
  return new SneakpackError('INVALID_PYPROJECT', `${field}: exclude pattern ${JSON.stringify(pattern)} ${what}`, {
    details: { pattern, field },
  });
}

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Translate one glob segment (no `/`) to a regex body. */
function segmentRegex(seg: string, pattern: string, field: string): string {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\') {
      if (i + 1 >= seg.length) throw invalid(pattern, 'ends with a lone "\\"', field);
      out += escapeRegex(seg[++i]!);
    } else if (c === '*') {
      while (seg[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) throw invalid(pattern, 'has an unclosed "["', field);
      let body = seg.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      const cls = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      out += negate ? `(?!/)[^${cls}]` : `[${cls}]`;
      i = close;
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

/**
 * Compile one exclude pattern.
 *
 * @param field where the pattern came from, for messages (`pyproject.toml [tool.sneakpack] exclude[2]`).
 * @throws SneakpackError `INVALID_PYPROJECT` for an empty pattern, `..`, a backslash at the end,
 *   or an unclosed `[`.
 */
export function compileExcludePattern(source: string, field = 'exclude'): ExcludePattern {
  let p = source;
  let negated = false;
  if (p.startsWith('!')) {
    negated = true;
    p = p.slice(1);
  } else if (p.startsWith('\\!') || p.startsWith('\\#')) {
    p = p.slice(1);
  }
  let directoryOnly = false;
  while (p.endsWith('/') && !p.endsWith('\\/')) {
    directoryOnly = true;
    p = p.slice(0, -1);
  }
  if (p.trim() === '') throw invalid(source, 'is empty', field);
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  const segments = p.split('/');
  if (segments.some((s) => s === '..' || s === '.')) throw invalid(source, 'has a "." or ".." segment; patterns are relative to the app folder', field);
  if (segments.some((s) => s === '')) throw invalid(source, 'has an empty segment ("//")', field);

  let body = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '**') {
      if (last) body += i === 0 ? '.*' : '.+';
      else body += '(?:[^/]+/)*';
      return;
    }
    body += segmentRegex(seg, source, field);
    if (!last) body += '/';
  });
  const prefix = anchored ? '^' : '^(?:.*/)?';
  return Object.freeze({ source, negated, directoryOnly, regex: new RegExp(`${prefix}${body}$`, 's') });
}

/**
 * An ordered list of patterns. {@link ExcludeMatcher.excluded} says whether a path is excluded;
 * the caller walks top-down and does not descend into excluded directories.
 */
export class ExcludeMatcher {
  readonly patterns: readonly ExcludePattern[];

  constructor(patterns: readonly (string | ExcludePattern)[], field = 'exclude') {
    this.patterns = Object.freeze(patterns.map((p, i) => (typeof p === 'string' ? compileExcludePattern(p, `${field}[${i}]`) : p)));
  }

  /**
   * Whether `relPath` (POSIX, relative, no trailing `/`) is excluded by the patterns alone —
   * the last matching pattern decides. Parent directories are not consulted here.
   */
  excluded(relPath: string, isDirectory: boolean): boolean {
    let result = false;
    for (const p of this.patterns) {
      if (p.directoryOnly && !isDirectory) continue;
      if (p.regex.test(relPath)) result = !p.negated;
    }
    return result;
  }

  /**
   * Whether `relPath` ends up excluded, parents included: a path is excluded when it or any
   * parent directory is (git's rule: a file in an excluded directory cannot be re-included).
   */
  excludedWithParents(relPath: string, isDirectory: boolean): boolean {
    const segments = relPath.split('/');
    for (let i = 1; i < segments.length; i++) {
      if (this.excluded(segments.slice(0, i).join('/'), true)) return true;
    }
    return this.excluded(relPath, isDirectory);
  }
}
