/**
 * The install prefix on the box: where each app's releases live, which one is current, the lock
 * that keeps two sneakpack processes apart, and the few filesystem moves that make a switch
 * atomic. {@link ./release.ts} composes these into install, rollback and remove.
 *
 * Layout (one folder per app, named by its canonical PEP 503 name):
 *
 * ```
 * PREFIX/.staging/<pid>-<random>/   bundle extraction (one per running install; see below)
 * PREFIX/APP/.lock                  held while anything under PREFIX/APP changes
 * PREFIX/APP/releases/<VERSION>-<sha12>/
 *     .sneakpack-release.json       written last: a release without it is incomplete
 *     app/ venv/ manifest.json env
 * PREFIX/APP/current -> releases/<VERSION>-<sha12>   (relative symlink, replaced by rename)
 * PREFIX/APP/data/                  the app's data; created once, never touched by sneakpack
 * PREFIX/APP/history.json           activation stack, for rollback
 * PREFIX/APP/.trash/                releases on their way out (rename first, delete second)
 * ```
 *
 * Crash safety rests on three rules: a release becomes visible to `current` only after its
 * marker file is written and synced; `current` changes only by `rename(2)` of a fresh symlink
 * over it; and anything deleted is first renamed out of the way, so a half-deleted folder is never
 * mistaken for a release. Whatever a killed process leaves behind (staging folders, partial
 * releases, `current.tmp-*` links, `.trash`, a stale lock) is recognisable and cleaned by the next
 * run that takes the lock.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SneakpackError } from '../errors.js';
import { canonicalizeName, isValidName } from '../pep508/index.js';

/** The prefix when neither `--prefix` nor `SNEAKPACK_PREFIX` is given (FHS: add-on software). */
export const DEFAULT_PREFIX = '/opt/sneakpack';

/** The environment variable that overrides {@link DEFAULT_PREFIX}. */
export const PREFIX_ENV = 'SNEAKPACK_PREFIX';

/** Name of the marker file that makes a release folder complete. */
export const RELEASE_MARKER = '.sneakpack-release.json';

/** The prefix to use: the explicit one, else `$SNEAKPACK_PREFIX`, else {@link DEFAULT_PREFIX}; absolute. */
export function resolvePrefix(prefix?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = prefix ?? (env[PREFIX_ENV] !== undefined && env[PREFIX_ENV] !== '' ? env[PREFIX_ENV] : DEFAULT_PREFIX);
  return path.resolve(chosen);
}

/** Every path of one app under the prefix. */
export interface AppPaths {
  readonly prefix: string;
  /** Canonical app name (the folder name). */
  readonly app: string;
  readonly root: string;
  readonly releases: string;
  readonly current: string;
  readonly data: string;
  readonly lock: string;
  readonly history: string;
  readonly trash: string;
}

/**
 * The folder name for an app: its canonical PEP 503 name. The name comes from a manifest, so it
 * is validated as a PEP 508 name first (which also keeps it a single, dot-free-leading path segment).
 * @throws SneakpackError `INVALID_NAME`.
 */
export function appFolderName(name: string): string {
  if (!isValidName(name)) {
    throw new SneakpackError('INVALID_NAME', `${JSON.stringify(name)} is not a valid app name (PEP 508 "Names": letters, digits and . _ - between them)`, {
      details: { name },
    });
  }
  return canonicalizeName(name);
}

/** The paths of `app` (any spelling of its name) under `prefix`. */
export function appPaths(prefix: string, app: string): AppPaths {
  const name = appFolderName(app);
  const root = path.join(path.resolve(prefix), name);
  return Object.freeze({
    prefix: path.resolve(prefix),
    app: name,
    root,
    releases: path.join(root, 'releases'),
    current: path.join(root, 'current'),
    data: path.join(root, 'data'),
    lock: path.join(root, '.lock'),
    history: path.join(root, 'history.json'),
    trash: path.join(root, '.trash'),
  });
}

/** The release folder name: `<VERSION>-<first 12 hex digits of the bundle's sha256>`. */
export function releaseName(version: string, bundleSha256: string): string {
  const name = `${version}-${bundleSha256.slice(0, 12)}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9.+!_-]*$/.test(name)) {
    throw new SneakpackError('INVALID_VERSION', `version ${JSON.stringify(version)} cannot name a release folder`, { details: { version } });
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Small filesystem helpers

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Wrap a Node filesystem error as `IO_ERROR` naming the file and what we were doing. */
export function ioError(err: unknown, file: string, doing: string): SneakpackError {
  if (err instanceof SneakpackError) return err;
  const hint = errno(err) === 'EACCES' || errno(err) === 'EPERM' ? ' (permission denied: run as a user who may write the prefix, or pass --prefix)' : errno(err) === 'ENOSPC' ? ' (the disk is full)' : '';
  return new SneakpackError('IO_ERROR', `cannot ${doing} ${file}: ${(err as Error).message}${hint}`, { cause: err, details: { file } });
}

/** `fsync` a directory so a rename or create inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, fsConstants.O_RDONLY | (fsConstants.O_DIRECTORY ?? 0));
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on directories (EINVAL); the rename is still atomic there.
    if (errno(err) !== 'EINVAL' && errno(err) !== 'EISDIR' && errno(err) !== 'EBADF') throw ioError(err, dir, 'sync');
  } finally {
    await handle?.close();
  }
}

/**
 * Put everything written under `dir` on the disk before a release is marked complete: otherwise a
 * power cut in the half minute after an install (ext4 writes file data back lazily, and commits a
 * new file's size only then) could leave `current` pointing at a release of empty files. One
 * `syncfs(2)` of the file system (coreutils/busybox `sync -f DIR`; Node has no binding) flushes it
 * all at once; without a `sync` that takes `-f`, every file under `dir` is `fsync`ed instead.
 */
export async function syncTree(dir: string): Promise<void> {
  const viaSyncfs = await new Promise<boolean>((resolve) => {
    execFile('sync', ['-f', dir], { timeout: 0 }, (error) => resolve(error === null));
  });
  if (viaSyncfs) return;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const h = await fs.open(p, 'r');
        try {
          await h.sync();
        } finally {
          await h.close();
        }
      }
    }
    await fsyncDir(d);
  };
  try {
    await walk(dir);
  } catch (err) {
    throw ioError(err, dir, 'sync');
  }
}

/** Write `text` to `file` atomically: a synced temporary file renamed over it, then the folder synced. */
export async function writeFileAtomic(file: string, text: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await fs.open(tmp, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw ioError(err, file, 'write');
  }
  await fsyncDir(path.dirname(file));
}

/** Point `link` at `target` (a relative path) atomically: a new symlink renamed over the old one. */
export async function switchSymlink(link: string, target: string): Promise<void> {
  const tmp = `${link}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.symlink(target, tmp);
    await fs.rename(tmp, link);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw ioError(err, link, 'switch');
  }
  await fsyncDir(path.dirname(link));
}

/** True when `p` exists (without following a final symlink). */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return false;
    throw ioError(err, p, 'inspect');
  }
}

/** Move `p` into `trashDir` (a rename, so it vanishes atomically), then delete it. */
export async function removeViaTrash(p: string, trashDir: string): Promise<void> {
  if (!(await exists(p))) return;
  await fs.mkdir(trashDir, { recursive: true }).catch((err) => {
    throw ioError(err, trashDir, 'create');
  });
  const dest = path.join(trashDir, `${path.basename(p)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.rename(p, dest);
  } catch (err) {
    if (errno(err) === 'ENOENT') return;
    throw ioError(err, p, 'remove');
  }
  await fsyncDir(path.dirname(p));
  await fs.rm(dest, { recursive: true, force: true }).catch((err) => {
    throw ioError(err, dest, 'remove');
  });
  await fs.rmdir(trashDir).catch(() => undefined); // not empty: another removal is under way
}

// ---------------------------------------------------------------------------------------------
// The lock

/** What a lock file holds: enough to tell whether its owner is still alive. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
  readonly command: string;
}

/** A held lock; {@link AppLock.release} removes the lock file. */
export interface AppLock {
  readonly file: string;
  readonly owner: LockOwner;
  release(): Promise<void>;
}

/** Options of {@link acquireLock}; the defaults are the real process table and host. */
export interface LockOptions {
  /** Shown to whoever finds the lock held (e.g. `install myapp-2.0.tar`). */
  readonly command?: string;
  /** Is `pid` (on this host) alive? Default: `process.kill(pid, 0)`. */
  readonly isAlive?: (pid: number) => boolean;
}

/** `kill(pid, 0)`: ESRCH means no such process; EPERM means it exists but is not ours. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, started: String(v.started ?? ''), command: String(v.command ?? '') };
    }
  } catch {
    // An empty or torn file: its writer died between open and write (see below).
  }
  return null;
}

/**
 * Take the exclusive lock `file` (created with `open(O_CREAT|O_EXCL)`, holding the owner's pid,
 * host and start time as JSON).
 *
 * A lock whose owner is gone is stale and is broken: same host and the pid is not alive, or the
 * file is empty/unreadable and older than a minute (its writer died between creating and
 * writing it). A lock held by a live process, or by another host (a shared prefix), is respected:
 * `APP_LOCKED` names the owner and the file to delete if the owner is known to be gone.
 *
 * Breaking is re-checked against the file's content right before the unlink, which narrows (not
 * closes) the window where two breakers race; both would then try `O_EXCL` and only one wins.
 */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<AppLock> {
  const isAlive = options.isAlive ?? processAlive;
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: options.command ?? '' };
  for (let attempt = 0; attempt < 5; attempt++) {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(file, 'wx', 0o644);
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw ioError(err, file, 'create the lock');
    }
    if (handle !== undefined) {
      try {
        await handle.writeFile(JSON.stringify(owner) + '\n', 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        file,
        owner,
        async release() {
          if (released) return;
          released = true;
          // Only remove our own lock (someone may have broken it while we looked stale).
          const now = await fs.readFile(file, 'utf8').catch(() => '');
          const held = parseOwner(now);
          if (held !== null && held.pid === owner.pid && held.started === owner.started) await fs.rm(file, { force: true });
        },
      };
    }
    // Held: find out by whom.
    let text: string;
    let mtime: number;
    try {
      text = await fs.readFile(file, 'utf8');
      mtime = (await fs.stat(file)).mtimeMs;
    } catch (err) {
      if (errno(err) === 'ENOENT') continue; // released meanwhile: try again
      throw ioError(err, file, 'read the lock');
    }
    const held = parseOwner(text);
    const stale = held === null ? Date.now() - mtime > 60_000 : held.host === owner.host && !isAlive(held.pid);
    if (!stale) {
      const who = held === null ? 'a process that is still starting' : `process ${held.pid} on ${held.host}${held.command ? ` (${held.command})` : ''} since ${held.started}`;
      throw new SneakpackError(
        'APP_LOCKED',
        `${file} is held by ${who}; wait for it to finish, or delete ${file} if that process is gone`,
        { details: { file, owner: held } },
      );
    }
    const again = await fs.readFile(file, 'utf8').catch(() => null);
    if (again === text) await fs.rm(file, { force: true });
  }
  throw new SneakpackError('APP_LOCKED', `${file}: could not take the lock after several attempts (another sneakpack keeps taking it)`, { details: { file } });
}

// ---------------------------------------------------------------------------------------------
// Releases, current and history

/** What the marker file of a complete release records. */
export interface ReleaseInfo {
  readonly format: 1;
  /** The release folder name. */
  readonly name: string;
  readonly app: string;
  readonly version: string;
  /** sha256 of the bundle file it was installed from. */
  readonly bundle_sha256: string;
  /** Key number of the key that signed the bundle. */
  readonly signer: string;
  /** Target the bundle was built for (`target.name` of the manifest). */
  readonly target: string;
  /** The interpreter the venv was created with, and its version. */
  readonly python: string;
  readonly python_version: string;
  readonly installed_at: string;
}

/** Read a release's marker, or null when the release is incomplete (or not a release at all). */
export async function readReleaseInfo(releaseDir: string): Promise<ReleaseInfo | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(releaseDir, RELEASE_MARKER), 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return null;
    throw ioError(err, releaseDir, 'read the release marker of');
  }
  try {
    const v = JSON.parse(text) as ReleaseInfo;
    if (v.format === 1 && typeof v.name === 'string' && typeof v.version === 'string') return v;
  } catch {
    // fall through: a marker that is not ours makes the release unusable, not the prefix
  }
  return null;
}

/** The release `current` points at (its folder name), or null when there is none. */
export async function readCurrent(paths: AppPaths): Promise<string | null> {
  let target: string;
  try {
    target = await fs.readlink(paths.current);
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return null;
    if (errno(err) === 'EINVAL') throw new SneakpackError('IO_ERROR', `${paths.current} is not a symlink; move it away and re-run`, { details: { file: paths.current } });
    throw ioError(err, paths.current, 'read');
  }
  const m = /^releases\/([^/]+)$/.exec(target);
  if (m === null) {
    throw new SneakpackError('IO_ERROR', `${paths.current} points at ${JSON.stringify(target)}, not at a folder in releases/; fix or remove the link`, {
      details: { file: paths.current, target },
    });
  }
  return m[1]!;
}

/** Point `current` at `releases/NAME`, atomically. */
export async function setCurrent(paths: AppPaths, name: string): Promise<void> {
  await switchSymlink(paths.current, `releases/${name}`);
}

/** Release folder names under `releases/`, complete or not, sorted. */
export async function releaseFolders(paths: AppPaths): Promise<string[]> {
  try {
    const entries = await fs.readdir(paths.releases, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw ioError(err, paths.releases, 'list');
  }
}

/**
 * The activation history, oldest first; the last entry is current. Written *before* `current`
 * is switched, together with the stack as it was (`before`), so that after a crash between the two
 * writes {@link reconcileHistory} can tell which one is true: the symlink always wins.
 */
export interface History {
  readonly format: 1;
  readonly stack: readonly string[];
  readonly before: readonly string[];
}

/** Read history.json; a missing or unreadable file is an empty history. */
export async function readHistory(paths: AppPaths): Promise<History> {
  try {
    const v = JSON.parse(await fs.readFile(paths.history, 'utf8')) as Partial<History>;
    const strings = (a: unknown): string[] => (Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : []);
    return { format: 1, stack: strings(v.stack), before: strings(v.before) };
  } catch (err) {
    if (errno(err) !== undefined && errno(err) !== 'ENOENT') throw ioError(err, paths.history, 'read');
    return { format: 1, stack: [], before: [] };
  }
}

/** Write history.json atomically. */
export async function writeHistory(paths: AppPaths, stack: readonly string[], before: readonly string[]): Promise<void> {
  const history: History = { format: 1, stack: [...stack], before: [...before] };
  await writeFileAtomic(paths.history, JSON.stringify(history, null, 1) + '\n');
}

/**
 * The activation stack that agrees with `current`: the recorded stack when its top is current,
 * the stack from before the last write when that one's top is (the process died between writing
 * the history and switching), otherwise the recorded stack with current moved to the top (someone
 * switched the link by hand). Names in `exclude` (releases that no longer exist) are dropped.
 * Pure.
 */
export function reconcileHistory(history: History, current: string | null, exclude: ReadonlySet<string> = new Set()): string[] {
  const clean = (s: readonly string[]): string[] => s.filter((n) => !exclude.has(n));
  if (current === null) return clean(history.stack);
  if (history.stack[history.stack.length - 1] === current) return clean(history.stack);
  if (history.before[history.before.length - 1] === current) return clean(history.before);
  return [...clean(history.stack).filter((n) => n !== current), current];
}

/** `stack` with `name` activated: moved (or added) to the top. Pure. */
export function pushRelease(stack: readonly string[], name: string): string[] {
  return [...stack.filter((n) => n !== name), name];
}

/**
 * Which releases to delete so that at most `keep` remain (never fewer than current and the one
 * rollback would return to). Releases are ranked most recently activated first (by their position
 * in `stack`), then releases never activated or rolled away from, newest `installedAt` first. Pure.
 */
export function choosePrune(
  releases: readonly { readonly name: string; readonly installedAt: string }[],
  stack: readonly string[],
  current: string | null,
  keep: number,
): string[] {
  const protect = new Set<string>();
  if (current !== null) protect.add(current);
  const below = stack.filter((n) => n !== current);
  if (below.length > 0) protect.add(below[below.length - 1]!);
  const rank = new Map(stack.map((n, i) => [n, i]));
  const ordered = [...releases].sort((a, b) => {
    const ra = rank.get(a.name);
    const rb = rank.get(b.name);
    if (ra !== undefined && rb !== undefined) return rb - ra;
    if (ra !== undefined) return -1;
    if (rb !== undefined) return 1;
    return a.installedAt < b.installedAt ? 1 : a.installedAt > b.installedAt ? -1 : a.name < b.name ? 1 : -1;
  });
  const kept = new Set(protect);
  for (const r of ordered) {
    if (kept.size >= Math.max(keep, protect.size)) break;
    kept.add(r.name);
  }
  return ordered.filter((r) => !kept.has(r.name)).map((r) => r.name);
}

/**
 * Remove what a killed process left under an app (call with the app lock held): `current.tmp-*`
 * and `history.json.tmp-*` files, `.trash`, and release folders without a marker that `current`
 * does not point at. Returns the names of what was removed.
 */
export async function cleanAppLeftovers(paths: AppPaths): Promise<string[]> {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = await fs.readdir(paths.root);
  } catch (err) {
    if (errno(err) === 'ENOENT') return removed;
    throw ioError(err, paths.root, 'list');
  }
  for (const e of entries) {
    if (/^(current|history\.json)\.tmp-/.test(e)) {
      await fs.rm(path.join(paths.root, e), { force: true });
      removed.push(e);
    }
  }
  if (entries.includes('.trash')) {
    await fs.rm(paths.trash, { recursive: true, force: true });
    removed.push('.trash');
  }
  const current = await readCurrent(paths).catch(() => null);
  for (const name of await releaseFolders(paths)) {
    if (name === current) continue;
    if ((await readReleaseInfo(path.join(paths.releases, name))) === null) {
      await removeViaTrash(path.join(paths.releases, name), paths.trash);
      removed.push(`releases/${name}`);
    }
  }
  if (removed.length > 0) await fs.rm(paths.trash, { recursive: true, force: true });
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Staging

/** The folder under the prefix where bundles are extracted. */
export function stagingRoot(prefix: string): string {
  return path.join(path.resolve(prefix), '.staging');
}

/**
 * Make a fresh staging folder `PREFIX/.staging/<pid>-<random>` (the pid lets a later run tell a
 * dead process's folder from a live one's). Creates the prefix if needed and returns what it
 * created, so a failure can put the prefix back exactly as it was ({@link dropStaging}).
 */
export async function makeStaging(prefix: string): Promise<{ dir: string; createdPrefix: string | undefined }> {
  const root = stagingRoot(prefix);
  let createdPrefix: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const first = await fs.mkdir(path.resolve(prefix), { recursive: true });
      createdPrefix ??= first;
      await fs.mkdir(root, { recursive: true });
      const dir = path.join(root, `${process.pid}-${randomBytes(6).toString('hex')}`);
      await fs.mkdir(dir, { mode: 0o700 });
      return { dir, createdPrefix };
    } catch (err) {
      // Another run's dropStaging removed the empty .staging between our two mkdirs: try again.
      if (errno(err) === 'ENOENT' && attempt < 5) continue;
      throw ioError(err, root, 'create the staging folder');
    }
  }
}

/**
 * Delete a staging folder, then `.staging` itself and the prefix if they are empty and this run
 * created the prefix — so a refused bundle leaves the prefix as it found it.
 */
export async function dropStaging(dir: string, createdPrefix?: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  const root = path.dirname(dir);
  await fs.rmdir(root).catch(() => undefined); // ENOTEMPTY: another run is staging too
  if (createdPrefix !== undefined) {
    // Remove the folders mkdir -p made, innermost first, as long as they are empty.
    let p = path.dirname(root);
    while (p.length >= createdPrefix.length) {
      try {
        await fs.rmdir(p);
      } catch {
        break;
      }
      p = path.dirname(p);
    }
  }
}

/**
 * Delete staging folders whose process is gone (same rule as the lock: `<pid>-…` with a pid that is
 * not alive). Folders of live processes, and names we do not recognise, are left alone.
 */
export async function cleanStaleStaging(prefix: string, isAlive: (pid: number) => boolean = processAlive): Promise<string[]> {
  const root = stagingRoot(prefix);
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return [];
    throw ioError(err, root, 'list');
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^(\d+)-[0-9a-f]+$/.exec(name);
    if (m === null || (Number(m[1]) !== process.pid && isAlive(Number(m[1])))) continue;
    if (Number(m[1]) === process.pid) continue; // ours (a concurrent call in this process)
    await fs.rm(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** The apps under `prefix` (folder names that are valid app names), sorted. */
export async function appFolders(prefix: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(path.resolve(prefix), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && isValidName(e.name)).map((e) => e.name).sort();
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw ioError(err, prefix, 'list');
  }
}
