/**
 * sneakpack's download cache: verified files stored by content (sha256), index pages with their
 * validators (ETag / Last-Modified) so they can be revalidated — or used as they are when offline.
 * Every write goes to a temporary file in the cache and is renamed into place, so a crash or a
 * concurrent build never leaves a half-written entry under a final name.
 *
 * Layout under the root:
 * ```
 * files/sha256/ab/abcdef…   verified bytes, named by their sha256
 * pages/<sha256 of URL>.json  a project page: URL, status, validators, body
 * urls/<sha256 of URL>.json   sha256 of a file downloaded without a known hash
 * tmp/                       in-progress writes
 * ```
 */
import { randomBytes, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SneakpackError } from '../errors.js';
import { MultiHasher, checkHashes } from './classify.js';
import type { FetchedFile } from './types.js';

/**
 * The default cache directory: `$XDG_CACHE_HOME/sneakpack`, else `~/.cache/sneakpack` (XDG Base
 * Directory specification; pip's default on Linux is the same shape).
 */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env, home: string = homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  // XDG: a relative path in the variable is invalid and must be ignored.
  if (xdg !== undefined && xdg.startsWith('/')) return join(xdg, 'sneakpack');
  return join(home, '.cache', 'sneakpack');
}

/** A cached project page. `status` 404 records "the index has no such project". */
export interface CachedPage {
  /** The requested URL (no credentials): the cache key. */
  readonly url: string;
  /** The URL after redirects (no credentials): links resolve against it. */
  readonly finalUrl: string;
  readonly status: 200 | 404;
  readonly contentType?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  /** The page text (empty for a 404). */
  readonly body: string;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function ioError(what: string, path: string, e: unknown): SneakpackError {
  return new SneakpackError('IO_ERROR', `cannot ${what} ${path}: ${(e as Error).message}`, { cause: e, details: { path } });
}

/** The on-disk cache; see the module documentation for the layout. */
export class DiskCache {
  constructor(readonly root: string) {}

  /** Where the verified file with this sha256 lives (whether or not it exists). */
  blobPath(sha256: string): string {
    const h = sha256.toLowerCase();
    return join(this.root, 'files', 'sha256', h.slice(0, 2), h);
  }

  /** The cached file with this sha256, or `null`. */
  async getBlob(sha256: string): Promise<FetchedFile | null> {
    if (!/^[0-9a-fA-F]{64}$/.test(sha256)) return null;
    const path = this.blobPath(sha256);
    try {
      const s = await stat(path);
      return s.isFile() ? Object.freeze({ path, sha256: sha256.toLowerCase(), size: s.size }) : null;
    } catch {
      return null;
    }
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, 'tmp');
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw ioError('create cache directory', dir, e);
    }
    return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  private async commit(temp: string, final: string): Promise<void> {
    try {
      await mkdir(join(final, '..'), { recursive: true });
      await rename(temp, final);
    } catch (e) {
      await rm(temp, { force: true });
      throw ioError('write cache entry', final, e);
    }
  }

  /** Write `data` to `path` atomically (temporary file in the cache, then rename). */
  async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const temp = await this.tempPath();
    try {
      await writeFile(temp, data);
    } catch (e) {
      await rm(temp, { force: true });
      throw ioError('write', temp, e);
    }
    await this.commit(temp, path);
  }

  /**
   * Stream `body` into the cache, hashing as it goes; keep it only when every hash in `expected`
   * (and `expectedSize`, if given) matches, then store it under its sha256.
   *
   * @throws SneakpackError `HASH_MISMATCH` naming `what.filename` and `what.from`; the bytes are discarded.
   */
  async addBlob(
    body: Readable,
    expected: Readonly<Record<string, string>>,
    what: { filename: string; from: string; expectedSize?: number },
  ): Promise<FetchedFile> {
    const temp = await this.tempPath();
    const hasher = new MultiHasher(Object.keys(expected));
    try {
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(temp);
        out.on('error', reject);
        body.on('error', (e) => {
          out.destroy();
          reject(e);
        });
        body.on('data', (chunk: Buffer) => hasher.update(chunk));
        out.on('finish', resolve);
        body.pipe(out);
      });
      const digests = hasher.digest();
      checkHashes(expected, digests, what);
      if (what.expectedSize !== undefined && what.expectedSize !== hasher.size) {
        throw new SneakpackError(
          'HASH_MISMATCH',
          `${what.filename} from ${what.from} is ${hasher.size} bytes, but the index says ${what.expectedSize}; it was not kept`,
          { details: { filename: what.filename, from: what.from, expectedSize: what.expectedSize, size: hasher.size } },
        );
      }
      const sha256 = digests.sha256!;
      const path = this.blobPath(sha256);
      await this.commit(temp, path);
      return Object.freeze({ path, sha256, size: hasher.size });
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  private pagePath(url: string): string {
    return join(this.root, 'pages', `${sha256Hex(url)}.json`);
  }

  /** The cached page for `url` (no credentials), or `null` (absent or unreadable: refetch). */
  async getPage(url: string): Promise<CachedPage | null> {
    try {
      const page = JSON.parse(await readFile(this.pagePath(url), 'utf8')) as CachedPage;
      return page.url === url && (page.status === 200 || page.status === 404) && typeof page.body === 'string' ? page : null;
    } catch {
      return null;
    }
  }

  /** Store `page` under its URL, atomically. */
  async putPage(page: CachedPage): Promise<void> {
    await this.writeAtomic(this.pagePath(page.url), JSON.stringify(page));
  }

  private urlPath(url: string): string {
    return join(this.root, 'urls', `${sha256Hex(url)}.json`);
  }

  /** The sha256 recorded for a URL whose index gave no sha256, or `null`. */
  async getUrlSha256(url: string): Promise<string | null> {
    try {
      const rec = JSON.parse(await readFile(this.urlPath(url), 'utf8')) as { url: string; sha256: string };
      return rec.url === url && typeof rec.sha256 === 'string' ? rec.sha256 : null;
    } catch {
      return null;
    }
  }

  /** Remember which content `url` served (for offline use when the index gives no sha256). */
  async putUrlSha256(url: string, sha256: string): Promise<void> {
    await this.writeAtomic(this.urlPath(url), JSON.stringify({ url, sha256 }));
  }
}
