/**
 * Wheel compatibility against a target's supported tags (PEP 425 "Use"), explained the way uv's
 * `uv-platform-tags` does it: an incompatible wheel is `Incompatible(Python | Abi | Platform)`.
 */
import { Tag } from './tag.js';

/**
 * A target's supported tags, best first, with O(1) look-ups.
 *
 * Priority follows the list: 0 is the most preferred tag, larger numbers are worse (pip's
 * `support_index_min`). A tag listed twice keeps its first (best) position.
 */
export class TagSet {
  /** The supported tags, best first. */
  readonly tags: readonly Tag[];
  private readonly index = new Map<string, number>();
  private readonly interpreters = new Set<string>();
  private readonly interpreterAbis = new Set<string>();

  constructor(tags: Iterable<Tag>) {
    const list = [...tags];
    this.tags = Object.freeze(list);
    list.forEach((t, i) => {
      const key = t.toString();
      if (!this.index.has(key)) this.index.set(key, i);
      this.interpreters.add(t.interpreter);
      this.interpreterAbis.add(`${t.interpreter}-${t.abi}`);
    });
  }

  /** Number of tags (including duplicates, if any were given). */
  get size(): number {
    return this.tags.length;
  }

  /** Position of `tag` in the best-first list (0 = best), or undefined when unsupported. */
  priority(tag: Tag): number | undefined {
    return this.index.get(tag.toString());
  }

  /** True when the target supports `tag`. */
  has(tag: Tag): boolean {
    return this.index.has(tag.toString());
  }

  /** True when some supported tag has this Python tag. */
  hasInterpreter(interpreter: string): boolean {
    return this.interpreters.has(interpreter.toLowerCase());
  }

  /** True when some supported tag has this Python tag and this ABI tag together. */
  hasInterpreterAbi(interpreter: string, abi: string): boolean {
    return this.interpreterAbis.has(`${interpreter.toLowerCase()}-${abi.toLowerCase()}`);
  }
}

/** Why a wheel cannot be installed on a target (uv's `IncompatibleTag`). */
export type IncompatibleReason = 'python' | 'abi' | 'platform';

/** The verdict of {@link wheelCompatibility}. */
export type WheelCompatibility =
  | {
      readonly compatible: true;
      /** Priority of the best matching tag in the target's {@link TagSet} (0 = best). */
      readonly priority: number;
      /** The wheel tag that matched best. */
      readonly tag: Tag;
    }
  | {
      readonly compatible: false;
      readonly reason: IncompatibleReason;
      /** One line for people: what the wheel needs and what the target offers. */
      readonly detail: string;
    };

const RANK: Record<IncompatibleReason, number> = { python: 0, abi: 1, platform: 2 };

function uniq(items: Iterable<string>): string[] {
  return [...new Set(items)];
}

function list(items: readonly string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, … (${items.length} in all)`;
}

/**
 * Decide whether a wheel with `wheelTags` (its file-name tag set, expanded) installs on the target
 * whose supported tags are `supported`.
 *
 * Compatible: the best (lowest) priority over the wheel's tags. Incompatible: each wheel tag is
 * classified by the first component no supported tag shares — its Python tag (`python`), its
 * Python+ABI pair (`abi`), else the full triple (`platform`) — and the wheel gets the reason of
 * the tag that came *closest*, precedence platform > abi > python. This is uv's
 * `Tags::compatibility` (the maximum `IncompatibleTag`): a `cp311-cp311-win_amd64` wheel on a
 * Linux cp311 target is reported as a platform problem, not a Python one.
 */
export function wheelCompatibility(wheelTags: readonly Tag[], supported: TagSet): WheelCompatibility {
  let best: { priority: number; tag: Tag } | undefined;
  let worst: IncompatibleReason | undefined;
  for (const tag of wheelTags) {
    const p = supported.priority(tag);
    if (p !== undefined) {
      if (best === undefined || p < best.priority) best = { priority: p, tag };
      continue;
    }
    const reason: IncompatibleReason = !supported.hasInterpreter(tag.interpreter)
      ? 'python'
      : !supported.hasInterpreterAbi(tag.interpreter, tag.abi)
        ? 'abi'
        : 'platform';
    if (worst === undefined || RANK[reason] > RANK[worst]) worst = reason;
  }
  if (best !== undefined) return { compatible: true, priority: best.priority, tag: best.tag };
  const reason = worst ?? 'python';
  return { compatible: false, reason, detail: explain(reason, wheelTags, supported) };
}

function explain(reason: IncompatibleReason, wheelTags: readonly Tag[], supported: TagSet): string {
  const first = supported.tags[0];
  if (wheelTags.length === 0) return 'the wheel has no tags';
  if (first === undefined) return 'the target supports no tags';
  if (reason === 'python') {
    const needs = uniq(wheelTags.map((t) => t.interpreter));
    return `needs ${list(needs)}, target is ${first.interpreter}`;
  }
  if (reason === 'abi') {
    // Only the wheel tags whose Python tag the target knows, and the ABIs it offers with them.
    const near = wheelTags.filter((t) => supported.hasInterpreter(t.interpreter));
    const interps = new Set(near.map((t) => t.interpreter));
    const needs = uniq(near.map((t) => t.abi));
    const offers = uniq(supported.tags.filter((t) => interps.has(t.interpreter)).map((t) => t.abi));
    return `needs ABI ${list(needs)} with ${list(uniq(near.map((t) => t.interpreter)))}, target offers ${list(offers)}`;
  }
  const near = wheelTags.filter((t) => supported.hasInterpreterAbi(t.interpreter, t.abi));
  const needs = uniq(near.map((t) => t.platform));
  return `needs platform ${list(needs)}, target's best platform is ${first.platform}`;
}
