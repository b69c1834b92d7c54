/**
 * A generic backtracking dependency resolver (a port of resolvelib 1.0.1, as vendored by pip 24.2)
 * behind a provider interface. See {@link resolve}.
 */
export {
  resolve,
  ResolutionImpossible,
  ResolutionTooDeep,
  InconsistentCandidate,
  DEFAULT_MAX_ROUNDS,
  type ResolveOptions,
  type Result,
} from './resolver.js';
export {
  comparePreference,
  type Provider,
  type Preference,
  type Awaitable,
  type SelectionContext,
  type PreferenceArgs,
  type NarrowArgs,
  type FindMatchesArgs,
} from './provider.js';
export type { Reporter } from './reporter.js';
export {
  DirectedGraph,
  CriteriaView,
  type Criterion,
  type RequirementInformation,
  type ResolutionState,
} from './structs.js';
