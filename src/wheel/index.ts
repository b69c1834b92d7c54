/**
 * Wheels as files and their metadata — pure spec code (no I/O) shared by the resolver and the
 * installer:
 *
 * - file names (binary distribution format spec, "File name convention"; PEP 427),
 * - `METADATA` (core metadata specification),
 * - `WHEEL` (binary distribution format spec, "File contents"),
 * - `RECORD` (recording installed projects spec, "The RECORD file"; PEP 376),
 * - `entry_points.txt` (entry points specification),
 * - `.data/` scheme keys (binary distribution format spec, "The .data directory").
 */
export {
  parseWheelFilename,
  wheelFilename,
  escapeWheelName,
  compressTags,
  type BuildTag,
  type WheelFilename,
  type WheelFilenameParts,
} from './filename.js';
export {
  parseCoreMetadata,
  parseRawMetadata,
  serializeCoreMetadata,
  metadataFromFields,
  KNOWN_METADATA_VERSIONS,
  type CoreMetadata,
  type CoreMetadataFields,
  type MetadataProblem,
  type RawMetadata,
  type RawMetadataResult,
} from './metadata.js';
export {
  parseWheelInfo,
  serializeWheelInfo,
  SUPPORTED_WHEEL_VERSION,
  type WheelInfo,
  type WheelInfoFields,
} from './wheelinfo.js';
export {
  parseRecord,
  serializeRecord,
  formatRecordHash,
  recordIssues,
  validateRecord,
  unsafeArchivePath,
  RECORD_HASH_ALGORITHMS,
  type ArchiveMember,
  type RecordEntry,
  type RecordHash,
  type ValidateRecordOptions,
} from './record.js';
export {
  parseEntryPoints,
  parseObjectReference,
  consoleScripts,
  guiScripts,
  unsafeScriptName,
  SCRIPT_GROUPS,
  type EntryPoint,
} from './entrypoints.js';
export { SCHEME_NAMES, isSchemeName, type SchemeName } from './scheme.js';
