/**
 * `sneakpack lock`: resolve an app for one target and write the closure as a PEP 751
 * `pylock.toml`, plus the conversions between a {@link Closure} and a lock used by `build`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { SneakpackError } from '../errors.js';
import { type AppSpec, readApp } from '../app/index.js';
import { createLock, writeLock, type Lock, type LockPackage, type LockWheel } from '../lock/index.js';
import { parseSpecifierSet, parseVersion } from '../pep440/index.js';
import { type Closure, type ClosureProgress, resolveClosure } from '../resolve/closure.js';
import type { ResolvedTarget } from '../target/index.js';
import { resolveTargetArgument } from '../target/load.js';
import { type SourceOptions, buildSources } from './sources.js';

/** How the app is read (the command line's `--name`, `--version`, `-r`, `--extra`). */
export interface AppOptions {
  readonly name?: string;
  readonly version?: string;
  readonly requirementsFiles?: readonly string[];
  readonly extras?: readonly string[];
}

/** A package of a closure as far as a lock needs it (a {@link Closure} package has all of it). */
export interface LockablePackage {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  /** Local path of the wheel (used for `path` entries). */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly requiresPython: string | null;
  readonly dependencies: readonly string[];
  /** Where the wheel was listed: an index URL when it came from one. */
  readonly file?: { readonly location: { readonly type: 'path' } | { readonly type: 'url'; readonly url: string }; readonly sourceLabel: string };
}

/** How wheel locations are written into a lock. */
export type WheelLocation =
  /** `path` relative to this folder (the lock file's) for local files, `url` for downloaded ones. */
  | { readonly kind: 'source'; readonly lockDir: string }
  /** `path = "wheels/<file>"`: the lock inside a bundle, next to its `wheels/` folder. */
  | { readonly kind: 'bundle' };

function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function posixRelative(from: string, to: string): string {
  const rel = relative(from, to);
  return rel.split(sep).join('/');
}

function lockWheel(p: LockablePackage, where: WheelLocation): LockWheel {
  const base = { name: p.filename, size: p.size, hashes: { sha256: p.sha256 } };
  if (where.kind === 'bundle') return { ...base, path: `wheels/${p.filename}` };
  const loc = p.file?.location;
  if (loc !== undefined && loc.type === 'url') return { ...base, url: withoutCredentials(loc.url) };
  const rel = posixRelative(where.lockDir, p.path);
  return { ...base, path: isAbsolute(rel) || rel === '' ? p.path : rel };
}

/** The `[[packages]]` of a lock for these packages. */
export function lockPackages(packages: readonly LockablePackage[], where: WheelLocation): LockPackage[] {
  return packages.map((p) => ({
    name: p.name,
    version: parseVersion(p.version),
    marker: null,
    requiresPython: p.requiresPython === null ? null : parseSpecifierSet(p.requiresPython),
    dependencies: p.dependencies.map((name) => ({ name })),
    ...(p.file?.location.type === 'url' ? { index: withoutCredentials(p.file.sourceLabel) } : {}),
    wheels: [lockWheel(p, where)],
  }));
}

/** A PEP 751 lock for a resolved closure (see `createLock`). */
export function closureLock(closure: Pick<Closure, 'target' | 'packages' | 'requirements' | 'constraints'>, extras: readonly string[], where: WheelLocation): Lock {
  return createLock({
    target: closure.target,
    packages: lockPackages(closure.packages, where),
    extras,
    requirements: closure.requirements,
    constraints: closure.constraints,
  });
}

/** Options of {@link lockApp}. */
export interface LockAppOptions extends AppOptions, SourceOptions {
  /** A preset, a compact target, a profile `.json` path, or an already resolved target. */
  readonly target: string | ResolvedTarget;
  /** Accept pre-releases (`--pre`). */
  readonly pre?: boolean;
  /** Write the lock here (atomically); wheel paths are written relative to its folder. */
  readonly output?: string;
  readonly onProgress?: (progress: ClosureProgress) => void;
}

/** What {@link lockApp} made. */
export interface LockedApp {
  readonly app: AppSpec;
  readonly target: ResolvedTarget;
  readonly closure: Closure;
  readonly lock: Lock;
  /** The `pylock.toml` text. */
  readonly text: string;
  /** Where it was written, when `output` was given (absolute). */
  readonly path: string | null;
}

/**
 * Resolve the app in `appDir` for one target and make its PEP 751 lock; write it when
 * `options.output` is given.
 *
 * @throws everything {@link resolveClosure}, `readApp` and `buildSources` throw; `IO_ERROR` when
 *   the lock cannot be written.
 */
export async function lockApp(appDir: string, options: LockAppOptions): Promise<LockedApp> {
  const target = typeof options.target === 'string' ? await resolveTargetArgument(options.target) : options.target;
  const app = await readApp(appDir, appOptions(options));
  const { sources } = buildSources(app, options);
  const closure = await resolveClosure(app, target, sources, {
    ...(options.pre !== undefined ? { pre: options.pre } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
  const output = options.output === undefined ? null : resolve(options.output);
  const lock = closureLock(closure, app.extras, { kind: 'source', lockDir: output === null ? process.cwd() : dirname(output) });
  const text = writeLock(lock);
  if (output !== null) await writeFileAtomic(output, text);
  return Object.freeze({ app, target, closure, lock, text, path: output });
}

/** readApp options from {@link AppOptions} (only the ones given). */
export function appOptions(o: AppOptions): Parameters<typeof readApp>[1] {
  return {
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.version !== undefined ? { version: o.version } : {}),
    ...(o.requirementsFiles !== undefined && o.requirementsFiles.length > 0 ? { requirementsFiles: o.requirementsFiles } : {}),
    ...(o.extras !== undefined && o.extras.length > 0 ? { extras: o.extras } : {}),
  };
}

/** Write `text` to `file` through a temporary file in the same folder and a rename. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new SneakpackError('IO_ERROR', `cannot write ${file}: ${(e as Error).message}`, { cause: e, details: { file } });
  }
}
