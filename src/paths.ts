/**
 * The one guard for every path that comes from an archive, a RECORD, a manifest or a wheel.
 *
 * Defence in depth, as node-tar does it: {@link checkRelativePath} rejects the path as text
 * (absolute, drive letters, `..`, backslashes, NUL and control characters, empty or `.`
 * segments), then {@link safeJoin} resolves it against the root and checks the result is still
 * inside. Symlinks are handled by the callers never creating or following any from an archive.
 *
 * Pure string work (node:path only): spec modules may use {@link checkRelativePath}.
 */
import * as path from 'node:path';
import { SneakpackError } from './errors.js';

/** Why a relative path is refused, or null when it is acceptable. */
export function relativePathProblem(rel: string): string | null {
  if (rel.length === 0) return 'the path is empty';
  if (rel.length > 4096) return 'the path is longer than 4096 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(rel)) return 'the path contains a control character';
  if (rel.includes('\\')) return 'the path contains a backslash';
  if (rel.startsWith('/')) return 'the path is absolute';
  if (/^[A-Za-z]:/.test(rel)) return 'the path starts with a drive letter';
  const segments = rel.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '..') return 'the path has a ".." segment';
    if (seg === '.') return 'the path has a "." segment';
    // A trailing slash (directory) is the only empty segment allowed.
    if (seg === '' && i !== segments.length - 1) return 'the path has an empty segment ("//")';
    if (Buffer.byteLength(seg, 'utf8') > 255) return 'a path segment is longer than 255 bytes';
  }
  return null;
}

/**
 * Throw `UNSAFE_PATH` unless `rel` is a plain relative POSIX path that stays inside its root.
 * `what` names where the path came from ("bundle entry", "RECORD of foo-1.0-py3-none-any.whl").
 */
export function checkRelativePath(rel: string, what: string): void {
  const problem = relativePathProblem(rel);
  if (problem !== null) {
    throw new SneakpackError('UNSAFE_PATH', `${what}: refusing path ${JSON.stringify(rel)}: ${problem}`, {
      details: { path: rel, source: what },
    });
  }
}

/**
 * Join `root` and the archive-relative `rel`, refusing anything that would land outside `root`.
 * Returns the absolute path. Every write of a path from an archive goes through here.
 */
export function safeJoin(root: string, rel: string, what = 'archive entry'): string {
  checkRelativePath(rel, what);
  const base = resolvedRoot(root);
  // After checkRelativePath (no "..", ".", empty or absolute segment) plain concatenation is the
  // resolved path; it is still checked below, by string, as the second line of defence.
  const full = base === '/' ? `/${rel}` : `${base}/${rel}`;
  const joined = full.endsWith('/') ? full.slice(0, -1) : full;
  if (joined.length <= base.length || !joined.startsWith(base === '/' ? '/' : `${base}/`) || joined.includes('/../') || joined.includes('/./')) {
    throw new SneakpackError('UNSAFE_PATH', `${what}: path ${JSON.stringify(rel)} resolves outside ${base}`, {
      details: { path: rel, source: what },
    });
  }
  return joined;
}

/** `path.resolve(root)`, remembered: an install joins thousands of paths to a handful of roots. */
const resolvedRoots = new Map<string, string>();
function resolvedRoot(root: string): string {
  let base = resolvedRoots.get(root);
  if (base === undefined) {
    base = path.resolve(root);
    if (resolvedRoots.size > 1000) resolvedRoots.clear();
    resolvedRoots.set(root, base);
  }
  return base;
}
