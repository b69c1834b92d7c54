/**
 * PEP 751 lock files (`pylock.toml`): the wheel closure resolved for one target, written
 * deterministically, read back strictly, and checked against a target.
 * @see https://packaging.python.org/en/latest/specifications/pylock-toml/
 * @packageDocumentation
 */
export {
  LOCK_VERSION,
  CREATED_BY,
  writeLock,
  parseLock,
  validateLock,
  isNormalizedName,
  type Lock,
  type LockPackage,
  type LockWheel,
  type LockDependency,
  type LockTarget,
  type SneakpackLockInfo,
} from './lock.js';
export {
  ENVIRONMENT_MARKER_VARIABLES,
  targetEnvironmentMarker,
  targetRequiresPython,
  targetTagsDigest,
  lockTarget,
  createLock,
  lockMatchesTarget,
  assertLockMatchesTarget,
  type CreateLockInput,
  type LockTargetCheck,
} from './target.js';
