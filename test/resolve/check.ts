/**
 * Validates a resolution against an index snapshot, independently of the resolver AND of the toy
 * provider (its own little parser), so a bug in either cannot hide itself.
 *
 * A resolution `{ identifier: version }` is valid when every root requirement and every dependency
 * of every pinned candidate names a pinned identifier whose version satisfies it, every pin exists
 * in the index, and every pin is reachable from the roots.
 */
import type { ToyIndex } from './toy.js';

interface Dep {
  id: string;
  name: string;
  extras: string[];
  test: (v: number) => boolean;
  marker: string | null;
}

function parseDep(text: string): Dep {
  // name[extras] clauses ; extra == 'x'
  const [head, markerPart] = text.split(';', 2) as [string, string | undefined];
  const marker = markerPart === undefined ? null : /'([^']*)'/.exec(markerPart)![1]!;
  const nameMatch = /^\s*([A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?/.exec(head)!;
  const name = nameMatch[1]!;
  const extras = nameMatch[2] ? [...new Set(nameMatch[2].slice(1, -1).split(',').map((s) => s.trim()).filter(Boolean))].sort() : [];
  const rest = head.slice(nameMatch[0].length).trim();
  const tests = rest === '' ? [] : rest.split(',').map((clause) => {
    const c = clause.trim();
    const op = /^(==|!=|>=|<=|>|<)/.exec(c)![1]!;
    const n = Number(c.slice(op.length).trim());
    if (!Number.isInteger(n)) throw new Error(`checker: bad clause ${clause} in ${text}`);
    const table: Record<string, (v: number) => boolean> = {
      '==': (v) => v === n,
      '!=': (v) => v !== n,
      '>=': (v) => v >= n,
      '<=': (v) => v <= n,
      '>': (v) => v > n,
      '<': (v) => v < n,
    };
    return table[op]!;
  });
  const id = extras.length ? `${name}[${extras.join(',')}]` : name;
  return { id, name, extras, test: (v) => tests.every((t) => t(v)), marker };
}

function depsOf(index: ToyIndex, id: string, version: number): Dep[] | undefined {
  const m = /^([^[]+)(?:\[(.*)\])?$/.exec(id)!;
  const name = m[1]!;
  const extras = m[2] ? m[2].split(',') : [];
  const raw = index[name]?.[String(version)];
  if (raw === undefined) return undefined;
  const all = raw.map(parseDep);
  if (extras.length === 0) return all.filter((d) => d.marker === null);
  return [parseDep(`${name}==${version}`), ...all.filter((d) => d.marker !== null && extras.includes(d.marker))];
}

/** Every problem with `mapping` as a solution of `roots` over `index`; empty when it is valid. */
export function checkResolution(
  index: ToyIndex,
  roots: readonly string[],
  mapping: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
): string[] {
  const pins = mapping instanceof Map ? new Map(mapping) : new Map(Object.entries(mapping));
  const problems: string[] = [];
  const reached = new Set<string>();
  const queue: string[] = [];
  const need = (dep: Dep, why: string): void => {
    const v = pins.get(dep.id);
    if (v === undefined) problems.push(`${why} requires ${dep.id}, which is not pinned`);
    else if (!dep.test(v)) problems.push(`${why} requires ${dep.id} that ${dep.id}==${v} does not satisfy`);
    if (v !== undefined && !reached.has(dep.id)) {
      reached.add(dep.id);
      queue.push(dep.id);
    }
  };
  for (const r of roots) need(parseDep(r), `root requirement ${r}`);
  // Walk from the roots so that a pin nothing (transitively) requires is reported.
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const v = pins.get(id)!;
    const deps = depsOf(index, id, v);
    if (deps === undefined) {
      problems.push(`${id}==${v} is not in the index`);
      continue;
    }
    for (const d of deps) need(d, `${id}==${v}`);
  }
  for (const id of pins.keys()) if (!reached.has(id)) problems.push(`${id} is pinned but nothing requires it`);
  return problems;
}
