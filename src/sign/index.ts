/**
 * Keys, signatures and signed checksum lists in OpenBSD signify's formats (signify(1)), so stock
 * `signify` verifies what sneakpack signs: `signify -C -p KEY.pub -x SHA256.sig` checks a bundle.
 *
 * - {@link ./signify.ts}: the pure formats (keys, signatures, checksum lists) and Ed25519.
 * - {@link ./bcrypt-pbkdf.ts}: the passphrase KDF of secret keys.
 * - {@link ./keys.ts}, {@link ./files.ts}: reading and writing them on disk.
 * @module
 */
export {
  type ChecksumAlgorithm,
  type ChecksumEntry,
  type EncryptedSecretKey,
  type KeyPair,
  type PublicKey,
  type SecretKey,
  type Signature,
  type TrustedKey,
  type TrustedKeys,
  COMMENT_HEADER,
  DEFAULT_KDF_ROUNDS,
  KDFALG,
  KEYNUM_LENGTH,
  MAX_COMMENT_BYTES,
  MAX_KDF_ROUNDS,
  MAX_PASSPHRASE_BYTES,
  PKALG,
  checksumPathProblem,
  decodeEmbeddedSignature,
  decodeEncryptedSecretKey,
  decodePublicKey,
  decodeSecretKey,
  decodeSignature,
  decryptSecretKey,
  encodeEncryptedSecretKey,
  encodePublicKey,
  encodeSecretKey,
  encodeSignature,
  encryptSecretKey,
  formatChecksumList,
  formatKeynum,
  keyPairFromSeed,
  parseChecksumList,
  publicKeyOf,
  signMessage,
  verifySignature,
} from './signify.js';
export { bcryptPbkdf } from './bcrypt-pbkdf.js';
export {
  type GenerateKeyPairOptions,
  type TrustedKeySources,
  type WriteKeyPairOptions,
  type WrittenKeyPair,
  generateKeyPair,
  keyPairFiles,
  loadTrustedKeys,
  readPublicKey,
  readSecretKey,
  writeKeyPair,
} from './keys.js';
export {
  type ChecksumFailure,
  type SignOptions,
  CHECKSUM_LIST_NAME,
  checkSignedChecksumList,
  hashFile,
  signFile,
  signatureComment,
  verifyEmbeddedFile,
  verifyFile,
  writeSignedChecksumList,
} from './files.js';
