/**
 * The release manager: turn a verified bundle into a running app atomically, or change nothing;
 * list, roll back and remove apps. Issue 5 ("The box installer") and issue 6 ("Faults").
 *
 * `installBundle` runs these steps, each of which can fail without `current` moving:
 *
 * 1. Verify + extract the bundle (signature, then every hash, and the whole file's sha256 for
 *    the release name, in one streaming pass) into `PREFIX/.staging/<pid>-<random>/`. Nothing
 *    else under the prefix changes before the bundle is verified; a refused bundle leaves the
 *    prefix as it found it.
 * 2. Check the box: probe `python` (started at once, running while the bundle is verified, but
 *    only looked at afterwards) and require every wheel's tags to be among its tags
 *    (`wheelCompatibility`) and its version to satisfy the app's requires-python
 *    (`BOX_INCOMPATIBLE`).
 * 3. Take `PREFIX/APP/.lock`, clean what a killed run left, and refuse a downgrade
 *    (`DOWNGRADE_REFUSED`) unless allowed. Installing the bundle that is already current is a
 *    no-op (`status: "unchanged"`); the same version from another bundle is a new release.
 * 4. Build the release in place, `PREFIX/APP/releases/<VERSION>-<sha12>/` — in place because a
 *    venv's scripts carry its absolute path in their shebangs, so it cannot be moved after it is
 *    built. (The empty venv itself is made in staging while the bundle is verified, and moved in
 *    by `relocateVenv`, which rewrites the files that spell its path: the `activate` scripts and
 *    `pyvenv.cfg`.) Until its marker file is written the folder is invisible to `current` and a
 *    later run deletes it. Into it: a fresh venv, every wheel (a wheel file the current release
 *    also has, installed by the same interpreter, is shared with it by hard links instead of
 *    written again: {@link sharableWheels}), the app's source in `app/` (moved, not copied, from
 *    staging), a `.pth` that puts `app/` on `sys.path`, launchers for the app's
 *    `[project.scripts]`, an `env` file, and optionally byte-code.
 * 5. Run the app's post-install commands in the new release (`POST_INSTALL_FAILED`).
 * 6. Flush the release to the disk (`syncfs`, so a power cut cannot leave `current` on empty
 *    files), write the marker, record the activation in `history.json`, and switch `current`
 *    with a rename. Then prune old releases.
 *
 * How the app finds its data folder: `PREFIX/APP/data` is exported as the manifest's
 * `data_dir_env` variable (if it names one) by the app's launchers (`os.environ.setdefault`, so
 * an administrator can still override it), to post-install commands, and written to
 * `release/env` (`NAME=VALUE` lines, for systemd's `EnvironmentFile=` or `set -a; . env`).
 *
 * I/O the tests want to replace (the bundle reader, the probe, the venv and wheel installer,
 * child processes) comes in through {@link InstallOps}; the prefix bookkeeping is in ./prefix.ts.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { SneakpackError, ioError as baseIoError } from '../errors.js';
import { compareVersions, parseSpecifierSet, parseVersion } from '../pep440/index.js';
import { parseTag, TagSet, wheelCompatibility } from '../tags/index.js';
import { parseWheelFilename } from '../wheel/index.js';
import type { TrustedKeys } from '../sign/index.js';
import {
  type AppPaths,
  type ReleaseInfo,
  RELEASE_MARKER,
  acquireLock,
  appFolders,
  appPaths,
  choosePrune,
  cleanAppLeftovers,
  cleanStaleStaging,
  dropStaging,
  exists,
  fsyncDir,
  ioError,
  makeStaging,
  pushRelease,
  readCurrent,
  readHistory,
  readReleaseInfo,
  reconcileHistory,
  releaseFolders,
  releaseName,
  removeViaTrash,
  resolvePrefix,
  setCurrent,
  syncTree,
  writeFileAtomic,
  writeHistory,
} from './prefix.js';
import { defaultOps, type AppScript, type BoxProbe, type BundleManifest, type InstallOps, type VenvInfo } from './ops.js';
import { DEFAULT_KEEP_RELEASES } from '../app/pyproject.js';

export type { AppScript, BoxProbe, BundleManifest, BundleWheel, CommandResult, ExtractedBundle, InstallOps, VenvInfo } from './ops.js';
export { runCommand } from './ops.js';

/** How many releases an app keeps when neither the option nor the manifest says. */
export { DEFAULT_KEEP_RELEASES };

/** The steps of an install, in order, as reported to `onProgress`. */
export type InstallStage =
  | 'verify'
  | 'check'
  | 'lock'
  | 'venv'
  | 'wheel'
  | 'app'
  | 'compile'
  | 'post-install'
  | 'commit'
  | 'switch'
  | 'prune'
  | 'done';

/** One progress report. `detail` names the wheel or command where there is one. */
export interface InstallProgress {
  readonly stage: InstallStage;
  readonly detail?: string;
  /**
   * For `post-install`: 1-based index and count. For `wheel`, sent as each wheel is installed
   * (several may install at once): how many are installed so far, and the count.
   */
  readonly index?: number;
  readonly total?: number;
}

/** Options of {@link installBundle}. */
export interface InstallOptions {
  /** Keys a bundle must be signed by (from `loadTrustedKeys`). */
  readonly trusted: TrustedKeys;
  /** Install prefix; default `$SNEAKPACK_PREFIX` or `/opt/sneakpack`. */
  readonly prefix?: string;
  /** The box's interpreter, a command or a path (default `python3`). */
  readonly python?: string;
  /** Install a lower version than the current one. */
  readonly allowDowngrade?: boolean;
  /** Byte-compile the venv and the app. */
  readonly compile?: boolean;
  /** Wheels installed at once, on as many threads (default `SNEAKPACK_JOBS`, else 1). */
  readonly jobs?: number;
  /** Releases to keep (at least 2); default the manifest's `keep_releases`, else 3. */
  readonly keepReleases?: number;
  readonly onProgress?: (event: InstallProgress) => void;
  /** Replace I/O (tests). */
  readonly ops?: Partial<InstallOps>;
}

/** What {@link installBundle} did. */
export interface InstallResult {
  /** `installed` (first release), `upgraded`, `reinstalled` (same version, other bundle), `downgraded`, or `unchanged` (already current). */
  readonly status: 'installed' | 'upgraded' | 'reinstalled' | 'downgraded' | 'unchanged';
  readonly app: string;
  readonly version: string;
  /** The release folder name, `<VERSION>-<sha12>`. */
  readonly release: string;
  readonly releaseDir: string;
  /** The release that was current before, or null. */
  readonly previous: string | null;
  readonly prefix: string;
  readonly dataDir: string;
  readonly bundleSha256: string;
  /** Key number of the signing key. */
  readonly signer: string;
  readonly python: string;
  readonly pythonVersion: string;
  /** Launchers written for the app (absolute paths). */
  readonly scripts: readonly string[];
  /** Release folders deleted by pruning. */
  readonly pruned: readonly string[];
  /** Files hard-linked from the previous release (unchanged wheels) rather than written. */
  readonly sharedFiles: number;
}

function reportProgress(options: InstallOptions, event: InstallProgress): void {
  options.onProgress?.(event);
}

/**
 * Verify `bundleFile` and install it as the new current release of its app under the prefix.
 *
 * @throws SneakpackError — the bundle's own codes (signature, checksums, unsafe paths…),
 *   `BOX_INCOMPATIBLE`, `DOWNGRADE_REFUSED`, `POST_INSTALL_FAILED`, `APP_LOCKED`, the wheel
 *   installer's codes, `IO_ERROR`. In every case `current` and the data folder are as they were.
 */
export async function installBundle(bundleFile: string, options: InstallOptions): Promise<InstallResult> {
  const ops: InstallOps = { ...defaultOps, ...(options.ops ?? {}) };
  if (options.ops?.installWheel !== undefined && options.ops.installWheels === undefined) {
    // A caller that replaces the one-wheel operation gets it called for every wheel, in order.
    const one = options.ops.installWheel;
    ops.installWheels = async (wheels, venv, onInstalled) => {
      const out: unknown[] = [];
      for (const [i, w] of wheels.entries()) {
        out.push(await one(w.wheelPath, venv, { expected: w.expected, ...(w.reuse ? { reuse: w.reuse } : {}) }));
        onInstalled(i, i + 1);
      }
      return out;
    };
  }
  const prefix = resolvePrefix(options.prefix);
  const python = options.python ?? 'python3';
  if (options.keepReleases !== undefined && (!Number.isInteger(options.keepReleases) || options.keepReleases < 2)) {
    throw new SneakpackError('USAGE', `keep-releases must be a whole number of at least 2 (current and previous), got ${options.keepReleases}`, {
      details: { keepReleases: options.keepReleases },
    });
  }
  // The probe reads nothing from the bundle: run the interpreter while the bundle is verified
  // (another core), and look at its answer only once the bundle is.
  const probing = ops.probe(python);
  probing.catch(() => undefined);

  // Before anything under the prefix: an unreadable bundle fails here.
  await checkReadable(bundleFile);

  await cleanStaleStaging(prefix);
  const staging = await makeStaging(prefix);
  // The venv needs nothing from the bundle either: make it in staging while the bundle is
  // verified, and move it into the release once there is one (relocateVenv).
  const stagedVenv = ops.createVenv(python, path.join(staging.dir, 'venv'));
  stagedVenv.catch(() => undefined);
  try {
    reportProgress(options, { stage: 'verify', detail: bundleFile });
    const extractDir = path.join(staging.dir, 'bundle');
    const verified = await ops.extract(bundleFile, extractDir, { trusted: options.trusted });
    // The reader hashes the whole file in its one pass; a reader that does not gets a second pass.
    const bundleSha256 = verified.sha256 ?? (await ops.hashFile(bundleFile));
    const top = await bundleTop(extractDir);
    const manifest = verified.manifest;
    const paths = appPaths(prefix, manifest.app.name);
    const version = parseVersion(manifest.app.version).toString();
    const name = releaseName(version, bundleSha256);

    reportProgress(options, { stage: 'check', detail: python });
    const box = await probing;
    checkBox(manifest, box, python);

    reportProgress(options, { stage: 'lock', detail: paths.lock });
    const createdApp = !(await exists(paths.root));
    await mkdirp(paths.root);
    let lock;
    try {
      lock = await acquireLock(paths.lock, { command: `install ${path.basename(bundleFile)}` });
    } catch (err) {
      if (createdApp) await fs.rm(paths.root, { recursive: true, force: true });
      throw err;
    }
    let succeeded = false;
    try {
      const result = await installLocked({ options, ops, paths, manifest, version, name, top, python, box, bundleSha256, signer: verified.keynum, stagedVenv });
      succeeded = true;
      return result;
    } finally {
      await lock.release();
      if (!succeeded && createdApp) {
        // A failed first install leaves no trace, not even the data folder it made.
        await fs.rm(paths.root, { recursive: true, force: true });
      }
    }
  } finally {
    // Not while the interpreter may still be writing the staged venv.
    await stagedVenv.catch(() => undefined);
    await dropStaging(staging.dir, staging.createdPrefix);
  }
}

interface LockedInstall {
  options: InstallOptions;
  ops: InstallOps;
  paths: AppPaths;
  manifest: BundleManifest;
  version: string;
  name: string;
  top: string;
  python: string;
  box: BoxProbe;
  bundleSha256: string;
  signer: string;
  /** The venv being made in staging since the install began. */
  stagedVenv: Promise<VenvInfo>;
}

async function installLocked(job: LockedInstall): Promise<InstallResult> {
  const { options, ops, paths, manifest, version, name, top, python, bundleSha256 } = job;
  await cleanAppLeftovers(paths);
  const current = await readCurrent(paths);
  const currentInfo = current === null ? null : await readReleaseInfo(path.join(paths.releases, current));
  const releaseDir = path.join(paths.releases, name);
  const base = {
    app: paths.app,
    version,
    release: name,
    releaseDir,
    previous: current,
    prefix: paths.prefix,
    dataDir: paths.data,
    bundleSha256,
    signer: job.signer,
  };

  if (current === name && currentInfo !== null) {
    reportProgress(options, { stage: 'done', detail: 'already current' });
    return { ...base, status: 'unchanged', python: currentInfo.python, pythonVersion: currentInfo.python_version, scripts: [], pruned: [], sharedFiles: 0 };
  }
  const order = currentInfo === null ? null : compareVersions(version, currentInfo.version);
  if (order !== null && order < 0 && !options.allowDowngrade) {
    throw new SneakpackError(
      'DOWNGRADE_REFUSED',
      `${paths.app} ${version} is older than the current release ${currentInfo!.version} (${current}); pass --allow-downgrade to install it anyway`,
      { details: { app: paths.app, version, current: currentInfo!.version, release: current } },
    );
  }
  const status: InstallResult['status'] = order === null ? 'installed' : order > 0 ? 'upgraded' : order === 0 ? 'reinstalled' : 'downgraded';

  // The same bundle installed before but not current (rolled away from): build it afresh.
  await removeViaTrash(releaseDir, paths.trash);
  await mkdirp(paths.releases);
  await mkdirp(paths.data);
  await fs.mkdir(releaseDir).catch((err) => {
    throw ioError(err, releaseDir, 'create');
  });
  let committed = false;
  try {
    const previous = current === null || currentInfo === null ? null : { dir: path.join(paths.releases, current), info: currentInfo };
    const built = await buildRelease(job, releaseDir, previous);
    const info: ReleaseInfo = {
      format: 1,
      name,
      app: paths.app,
      version,
      bundle_sha256: bundleSha256,
      signer: job.signer,
      target: manifest.target.name,
      python,
      python_version: built.venv.pythonVersion,
      installed_at: new Date().toISOString(),
    };
    reportProgress(options, { stage: 'commit', detail: name });
    // The release's files on the disk first, then the marker that says it is complete.
    await syncTree(releaseDir);
    await writeFileAtomic(path.join(releaseDir, RELEASE_MARKER), JSON.stringify(info, null, 1) + '\n');
    await fsyncDir(paths.releases);
    committed = true;

    reportProgress(options, { stage: 'switch', detail: name });
    const history = await readHistory(paths);
    const gone = await missingReleases(paths, [...history.stack, ...history.before]);
    const stack = reconcileHistory(history, current, gone);
    await writeHistory(paths, pushRelease(stack, name), stack);
    await setCurrent(paths, name);

    reportProgress(options, { stage: 'prune' });
    const keep = options.keepReleases ?? manifest.app.keep_releases ?? DEFAULT_KEEP_RELEASES;
    const pruned = await prune(paths, Math.max(2, keep));
    reportProgress(options, { stage: 'done', detail: name });
    return { ...base, status, python, pythonVersion: built.venv.pythonVersion, scripts: built.scripts, pruned, sharedFiles: built.sharedFiles };
  } catch (err) {
    if (!committed) await removeViaTrash(releaseDir, paths.trash).catch(() => undefined);
    throw err;
  }
}

/**
 * The wheels of the previous release that this one can share files with: the same wheel file (name
 * and sha256, from the release's copy of its manifest) installed by the same interpreter, so every
 * file but scripts and RECORD is byte-for-byte what installing it again would write. Sharing is by
 * hard links (`installWheel`'s `reuse`): an upgrade that changes one wheel writes only that wheel.
 * Empty when anything about the previous release is unreadable: then everything is written.
 */
async function sharableWheels(previous: { dir: string; info: ReleaseInfo } | null, python: string, venv: VenvInfo): Promise<Map<string, string>> {
  const sharable = new Map<string, string>();
  if (previous === null || previous.info.python !== python || previous.info.python_version !== venv.pythonVersion) return sharable;
  try {
    const before = JSON.parse(await fs.readFile(path.join(previous.dir, 'manifest.json'), 'utf8')) as { wheels?: unknown };
    if (!Array.isArray(before.wheels)) return sharable;
    for (const w of before.wheels as { file?: unknown; sha256?: unknown }[]) {
      if (typeof w.file === 'string' && typeof w.sha256 === 'string') sharable.set(w.file, w.sha256);
    }
  } catch {
    // No readable manifest in the previous release: share nothing.
  }
  return sharable;
}

async function buildRelease(
  job: LockedInstall,
  releaseDir: string,
  previous: { dir: string; info: ReleaseInfo } | null,
): Promise<{ venv: VenvInfo; scripts: string[]; sharedFiles: number }> {
  const { options, ops, paths, manifest, top, python } = job;
  reportProgress(options, { stage: 'venv', detail: python });
  const venv = await ops.relocateVenv(await job.stagedVenv, path.join(releaseDir, 'venv'), python);

  const wheels = manifest.wheels;
  const sharable = await sharableWheels(previous, python, venv);
  const installed = await ops.installWheels(
    wheels.map((wheel) => ({
      wheelPath: path.join(top, 'wheels', wheel.file),
      expected: wheel,
      ...(previous !== null && sharable.get(wheel.file) === wheel.sha256 ? { reuse: { venvDir: path.join(previous.dir, 'venv') } } : {}),
    })),
    venv,
    (i, n) => reportProgress(options, { stage: 'wheel', detail: wheels[i]!.file, index: n, total: wheels.length }),
    options.jobs,
  );
  const sharedFiles = installed.reduce<number>((sum, r) => sum + ((r as { linked?: number } | undefined)?.linked ?? 0), 0);
  // The staged wheels are done with: gone before the release is flushed, their dirty pages are
  // dropped rather than written to the disk.
  await fs.rm(path.join(top, 'wheels'), { recursive: true, force: true });

  reportProgress(options, { stage: 'app', detail: manifest.app.name });
  const appDir = path.join(releaseDir, 'app');
  await moveTree(path.join(top, 'app'), appDir);
  for (const f of ['manifest.json', 'pylock.toml']) {
    if (await exists(path.join(top, f))) await fs.copyFile(path.join(top, f), path.join(releaseDir, f));
  }
  const importPaths = [appDir];
  if (await isDir(path.join(appDir, 'src'))) importPaths.push(path.join(appDir, 'src'));
  await fs.writeFile(path.join(venv.scheme.purelib, `_sneakpack_${paths.app.replace(/[-.]/g, '_')}.pth`), importPaths.join('\n') + '\n', { mode: 0o644 });

  const dataEnv = dataDirEnv(manifest);
  const env: Record<string, string> = dataEnv === null ? {} : { [dataEnv]: paths.data };
  await fs.writeFile(path.join(releaseDir, 'env'), envFileText({ ...env, VIRTUAL_ENV: venv.dir, SNEAKPACK_RELEASE: releaseDir }), { mode: 0o644 });
  const scripts = appScripts(manifest);
  const written = scripts.length === 0 ? [] : await ops.writeAppScripts(venv, scripts, env);

  if (options.compile) {
    reportProgress(options, { stage: 'compile' });
    await ops.compile(venv, [appDir]);
  }

  const commands = manifest.app.post_install ?? [];
  for (const [i, command] of commands.entries()) {
    const shown = command.join(' ');
    const argv = [...command];
    reportProgress(options, { stage: 'post-install', detail: shown, index: i + 1, total: commands.length });
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...env,
      PATH: [venv.scheme.scripts, process.env.PATH ?? '/usr/bin:/bin'].join(path.delimiter),
      VIRTUAL_ENV: venv.dir,
    };
    delete childEnv.PYTHONHOME;
    const run = await ops.runCommand(argv, { cwd: appDir, env: childEnv });
    if (run.code !== 0) {
      const how = run.error !== undefined ? `could not be started (${run.error})` : run.signal ? `was killed by ${run.signal}` : `exited with status ${run.code}`;
      const tail = run.output.trimEnd().split('\n').slice(-20).join('\n');
      throw new SneakpackError(
        'POST_INSTALL_FAILED',
        `post-install command ${JSON.stringify(shown)} of ${manifest.app.name} ${manifest.app.version} ${how}; nothing was switched${tail ? `. Its output ended with:\n${tail}` : ''}`,
        { details: { command, status: run.code, signal: run.signal, output: tail } },
      );
    }
  }
  return { venv, scripts: written, sharedFiles };
}

/**
 * Throw `BOX_INCOMPATIBLE` unless every wheel of the bundle installs on `box` (PEP 425 "Use")
 * and the box's Python satisfies the app's requires-python. Pure.
 */
export function checkBox(manifest: BundleManifest, box: BoxProbe, python = 'python3'): void {
  const supported = new TagSet(box.tags.flatMap((t) => parseTag(t)));
  const builtFor = targetMachine(manifest);
  const problems: { file: string; reason: string; detail: string }[] = [];
  for (const wheel of manifest.wheels) {
    const tags = parseWheelFilename(wheel.file).tags;
    const verdict = wheelCompatibility(tags, supported);
    if (!verdict.compatible) problems.push({ file: wheel.file, reason: verdict.reason, detail: verdict.detail });
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    const arch = builtFor !== null && builtFor !== box.uname_machine ? `bundle built for ${builtFor}, this box is ${box.uname_machine}; ` : '';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more wheel${problems.length > 2 ? 's' : ''}: ${problems.slice(1, 4).map((p) => p.file).join(', ')}${problems.length > 4 ? ', …' : ''})` : '';
    throw new SneakpackError(
      'BOX_INCOMPATIBLE',
      `${first.file} does not fit this box (${python}, Python ${box.python.version}): ${arch}${first.detail}${more}. ` +
        `The bundle was built for target ${manifest.target.name}; build one for this box (sneakpack target probe on the box gives its profile)`,
      { details: { wheel: first.file, reason: first.reason, wheels: problems, target: manifest.target.name, box: box.uname_machine } },
    );
  }
  for (const wheel of manifest.wheels) {
    const needs = wheel.requires_python;
    if (needs !== undefined && needs !== null && needs.trim() !== '' && !parseSpecifierSet(needs).contains(box.python.version, { prereleases: true })) {
      throw new SneakpackError(
        'BOX_INCOMPATIBLE',
        `${wheel.file} requires Python ${needs}, but ${python} on this box is ${box.python.version}`,
        { details: { wheel: wheel.file, requires_python: needs, python: box.python.version } },
      );
    }
  }
  const requires = manifest.app.requires_python;
  if (requires !== undefined && requires !== null && requires.trim() !== '') {
    if (!parseSpecifierSet(requires).contains(box.python.version, { prereleases: true })) {
      throw new SneakpackError(
        'BOX_INCOMPATIBLE',
        `${manifest.app.name} ${manifest.app.version} requires Python ${requires}, but ${python} on this box is ${box.python.version}`,
        { details: { requires_python: requires, python: box.python.version } },
      );
    }
  }
}

/**
 * The machine the bundle was built for: the profile's `uname_machine`, else its marker
 * environment's `platform_machine`, else the architecture at the end of the compact target or
 * the target name (`cp311-manylinux_2_36_armv7l`).
 */
function targetMachine(manifest: BundleManifest): string | null {
  const profile = manifest.target.profile as { uname_machine?: unknown; marker_environment?: { platform_machine?: unknown } } | undefined;
  if (profile !== undefined && typeof profile.uname_machine === 'string') return profile.uname_machine;
  const machine = profile?.marker_environment?.platform_machine;
  if (typeof machine === 'string' && machine !== '') return machine;
  const target = manifest.target as { name: string; compact?: string | null };
  for (const label of [target.compact, target.name]) {
    const m = typeof label === 'string' ? /_(x86_64|aarch64|armv7l|armv6l|i686|ppc64le|s390x|riscv64)$/.exec(label) : null;
    if (m !== null) return m[1]!;
  }
  return null;
}

function dataDirEnv(manifest: BundleManifest): string | null {
  const name = manifest.app.data_dir_env;
  if (name === undefined || name === null || name === '') return null;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new SneakpackError('INVALID_NAME', `data_dir_env ${JSON.stringify(name)} of ${manifest.app.name} is not an environment variable name`, { details: { data_dir_env: name } });
  }
  return name;
}

/** The app's `[project.scripts]` from the manifest (an object `{name: "module:attr"}` or a list). */
export function appScripts(manifest: BundleManifest): AppScript[] {
  const raw = manifest.app.scripts;
  if (raw === undefined || raw === null) return [];
  const pairs: [string, string][] = Array.isArray(raw)
    ? raw.map((s) => [s.name, s.value ?? `${s.module}${s.attr ? `:${s.attr}` : ''}`])
    : Object.entries(raw);
  return pairs
    .map(([name, value]) => {
      const m = /^\s*([\w.]+)\s*(?::\s*([\w.]+)\s*)?$/u.exec(value);
      if (m === null || name === '' || /[/\\\0]/.test(name) || name === '.' || name === '..') {
        throw new SneakpackError('INVALID_ENTRY_POINTS', `app script ${JSON.stringify(name)} = ${JSON.stringify(value)} of ${manifest.app.name}: expected a plain name and "module:function"`, {
          details: { name, value },
        });
      }
      return { name, module: m[1]!, attr: m[2] ?? null };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function envFileText(env: Record<string, string>): string {
  // systemd EnvironmentFile and POSIX sh both read NAME='value' (no quotes inside our paths).
  return Object.entries(env)
    .map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n') + '\n';
}

async function prune(paths: AppPaths, keep: number): Promise<string[]> {
  const current = await readCurrent(paths);
  const history = await readHistory(paths);
  const releases: { name: string; installedAt: string }[] = [];
  for (const name of await releaseFolders(paths)) {
    const info = await readReleaseInfo(path.join(paths.releases, name));
    if (info !== null) releases.push({ name, installedAt: info.installed_at });
  }
  const doomed = choosePrune(releases, history.stack, current, keep);
  for (const name of doomed) await removeViaTrash(path.join(paths.releases, name), paths.trash);
  return doomed;
}

async function missingReleases(paths: AppPaths, names: readonly string[]): Promise<Set<string>> {
  const gone = new Set<string>();
  for (const n of new Set(names)) if ((await readReleaseInfo(path.join(paths.releases, n))) === null) gone.add(n);
  return gone;
}

// ---------------------------------------------------------------------------------------------
// rollback, remove, list

/** What {@link rollback} did. */
export interface RollbackResult {
  readonly app: string;
  /** The release that was current. */
  readonly from: string;
  /** The release that is current now. */
  readonly to: string;
  readonly fromVersion: string;
  readonly toVersion: string;
}

/**
 * Make the previous release current again: the one activated before the current one, skipping
 * releases that have been pruned. The current release is taken off the history (it stays on disk
 * until pruned), so rolling back twice goes two releases back. Post-install commands are not run:
 * a release whose migrations changed the data may need the data restored by hand.
 *
 * @throws SneakpackError `APP_NOT_INSTALLED`, `NO_PREVIOUS_RELEASE`, `APP_LOCKED`.
 */
export async function rollback(app: string, options: { prefix?: string } = {}): Promise<RollbackResult> {
  const paths = appPaths(resolvePrefix(options.prefix), app);
  if ((await readCurrent(paths)) === null) throw notInstalled(paths);
  const lock = await acquireLock(paths.lock, { command: `rollback ${paths.app}` });
  try {
    await cleanAppLeftovers(paths);
    const current = await readCurrent(paths);
    if (current === null) throw notInstalled(paths);
    const history = await readHistory(paths);
    const gone = await missingReleases(paths, [...history.stack, ...history.before]);
    const stack = reconcileHistory(history, current, gone);
    const rest = stack.slice(0, -1);
    const previous = rest[rest.length - 1];
    if (previous === undefined) {
      throw new SneakpackError('NO_PREVIOUS_RELEASE', `${paths.app} has no previous release to roll back to (current is ${current}; older releases were pruned or never installed)`, {
        details: { app: paths.app, current },
      });
    }
    const fromInfo = await readReleaseInfo(path.join(paths.releases, current));
    const toInfo = (await readReleaseInfo(path.join(paths.releases, previous)))!;
    await writeHistory(paths, rest, stack);
    await setCurrent(paths, previous);
    return { app: paths.app, from: current, to: previous, fromVersion: fromInfo?.version ?? '?', toVersion: toInfo.version };
  } finally {
    await lock.release();
  }
}

function notInstalled(paths: AppPaths): SneakpackError {
  return new SneakpackError('APP_NOT_INSTALLED', `${paths.app} is not installed under ${paths.prefix} (no ${paths.current}); sneakpack list shows what is`, {
    details: { app: paths.app, prefix: paths.prefix },
  });
}

/** What {@link removeApp} did. */
export interface RemoveResult {
  readonly app: string;
  readonly releases: readonly string[];
  /** True when the data folder was kept (`keepData`). */
  readonly keptData: boolean;
  readonly dataDir: string;
}

/**
 * Remove an app: `current` first (so it is never half-installed-looking), then its releases and
 * history, then — unless `keepData` — the whole app folder including its data. The folder is
 * renamed into the prefix's staging area before it is deleted, so a crash midway leaves nothing a
 * later run would mistake for the app (and the next install's cleanup finishes the job).
 *
 * @throws SneakpackError `APP_NOT_INSTALLED` when there is no such app folder; `APP_LOCKED`.
 */
export async function removeApp(app: string, options: { prefix?: string; keepData?: boolean } = {}): Promise<RemoveResult> {
  const prefix = resolvePrefix(options.prefix);
  const paths = appPaths(prefix, app);
  if (!(await isDir(paths.root))) throw notInstalled(paths);
  const lock = await acquireLock(paths.lock, { command: `remove ${paths.app}` });
  let keepLockFile = false;
  try {
    const releases = await releaseFolders(paths);
    await fs.rm(paths.current, { force: true });
    await fsyncDir(paths.root);
    if (options.keepData) {
      await fs.rm(paths.history, { force: true });
      await removeViaTrash(paths.releases, paths.trash);
      await fs.rm(paths.trash, { recursive: true, force: true });
      for (const e of await fs.readdir(paths.root)) {
        if (/^(current|history\.json)\.tmp-/.test(e)) await fs.rm(path.join(paths.root, e), { force: true });
      }
      return { app: paths.app, releases, keptData: true, dataDir: paths.data };
    }
    const staging = await makeStaging(prefix);
    const doomed = path.join(staging.dir, paths.app);
    try {
      await fs.rename(paths.root, doomed);
    } catch (err) {
      await dropStaging(staging.dir);
      throw ioError(err, paths.root, 'remove');
    }
    keepLockFile = true; // it moved with the folder; deleting it is deleting the folder
    await fsyncDir(prefix);
    await dropStaging(staging.dir);
    return { app: paths.app, releases, keptData: false, dataDir: paths.data };
  } finally {
    if (!keepLockFile) await lock.release();
  }
}

/** One release of an app, as {@link listApps} reports it. */
export interface ReleaseSummary {
  readonly name: string;
  readonly version: string;
  readonly installedAt: string;
  readonly current: boolean;
  /** The release `rollback` would switch to. */
  readonly previous: boolean;
}

/** One app under the prefix. */
export interface AppSummary {
  readonly app: string;
  readonly root: string;
  /** The current release's folder name and version, or null (data kept after remove, or a failed first install). */
  readonly current: string | null;
  readonly version: string | null;
  readonly previous: string | null;
  readonly releases: readonly ReleaseSummary[];
  readonly dataDir: string;
  readonly hasData: boolean;
}

/** The apps installed under `prefix` (read-only: takes no lock). */
export async function listApps(prefix?: string): Promise<AppSummary[]> {
  const root = resolvePrefix(prefix);
  const apps: AppSummary[] = [];
  for (const folder of await appFolders(root)) {
    const paths = appPaths(root, folder);
    const current = await readCurrent(paths).catch(() => null);
    const history = await readHistory(paths).catch(() => ({ format: 1 as const, stack: [], before: [] }));
    const infos = new Map<string, ReleaseInfo>();
    for (const name of await releaseFolders(paths)) {
      const info = await readReleaseInfo(path.join(paths.releases, name));
      if (info !== null) infos.set(name, info);
    }
    const gone = new Set([...history.stack, ...history.before].filter((n) => !infos.has(n)));
    const stack = reconcileHistory(history, current, gone);
    const previous = current === null ? null : (stack.slice(0, -1).pop() ?? null);
    const releases = [...infos.values()]
      .sort((a, b) => compareVersions(a.version, b.version) || (a.installed_at < b.installed_at ? -1 : 1))
      .map((i) => ({ name: i.name, version: i.version, installedAt: i.installed_at, current: i.name === current, previous: i.name === previous }));
    apps.push({
      app: folder,
      root: paths.root,
      current,
      version: current === null ? null : (infos.get(current)?.version ?? null),
      previous,
      releases,
      dataDir: paths.data,
      hasData: await isDir(paths.data),
    });
  }
  return apps;
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Where the extracted bundle's files are: `extractDir` itself (the extractor drops the top folder), or its one sub-folder. */
/** Open `file` and read its first byte: a missing or unreadable bundle fails before the prefix is touched. */
async function checkReadable(file: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    await handle.read(Buffer.alloc(1), 0, 1, 0);
  } catch (err) {
    throw baseIoError(err, file, 'read the bundle');
  } finally {
    await handle?.close();
  }
}

async function bundleTop(extractDir: string): Promise<string> {
  if (await exists(path.join(extractDir, 'manifest.json'))) return extractDir;
  const entries = (await fs.readdir(extractDir, { withFileTypes: true })).filter((e) => e.isDirectory());
  if (entries.length !== 1) {
    throw new SneakpackError('IO_ERROR', `${extractDir}: the extracted bundle has no manifest.json`, { details: { dir: extractDir } });
  }
  return path.join(extractDir, entries[0]!.name);
}

async function mkdirp(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true }).catch((err) => {
    throw ioError(err, dir, 'create');
  });
}

async function isDir(p: string): Promise<boolean> {
  return fs.stat(p).then((s) => s.isDirectory(), () => false);
}

/** Move a tree: a rename on one filesystem; a copy then delete across filesystems (EXDEV). */
async function moveTree(from: string, to: string): Promise<void> {
  if (!(await exists(from))) {
    await mkdirp(to);
    return;
  }
  try {
    await fs.rename(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw ioError(err, from, 'move');
  }
  await copyTree(from, to);
}

async function copyTree(from: string, to: string): Promise<void> {
  const st = await fs.lstat(from);
  if (st.isDirectory()) {
    await fs.mkdir(to, { mode: st.mode & 0o777 });
    for (const e of await fs.readdir(from)) await copyTree(path.join(from, e), path.join(to, e));
  } else if (st.isFile()) {
    await fs.copyFile(from, to);
    await fs.chmod(to, st.mode & 0o777);
  }
  // Anything else cannot come from a verified bundle (the extractor refuses links and devices).
}


