/**
 * A real PEP 503 / PEP 691 index on 127.0.0.1, started by a test (node:http), serving pages
 * generated from in-memory files. Every request is logged so tests can assert what went over the
 * wire (revalidation, credentials, no request at all when offline).
 *
 * Routes: `/simple/<name>/` project pages; `/files/<filename>` files; `/files/<filename>.metadata`
 * PEP 658 metadata. `redirects` and `status` override any path.
 */
import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

/** One file on the index. */
export interface ServedFile {
  readonly filename: string;
  readonly bytes: Buffer;
  /** `data-requires-python` / `requires-python`, written with `>` escaped as `&gt;` in HTML. */
  readonly requiresPython?: string;
  /** `true` = yanked without a reason; a string = the reason. */
  readonly yanked?: boolean | string;
  /** A PEP 658 metadata file to serve at `<file>.metadata`. */
  readonly metadata?: Buffer;
  /** Advertise the metadata with its sha256 (default) or only as `true`. */
  readonly metadataHash?: boolean;
  /** The metadata sha256 to publish instead of the real one. */
  readonly publishedMetadataSha256?: string;
  /** The sha256 to publish instead of the real one (a lying index). */
  readonly publishedSha256?: string;
  /** Publish no hash at all. */
  readonly noHash?: boolean;
  /** Serve these bytes for the file instead of `bytes` (corruption in transit). */
  readonly servedBytes?: Buffer;
}

/** How the server picks a page format. */
export type PageFormat = 'html' | 'json' | 'negotiate';

export interface IndexServerOptions {
  /** Files by project name (written as given; pages are served under the normalised name). */
  projects: Record<string, readonly ServedFile[]>;
  format?: PageFormat;
  /** Send `ETag` and answer `If-None-Match` with 304 (default true). */
  etag?: boolean;
  /** Require HTTP Basic auth with these credentials. */
  auth?: { user: string; password: string };
  /** Path → Location for a 302. */
  redirects?: Record<string, string>;
  /** Path → status to return instead. */
  status?: Record<string, number>;
  /** gzip page bodies when the client accepts it (default false). */
  gzip?: boolean;
}

export interface LoggedRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly status: number;
}

export interface IndexServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `http://127.0.0.1:PORT/simple/` */
  readonly indexUrl: string;
  readonly requests: LoggedRequest[];
  /** Mutable: tests may change projects between requests. */
  readonly options: IndexServerOptions;
  close(): Promise<void>;
}

function normalize(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * PEP 503 HTML. Attribute order varies per file (href first or last), links are relative
 * (`../../files/…`), `&` in values is escaped, as PyPI does.
 */
export function htmlPage(project: string, files: readonly ServedFile[]): string {
  const lines = files.map((f, i) => {
    const attrs: string[] = [];
    const hash = f.noHash ? '' : `#sha256=${f.publishedSha256 ?? sha256(f.bytes)}`;
    const href = `href="../../files/${encodeURIComponent(f.filename)}${hash}"`;
    if (f.requiresPython !== undefined) attrs.push(`data-requires-python="${escapeHtml(f.requiresPython)}"`);
    if (f.yanked === true) attrs.push(i % 2 === 0 ? 'data-yanked' : 'data-yanked=""');
    else if (typeof f.yanked === 'string') attrs.push(`data-yanked="${escapeHtml(f.yanked)}"`);
    if (f.metadata) {
      const value = f.metadataHash === false ? 'true' : `sha256=${f.publishedMetadataSha256 ?? sha256(f.metadata)}`;
      attrs.push(i % 2 === 0 ? `data-core-metadata="${value}"` : `data-dist-info-metadata='${value}'`);
    }
    const all = i % 2 === 0 ? [href, ...attrs] : [...attrs, href];
    return `    <a ${all.join(' ')}>${escapeHtml(f.filename)}</a><br/>`;
  });
  return [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    '    <meta name="pypi:repository-version" content="1.1">',
    `    <title>Links for ${escapeHtml(project)}</title>`,
    '  </head>',
    '  <body>',
    `    <h1>Links for ${escapeHtml(project)}</h1>`,
    '    <!-- <a href="../../files/commented-out-9.9-py3-none-any.whl">not a link</a> -->',
    ...lines,
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

/** PEP 691 JSON with PEP 700 `size` and PEP 714 `core-metadata`. */
export function jsonPage(project: string, files: readonly ServedFile[]): string {
  return JSON.stringify({
    meta: { 'api-version': '1.1' },
    name: normalize(project),
    versions: [],
    files: files.map((f) => ({
      filename: f.filename,
      url: `../../files/${encodeURIComponent(f.filename)}`,
      hashes: f.noHash ? {} : { sha256: f.publishedSha256 ?? sha256(f.bytes) },
      ...(f.requiresPython !== undefined ? { 'requires-python': f.requiresPython } : {}),
      ...(f.yanked !== undefined ? { yanked: f.yanked } : {}),
      ...(f.metadata ? { 'core-metadata': f.metadataHash === false ? true : { sha256: f.publishedMetadataSha256 ?? sha256(f.metadata) } } : {}),
      size: (f.servedBytes ?? f.bytes).length,
    })),
  });
}

/** Start the server on an ephemeral port of 127.0.0.1. */
export async function startIndexServer(options: IndexServerOptions): Promise<IndexServer> {
  const requests: LoggedRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (status: number, headers: Record<string, string>, body: Buffer | string = ''): void => {
      requests.push({ path, headers: req.headers, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    if (options.auth) {
      const want = `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) return send(401, { 'WWW-Authenticate': 'Basic realm="test"' }, 'auth');
    }
    const redirect = options.redirects?.[path];
    if (redirect !== undefined) return send(302, { Location: redirect });
    const forced = options.status?.[path];
    if (forced !== undefined) return send(forced, { 'Content-Type': 'text/plain' }, `status ${forced}`);

    const page = /^\/simple\/([^/]+)\/$/.exec(path);
    if (page) {
      const name = page[1]!;
      const project = Object.keys(options.projects).find((p) => normalize(p) === name);
      if (project === undefined || name !== normalize(name)) return send(404, { 'Content-Type': 'text/plain' }, 'not found');
      const files = options.projects[project]!;
      const accept = String(req.headers.accept ?? '');
      const format = options.format ?? 'negotiate';
      const json = format === 'json' || (format === 'negotiate' && accept.includes('application/vnd.pypi.simple.v1+json'));
      const body = json ? jsonPage(project, files) : htmlPage(project, files);
      const headers: Record<string, string> = {
        'Content-Type': json ? 'application/vnd.pypi.simple.v1+json' : 'text/html; charset=utf-8',
      };
      if (options.etag ?? true) {
        const tag = `"${sha256(Buffer.from(body)).slice(0, 16)}"`;
        headers.ETag = tag;
        if (req.headers['if-none-match'] === tag) return send(304, { ETag: tag });
      }
      if (options.gzip && /gzip/.test(String(req.headers['accept-encoding'] ?? ''))) {
        headers['Content-Encoding'] = 'gzip';
        return send(200, headers, gzipSync(body));
      }
      return send(200, headers, body);
    }
    const file = /^\/files\/(.+)$/.exec(path);
    if (file) {
      const wanted = file[1]!;
      for (const files of Object.values(options.projects)) {
        for (const f of files) {
          if (f.filename === wanted) return send(200, { 'Content-Type': 'application/octet-stream' }, f.servedBytes ?? f.bytes);
          if (`${f.filename}.metadata` === wanted && f.metadata) return send(200, { 'Content-Type': 'application/octet-stream' }, f.metadata);
        }
      }
    }
    return send(404, { 'Content-Type': 'text/plain' }, 'not found');
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    indexUrl: `${origin}/simple/`,
    requests,
    options,
    // Idempotent: a test may stop the server early (to prove the cache works) and afterAll stops it again.
    close: () => {
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections?.();
      });
    },
  };
}
