/**
 * The bundle: one signed, reproducible tar file that carries an app release for one target
 * (docs/FORMAT.md, "format 1"). `SHA256.sig` comes first — an embedded signify signature over
 * the `SHA256 (path) = hex` list of every other file — so a reader knows the whole signed
 * contents before it reads any other byte and can verify or extract in one streaming pass.
 *
 * - {@link writeBundle}: build a bundle from a {@link BundleInput}.
 * - {@link verifyBundle} / {@link extractBundle}: check (and unpack) it against trusted keys.
 * - {@link inspectBundle}: show what a bundle claims to be, without a key.
 * @module
 */
export {
  type BundleManifest,
  type JsonValue,
  type ManifestApp,
  type ManifestBuilder,
  type ManifestFile,
  type ManifestSigner,
  type ManifestTarget,
  type ManifestWheel,
  APP_DIR,
  FORMAT_VERSION,
  LOCK_NAME,
  MANIFEST_NAME,
  SIG_NAME,
  WHEELS_DIR,
  bundleFileName,
  bundleStem,
  canonicalJson,
  checksumEntriesOf,
  collisionKey,
  validateManifest,
} from './manifest.js';
export {
  type BundleAppFileInput,
  type BundleAppInput,
  type BundleInput,
  type BundleTargetInput,
  type BundleWheelInput,
  type WriteBundleOptions,
  type WriteProgress,
  type WrittenBundle,
  DEFAULT_SOURCE_DATE_EPOCH,
  bundleTarget,
  sourceDateEpoch,
  writeBundle,
} from './write.js';
export {
  type InspectedBundle,
  type ReadProgress,
  type VerifiedBundle,
  type VerifyOptions,
  DEFAULT_MAX_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_SIG_BYTES,
  expectedTarSize,
  extractBundle,
  inspectBundle,
  verifyBundle,
} from './read.js';
export { GZIP_HEADER, crc32 } from './source.js';
export { BLOCK_SIZE, MAX_ENTRY_SIZE, RECORD_SIZE, encodeEntryHeaders } from './tar.js';
