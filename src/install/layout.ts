/**
 * Where each file of a wheel goes, and the installed `RECORD` — the pure half of installing a
 * wheel (as pypa/installer separates `_core.install` from its destination): no I/O here, only
 * path arithmetic, so every decision can be unit-tested.
 *
 * Binary distribution format spec, "Installing a wheel" (PEP 427): the archive root goes to
 * purelib or platlib (`Root-Is-Purelib`), `{name}-{version}.data/{scheme}/…` to that scheme's
 * directory. Recording installed projects spec, "The RECORD file": installed paths are relative
 * to the directory holding `.dist-info` (site-packages), `../` allowed.
 */
import * as path from 'node:path';
import { SneakpackError } from '../errors.js';
import { safeJoin } from '../paths.js';
import { type RecordEntry, type SchemeName, isSchemeName, SCHEME_NAMES } from '../wheel/index.js';
import { isEntryPointWrapper } from './scripts.js';

/**
 * A venv's installation scheme: absolute directories for the `.data/` scheme keys. `headers` is
 * the per-venv base (`{venv}/include/site/pythonX.Y`, pip's venv header path); each project's
 * headers go to a sub-directory named after it ({@link schemeForWheel}).
 */
export interface VenvScheme {
  readonly purelib: string;
  readonly platlib: string;
  readonly headers: string;
  readonly scripts: string;
  readonly data: string;
}

/**
 * The header directory name pip uses for a wheel: the name part of its file name with `_` turned
 * back into `-` (pip's `Wheel.name`, which becomes the requirement name passed to `get_scheme`),
 * case kept.
 */
export function headersDirName(filenameName: string): string {
  return filenameName.replace(/_/g, '-');
}

/** The scheme directories for one wheel: the venv's, with headers under the project's own folder. */
export function schemeForWheel(scheme: VenvScheme, filenameName: string): Readonly<Record<SchemeName, string>> {
  return Object.freeze({
    purelib: scheme.purelib,
    platlib: scheme.platlib,
    headers: safeJoin(scheme.headers, headersDirName(filenameName), 'wheel name'),
    scripts: scheme.scripts,
    data: scheme.data,
  });
}

/** Where one archive member goes: a scheme key and a relative path inside that scheme's directory. */
export interface Placement {
  readonly scheme: SchemeName;
  readonly path: string;
}

/**
 * The scheme and relative path of an archive member (pip's `root_scheme_file_maker` /
 * `data_scheme_file_maker`): a member whose first component ends in `.data` must be
 * `X.data/{scheme key}/{path}`; anything else is a root file for purelib or platlib.
 *
 * @throws SneakpackError `INVALID_WHEEL_FILE` for a `.data` member without a scheme key and a
 *   path, or with an unknown scheme key.
 */
export function placeMember(member: string, rootIsPurelib: boolean, wheel: string): Placement {
  const parts = member.split('/');
  if (!parts[0]!.endsWith('.data')) return { scheme: rootIsPurelib ? 'purelib' : 'platlib', path: member };
  if (parts.length < 3 || parts[2] === '') {
    throw new SneakpackError(
      'INVALID_WHEEL_FILE',
      `${wheel}: unexpected file ${JSON.stringify(member)}: .data directory contents must be named '<scheme key>/<path>'`,
      { details: { wheel, member } },
    );
  }
  const key = parts[1]!;
  if (!isSchemeName(key)) {
    throw new SneakpackError(
      'INVALID_WHEEL_FILE',
      `${wheel}: unknown scheme key ${JSON.stringify(key)} for ${JSON.stringify(member)} ` +
        `(a .data sub-directory is one of ${[...SCHEME_NAMES].sort().join(', ')})`,
      { details: { wheel, member, scheme: key } },
    );
  }
  return { scheme: key, path: parts.slice(2).join('/') };
}

/**
 * A member's path in the installed RECORD: relative to `libDir` (the directory holding
 * `.dist-info`), `/`-separated — `../../../bin/foo` for a script in a venv, as pip's
 * `_fs_to_record_path` computes it (on the path strings, symlinks not resolved).
 */
export function recordPathFor(dest: string, libDir: string): string {
  // The common case, a file under site-packages, without path.relative's work.
  if (dest.startsWith(libDir) && dest[libDir.length] === '/' && !libDir.endsWith('/')) return dest.slice(libDir.length + 1);
  return path.relative(libDir, dest).split(path.sep).join('/');
}

/** A zip member as the planner needs it. */
export interface PlanMember {
  readonly name: string;
  readonly isDirectory: boolean;
  /** pip's `zip_item_is_executable`: a regular file with any execute bit in its Unix mode. */
  readonly executable: boolean;
}

/** One file to extract. */
export interface PlannedFile {
  /** Path inside the archive. */
  readonly member: string;
  readonly scheme: SchemeName;
  /** Absolute destination, checked to be inside its scheme directory. */
  readonly dest: string;
  /** Path for the installed RECORD. */
  readonly recordPath: string;
  /** A `.data/scripts` file: shebang rewritten, mode 0755. */
  readonly isScript: boolean;
  /** Mode to write: 0755 for scripts and executable members, else 0644. */
  readonly mode: number;
}

/** What {@link planFiles} decided. */
export interface FilePlan {
  readonly files: readonly PlannedFile[];
  /** `.data/scripts` members skipped as setuptools wrappers of an entry point. */
  readonly skipped: readonly string[];
}

/** Inputs of {@link planFiles}. */
export interface PlanContext {
  readonly wheel: string;
  readonly distInfoDir: string;
  readonly rootIsPurelib: boolean;
  /** From {@link schemeForWheel}. */
  readonly dirs: Readonly<Record<SchemeName, string>>;
  /** Every console/GUI script name the wheel declares. */
  readonly scriptNames: ReadonlySet<string>;
  /** Members not to extract (RECORD, which is rewritten; INSTALLER and REQUESTED, which are ours). */
  readonly exclude: ReadonlySet<string>;
}

/**
 * Decide every file's destination (pip's `_install_wheel` placement, with installer's refusal to
 * let two files land on one path): directories are skipped (empty directories are not
 * installed), root files go to purelib/platlib, `.data/` files to their scheme, and every target
 * path goes through `safeJoin`.
 *
 * @throws SneakpackError `UNSAFE_PATH` for a path that would leave its directory;
 *   `INVALID_WHEEL_FILE` for a bad `.data` member; `INSTALL_CONFLICT` when two members land on
 *   the same path or one is needed as a file and a directory.
 */
export function planFiles(members: readonly PlanMember[], ctx: PlanContext): FilePlan {
  const libDir = ctx.dirs[ctx.rootIsPurelib ? 'purelib' : 'platlib'];
  const files: PlannedFile[] = [];
  const skipped: string[] = [];
  const byDest = new Map<string, string>();
  for (const m of members) {
    if (m.isDirectory || ctx.exclude.has(m.name)) continue;
    const placement = placeMember(m.name, ctx.rootIsPurelib, ctx.wheel);
    const isScript = placement.scheme === 'scripts' && m.name.split('/')[0]!.endsWith('.data');
    if (isScript && isEntryPointWrapper(placement.path.split('/').pop()!, ctx.scriptNames)) {
      skipped.push(m.name);
      continue;
    }
    const dest = safeJoin(ctx.dirs[placement.scheme], placement.path, `${ctx.wheel} member ${m.name}`);
    const other = byDest.get(dest);
    if (other !== undefined) {
      throw new SneakpackError('INSTALL_CONFLICT', `${ctx.wheel}: ${other} and ${m.name} would both be installed as ${dest}`, {
        details: { wheel: ctx.wheel, path: dest, members: [other, m.name] },
      });
    }
    byDest.set(dest, m.name);
    files.push(
      Object.freeze({
        member: m.name,
        scheme: placement.scheme,
        dest,
        recordPath: recordPathFor(dest, libDir),
        isScript,
        mode: isScript || m.executable ? 0o755 : 0o644,
      }),
    );
  }
  // A file whose path is a parent directory of another file cannot be written.
  const parents = new Set<string>();
  for (const dest of byDest.keys()) {
    for (let dir = path.dirname(dest); dir !== path.dirname(dir) && !parents.has(dir); dir = path.dirname(dir)) {
      parents.add(dir);
      const member = byDest.get(dir);
      if (member !== undefined) {
        throw new SneakpackError(
          'INSTALL_CONFLICT',
          `${ctx.wheel}: ${member} is installed as the file ${dir}, but ${byDest.get(dest)} needs it to be a directory`,
          { details: { wheel: ctx.wheel, path: dir } },
        );
      }
    }
  }
  return Object.freeze({ files: Object.freeze(files), skipped: Object.freeze(skipped) });
}

/** Order two paths by Unicode code point, as Python sorts `str` (UTF-16 order differs past U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The installed RECORD's rows: every written file with its sha256 and size, and the RECORD itself
 * with neither (`…/RECORD,,`), sorted by path as pip's `_normalized_outrows` sorts them.
 */
export function installedRecord(written: readonly RecordEntry[], recordPath: string): RecordEntry[] {
  const rows = [...written, Object.freeze({ path: recordPath, hash: null, size: null })];
  return rows.sort((x, y) => compareCodePoints(x.path, y.path));
}
