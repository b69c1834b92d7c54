/**
 * sneakpack's library API. Everything the CLI does is available from here.
 * @packageDocumentation
 */
export { SneakpackError, isSneakpackError, type ErrorCode } from './errors.js';
export { VERSION } from './version.js';
