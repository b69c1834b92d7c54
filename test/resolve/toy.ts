/**
 * A test-only package model for the resolver: integer versions, requirement strings like
 * `"pkg-17[x]>=3,<5; extra == 'y'"`, and a provider over an index snapshot
 * `{ name: { version: [dep, …] } }`. Deliberately independent of src/pep440 and src/pep508.
 *
 * `test/resolve/resolvelib_ref.py` mirrors this file in Python for the differential test; keep the
 * two in step (dependency order, candidate order, preference keys).
 */
import type { FindMatchesArgs, PreferenceArgs, Provider } from '../../src/resolve/index.js';

/** `{ name: { version: [requirement string, …] } }`; versions are decimal integers. */
export type ToyIndex = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export type ToyOp = '==' | '!=' | '>=' | '<=' | '>' | '<';
export interface ToyClause {
  readonly op: ToyOp;
  readonly version: number;
}

const REQ_RE = /^\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?\s*([^;]*?)\s*(?:;\s*extra\s*==\s*'([^']*)'\s*)?$/;
const CLAUSE_RE = /^\s*(==|!=|>=|<=|>|<)\s*(\d+)\s*$/;

/** A parsed toy requirement. `toString()` is the text it was parsed from. */
export class ToyRequirement {
  constructor(
    readonly text: string,
    readonly name: string,
    readonly extras: readonly string[],
    readonly clauses: readonly ToyClause[],
    /** Only a dependency of `name[marker]`, not of plain `name`. */
    readonly marker: string | null,
  ) {}

  /** Identifier: the name, plus sorted extras in brackets. */
  get id(): string {
    return identifierOf(this.name, this.extras);
  }

  matches(version: number): boolean {
    return this.clauses.every((c) => clauseMatches(c, version));
  }

  toString(): string {
    return this.text;
  }
}

/** One concrete choice: `name[extras]` at `version`. */
export class ToyCandidate {
  constructor(
    readonly name: string,
    readonly extras: readonly string[],
    readonly version: number,
  ) {}

  get id(): string {
    return identifierOf(this.name, this.extras);
  }

  toString(): string {
    return `${this.id}==${this.version}`;
  }
}

export function identifierOf(name: string, extras: readonly string[]): string {
  return extras.length === 0 ? name : `${name}[${extras.join(',')}]`;
}

function clauseMatches(c: ToyClause, v: number): boolean {
  switch (c.op) {
    case '==':
      return v === c.version;
    case '!=':
      return v !== c.version;
    case '>=':
      return v >= c.version;
    case '<=':
      return v <= c.version;
    case '>':
      return v > c.version;
    case '<':
      return v < c.version;
  }
}

export function parseToyRequirement(text: string): ToyRequirement {
  const m = REQ_RE.exec(text);
  if (!m) throw new Error(`bad toy requirement: ${JSON.stringify(text)}`);
  const extras = (m[2] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const sorted = [...new Set(extras)].sort();
  const spec = m[3]!.trim();
  const clauses = spec === '' ? [] : spec.split(',').map((part) => {
    const c = CLAUSE_RE.exec(part);
    if (!c) throw new Error(`bad toy clause ${JSON.stringify(part)} in ${JSON.stringify(text)}`);
    return { op: c[1] as ToyOp, version: Number(c[2]) };
  });
  return new ToyRequirement(text.trim(), m[1]!, sorted, clauses, m[4] ?? null);
}

/** How the toy provider ranks identifiers; mirrored in resolvelib_ref.py. */
export type ToyStrategy = 'pip' | 'name' | 'count' | 'tie';

/**
 * A provider over a {@link ToyIndex}: newest version first; `name[x]` at version v depends on
 * `name==v` plus the `extra == 'x'` dependencies of `name` v. Candidates are interned so that the
 * same (identifier, version) is always the same object, like the Python mirror.
 */
export class ToyProvider implements Provider<ToyRequirement, ToyCandidate> {
  private readonly candidates = new Map<string, ToyCandidate>();
  private readonly parsed = new Map<string, ToyRequirement[]>();
  /** Calls to getDependencies, for tests that count work. */
  dependencyCalls = 0;

  constructor(
    readonly index: ToyIndex,
    readonly strategy: ToyStrategy = 'pip',
  ) {}

  identify(x: ToyRequirement | ToyCandidate): string {
    return x.id;
  }

  getPreference(args: PreferenceArgs<ToyRequirement, ToyCandidate>): number | string | (string | number)[] {
    const { identifier } = args;
    if (this.strategy === 'name') return identifier;
    const count = args.candidates.get(identifier)?.length ?? 0;
    if (this.strategy === 'count') return [count, identifier];
    // Ties on purpose: the resolver must then take the first identifier in criteria order.
    if (this.strategy === 'tie') return Math.min(count, 2);
    const infos = args.information.get(identifier) ?? [];
    const ops = infos.flatMap((i) => i.requirement.clauses.map((c) => c.op));
    const pinned = ops.includes('==');
    const upper = ops.some((op) => op === '==' || op === '<' || op === '<=');
    const direct = infos.some((i) => i.parent === null);
    const cause = args.backtrackCauses.some(
      (c) => c.requirement.id === identifier || (c.parent !== null && c.parent.id === identifier),
    );
    return [cause ? 0 : 1, direct ? 0 : 1, pinned ? 0 : 1, upper ? 0 : 1, count, identifier];
  }

  findMatches(args: FindMatchesArgs<ToyRequirement, ToyCandidate>): Promise<ToyCandidate[]> {
    const { identifier } = args;
    const reqs = args.requirements.get(identifier) ?? [];
    const bad = new Set((args.incompatibilities.get(identifier) ?? []).map((c) => c.version));
    const first = reqs[0];
    if (first === undefined) return Promise.resolve([]);
    const releases = this.index[first.name];
    if (releases === undefined) return Promise.resolve([]);
    const versions = Object.keys(releases)
      .map(Number)
      .sort((a, b) => b - a);
    const out: ToyCandidate[] = [];
    for (const v of versions) {
      if (bad.has(v)) continue;
      if (reqs.every((r) => r.matches(v))) out.push(this.candidate(first.name, first.extras, v));
    }
    return Promise.resolve(out);
  }

  isSatisfiedBy(requirement: ToyRequirement, candidate: ToyCandidate): boolean {
    return requirement.matches(candidate.version);
  }

  getDependencies(candidate: ToyCandidate): Promise<ToyRequirement[]> {
    this.dependencyCalls++;
    const all = this.parsedDeps(candidate.name, candidate.version);
    if (candidate.extras.length === 0) return Promise.resolve(all.filter((r) => r.marker === null));
    const base = parseToyRequirement(`${candidate.name}==${candidate.version}`);
    const extra = all.filter((r) => r.marker !== null && candidate.extras.includes(r.marker));
    return Promise.resolve([base, ...extra]);
  }

  private parsedDeps(name: string, version: number): ToyRequirement[] {
    const key = `${name}@${version}`;
    let deps = this.parsed.get(key);
    if (deps === undefined) {
      deps = (this.index[name]?.[String(version)] ?? []).map(parseToyRequirement);
      this.parsed.set(key, deps);
    }
    return deps;
  }

  private candidate(name: string, extras: readonly string[], version: number): ToyCandidate {
    const key = `${identifierOf(name, extras)}@${version}`;
    let c = this.candidates.get(key);
    if (c === undefined) {
      c = new ToyCandidate(name, extras, version);
      this.candidates.set(key, c);
    }
    return c;
  }
}
