/**
 * The box side (issue 5): sneakpack's releases under an install prefix — verified, atomic
 * installs into a fresh venv, upgrades, rollback and removal ({@link ./release.ts}), the prefix
 * layout and its crash-safe moves ({@link ./prefix.ts}), the replaceable I/O ({@link ./ops.ts}),
 * venvs ({@link ./venv.ts}) and sneakpack's own PEP 427 wheel installer ({@link ./wheel-install.ts}).
 * @module
 */
export {
  type AppSummary,
  type InstallOptions,
  type InstallProgress,
  type InstallResult,
  type InstallStage,
  type ReleaseSummary,
  type RemoveResult,
  type RollbackResult,
  appScripts,
  checkBox,
  installBundle,
  listApps,
  removeApp,
  rollback,
} from './release.js';
export {
  type AppScript as LauncherScript,
  type BoxProbe,
  type BundleManifest as ReleaseManifest,
  type BundleWheel,
  type CommandResult,
  type ExtractedBundle,
  type InstallOps,
  appLauncherText,
  defaultOps,
  runCommand,
} from './ops.js';
export {
  type AppLock,
  type AppPaths,
  type History,
  type LockOptions,
  type LockOwner,
  type ReleaseInfo,
  DEFAULT_PREFIX,
  PREFIX_ENV,
  RELEASE_MARKER,
  acquireLock,
  appFolderName,
  appPaths,
  choosePrune,
  pushRelease,
  readCurrent,
  reconcileHistory,
  releaseName,
  resolvePrefix,
} from './prefix.js';
export { type CompileResult, type CreateVenvOptions, type VenvInfo, compileVenv, createVenv, describeVenv, relocateVenv } from './venv.js';
export { type InstallLimits, type InstallWheelOptions, type InstalledWheel, DEFAULT_INSTALL_LIMITS, installWheel } from './wheel-install.js';
