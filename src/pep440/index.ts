/**
 * PEP 440: version identifiers and version specifiers, with the semantics of pypa/packaging 24.1.
 *
 * @see https://peps.python.org/pep-0440/
 */
export {
  Version,
  parseVersion,
  tryParseVersion,
  compareVersions,
  canonicalizeVersion,
  type PreReleaseLabel,
  type ExactVersionParts,
} from './version.js';
export {
  Specifier,
  SpecifierSet,
  parseSpecifier,
  parseSpecifierSet,
  type SpecifierOperator,
  type PrereleaseOptions,
  type SpecifierSetContainsOptions,
} from './specifiers.js';
