/**
 * The app's own files, as they go into a bundle: a deterministic listing of the app folder,
 * minus what never belongs in a deployment (VCS metadata, bytecode caches, virtualenvs,
 * sneakpack's own output) and the app's exclude patterns.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SneakpackError } from '../errors.js';
import { relativePathProblem } from '../paths.js';
import { ExcludeMatcher } from './exclude.js';

/** One file of the app. */
export interface AppFile {
  /** POSIX path relative to the app folder (`myapp/settings.py`). */
  readonly path: string;
  /** Absolute path on this machine. */
  readonly absPath: string;
  /** Size in bytes. */
  readonly size: number;
  /** Normalised mode: 0o755 when the owner may execute it, else 0o644 (bundles record no other modes). */
  readonly mode: 0o644 | 0o755;
}

/**
 * Never part of an app, whatever the patterns say: version control metadata, bytecode and its
 * caches, sneakpack's work folder. (Virtualenvs — any directory holding a `pyvenv.cfg` — are
 * skipped too; that test needs the disk, so it is not a pattern.)
 */
export const ALWAYS_EXCLUDED: readonly string[] = Object.freeze(['.git/', '.hg/', '.svn/', '__pycache__/', '*.pyc', '*.pyo', '/.sneakpack/']);

/**
 * Excluded unless an app pattern re-includes them (`!node_modules/`): JavaScript dependencies and
 * sneakpack's default output folder at the app's root (`/bundles/`; a `static/bundles/` deeper
 * down is the app's and stays).
 */
export const DEFAULT_EXCLUDES: readonly string[] = Object.freeze(['node_modules/', '/bundles/']);

function unsupported(rel: string, what: string, extra: Record<string, unknown> = {}): SneakpackError {
  return new SneakpackError('UNSUPPORTED_FILE', `app file ${JSON.stringify(rel)}: ${what}`, { details: { path: rel, ...extra } });
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * List the files of the app in `dir`, sorted bytewise by their UTF-8 path so two listings of the
 * same tree are identical. Directories are walked, never listed (empty ones are not shipped).
 *
 * Skipped: {@link ALWAYS_EXCLUDED}, any directory containing `pyvenv.cfg`, then
 * {@link DEFAULT_EXCLUDES} followed by `excludes` (gitignore-like, see `compileExcludePattern`;
 * the last match wins, so `!node_modules/` brings it back).
 *
 * Symbolic links are refused, never followed: a link could point outside the app, or make the
 * bundle depend on this machine's layout. Exclude the link, or replace it with the file.
 *
 * @throws SneakpackError `UNSUPPORTED_FILE` for a symlink, a socket/FIFO/device, or a name that
 *   cannot travel in a bundle (not UTF-8, a backslash or control character); `FILE_NOT_FOUND`
 *   when `dir` is not a directory; `INVALID_PYPROJECT` for a bad pattern.
 */
export async function listAppFiles(dir: string, excludes: readonly string[] = []): Promise<AppFile[]> {
  const root = path.resolve(dir);
  const st = await fs.stat(root).catch(() => null);
  if (st === null || !st.isDirectory()) {
    throw new SneakpackError('FILE_NOT_FOUND', `app folder ${root} does not exist or is not a directory`, { details: { path: root } });
  }
  const always = new ExcludeMatcher(ALWAYS_EXCLUDED, 'built-in exclude');
  const matcher = new ExcludeMatcher([...new ExcludeMatcher(DEFAULT_EXCLUDES, 'default exclude').patterns, ...new ExcludeMatcher(excludes).patterns]);
  const out: AppFile[] = [];

  const walk = async (absDir: string, relDir: string): Promise<void> => {
    const names = await fs.readdir(absDir, { encoding: 'buffer' });
    for (const raw of names) {
      let name: string;
      try {
        name = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      } catch {
        const shown = relDir === '' ? raw.toString('latin1') : `${relDir}/${raw.toString('latin1')}`;
        throw unsupported(shown, 'its name is not valid UTF-8; rename it or exclude it');
      }
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const abs = path.join(absDir, name);
      const lst = await fs.lstat(abs);
      const isDir = lst.isDirectory();
      if (always.excluded(rel, isDir) || matcher.excluded(rel, isDir)) continue;
      if (isDir && (await exists(path.join(abs, 'pyvenv.cfg')))) continue;
      const problem = relativePathProblem(rel);
      if (problem !== null) throw unsupported(rel, `${problem}; rename it or exclude it`);
      if (lst.isSymbolicLink()) {
        const target = await fs.readlink(abs).catch(() => '?');
        throw unsupported(
          rel,
          `is a symbolic link (to ${JSON.stringify(target)}); sneakpack does not follow links — ` +
            `replace it with the real file or folder, or add it to [tool.sneakpack] exclude`,
          { target },
        );
      }
      if (isDir) {
        await walk(abs, rel);
      } else if (lst.isFile()) {
        out.push(Object.freeze({ path: rel, absPath: abs, size: lst.size, mode: lst.mode & 0o100 ? 0o755 : 0o644 }));
      } else {
        throw unsupported(rel, 'is not a regular file or folder (a socket, FIFO or device); exclude it');
      }
    }
  };
  await walk(root, '');
  return out.sort((a, b) => compareBytes(a.path, b.path));
}
