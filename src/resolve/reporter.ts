/**
 * Progress hooks (resolvelib's `BaseReporter`). Every hook is optional: a reporter that implements
 * none is valid, and the resolver behaves the same with or without one.
 */
import type { Criterion, RequirementInformation, ResolutionState } from './structs.js';

/** Receives the resolver's progress; hooks must not mutate what they are given. */
export interface Reporter<R, C, I extends string = string> {
  /** Before the resolution starts. */
  starting?(): void;
  /** Before each round; `index` is zero-based. */
  startingRound?(index: number): void;
  /** At the end of each round, except the one in which the resolution ends. */
  endingRound?(index: number, state: ResolutionState<R, C, I>): void;
  /** Before a successful resolution returns. */
  ending?(state: ResolutionState<R, C, I>): void;
  /** When `requirement` is added to the criteria; `parent` is `null` for a root requirement. */
  addingRequirement?(requirement: R, parent: C | null): void;
  /** When no candidate of an identifier works and the resolver starts backjumping. */
  resolvingConflicts?(causes: readonly RequirementInformation<R, C>[]): void;
  /** When `candidate` is rejected because its dependencies conflict as described by `criterion`. */
  rejectingCandidate?(criterion: Criterion<R, C>, candidate: C): void;
  /** When `candidate` is pinned. */
  pinning?(candidate: C): void;
}
