/**
 * What a wheel source offers: distribution files for a project, their metadata, and the files
 * themselves. The resolver learns about packages only through {@link WheelSource} (as resolvelib's
 * provider learns through `find_matches`); where the files come from — a folder, an index, a
 * cache — is the source's business.
 */
import type { Version } from '../pep440/index.js';
import type { CoreMetadata, WheelFilename } from '../wheel/index.js';

/** What kind of distribution a file is, judged by its name. Only wheels are ever installed. */
export type DistKind = 'wheel' | 'sdist' | 'other';

/** Where a distribution file lives: a local file, or a URL (credentials allowed, never shown). */
export type DistLocation =
  | { readonly type: 'path'; readonly path: string }
  | { readonly type: 'url'; readonly url: string };

/**
 * Whether the index serves the file's core metadata separately (PEP 658, renamed by PEP 714):
 * HTML `data-core-metadata` / `data-dist-info-metadata`, JSON `core-metadata` /
 * `dist-info-metadata` (PEP 691). The metadata lives at the file's URL plus `.metadata`.
 */
export interface MetadataAvailability {
  readonly available: boolean;
  /** Hashes of the `.metadata` file, hash name → lower-case hex digest, when the index gives them. */
  readonly hashes?: Readonly<Record<string, string>>;
}

/**
 * One distribution file a source offers (PEP 503 / PEP 691 "file" entries; a file in a
 * `--find-links` folder). Values are frozen.
 */
export interface DistFile {
  /** The file name (last URL path segment, percent-decoded, or the JSON `filename`). */
  readonly filename: string;
  /** `wheel` when the name parses as a wheel file name; `sdist` for source archives; else `other`. */
  readonly kind: DistKind;
  /** PEP 503 normalised project name; `''` when the name tells nothing (a junk file). */
  readonly project: string;
  /** The version from the file name, when it could be read. */
  readonly version?: Version;
  /** The parsed wheel file name (tags, build tag), for `kind: 'wheel'`. */
  readonly wheel?: WheelFilename;
  /** Why a file is `other` (or an sdist without a version): e.g. the wheel-filename parse error. */
  readonly reason?: string;
  /** Where to get the file. */
  readonly location: DistLocation;
  /**
   * Known hashes of the file, hash name → lower-case hex digest (the PEP 503 `#sha256=…` URL
   * fragment, the PEP 691 `hashes` dict). Empty when the source gives none (a folder: hashes are
   * computed by {@link WheelSource.fetch}).
   */
  readonly hashes: Readonly<Record<string, string>>;
  /** PEP 503 `data-requires-python` / PEP 691 `requires-python`, entities decoded; absent when not given. */
  readonly requiresPython?: string;
  /** PEP 592: `false`, or the yank reason (possibly `''` when the index gives none). */
  readonly yanked: false | string;
  /** Size in bytes, when known (PEP 700 `size`; a folder's file size). */
  readonly size?: number;
  /** PEP 658 / PEP 714 metadata availability; absent when the source says nothing. */
  readonly metadata?: MetadataAvailability;
  /** {@link WheelSource.label} of the source that listed the file. */
  readonly sourceLabel: string;
}

/** A file made available locally by {@link WheelSource.fetch}, its hash verified. */
export interface FetchedFile {
  /** A local path to the bytes. For an index this is a content-addressed cache entry (no `.whl` name). */
  readonly path: string;
  /** Lower-case hex sha256 of the bytes at `path`. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
}

/** A place wheels come from: a `--find-links` folder, a PEP 503/691 index, or several merged. */
export interface WheelSource {
  /** Human-readable and unique among a build's sources (a path, or an index URL without credentials). */
  readonly label: string;
  /**
   * Every distribution file offered for `project` (any spelling; compared normalised), in the
   * source's order. A project the source does not know gives `[]`.
   */
  listFiles(project: string): Promise<DistFile[]>;
  /**
   * The core metadata of a wheel listed by this source, checked to agree with the file name
   * (canonical name and version).
   */
  readMetadata(file: DistFile): Promise<CoreMetadata>;
  /** Make the file available locally and verify every hash the listing gave for it. */
  fetch(file: DistFile): Promise<FetchedFile>;
}
