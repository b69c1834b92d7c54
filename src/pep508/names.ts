/**
 * Project names: validation (PEP 508 "Names", core metadata `Name`) and normalisation
 * (PEP 503 "Normalized Names"), as pypa/packaging 24.1 `utils.canonicalize_name` does them.
 *
 * Pure module: no I/O.
 */

/**
 * PEP 508 "Names": `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`, case-insensitive, ASCII only.
 *
 * Deliberately stricter than packaging's `canonicalize_name(validate=True)` in two corners that are
 * accidents of Python's `re`, not the spec: under `re.IGNORECASE` its `[A-Z]` also matches U+0130,
 * U+0131, U+017F and the Kelvin sign, and its `$` also matches before a trailing newline, so
 * packaging accepts `"foo\n"`. A name is an identifier in paths and URLs; we refuse both.
 */
const VALID_NAME = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;

/** PEP 503: runs of `-`, `_` and `.` collapse to one `-`. */
const SEPARATOR_RUNS = /[-_.]+/g;

/**
 * The PEP 503 normalised form of a project (or extra) name: runs of `-`, `_`, `.` become a single
 * `-` and the result is lower-cased. Two names denote the same project exactly when their
 * normalised forms are equal; PEP 685 applies the same rule to extra names.
 *
 * Does not validate; use {@link isValidName} first when the input is untrusted.
 *
 * @example canonicalizeName('Foo.Bar__baz') === 'foo-bar-baz'
 */
export function canonicalizeName(name: string): string {
  return name.replace(SEPARATOR_RUNS, '-').toLowerCase();
}

/**
 * True when `name` is a valid project name per PEP 508 "Names" (the core metadata `Name` field):
 * ASCII letters and digits, with `.`, `_`, `-` allowed only between them; case-insensitive.
 * Stricter than packaging in two Python-regex corners (non-ASCII case folds, trailing newline).
 */
export function isValidName(name: string): boolean {
  return VALID_NAME.test(name);
}
