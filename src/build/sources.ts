/**
 * Where a build's wheels come from: the command line's `--find-links`, `--index-url` and
 * `--extra-index-url`, merged with what the app's requirements files say, in pip's order.
 */
import { resolve } from 'node:path';
import { SneakpackError } from '../errors.js';
import type { AppSpec } from '../app/index.js';
import { FindLinksSource, SimpleIndexSource, type WheelSource, redactUrl } from '../sources/index.js';

/** Wheel source options (the command line's flags). */
export interface SourceOptions {
  /** `--find-links` folders (repeatable). */
  readonly findLinks?: readonly string[];
  /** `--index-url`: a PEP 503 / 691 simple index. Overrides the app's. */
  readonly indexUrl?: string;
  /** `--extra-index-url` (repeatable), tried after the index. */
  readonly extraIndexUrls?: readonly string[];
  /** Cache for index pages and downloads (default: `defaultCacheDir()`). */
  readonly cacheDir?: string;
  /** Use only cached index pages and files. */
  readonly offline?: boolean;
  /** Told when an index falls back to a stale cached page. */
  readonly onWarning?: (message: string) => void;
}

/** The sources a build uses, in priority order, and the folders among them (for excludes). */
export interface BuildSources {
  readonly sources: readonly WheelSource[];
  /** The `--find-links` folders, absolute. */
  readonly folders: readonly string[];
}

function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

/**
 * The wheel sources for `app` and `options`, in pip's order: `--find-links` folders (command line
 * first, then the requirements files'), then the index, then extra indexes. The command line's
 * `--index-url` replaces a requirements file's; a requirements file's `--no-index` drops its own
 * index URLs (not the command line's).
 *
 * @throws SneakpackError `USAGE` when there is no source at all, or for a `--find-links` URL
 *   (only folders are supported; serve the files as a simple index instead).
 */
export function buildSources(app: Pick<AppSpec, 'findLinks' | 'indexUrl' | 'extraIndexUrls' | 'noIndex'> | null, options: SourceOptions): BuildSources {
  const folders: string[] = [];
  for (const f of [...(options.findLinks ?? []), ...(app?.findLinks ?? [])]) {
    if (isUrl(f) && !f.startsWith('file://')) {
      throw new SneakpackError('USAGE', `--find-links ${redactUrl(f)}: only local folders are supported; for a web server, give it as --index-url if it serves a simple index`, {
        details: { findLinks: redactUrl(f) },
      });
    }
    const dir = resolve(f.startsWith('file://') ? new URL(f).pathname : f);
    if (!folders.includes(dir)) folders.push(dir);
  }
  const useAppIndex = !(app?.noIndex ?? false);
  const indexUrl = options.indexUrl ?? (useAppIndex ? app?.indexUrl : undefined);
  const extras = [...(options.extraIndexUrls ?? []), ...(useAppIndex ? (app?.extraIndexUrls ?? []) : [])];
  const urls: string[] = [];
  for (const u of [...(indexUrl !== undefined ? [indexUrl] : []), ...extras]) if (!urls.includes(u)) urls.push(u);
  const sources: WheelSource[] = folders.map((d) => new FindLinksSource(d));
  for (const u of urls) {
    sources.push(
      new SimpleIndexSource(u, {
        ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
        ...(options.offline !== undefined ? { offline: options.offline } : {}),
        ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
      }),
    );
  }
  if (sources.length === 0) {
    throw new SneakpackError('USAGE', 'no wheel sources: give --find-links DIR (a folder of wheels) or --index-url URL (a simple index), or put them in a requirements file', {
      details: {},
    });
  }
  return { sources, folders };
}
