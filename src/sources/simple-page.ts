/**
 * Reading a project page of a "simple" repository API index — PEP 503 (HTML), PEP 691 (JSON),
 * with PEP 592 (yanked), PEP 629 (repository version), PEP 658 / PEP 714 (core metadata files) and
 * PEP 700 (size). Pure: text in, {@link DistFile}s out.
 *
 * @see https://packaging.python.org/en/latest/specifications/simple-repository-api/
 */
import { SneakpackError } from '../errors.js';
import { canonicalizeName } from '../pep508/index.js';
import { classifyFilename, makeDistFile, supportedHashes } from './classify.js';
import type { DistFile, MetadataAvailability } from './types.js';

/** Media types of the simple API (PEP 691 "Content Types"). */
export const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
export const SIMPLE_HTML = 'application/vnd.pypi.simple.v1+html';

/** The `Accept` header sent for project pages: JSON preferred, then HTML (PEP 691 "Version + Format Selection"). */
export const SIMPLE_ACCEPT = `${SIMPLE_JSON}, ${SIMPLE_HTML};q=0.2, text/html;q=0.01`;

/** Which parser a `Content-Type` calls for, or `null` when it is not a simple-API page. */
export function pageFormat(contentType: string | undefined): 'json' | 'html' | null {
  const media = String(contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (media === SIMPLE_JSON || media === 'application/vnd.pypi.simple.latest+json') return 'json';
  if (media === SIMPLE_HTML || media === 'application/vnd.pypi.simple.latest+html' || media === 'text/html') return 'html';
  return null;
}

/** Where the page came from, for resolving links and for messages. */
export interface PageContext {
  /** The page URL after redirects (links are relative to it), credentials removed. */
  readonly url: string;
  /** The normalised project the page was fetched for. */
  readonly project: string;
  /** {@link DistFile.sourceLabel} for the files. */
  readonly sourceLabel: string;
}

function pageError(ctx: PageContext, why: string, details: Record<string, unknown> = {}): SneakpackError {
  return new SneakpackError('INDEX_ERROR', `index page ${ctx.url} ${why}`, { details: { url: ctx.url, ...details } });
}

/** PEP 629 / PEP 691: only major version 1 of the API is understood; a newer minor is fine. */
function checkApiVersion(version: string, ctx: PageContext): void {
  const m = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(version);
  if (!m) throw pageError(ctx, `declares repository version '${version}', which is not MAJOR.MINOR`, { apiVersion: version });
  if (m[1] !== '1') {
    throw pageError(ctx, `uses repository API version ${version}; sneakpack reads version 1.x (upgrade sneakpack)`, {
      apiVersion: version,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// HTML

/** Named character references common in index pages; the rest of HTML5's table is not needed. */
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', equals: '=', sol: '/', num: '#',
  percnt: '%', plus: '+', comma: ',', period: '.', colon: ':', semi: ';', excl: '!', quest: '?',
  lpar: '(', rpar: ')', lsqb: '[', rsqb: ']', tilde: '~', ast: '*', hyphen: '-', lowbar: '_', bsol: '\\',
  Tab: '\t', NewLine: '\n', commat: '@', dollar: '$', verbar: '|', lbrace: '{', rbrace: '}', Hat: '^',
  grave: '`',
};
/** Entities HTML5 also recognises without the `;` (a subset; those that appear in URLs). */
const LEGACY_NO_SEMI = /^(amp|lt|gt|quot|nbsp)/;

/** Decode HTML character references (numeric, and the named ones in {@link NAMED_ENTITIES}). */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[xX][0-9a-fA-F]+;?|#[0-9]+;?|[A-Za-z][A-Za-z0-9]*;?)/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      const digits = ref.slice(hex ? 2 : 1).replace(/;$/, '');
      const cp = parseInt(digits, hex ? 16 : 10);
      // HTML5: NUL, surrogates and out-of-range code points become U+FFFD.
      if (!Number.isFinite(cp) || cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(cp);
    }
    if (ref.endsWith(';')) {
      const value = NAMED_ENTITIES[ref.slice(0, -1)];
      return value ?? whole;
    }
    const legacy = LEGACY_NO_SEMI.exec(ref);
    if (legacy) return NAMED_ENTITIES[legacy[1]!]! + ref.slice(legacy[1]!.length);
    return whole;
  });
}

/** One start tag: lower-cased name and attributes (first occurrence wins, names lower-cased, values decoded). */
export interface HtmlTag {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
}

const WS = /[\t\n\f\r ]/;

/**
 * The start tags of an HTML document, in order, following the HTML5 tokenizer closely enough for
 * index pages: comments, doctypes and `<script>`/`<style>` contents are skipped; attribute values
 * may be double-, single- or un-quoted and hold `>` when quoted; attributes may come in any order;
 * character references in values are decoded.
 */
export function htmlStartTags(html: string): HtmlTag[] {
  const tags: HtmlTag[] = [];
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    i = lt + 1;
    if (html.startsWith('!--', i)) {
      const end = html.indexOf('-->', i + 3);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (html[i] === '!' || html[i] === '?' || html[i] === '/') {
      const end = html.indexOf('>', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    const nameMatch = /^[A-Za-z][^\t\n\f\r />]*/.exec(html.slice(i, i + 64));
    if (!nameMatch) continue;
    const name = nameMatch[0].toLowerCase();
    i += nameMatch[0].length;
    const attrs = new Map<string, string>();
    while (i < n) {
      while (i < n && (WS.test(html[i]!) || html[i] === '/')) i++;
      if (i >= n || html[i] === '>') {
        i++;
        break;
      }
      let j = i;
      // An attribute name may start with '='; it ends at whitespace, '/', '>' or a later '='.
      j++;
      while (j < n && !WS.test(html[j]!) && html[j] !== '/' && html[j] !== '>' && html[j] !== '=') j++;
      const attrName = html.slice(i, j).toLowerCase();
      i = j;
      while (i < n && WS.test(html[i]!)) i++;
      let value = '';
      if (html[i] === '=') {
        i++;
        while (i < n && WS.test(html[i]!)) i++;
        const q = html[i];
        if (q === '"' || q === "'") {
          const end = html.indexOf(q, i + 1);
          value = html.slice(i + 1, end < 0 ? n : end);
          i = end < 0 ? n : end + 1;
        } else {
          j = i;
          while (j < n && !WS.test(html[j]!) && html[j] !== '>') j++;
          value = html.slice(i, j);
          i = j;
        }
      }
      if (!attrs.has(attrName)) attrs.set(attrName, decodeEntities(value));
    }
    tags.push({ name, attrs });
    if (name === 'script' || name === 'style' || name === 'textarea' || name === 'title') {
      const close = html.toLowerCase().indexOf(`</${name}`, i);
      i = close < 0 ? n : close;
    }
  }
  return tags;
}

/** PEP 658 / PEP 714 attribute value → availability (`data-core-metadata` preferred). */
function htmlMetadata(attrs: ReadonlyMap<string, string>): MetadataAvailability | undefined {
  const value = attrs.get('data-core-metadata') ?? attrs.get('data-dist-info-metadata');
  if (value === undefined) return undefined;
  if (value.toLowerCase() === 'true') return { available: true };
  // The spec has only "true" and "<hashname>=<hashvalue>"; pip treats anything else as "true"
  // except that it has no notion of "false" — an explicit "false" is honoured here.
  if (value.toLowerCase() === 'false') return { available: false };
  const eq = value.indexOf('=');
  if (eq <= 0) return { available: true };
  const hashes = supportedHashes({ [value.slice(0, eq)]: value.slice(eq + 1) });
  return Object.keys(hashes).length > 0 ? { available: true, hashes: Object.freeze(hashes) } : { available: true };
}

/** `#sha256=…` (or `&md5=…` after other fragment parts) in a link, as pip's `_hash_url_fragment_re`. */
function fragmentHashes(fragment: string): Record<string, string> {
  const out: Record<string, string> = {};
  // As pip: the value is whatever runs to the next '&'; a malformed digest is kept, so the
  // download fails its check loudly instead of going unverified.
  const re = /(?:^|[#&])(sha1|sha224|sha384|sha256|sha512|md5)=([^&]*)/g;
  for (let m = re.exec(fragment); m !== null; m = re.exec(fragment)) {
    if (!(m[1]! in out)) out[m[1]!] = m[2]!.toLowerCase();
  }
  return out;
}

function unsafeFilename(filename: string): boolean {
  return filename === '.' || filename === '..' || /[/\\\u0000-\u001f]/.test(filename);
}

/** The last path segment, percent-decoded: a link's file name (pip's `Link.filename`). */
function urlFilename(url: URL): string {
  const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface FileFields {
  readonly filename: string;
  readonly url: URL;
  readonly hashes: Record<string, string>;
  readonly requiresPython?: string;
  readonly yanked: false | string;
  readonly metadata?: MetadataAvailability;
  readonly size?: number;
}

/**
 * Turn one link into a {@link DistFile}, or `null` when it is not a distribution of this project:
 * wheels and sdists of another project are skipped (pip: "wrong project name"), as are links that
 * are not distributions at all; a `.whl` whose name does not parse is kept as `other` with the
 * reason, attributed to the page's project.
 */
function toDistFile(f: FileFields, ctx: PageContext): DistFile | null {
  if (unsafeFilename(f.filename)) {
    throw pageError(ctx, `links to a file named ${JSON.stringify(f.filename)}, which is not a plain file name`, {
      filename: f.filename,
    });
  }
  const c = classifyFilename(f.filename, ctx.project);
  if (c.kind === 'other' && c.project === '') return null;
  if (c.kind !== 'other' && c.project !== ctx.project) return null;
  const url = new URL(f.url.toString());
  url.hash = '';
  return makeDistFile({
    filename: f.filename,
    kind: c.kind,
    project: c.kind === 'other' ? ctx.project : c.project,
    version: c.version,
    wheel: c.wheel,
    reason: c.reason,
    location: Object.freeze({ type: 'url', url: url.toString() }),
    hashes: f.hashes,
    requiresPython: f.requiresPython,
    yanked: f.yanked,
    size: f.size,
    metadata: f.metadata === undefined ? undefined : Object.freeze({ ...f.metadata }),
    sourceLabel: ctx.sourceLabel,
  });
}

function resolveUrl(href: string, base: string, ctx: PageContext): URL {
  try {
    return new URL(href.trim(), base);
  } catch (e) {
    throw pageError(ctx, `has a link that is not a URL: ${JSON.stringify(href)}`, { href });
  }
}

/**
 * Parse a PEP 503 HTML project page. Each `<a href>` is a file; `<base href>` changes what links
 * are relative to; `<meta name="pypi:repository-version">` must be 1.x (PEP 629). Attributes:
 * `data-requires-python` (entities decoded; empty means none), `data-yanked` (present = yanked,
 * its value the reason), `data-core-metadata` / `data-dist-info-metadata` (PEP 658/714), and the
 * URL fragment `#<hashname>=<hex>`.
 *
 * @throws SneakpackError `INDEX_ERROR` for an unsupported repository version or an unusable link.
 */
export function parseSimpleHtml(html: string, ctx: PageContext): DistFile[] {
  const files: DistFile[] = [];
  let base = ctx.url;
  for (const tag of htmlStartTags(html)) {
    if (tag.name === 'base' && tag.attrs.has('href') && base === ctx.url) {
      base = resolveUrl(tag.attrs.get('href')!, ctx.url, ctx).toString();
    } else if (tag.name === 'meta' && tag.attrs.get('name')?.toLowerCase() === 'pypi:repository-version') {
      checkApiVersion(tag.attrs.get('content') ?? '', ctx);
    } else if (tag.name === 'a' && tag.attrs.has('href')) {
      const url = resolveUrl(tag.attrs.get('href')!, base, ctx);
      const filename = urlFilename(url);
      if (filename === '') continue;
      const requiresPython = tag.attrs.get('data-requires-python');
      const yanked = tag.attrs.get('data-yanked');
      const file = toDistFile(
        {
          filename,
          url,
          hashes: fragmentHashes(url.hash),
          requiresPython: requiresPython === undefined || requiresPython.trim() === '' ? undefined : requiresPython,
          yanked: yanked === undefined ? false : yanked,
          metadata: htmlMetadata(tag.attrs),
        },
        ctx,
      );
      if (file) files.push(file);
    }
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// JSON

function jsonMetadata(value: unknown): MetadataAvailability | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === true) return { available: true };
  if (value === false) return { available: false };
  if (typeof value === 'object' && !Array.isArray(value)) {
    const hashes = supportedHashes(value as Record<string, unknown>);
    return Object.keys(hashes).length > 0 ? { available: true, hashes: Object.freeze(hashes) } : { available: true };
  }
  return undefined;
}

/**
 * Parse a PEP 691 JSON project page: `meta.api-version` (1.x), `files[]` with `filename`, `url`
 * (relative to the page), `hashes`, `requires-python`, `yanked` (bool or reason), `core-metadata`
 * / `dist-info-metadata` (bool or hashes; PEP 714 prefers the former) and `size` (PEP 700).
 *
 * @throws SneakpackError `INDEX_ERROR` naming the page and the entry that is malformed.
 */
export function parseSimpleJson(text: string, ctx: PageContext): DistFile[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw pageError(ctx, `is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw pageError(ctx, 'is not a JSON object');
  const page = doc as Record<string, unknown>;
  const meta = page.meta as Record<string, unknown> | undefined;
  if (meta !== undefined && meta !== null && typeof meta === 'object' && meta['api-version'] !== undefined) {
    checkApiVersion(String(meta['api-version']), ctx);
  }
  if (typeof page.name === 'string' && canonicalizeName(page.name) !== ctx.project) {
    throw pageError(ctx, `is for project '${page.name}', not '${ctx.project}'`, { name: page.name });
  }
  if (!Array.isArray(page.files)) throw pageError(ctx, "has no 'files' list");
  const files: DistFile[] = [];
  page.files.forEach((entry: unknown, index: number) => {
    const where = `files[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw pageError(ctx, `${where} is not an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.url !== 'string') throw pageError(ctx, `${where} has no 'url' string`, { entry: index });
    const url = resolveUrl(e.url, ctx.url, ctx);
    const filename = typeof e.filename === 'string' ? e.filename : urlFilename(url);
    if (filename === '') throw pageError(ctx, `${where} has an empty file name`, { entry: index });
    const hashes =
      e.hashes !== null && typeof e.hashes === 'object' && !Array.isArray(e.hashes)
        ? supportedHashes(e.hashes as Record<string, unknown>)
        : fragmentHashes(url.hash);
    const rp = e['requires-python'];
    let yanked: false | string = false;
    // As pip: `true` or a non-empty reason means yanked; `false` and `""` do not.
    if (e.yanked === true) yanked = '';
    else if (typeof e.yanked === 'string' && e.yanked !== '') yanked = e.yanked;
    const size = typeof e.size === 'number' && Number.isSafeInteger(e.size) && e.size >= 0 ? e.size : undefined;
    const file = toDistFile(
      {
        filename,
        url,
        hashes,
        requiresPython: typeof rp === 'string' && rp.trim() !== '' ? rp : undefined,
        yanked,
        metadata: jsonMetadata(e['core-metadata'] ?? e['dist-info-metadata']),
        size,
      },
      ctx,
    );
    if (file) files.push(file);
  });
  return files;
}
