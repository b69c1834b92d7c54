/**
 * Typed errors. Every error a user can meet is a {@link SneakpackError} whose `code` comes from
 * the {@link ErrorCode} union: tests and scripts match on the code, people read the message.
 * Messages name the input (file, package, field) and, for syntax errors, show the source with a
 * caret under the offending position (see {@link caretLine}).
 *
 * This module is pure: no I/O, so spec modules may import it.
 */

/** Every error code sneakpack can raise. Grouped by the module that raises it. */
export type ErrorCode =
  // PEP 440 (src/pep440)
  | 'INVALID_VERSION'
  | 'INVALID_SPECIFIER'
  // PEP 508 (src/pep508)
  | 'INVALID_REQUIREMENT'
  | 'INVALID_MARKER'
  | 'UNDEFINED_MARKER_VARIABLE'
  | 'INVALID_MARKER_COMPARISON'
  // PEP 425 / 600 / 656 (src/tags)
  | 'INVALID_TAG'
  | 'INVALID_TARGET'
  | 'UNSUPPORTED_TARGET'
  // Probing a real interpreter (src/target/probe.ts)
  | 'PROBE_FAILED'
  // Wheels and core metadata (src/wheel)
  | 'INVALID_WHEEL_FILENAME'
  | 'INVALID_METADATA'
  | 'INVALID_WHEEL_FILE'
  | 'INVALID_RECORD'
  | 'INVALID_ENTRY_POINTS'
  | 'INVALID_NAME'
  // Paths from archives (one guard for all)
  | 'UNSAFE_PATH'
  // Keys and signatures (src/sign)
  | 'INVALID_KEY'
  | 'INVALID_SIGNATURE'
  | 'WRONG_PASSPHRASE'
  | 'UNTRUSTED_KEY'
  | 'SIGNATURE_MISMATCH'
  | 'INVALID_CHECKSUM_LIST'
  | 'CHECKSUM_MISMATCH'
  // Wheel sources: package indexes and downloads (src/sources)
  | 'INDEX_ERROR'
  | 'HASH_MISMATCH'
  // Dependency resolution (src/resolve)
  | 'RESOLUTION_IMPOSSIBLE'
  | 'RESOLUTION_TOO_DEEP'
  // The wheel closure for a target (src/resolve/wheel-provider.ts, src/build)
  | 'NO_MATCHING_DISTRIBUTION'
  // The box: releases, atomic switch, rollback (src/install/release.ts)
  | 'BOX_INCOMPATIBLE'
  | 'DOWNGRADE_REFUSED'
  | 'POST_INSTALL_FAILED'
  | 'APP_LOCKED'
  | 'APP_NOT_INSTALLED'
  | 'NO_PREVIOUS_RELEASE'
  // Reading the app: pyproject.toml, requirements files, its files (src/app)
  | 'INVALID_PYPROJECT'
  | 'INVALID_REQUIREMENTS_FILE'
  | 'UNSUPPORTED_REQUIREMENT'
  | 'UNSUPPORTED_FILE'
  // PEP 751 lock files (src/lock)
  | 'INVALID_LOCK'
  | 'LOCK_MISMATCH'
  // Installing wheels into a venv (src/install/wheel-install.ts, venv.ts)
  | 'VENV_FAILED'
  | 'INSTALL_CONFLICT'
  | 'ARCHIVE_TOO_LARGE'
  // Bundles: writing, verifying, extracting (src/bundle)
  | 'BUNDLE_CORRUPT'
  | 'BUNDLE_TRUNCATED'
  | 'BUNDLE_TRAILING_DATA'
  | 'BUNDLE_TOO_LARGE'
  | 'BUNDLE_LAYOUT'
  | 'BUNDLE_LINK'
  | 'BUNDLE_UNSUPPORTED_ENTRY'
  | 'BUNDLE_PAX_HEADER'
  | 'BUNDLE_ENTRY_UNLISTED'
  | 'BUNDLE_ENTRY_MISSING'
  | 'BUNDLE_DUPLICATE_ENTRY'
  | 'BUNDLE_SIZE_MISMATCH'
  | 'BUNDLE_INVALID_MANIFEST'
  | 'BUNDLE_FORMAT_UNSUPPORTED'
  | 'BUNDLE_INPUT_CHANGED'
  // Command line and files
  | 'USAGE'
  | 'FILE_NOT_FOUND'
  | 'FILE_EXISTS'
  | 'IO_ERROR';

/** Base class of every error sneakpack raises on purpose. */
export class SneakpackError extends Error {
  /** Stable, machine-readable code; match on this, not on the message. */
  readonly code: ErrorCode;
  /** Optional structured details (the input, the position, the file…) for `--json` output. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SneakpackError';
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

/** True when `e` is a {@link SneakpackError}, optionally with the given code. */
export function isSneakpackError(e: unknown, code?: ErrorCode): e is SneakpackError {
  return e instanceof SneakpackError && (code === undefined || e.code === code);
}

/**
 * Two lines that show `source` and a caret run under `[start, end)`, for syntax errors:
 *
 * ```
 *     requests >= 2.0 ; python_versoin > "3"
 *                       ^^^^^^^^^^^^^^
 * ```
 */
export function caretLine(source: string, start: number, end: number = start + 1): string {
  const s = Math.max(0, Math.min(start, source.length));
  const e = Math.max(s + 1, Math.min(end, source.length + 1));
  return `    ${source}\n    ${' '.repeat(s)}${'^'.repeat(e - s)}`;
}

/**
 * The error for a failed file-system call on `file` while trying to `doing` ("read it", "hash
 * it"): `FILE_NOT_FOUND` for ENOENT, else `IO_ERROR` with the system's reason and a hint for a
 * full disk or a permission problem. A {@link SneakpackError} passes through unchanged.
 */
export function ioError(err: unknown, file: string, doing: string): SneakpackError {
  if (err instanceof SneakpackError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'ENOENT') {
    return new SneakpackError('FILE_NOT_FOUND', `${file}: no such file (${doing}); check the path`, { cause: err, details: { file } });
  }
  const hint = code === 'ENOSPC' ? ' (the disk is full)' : code === 'EACCES' || code === 'EPERM' ? ' (permission denied)' : '';
  const reason = err instanceof Error ? err.message : String(err);
  return new SneakpackError('IO_ERROR', `${file}: cannot ${doing}: ${reason}${hint}`, { cause: err, details: { file } });
}
