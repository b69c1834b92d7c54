/**
 * sneakpack's library API: everything the CLI does is available from here.
 *
 * - PEP 440 versions and specifiers: {@link parseVersion}, {@link compareVersions}, {@link parseSpecifierSet}.
 * - PEP 508 requirements and markers: {@link parseRequirement}, {@link parseMarker}, {@link evaluateMarker}.
 * - PEP 425/600/656 tags and targets: {@link parseTag}, {@link targetTags}, {@link resolveTarget},
 *   {@link wheelCompatibility}, {@link probeInterpreter}.
 * - Wheels (PEP 427) and core metadata: {@link parseWheelFilename}, {@link parseCoreMetadata},
 *   {@link parseRecord}, {@link parseEntryPoints}.
 * - signify-compatible keys and signatures: {@link writeKeyPair}, {@link signMessage}, {@link verifySignature}.
 *
 * Errors are {@link SneakpackError}s with a stable `code`.
 * @packageDocumentation
 */
export { SneakpackError, isSneakpackError, caretLine, type ErrorCode } from './errors.js';
export { VERSION } from './version.js';
export * from './pep440/index.js';
export * from './pep508/index.js';
export * from './tags/index.js';
export * from './target/index.js';
export { loadTargetProfile, resolveTargetArgument, isProfilePath } from './target/load.js';
export { PROBE_SCRIPT, probeInterpreter, validateProbedProfile, type ProbedProfile } from './target/probe.js';
export * from './wheel/index.js';
export * from './sign/index.js';
export * from './resolve/index.js';
export * from './sources/index.js';
export * from './app/index.js';
export * from './lock/index.js';
export * from './bundle/index.js';
export * from './install/index.js';
export { safeJoin, checkRelativePath, relativePathProblem } from './paths.js';
