/**
 * A small HTTP(S) GET client on `node:http` / `node:https`.
 *
 * Why not the global `fetch`: on Node 18 it is experimental (prints a warning) and, per the Fetch
 * standard, refuses URLs with credentials — yet `https://user:token@host/simple/` is how private
 * indexes are configured for pip. Here credentials in the URL become a Basic `Authorization`
 * header, are kept across same-origin redirects and dropped on cross-origin ones (as requests,
 * which pip uses, does), and never appear in messages.
 */
import { type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { SneakpackError } from '../errors.js';
import { VERSION } from '../version.js';
import { redactUrl } from './classify.js';

/** Options for {@link httpGet}. */
export interface HttpGetOptions {
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Redirects followed before giving up (default 10, as requests). */
  readonly maxRedirects?: number;
  /** Socket idle timeout in ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** A response whose body has not been read yet. */
export interface HttpResponse {
  /** The final URL after redirects (with credentials if it carries any). */
  readonly url: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent (still content-encoded; see {@link readBody}). */
  readonly body: IncomingMessage;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A network-level failure (no HTTP status): callers may fall back to a cache. */
export function networkError(url: string, cause: unknown): SneakpackError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  return new SneakpackError(
    'INDEX_ERROR',
    `GET ${redactUrl(url)} failed: ${(cause as Error)?.message ?? String(cause)}${code && !String((cause as Error)?.message).includes(code) ? ` (${code})` : ''}`,
    { cause, details: { url: redactUrl(url), network: true, errno: code } },
  );
}

function authorization(u: URL): string | undefined {
  if (u.username === '' && u.password === '') return undefined;
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

function once(url: URL, options: HttpGetOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      'User-Agent': `sneakpack/${VERSION}`,
      ...(options.headers ?? {}),
    };
    const auth = authorization(url);
    if (auth !== undefined) headers.Authorization = auth;
    const target = new URL(url.toString());
    target.username = '';
    target.password = '';
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'GET', headers });
    req.setTimeout(options.timeoutMs ?? 60_000, () => {
      req.destroy(new Error(`no data for ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s (timed out)`));
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET `url`, following redirects. Resolves with the first non-redirect response of any status;
 * rejects only for network failures (`INDEX_ERROR`, `details.network: true`), unsupported
 * schemes, and redirect loops.
 */
export async function httpGet(url: string, options: HttpGetOptions = {}): Promise<HttpResponse> {
  let current: URL;
  try {
    current = new URL(url);
  } catch (e) {
    throw new SneakpackError('INDEX_ERROR', `'${redactUrl(url)}' is not a URL`, { cause: e, details: { url: redactUrl(url) } });
  }
  const maxRedirects = options.maxRedirects ?? 10;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw new SneakpackError(
        'INDEX_ERROR',
        `cannot GET ${redactUrl(current)}: only http and https URLs are supported`,
        { details: { url: redactUrl(current) } },
      );
    }
    let res: IncomingMessage;
    try {
      res = await once(current, options);
    } catch (e) {
      throw networkError(current.toString(), e);
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (!REDIRECTS.has(status) || location === undefined) {
      return { url: current.toString(), status, headers: res.headers, body: res };
    }
    res.resume();
    if (hop >= maxRedirects) {
      throw new SneakpackError('INDEX_ERROR', `GET ${redactUrl(url)} redirected more than ${maxRedirects} times`, {
        details: { url: redactUrl(url), last: redactUrl(current) },
      });
    }
    const next = new URL(location, current);
    // Credentials follow a redirect only within the same origin (scheme, host, port).
    if (next.origin === current.origin && next.username === '' && next.password === '') {
      next.username = current.username;
      next.password = current.password;
    }
    current = next;
  }
}

/** The response body, decoded from `gzip`/`deflate` if so encoded, refused beyond `maxBytes`. */
export async function readBody(res: HttpResponse, maxBytes: number): Promise<Buffer> {
  const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  let stream: Readable = res.body;
  if (encoding === 'gzip' || encoding === 'x-gzip') stream = res.body.pipe(createGunzip());
  else if (encoding === 'deflate') stream = res.body.pipe(createInflate());
  else if (encoding !== 'identity' && encoding !== '') {
    res.body.destroy();
    throw new SneakpackError('INDEX_ERROR', `GET ${redactUrl(res.url)} sent an unsupported Content-Encoding '${encoding}'`, {
      details: { url: redactUrl(res.url) },
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        throw new SneakpackError('INDEX_ERROR', `GET ${redactUrl(res.url)} sent more than ${maxBytes} bytes; refusing`, {
          details: { url: redactUrl(res.url) },
        });
      }
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    if (e instanceof SneakpackError) throw e;
    throw networkError(res.url, e);
  } finally {
    res.body.destroy();
  }
  return Buffer.concat(chunks);
}

/** `GET <url> returned <status> <reason>` as an `INDEX_ERROR`. */
export function statusError(res: HttpResponse, what = ''): SneakpackError {
  const reason = res.body.statusMessage ? ` ${res.body.statusMessage}` : '';
  res.body.resume();
  return new SneakpackError(
    'INDEX_ERROR',
    `GET ${redactUrl(res.url)} returned ${res.status}${reason}${what}`,
    { details: { url: redactUrl(res.url), status: res.status } },
  );
}
