/**
 * PEP 508: dependency specifiers and environment markers, with the semantics of pypa/packaging
 * 24.1 (`packaging.requirements`, `packaging.markers`, `packaging.utils.canonicalize_name`).
 *
 * @see https://peps.python.org/pep-0508/
 * @see https://packaging.python.org/en/latest/specifications/dependency-specifiers/
 */
export { canonicalizeName, isValidName } from './names.js';
export {
  Marker,
  parseMarker,
  evaluateMarker,
  ENVIRONMENT_VARIABLES,
  type EnvironmentVariable,
  type MarkerEnvironment,
  type MarkerEvaluateOptions,
  type MarkerVariable,
  type MarkerOperator,
  type MarkerList,
  type MarkerAtom,
  type MarkerComparison,
  type MarkerOperand,
  type MarkerValueNode,
  type MarkerVariableNode,
} from './markers.js';
export { Requirement, parseRequirement } from './requirements.js';
