/**
 * Where wheels come from: `--find-links` folders ({@link FindLinksSource}), PEP 503 / PEP 691
 * indexes ({@link SimpleIndexSource}) and several of them merged ({@link multiSource}), all behind
 * one {@link WheelSource} interface, plus reading a wheel's metadata from the zip
 * ({@link readWheelMetadata}).
 * @packageDocumentation
 */
import { SneakpackError } from '../errors.js';
import type { CoreMetadata } from '../wheel/index.js';
import type { DistFile, FetchedFile, WheelSource } from './types.js';

export type { DistFile, DistKind, DistLocation, FetchedFile, MetadataAvailability, WheelSource } from './types.js';
export {
  classifyFilename,
  redactUrl,
  supportedHashes,
  checkHashes,
  hashFile as hashFileDigests,
  SDIST_EXTENSIONS,
  INDEX_HASH_NAMES,
  type FilenameClass,
} from './classify.js';
export {
  readWheelMetadata,
  findDistInfoDir,
  checkMetadataMatchesFilename,
  MAX_METADATA_SIZE,
  type ReadWheelMetadataOptions,
  type WheelMetadata,
} from './wheel-zip.js';
export { FindLinksSource, type FindLinksOptions } from './find-links.js';
export { SimpleIndexSource, type SimpleIndexOptions } from './simple-index.js';
export { DiskCache, defaultCacheDir, type CachedPage } from './cache.js';
export {
  parseSimpleHtml,
  parseSimpleJson,
  pageFormat,
  decodeEntities,
  htmlStartTags,
  SIMPLE_ACCEPT,
  SIMPLE_HTML,
  SIMPLE_JSON,
  type HtmlTag,
  type PageContext,
} from './simple-page.js';

/**
 * Several sources as one, in priority order (pip: `--find-links` folders, then the index, then
 * extra indexes). `listFiles` concatenates each source's files and drops a file whose name an
 * earlier source already offered (the earlier one is kept); `readMetadata` and `fetch` go to the
 * source that listed the file.
 *
 * @throws SneakpackError `USAGE` when two sources share a label (files could not be routed back).
 */
export function multiSource(sources: readonly WheelSource[]): WheelSource {
  const byLabel = new Map<string, WheelSource>();
  for (const s of sources) {
    if (byLabel.has(s.label)) {
      throw new SneakpackError('USAGE', `two wheel sources are both labelled '${s.label}'; give each source once`, {
        details: { label: s.label },
      });
    }
    byLabel.set(s.label, s);
  }
  const owner = (file: DistFile): WheelSource => {
    const s = byLabel.get(file.sourceLabel);
    if (!s) {
      throw new SneakpackError('USAGE', `${file.filename} was listed by '${file.sourceLabel}', which is not one of these sources`, {
        details: { filename: file.filename, source: file.sourceLabel },
      });
    }
    return s;
  };
  return Object.freeze({
    label: sources.map((s) => s.label).join(' + '),
    async listFiles(project: string): Promise<DistFile[]> {
      const lists = await Promise.all(sources.map((s) => s.listFiles(project)));
      const seen = new Set<string>();
      const out: DistFile[] = [];
      for (const list of lists) {
        for (const f of list) {
          if (seen.has(f.filename)) continue;
          seen.add(f.filename);
          out.push(f);
        }
      }
      return out;
    },
    async readMetadata(file: DistFile): Promise<CoreMetadata> {
      return owner(file).readMetadata(file);
    },
    async fetch(file: DistFile): Promise<FetchedFile> {
      return owner(file).fetch(file);
    },
  });
}
