/**
 * A package index speaking the simple repository API (PEP 503 HTML, PEP 691 JSON), with an
 * on-disk cache so that a second build needs no network.
 *
 * @see https://packaging.python.org/en/latest/specifications/simple-repository-api/
 */
import { readFile } from 'node:fs/promises';
import { SneakpackError, isSneakpackError } from '../errors.js';
import { canonicalizeName } from '../pep508/index.js';
import { type CoreMetadata, type WheelFilename, parseCoreMetadata } from '../wheel/index.js';
import { DiskCache, type CachedPage, defaultCacheDir } from './cache.js';
import { checkHashes, hashFile, redactUrl } from './classify.js';
import { httpGet, readBody, statusError } from './http.js';
import { SIMPLE_ACCEPT, pageFormat, parseSimpleHtml, parseSimpleJson } from './simple-page.js';
import type { DistFile, FetchedFile, WheelSource } from './types.js';
import { checkMetadataMatchesFilename, readWheelMetadata } from './wheel-zip.js';

/** Options for {@link SimpleIndexSource}. */
export interface SimpleIndexOptions {
  /** Cache root; defaults to {@link defaultCacheDir}. */
  readonly cacheDir?: string;
  /** Never touch the network: pages and files come from the cache or not at all. */
  readonly offline?: boolean;
  /** Label for messages and {@link DistFile.sourceLabel}; defaults to the index URL without credentials. */
  readonly label?: string;
  /** Socket idle timeout per request, ms (default 60 000). */
  readonly timeoutMs?: number;
  /** Told when a stale cached page is used because the index could not be reached. */
  readonly onWarning?: (message: string) => void;
}

/** Largest project page accepted (PyPI's largest JSON pages are tens of MB). */
const MAX_PAGE_BYTES = 256 * 1024 * 1024;
/** Largest `.metadata` file accepted (PEP 658); real ones are a few KiB. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function requireWheel(file: DistFile, label: string): WheelFilename {
  if (file.kind !== 'wheel' || file.wheel === undefined) {
    throw new SneakpackError(
      'INVALID_WHEEL_FILENAME',
      `${file.filename} from ${label} is not a wheel${file.reason ? ` (${file.reason})` : ''}; sneakpack reads metadata from wheels only`,
      { details: { filename: file.filename, kind: file.kind, source: label } },
    );
  }
  return file.wheel;
}

/**
 * A PEP 503 / PEP 691 index, e.g. `https://pypi.org/simple/` (credentials in the URL are sent as
 * HTTP Basic auth to the index's origin and never shown).
 *
 * - {@link listFiles} GETs `<index>/<normalised name>/` asking for JSON first
 *   ({@link SIMPLE_ACCEPT}) and parses whichever format the `Content-Type` says; a 404 means the
 *   index has no such project (`[]`, as pip). Pages are cached and revalidated with
 *   `If-None-Match` / `If-Modified-Since`; offline, or when the index cannot be reached (network
 *   error, 5xx), the cached page is used.
 * - {@link readMetadata} uses the PEP 658 `.metadata` file when the index offers one (hash
 *   verified), else downloads the wheel and reads `METADATA` from it.
 * - {@link fetch} downloads into the content-addressed cache, verifying every hash the index gave;
 *   a file already cached under its sha256 is not downloaded again.
 */
export class SimpleIndexSource implements WheelSource {
  readonly label: string;
  /** The index URL, ending in `/` (may hold credentials). */
  readonly indexUrl: string;
  readonly offline: boolean;
  readonly cache: DiskCache;
  private readonly options: SimpleIndexOptions;
  private readonly inflight = new Map<string, Promise<FetchedFile>>();
  private readonly metadataMemo = new Map<string, Promise<CoreMetadata>>();

  constructor(indexUrl: string, options: SimpleIndexOptions = {}) {
    let u: URL;
    try {
      u = new URL(indexUrl);
    } catch (e) {
      throw new SneakpackError('USAGE', `index URL '${redactUrl(indexUrl)}' is not a URL`, { cause: e });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new SneakpackError('USAGE', `index URL '${redactUrl(indexUrl)}' must be http or https`, {
        details: { url: redactUrl(indexUrl) },
      });
    }
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    u.hash = '';
    u.search = '';
    this.indexUrl = u.toString();
    this.label = options.label ?? redactUrl(withoutCredentials(this.indexUrl));
    this.offline = options.offline ?? false;
    this.cache = new DiskCache(options.cacheDir ?? defaultCacheDir());
    this.options = options;
  }

  /** The PEP 503 project URL: the index URL plus the normalised name and `/`. */
  projectUrl(project: string): string {
    return new URL(`${encodeURIComponent(canonicalizeName(project))}/`, this.indexUrl).toString();
  }

  /**
   * Add the index's credentials to a URL on the index's origin that has none (pip does the same
   * for every URL on the index's host: files are often served behind the same auth).
   */
  private authenticated(url: string): string {
    const index = new URL(this.indexUrl);
    const u = new URL(url);
    if (u.origin === index.origin && u.username === '' && u.password === '') {
      u.username = index.username;
      u.password = index.password;
    }
    return u.toString();
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }

  private async getPage(url: string): Promise<CachedPage> {
    const key = withoutCredentials(url);
    const cached = await this.cache.getPage(key);
    if (this.offline) {
      if (cached) return cached;
      throw new SneakpackError(
        'INDEX_ERROR',
        `offline, and ${redactUrl(key)} is not in the cache (${this.cache.root}); run once with network access first`,
        { details: { url: redactUrl(key), offline: true } },
      );
    }
    const headers: Record<string, string> = { Accept: SIMPLE_ACCEPT, 'Accept-Encoding': 'gzip', 'Cache-Control': 'max-age=0' };
    if (cached?.etag) headers['If-None-Match'] = cached.etag;
    if (cached?.lastModified) headers['If-Modified-Since'] = cached.lastModified;
    let res;
    try {
      res = await httpGet(url, { headers, timeoutMs: this.options.timeoutMs });
    } catch (e) {
      if (cached && isSneakpackError(e, 'INDEX_ERROR') && e.details.network === true) {
        this.warn(`${e.message}; using the cached copy of ${redactUrl(key)}`);
        return cached;
      }
      throw e;
    }
    if (res.status === 304 && cached) {
      res.body.resume();
      return cached;
    }
    if (res.status >= 500 && cached) {
      const e = statusError(res);
      this.warn(`${e.message}; using the cached copy of ${redactUrl(key)}`);
      return cached;
    }
    if (res.status === 404 || res.status === 410) {
      res.body.resume();
      const page: CachedPage = { url: key, finalUrl: withoutCredentials(res.url), status: 404, body: '' };
      await this.cache.putPage(page);
      return page;
    }
    if (res.status !== 200) throw statusError(res);
    const contentType = String(res.headers['content-type'] ?? '');
    if (pageFormat(contentType) === null) {
      res.body.resume();
      throw new SneakpackError(
        'INDEX_ERROR',
        `GET ${redactUrl(res.url)} returned Content-Type '${contentType}', which is not a simple-API page ` +
          `(expected ${SIMPLE_ACCEPT.split(', ')[0]} or text/html); is ${this.label} a PEP 503 index URL?`,
        { details: { url: redactUrl(res.url), contentType } },
      );
    }
    const bytes = await readBody(res, MAX_PAGE_BYTES);
    const charset = /;\s*charset="?([^";\s]+)"?/i.exec(contentType)?.[1] ?? 'utf-8';
    let body: string;
    try {
      body = new TextDecoder(charset).decode(bytes);
    } catch {
      body = new TextDecoder('utf-8').decode(bytes);
    }
    const etag = res.headers.etag;
    const lastModified = res.headers['last-modified'];
    const page: CachedPage = {
      url: key,
      finalUrl: withoutCredentials(res.url),
      status: 200,
      contentType,
      ...(etag ? { etag } : {}),
      ...(lastModified ? { lastModified } : {}),
      body,
    };
    await this.cache.putPage(page);
    return page;
  }

  /** Every file the index lists for `project`; `[]` when the index has no such project. */
  async listFiles(project: string): Promise<DistFile[]> {
    const normalized = canonicalizeName(project);
    const page = await this.getPage(this.projectUrl(normalized));
    if (page.status === 404) return [];
    const ctx = { url: page.finalUrl, project: normalized, sourceLabel: this.label };
    return pageFormat(page.contentType) === 'json' ? parseSimpleJson(page.body, ctx) : parseSimpleHtml(page.body, ctx);
  }

  private fileUrl(file: DistFile): string {
    if (file.location.type !== 'url') {
      throw new SneakpackError('USAGE', `${file.filename} is a local file, not one listed by ${this.label}`, {
        details: { filename: file.filename },
      });
    }
    return file.location.url;
  }

  /**
   * Download `url` into the cache unless already there, checking `expected` hashes and size.
   * Concurrent requests for one URL share a download.
   */
  private download(url: string, expected: Readonly<Record<string, string>>, filename: string, expectedSize?: number): Promise<FetchedFile> {
    const key = withoutCredentials(url);
    let p = this.inflight.get(key);
    if (!p) {
      p = this.downloadOnce(key, expected, filename, expectedSize).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async downloadOnce(
    url: string,
    expected: Readonly<Record<string, string>>,
    filename: string,
    expectedSize?: number,
  ): Promise<FetchedFile> {
    const from = redactUrl(url);
    const known = expected.sha256 ?? (await this.cache.getUrlSha256(url));
    if (known) {
      const hit = await this.cache.getBlob(known);
      if (hit) {
        // Other hash names the index gave (md5, sha512…) are checked against the cached bytes too.
        const others = Object.keys(expected).filter((n) => n !== 'sha256');
        if (others.length > 0 || (expected.sha256 === undefined && Object.keys(expected).length > 0)) {
          const { digests } = await hashFile(hit.path, others);
          checkHashes(expected, digests, { filename, from });
        }
        return hit;
      }
    }
    if (this.offline) {
      throw new SneakpackError(
        'INDEX_ERROR',
        `offline, and ${filename} (${from}) is not in the cache (${this.cache.root}); run once with network access first`,
        { details: { url: from, filename, offline: true } },
      );
    }
    const res = await httpGet(this.authenticated(url), {
      headers: { Accept: '*/*', 'Accept-Encoding': 'identity' },
      timeoutMs: this.options.timeoutMs,
    });
    if (res.status !== 200) throw statusError(res, ` (downloading ${filename})`);
    const fetched = await this.cache.addBlob(res.body, expected, { filename, from, expectedSize });
    if (expected.sha256 === undefined) await this.cache.putUrlSha256(url, fetched.sha256);
    return fetched;
  }

  /** Download (or find in the cache) a listed file, verifying the index's hashes and size. */
  async fetch(file: DistFile): Promise<FetchedFile> {
    return this.download(this.fileUrl(file), file.hashes, file.filename, file.size);
  }

  /**
   * The wheel's core metadata: from the PEP 658 `.metadata` file when the index offers one (its
   * hash checked; a 404 for it falls back to the wheel), else from the downloaded wheel. Either
   * way Name and Version must agree with the file name.
   */
  readMetadata(file: DistFile): Promise<CoreMetadata> {
    const key = `${this.fileUrl(file)}\n${file.filename}`;
    let p = this.metadataMemo.get(key);
    if (!p) {
      p = this.readMetadataOnce(file);
      p.catch(() => this.metadataMemo.delete(key));
      this.metadataMemo.set(key, p);
    }
    return p;
  }

  private async readMetadataOnce(file: DistFile): Promise<CoreMetadata> {
    const wheel = requireWheel(file, this.label);
    if (file.metadata?.available) {
      const url = `${this.fileUrl(file)}.metadata`;
      const name = `${file.filename}.metadata`;
      let fetched: FetchedFile | null = null;
      try {
        fetched = await this.download(url, file.metadata.hashes ?? {}, name);
      } catch (e) {
        // PEP 658 metadata is an optimisation: an index that advertises it but serves 404 still
        // has the wheel. Hash mismatches and other errors are not excused.
        if (!(isSneakpackError(e, 'INDEX_ERROR') && e.details.status === 404)) throw e;
        this.warn(`${e.message}; reading the metadata from the wheel instead`);
      }
      if (fetched) {
        if (fetched.size > MAX_METADATA_BYTES) {
          throw new SneakpackError('INVALID_METADATA', `${name} from ${this.label} is ${fetched.size} bytes; refusing`, {
            details: { filename: name },
          });
        }
        const where = `${name} from ${this.label}`;
        const metadata = parseCoreMetadata(await readFile(fetched.path), where);
        checkMetadataMatchesFilename(metadata, wheel, where);
        return metadata;
      }
    }
    const fetched = await this.fetch(file);
    return (await readWheelMetadata(fetched.path, { filename: file.filename })).metadata;
  }
}
