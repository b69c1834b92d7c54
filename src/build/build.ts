/**
 * `sneakpack build`: one signed, reproducible bundle of an app for one target — resolve the wheel
 * closure (or take it from a lock file, checking every byte against it), list the app's files,
 * and hand everything to `writeBundle`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { SneakpackError } from '../errors.js';
import { type AppSpec, listAppFiles, readApp } from '../app/index.js';
import {
  type BundleAppInput,
  type BundleInput,
  type BundleTargetInput,
  type JsonValue,
  type WriteProgress,
  type WrittenBundle,
  bundleTarget,
  writeBundle,
} from '../bundle/index.js';
import { type Lock, assertLockMatchesTarget, parseLock, writeLock } from '../lock/index.js';
import { parseWheelFilename } from '../wheel/index.js';
import { type ClosureProgress, resolveClosure, snapshotFolder } from '../resolve/closure.js';
import { readSecretKey } from '../sign/index.js';
import { type DistFile, type WheelSource, multiSource } from '../sources/index.js';
import { type ResolvedTarget, resolveTarget } from '../target/index.js';
import { isProfilePath, loadTargetProfile } from '../target/load.js';
import { type AppOptions, type LockablePackage, appOptions, closureLock, lockPackages } from './lock.js';
import { type SourceOptions, buildSources } from './sources.js';

/** Progress of {@link buildBundle}: resolving, fetching, then the bundle writer's hashing and writing. */
export type BuildProgress = ClosureProgress | WriteProgress | { readonly phase: 'lock'; readonly done: number; readonly total: number; readonly filename: string };

/** Options of {@link buildBundle}. */
export interface BuildOptions extends AppOptions, SourceOptions {
  /** A preset, a compact target, or a profile `.json` path (its full profile goes into the manifest). */
  readonly target: string | ResolvedTarget;
  /** The signify secret key (`keys/NAME.sec`). */
  readonly keyFile: string;
  /** Its passphrase, when it has one. */
  readonly passphrase?: string;
  /** Folder for the bundle (created); default `bundles`. */
  readonly outDir?: string;
  /** Use exactly the wheels of this `pylock.toml` instead of resolving. */
  readonly lockFile?: string;
  readonly gzip?: boolean;
  readonly pre?: boolean;
  /** mtime of every entry (default `$SOURCE_DATE_EPOCH`, else 1980-01-01). */
  readonly sourceDateEpoch?: number;
  readonly onProgress?: (progress: BuildProgress) => void;
}

/** One wheel of a built bundle. */
export interface BuiltWheel {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
}

/** What {@link buildBundle} made. */
export interface BuiltBundle extends WrittenBundle {
  readonly app: AppSpec;
  readonly target: ResolvedTarget;
  readonly wheels: readonly BuiltWheel[];
  /** The lock file stored in the bundle. */
  readonly lockText: string;
}

/** A wheel of the closure, ready for the bundle. */
interface ChosenWheel extends LockablePackage {
  readonly tags: readonly string[];
}

/**
 * Build the bundle of the app in `appDir` for one target and write it into `outDir` as
 * `NAME-VERSION-TARGET.tar` (`.tar.gz` with `gzip`).
 *
 * With `lockFile`, nothing is resolved: the lock must fit the target and the app's current
 * requirements, and every locked wheel must be offered by the sources with the locked sha256.
 *
 * @throws SneakpackError `LOCK_MISMATCH` naming each package whose file or hash the sources
 *   disagree on (or a stale / foreign lock); everything `resolveClosure`, `readApp`,
 *   `readSecretKey` and `writeBundle` throw.
 */
export async function buildBundle(appDir: string, options: BuildOptions): Promise<BuiltBundle> {
  const { target, bundle: targetInput } = await loadTarget(options.target);
  const app = await readApp(appDir, appOptions(options));
  // The key first: a wrong passphrase should not cost a resolution.
  const secretKey = await readSecretKey(options.keyFile, options.passphrase);
  const { sources, folders } = buildSources(app, options);
  const progress = options.onProgress;

  let wheels: ChosenWheel[];
  let lock: Lock;
  if (options.lockFile !== undefined) {
    const locked = await wheelsFromLock(options.lockFile, app, target, sources, progress);
    wheels = locked.wheels;
    lock = { ...locked.lock, packages: lockPackages(wheels, { kind: 'bundle' }) };
  } else {
    const closure = await resolveClosure(app, target, sources, {
      ...(options.pre !== undefined ? { pre: options.pre } : {}),
      ...(progress !== undefined ? { onProgress: progress } : {}),
    });
    wheels = [...closure.packages];
    lock = closureLock(closure, app.extras, { kind: 'bundle' });
  }
  const lockText = writeLock(lock);

  const outDir = resolve(options.outDir ?? 'bundles');
  await mkdir(outDir, { recursive: true });
  // Neither the output folder nor a wheelhouse inside the app is part of the app.
  const excludes = [...app.config.exclude];
  for (const dir of [outDir, ...folders]) {
    const rel = relative(app.dir, dir);
    if (rel !== '' && !rel.startsWith('..') && !resolve(rel).startsWith('..')) excludes.push(`/${rel.split(sep).join('/')}/`);
  }
  const appFiles = await listAppFiles(app.dir, excludes);

  const input: BundleInput = {
    app: bundleApp(app),
    target: targetInput,
    wheels: wheels.map((w) => ({
      path: w.path,
      filename: w.filename,
      name: w.name,
      version: w.version,
      tags: w.tags,
      requires_python: w.requiresPython,
      // Hashed when fetched: the writer checks every byte against these instead of hashing twice.
      sha256: w.sha256,
      size: w.size,
    })),
    appFiles: appFiles.map((f) => ({ path: f.path, absPath: f.absPath, mode: f.mode })),
    lockText,
    ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
  };
  const written = await writeBundle(input, {
    secretKey,
    secretKeyFile: options.keyFile,
    outDir,
    gzip: options.gzip ?? false,
    ...(progress !== undefined ? { onProgress: progress } : {}),
  });
  return Object.freeze({
    ...written,
    app,
    target,
    wheels: Object.freeze(wheels.map((w) => Object.freeze({ name: w.name, version: w.version, filename: w.filename, sha256: w.sha256, size: w.size }))),
    lockText,
  });
}

/** The manifest's app section from the app. */
export function bundleApp(app: AppSpec): BundleAppInput {
  return {
    name: app.name,
    version: app.version.toString(),
    scripts: Object.fromEntries(app.scripts.map((s) => [s.name, `${s.module}:${s.attr}`])),
    post_install: app.config.postInstall.map((argv) => [...argv]),
    data_dir_env: app.config.dataDirEnv,
    requires_python: app.requiresPython === null || app.requiresPython.length === 0 ? null : app.requiresPython.toString(),
    keep_releases: app.config.keepReleases,
  };
}

/**
 * The target and its manifest section. For a profile file the manifest carries the captured
 * profile itself (it says more than the generated fields), completed with the tags and marker
 * environment sneakpack resolved for.
 */
export async function loadTarget(spec: string | ResolvedTarget): Promise<{ target: ResolvedTarget; bundle: BundleTargetInput }> {
  if (typeof spec !== 'string') return { target: spec, bundle: bundleTarget(spec) };
  if (!isProfilePath(spec)) {
    const target = resolveTarget(spec);
    return { target, bundle: bundleTarget(target) };
  }
  const profile = await loadTargetProfile(spec);
  const target = resolveTarget(profile, { name: spec });
  const generated = bundleTarget(target);
  const captured = JSON.parse(JSON.stringify(profile)) as Record<string, JsonValue>;
  return { target, bundle: { ...generated, profile: { ...generated.profile, ...captured, marker_environment: generated.profile.marker_environment!, tags: generated.profile.tags! } } };
}

/**
 * The wheels of `lockFile`, checked: the lock fits the target (`assertLockMatchesTarget`), was
 * made for the app's current requirements, and each locked wheel is offered by the sources with
 * the locked sha256 and size. Every problem is reported at once.
 */
async function wheelsFromLock(
  lockFile: string,
  app: AppSpec,
  target: ResolvedTarget,
  sources: readonly WheelSource[],
  progress: ((p: BuildProgress) => void) | undefined,
): Promise<{ lock: Lock; wheels: ChosenWheel[] }> {
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR';
    throw new SneakpackError(code, `cannot read the lock file ${lockFile}: ${(e as Error).message}`, { cause: e, details: { file: lockFile } });
  }
  const lock = parseLock(text, lockFile);
  const check = assertLockMatchesTarget(lock, target, lockFile);
  const mismatch = (problems: string[]): SneakpackError =>
    new SneakpackError('LOCK_MISMATCH', `${lockFile} cannot be used for this build:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      details: { file: lockFile, problems },
    });

  // A lock made for other requirements is stale, even if its wheels still exist.
  const info = lock.sneakpack!;
  const roots = app.requirements
    .filter((r) => r.marker === null || r.marker.evaluate(target.markerEnvironment, { extra: '' }))
    .map(String);
  const stale: string[] = [];
  const diff = (what: string, locked: readonly string[], now: readonly string[]): void => {
    const a = [...locked].sort();
    const b = [...now].sort();
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      stale.push(`it was made for ${what} [${a.join(', ')}], the app now has [${b.join(', ')}]; run "sneakpack lock" again`);
    }
  };
  diff('requirements', info.requirements, roots);
  diff('extras', info.extras, app.extras);
  diff('constraints', info.constraints, app.constraints.map(String));
  if (stale.length > 0) throw mismatch(stale);

  const source = sources.length === 1 ? snapshotFolder(sources[0]!) : multiSource(sources.map(snapshotFolder));
  const problems: string[] = [];
  const wheels: ChosenWheel[] = [];
  let done = 0;
  for (const p of lock.packages) {
    const chosen = check.selected.get(p.name);
    if (chosen === undefined) continue; // its marker does not hold on the target
    const w = p.wheels.find((x) => x.name === chosen)!;
    const label = `${p.name} ${p.version}`;
    const parsed = parseWheelFilename(w.name);
    if (parsed.normalizedName !== p.name || parsed.version.compare(p.version) !== 0) {
      problems.push(`${label}: its wheel ${w.name} is for ${parsed.normalizedName} ${parsed.version}`);
      continue;
    }
    progress?.({ phase: 'lock', done, total: lock.packages.length, filename: w.name });
    const offered: DistFile | undefined = (await source.listFiles(p.name)).find((f) => f.filename === w.name);
    if (offered === undefined) {
      problems.push(`${label}: ${w.name} is not offered by ${source.label}`);
      continue;
    }
    const lockedSha = w.hashes.sha256!;
    const listed = offered.hashes.sha256;
    if (listed !== undefined && listed !== lockedSha) {
      problems.push(`${label}: ${source.label} lists ${w.name} with sha256 ${listed}, the lock says ${lockedSha}`);
      continue;
    }
    const fetched = await source.fetch(offered);
    if (fetched.sha256 !== lockedSha) {
      problems.push(`${label}: ${w.name} from ${offered.sourceLabel} has sha256 ${fetched.sha256}, the lock says ${lockedSha}`);
      continue;
    }
    if (w.size !== undefined && w.size !== fetched.size) {
      problems.push(`${label}: ${w.name} from ${offered.sourceLabel} is ${fetched.size} bytes, the lock says ${w.size}`);
      continue;
    }
    done++;
    wheels.push({
      name: p.name,
      version: p.version.toString(),
      filename: w.name,
      path: fetched.path,
      sha256: fetched.sha256,
      size: fetched.size,
      requiresPython: p.requiresPython === null ? null : p.requiresPython.toString(),
      dependencies: p.dependencies.map((d) => d.name),
      file: offered,
      tags: parsed.tags.map(String),
    });
  }
  if (problems.length > 0) throw mismatch(problems);
  return { lock, wheels };
}
