/**
 * The builder on the connected PC: resolve an app's complete wheel closure for ONE target box
 * ({@link resolveClosure}, with the pip-compatible {@link WheelProvider}), write it as a PEP 751
 * lock ({@link lockApp}), and build the signed bundle ({@link buildBundle}).
 * @packageDocumentation
 */
export { buildBundle, bundleApp, loadTarget, type BuildOptions, type BuildProgress, type BuiltBundle, type BuiltWheel } from './build.js';
export {
  lockApp,
  closureLock,
  lockPackages,
  appOptions,
  writeFileAtomic,
  type AppOptions,
  type LockAppOptions,
  type LockedApp,
  type LockablePackage,
  type WheelLocation,
} from './lock.js';
export { buildSources, type BuildSources, type SourceOptions } from './sources.js';
export {
  resolveClosure,
  snapshotFolder,
  type Closure,
  type ClosureApp,
  type ClosureOptions,
  type ClosurePackage,
  type ClosureProgress,
  type ClosureReason,
} from '../resolve/closure.js';
export {
  WheelProvider,
  WheelCandidate,
  ExtrasCandidate,
  PythonCandidate,
  SpecifierRequirement,
  ExplicitRequirement,
  RequiresPythonRequirement,
  REQUIRES_PYTHON_IDENTIFIER,
  explainFailure,
  formatIdentifier,
  parseIdentifier,
  isPinned,
  targetLabel,
  targetPythonVersion,
  type WheelRequirement,
  type WheelCandidateLike,
  type WheelProviderOptions,
  type ConstraintSpec,
  type FileProblem,
  type JudgedFile,
  type ProjectFiles,
} from '../resolve/wheel-provider.js';
