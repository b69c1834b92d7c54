/**
 * A local folder of distribution files, like `pip --find-links DIR`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SneakpackError } from '../errors.js';
import { canonicalizeName } from '../pep508/index.js';
import type { CoreMetadata } from '../wheel/index.js';
import { checkHashes, classifyFilename, hashFile, makeDistFile } from './classify.js';
import type { DistFile, FetchedFile, WheelSource } from './types.js';
import { readWheelMetadata } from './wheel-zip.js';

/** Options for {@link FindLinksSource}. */
export interface FindLinksOptions {
  /** Label for messages and {@link DistFile.sourceLabel}; defaults to the folder's absolute path. */
  readonly label?: string;
}

/**
 * Every regular file directly in a folder (not recursive; symbolic links to files count), each
 * classified by its name ({@link classifyFilename}): wheels, sdists (listed so errors can say
 * "only an sdist", never installed), broken wheel names (`other`, with the parse error as
 * `reason`) and junk (`other`, project `''`, listed only by {@link listAll}). The folder is read
 * on each call, so files added between calls are seen. Hashes are computed when fetched.
 */
export class FindLinksSource implements WheelSource {
  readonly label: string;
  /** The folder, absolute. */
  readonly dir: string;

  constructor(dir: string, options: FindLinksOptions = {}) {
    this.dir = resolve(dir);
    this.label = options.label ?? this.dir;
  }

  private async entries(): Promise<{ name: string; path: string; size: number }[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new SneakpackError('FILE_NOT_FOUND', `find-links folder ${this.dir} does not exist`, { details: { path: this.dir } });
      }
      throw new SneakpackError('IO_ERROR', `cannot read find-links folder ${this.dir}: ${(e as Error).message}`, {
        cause: e,
        details: { path: this.dir },
      });
    }
    // Sorted so listings do not depend on the file system's order; stat'ed all at once (each is
    // a round trip to the thread pool, and a folder holds hundreds of wheels).
    const found = await Promise.all(
      names.sort().map(async (name) => {
        const path = join(this.dir, name);
        try {
          const s = await stat(path);
          return s.isFile() ? { name, path, size: s.size } : null;
        } catch {
          // A dangling symlink or a file removed while listing: not a file we can offer.
          return null;
        }
      }),
    );
    return found.filter((e): e is { name: string; path: string; size: number } => e !== null);
  }

  private toDistFile(e: { name: string; path: string; size: number }, project?: string): DistFile {
    const c = classifyFilename(e.name, project);
    return makeDistFile({
      filename: e.name,
      kind: c.kind,
      project: c.project,
      version: c.version,
      wheel: c.wheel,
      reason: c.reason,
      location: Object.freeze({ type: 'path', path: e.path }),
      hashes: {},
      yanked: false,
      size: e.size,
      sourceLabel: this.label,
    });
  }

  /** Every file of the folder, junk included, in file-name order. */
  async listAll(): Promise<DistFile[]> {
    return (await this.entries()).map((e) => this.toDistFile(e));
  }

  /** The files whose name says they belong to `project` (any spelling), in file-name order. */
  async listFiles(project: string): Promise<DistFile[]> {
    const normalized = canonicalizeName(project);
    return (await this.entries()).map((e) => this.toDistFile(e, normalized)).filter((f) => f.project === normalized);
  }

  private path(file: DistFile): string {
    if (file.location.type !== 'path') {
      throw new SneakpackError('USAGE', `${file.filename} is a URL, not a file in ${this.label}`, {
        details: { filename: file.filename },
      });
    }
    return file.location.path;
  }

  /** `METADATA` read from the wheel file itself (see {@link readWheelMetadata}). */
  async readMetadata(file: DistFile): Promise<CoreMetadata> {
    if (file.kind !== 'wheel') {
      throw new SneakpackError(
        'INVALID_WHEEL_FILENAME',
        `${file.filename} in ${this.label} is not a wheel${file.reason ? ` (${file.reason})` : ''}; sneakpack reads metadata from wheels only`,
        { details: { filename: file.filename, kind: file.kind, source: this.label } },
      );
    }
    return (await readWheelMetadata(this.path(file), { filename: file.filename })).metadata;
  }

  /** The file in place, hashed now; any hash already on `file` must match. */
  async fetch(file: DistFile): Promise<FetchedFile> {
    const path = this.path(file);
    let result;
    try {
      result = await hashFile(path, Object.keys(file.hashes));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SneakpackError('FILE_NOT_FOUND', `${path} disappeared from ${this.label}`, { details: { path } });
      }
      throw new SneakpackError('IO_ERROR', `cannot read ${path}: ${(e as Error).message}`, { cause: e, details: { path } });
    }
    checkHashes(file.hashes, result.digests, { filename: file.filename, from: this.label });
    return Object.freeze({ path, sha256: result.digests.sha256!, size: result.size });
  }
}
