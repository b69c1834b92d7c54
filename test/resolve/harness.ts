/**
 * Runs the resolver over a toy index and reduces the run to plain data, in the same shape as
 * `resolvelib_ref.py`'s outcome, so the two can be compared field by field.
 */
import { resolve, ResolutionImpossible, ResolutionTooDeep } from '../../src/resolve/index.js';
import type { RequirementInformation, Reporter } from '../../src/resolve/index.js';
import { parseToyRequirement, ToyProvider, type ToyCandidate, type ToyIndex, type ToyRequirement, type ToyStrategy } from './toy.js';

export interface ToyCase {
  readonly index: ToyIndex;
  readonly roots: readonly string[];
  readonly strategy: ToyStrategy;
  readonly maxRounds: number;
}

type Cause = [string, string | null];

export type Outcome = (
  | {
      status: 'ok';
      mapping: [string, number][];
      edges: [string | null, string | null][];
      criteria: [string, Cause[]][];
    }
  | { status: 'impossible'; causes: Cause[] }
  | { status: 'too_deep'; rounds: number }
  | { status: 'recursion_error' }
  | { status: 'blowup' }
) & { pins: string[]; backtracks: number; rejections: number };

/** Counts what the resolver did. */
export class TraceReporter implements Reporter<ToyRequirement, ToyCandidate> {
  readonly pins: string[] = [];
  backtracks = 0;
  rejections = 0;
  rounds = 0;
  pinning(candidate: ToyCandidate): void {
    this.pins.push(String(candidate));
  }
  resolvingConflicts(): void {
    this.backtracks++;
  }
  rejectingCandidate(): void {
    this.rejections++;
  }
  startingRound(): void {
    this.rounds++;
  }
}

export function causeList(causes: readonly RequirementInformation<ToyRequirement, ToyCandidate>[]): Cause[] {
  return causes.map((c) => [String(c.requirement), c.parent === null ? null : String(c.parent)]);
}

export async function runToy(c: ToyCase): Promise<Outcome> {
  const provider = new ToyProvider(c.index, c.strategy);
  const trace = new TraceReporter();
  const common = () => ({ pins: trace.pins, backtracks: trace.backtracks, rejections: trace.rejections });
  try {
    const result = await resolve(provider, c.roots.map(parseToyRequirement), {
      reporter: trace,
      maxRounds: c.maxRounds,
    });
    const edges = [...result.graph.edges()].sort((a, b) => {
      const x = [a[0] ?? '', a[1] ?? ''];
      const y = [b[0] ?? '', b[1] ?? ''];
      return x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : x[1]! < y[1]! ? -1 : x[1]! > y[1]! ? 1 : 0;
    });
    return {
      status: 'ok',
      mapping: [...result.mapping].map(([k, v]) => [k, v.version]),
      edges,
      criteria: [...result.criteria].map(([k, v]) => [k, causeList(v.information)]),
      ...common(),
    };
  } catch (e) {
    if (e instanceof ResolutionImpossible) {
      return { status: 'impossible', causes: causeList(e.causes as RequirementInformation<ToyRequirement, ToyCandidate>[]), ...common() };
    }
    if (e instanceof ResolutionTooDeep) return { status: 'too_deep', rounds: e.roundCount, ...common() };
    throw e;
  }
}
