/**
 * Reading the app on the connected PC: `pyproject.toml` (`[project]`, `[tool.sneakpack]`), pip
 * requirements files, and the app's own files for the bundle.
 * @packageDocumentation
 */
export { readApp, type AppSpec, type ReadAppOptions } from './app.js';
export {
  parsePyproject,
  DEFAULT_DATA_DIR_ENV,
  DEFAULT_KEEP_RELEASES,
  SNEAKPACK_CONFIG_KEYS,
  type AppConfig,
  type AppScript,
  type LocatedRequirement,
  type OptionalDependencies,
  type ProjectTable,
  type Pyproject,
} from './pyproject.js';
export {
  readRequirementsFiles,
  REQUIREMENT_HASH_ALGORITHMS,
  type FormatControl,
  type ReadRequirementsOptions,
  type RequirementEntry,
  type RequirementsFiles,
} from './requirements.js';
export {
  preprocessRequirements,
  breakArgsOptions,
  parseOptions,
  shlexSplit,
  OptionSyntaxError,
  type LogicalLine,
  type OptionOccurrence,
  type RequirementsOption,
} from './reqfile-syntax.js';
export { compileExcludePattern, ExcludeMatcher, type ExcludePattern } from './exclude.js';
export { listAppFiles, ALWAYS_EXCLUDED, DEFAULT_EXCLUDES, type AppFile } from './files.js';
