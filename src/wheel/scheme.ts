/**
 * Installation scheme keys of a wheel's `{distribution}-{version}.data/` directory — binary
 * distribution format spec, "The .data directory": each subdirectory is named after a
 * `sysconfig` scheme key and its contents are installed to that path.
 */

/** The scheme keys a `.data/` subdirectory may be named after, in spec order. */
export const SCHEME_NAMES = Object.freeze(['purelib', 'platlib', 'headers', 'scripts', 'data'] as const);

/** One of {@link SCHEME_NAMES}. */
export type SchemeName = (typeof SCHEME_NAMES)[number];

/** True when `name` is a scheme key a `.data/` subdirectory may use. */
export function isSchemeName(name: string): name is SchemeName {
  return (SCHEME_NAMES as readonly string[]).includes(name);
}
