/**
 * PEP 508 "Environment Markers": parse once into an immutable tree, print it the way
 * pypa/packaging 24.1 `str(Marker(...))` does, and evaluate it against an explicit target
 * environment with packaging's `Marker.evaluate` semantics.
 *
 * We always build for another machine, so there is no "current environment": every evaluation
 * names its environment, and a variable the environment lacks is an error, never a guess.
 *
 * Pure module: no I/O.
 */
import { SneakpackError, isSneakpackError } from '../errors.js';
import { parseSpecifier, type Specifier } from '../pep440/index.js';
import { canonicalizeName } from './names.js';
import {
  parseMarkerText,
  type MarkerAtom,
  type MarkerComparison,
  type MarkerList,
  type MarkerOperand,
  type MarkerOperator,
} from './parser.js';

export type {
  MarkerAtom,
  MarkerComparison,
  MarkerList,
  MarkerOperand,
  MarkerOperator,
  MarkerValueNode,
  MarkerVariableNode,
} from './parser.js';

/**
 * The eleven variables of PEP 508 "Environment Markers", in `packaging.markers.default_environment()`
 * order. The one list every module uses (targets, the probe, `target show`).
 */
export const ENVIRONMENT_VARIABLES = Object.freeze([
  'implementation_name',
  'implementation_version',
  'os_name',
  'platform_machine',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_full_version',
  'platform_python_implementation',
  'python_version',
  'sys_platform',
] as const);

/** One of {@link ENVIRONMENT_VARIABLES}: a variable that describes the target machine. */
export type EnvironmentVariable = (typeof ENVIRONMENT_VARIABLES)[number];

/** The variables a marker may use: the environment's, plus `extra` (canonical spellings). */
export type MarkerVariable = EnvironmentVariable | 'extra';

/**
 * The values of the PEP 508 marker variables on a target machine (what packaging's
 * `default_environment()` returns there). Partial: a compact target may not know, say,
 * `platform_release`; evaluating a marker that needs a missing variable throws
 * `UNDEFINED_MARKER_VARIABLE`. `extra` defaults to `""` (no extra requested).
 */
export type MarkerEnvironment = Readonly<Partial<Record<MarkerVariable, string>>>;

/** Options for {@link Marker.evaluate}. */
export interface MarkerEvaluateOptions {
  /**
   * The extra being requested (PEP 508 "extra" variable; compared after PEP 685 normalisation).
   * Overrides `environment.extra`; a dependency declared for extra `x` applies when this is `x`.
   */
  readonly extra?: string;
}

/**
 * A parsed environment marker (PEP 508 "Environment Markers"). Immutable; build one with
 * {@link parseMarker}. Two markers are {@link Marker.equals | equal} when they print the same, as
 * in packaging.
 */
export class Marker {
  /**
   * The expression tree in packaging's shape: atoms (comparisons or parenthesised lists) joined
   * left to right by `"and"`/`"or"`, where `and` binds tighter. Deeply frozen.
   */
  readonly expression: MarkerList;
  private readonly text: string;

  /**
   * Wraps an already-parsed tree. Prefer {@link parseMarker}; the tree is normalised here the way
   * packaging's `_normalize_extra_values` does it (only the first top-level comparison).
   */
  constructor(expression: MarkerList) {
    this.expression = deepFreeze(normalizeExtraValues(expression));
    this.text = formatMarker(this.expression);
    Object.freeze(this);
  }

  /** The marker as packaging prints it: `str(Marker(...))` (double quotes, single spaces). */
  toString(): string {
    return this.text;
  }

  /** Same printed form (packaging's `Marker.__eq__`). */
  equals(other: Marker): boolean {
    return this.text === other.text;
  }

  /**
   * The environment keys that {@link Marker.evaluate} reads, sorted and without duplicates.
   * Evaluation reads every comparison (no short-circuit), so all of these must be defined.
   * A comparison reads its left side when that is a variable, else its right side — a packaging
   * rule that, for two string literals, looks the right-hand string up as a key.
   */
  variables(): string[] {
    const keys = new Set<string>();
    const walk = (list: MarkerList): void => {
      for (const item of list) {
        if (typeof item === 'string') continue;
        if (isList(item)) walk(item);
        else keys.add(environmentKey(item));
      }
    };
    walk(this.expression);
    return [...keys].sort(compareCodePoints);
  }

  /**
   * Evaluates the marker against `environment` (PEP 508 "Environment Markers"; packaging 24.1
   * `Marker.evaluate`, minus the running interpreter's defaults):
   * - every comparison is evaluated, left to right, before `and`/`or` combine the results;
   * - a comparison first tries the PEP 440 specifier `op + rhs` (`python_version >= "3.8"` is
   *   `Specifier(">=3.8").contains(python_version, prereleases=True)`); only when that is not a
   *   valid specifier does it fall back to Python string comparison (`<`, `==`, … by code point);
   * - `in` / `not in` are substring tests;
   * - for `extra`, both sides are normalised with {@link canonicalizeName} (PEP 685).
   *
   * @throws SneakpackError `UNDEFINED_MARKER_VARIABLE` when the environment lacks a variable the
   *   marker reads; `INVALID_MARKER_COMPARISON` when the comparison is a valid specifier but the
   *   environment value is not a PEP 440 version (packaging's `InvalidVersion`), or when `~=` /
   *   `===` has nothing to compare with (packaging's `UndefinedComparison`).
   */
  evaluate(environment: MarkerEnvironment, options: MarkerEvaluateOptions = {}): boolean {
    const env: Record<string, unknown> = { ...environment };
    if (options.extra !== undefined) env.extra = options.extra;
    if (env.extra === undefined || env.extra === null) env.extra = '';
    return evaluateList(this.expression, env, this);
  }
}

/**
 * Parses a PEP 508 environment marker (the part after `;` in a dependency specifier).
 *
 * Accepts what packaging 24.1 accepts, including the legacy spellings `os.name`, `sys.platform`,
 * `platform.version`, `platform.machine`, `platform.python_implementation` and
 * `python_implementation` (the last two become `platform_python_implementation`). String literals
 * are Python string literals: escapes such as `\t` are decoded.
 *
 * @throws SneakpackError `INVALID_MARKER`, with the input and a caret under the problem.
 */
export function parseMarker(text: string): Marker {
  return new Marker(parseMarkerText(text));
}

/**
 * Evaluates `marker` (parsed, or text to parse) against an explicit `environment`; see
 * {@link Marker.evaluate}.
 */
export function evaluateMarker(
  marker: Marker | string,
  environment: MarkerEnvironment,
  options: MarkerEvaluateOptions = {},
): boolean {
  return (typeof marker === 'string' ? parseMarker(marker) : marker).evaluate(environment, options);
}

// --------------------------------------------------------------------------------------------

function isList(atom: MarkerAtom): atom is MarkerList {
  return Array.isArray(atom);
}

/** The name of a variable, or the text of a literal (packaging's `Node.value`). */
function nodeValue(node: MarkerOperand): string {
  return node.kind === 'variable' ? node.name : node.value;
}

function serialize(node: MarkerOperand): string {
  return node.kind === 'variable' ? node.name : `"${node.value}"`;
}

function environmentKey(c: MarkerComparison): string {
  return c.lhs.kind === 'variable' ? c.lhs.name : nodeValue(c.rhs);
}

/**
 * packaging's `_normalize_extra_values`: in the first top-level atom only, when one side of a
 * comparison is the `extra` variable, the other side becomes a literal holding its PEP 503 form.
 * It changes how the marker prints (`extra == "Foo_Bar"` prints as `extra == "foo-bar"`); it does
 * not change evaluation, which normalises `extra` comparisons anyway.
 */
function normalizeExtraValues(list: MarkerList): MarkerList {
  const first = list[0];
  if (first === undefined || typeof first === 'string' || isList(first)) return list;
  let { lhs, rhs } = first;
  if (lhs.kind === 'variable' && lhs.name === 'extra') {
    rhs = { kind: 'value', value: canonicalizeName(nodeValue(rhs)) };
  } else if (rhs.kind === 'variable' && rhs.name === 'extra') {
    lhs = { kind: 'value', value: canonicalizeName(nodeValue(lhs)) };
  }
  return [{ kind: 'comparison', lhs, op: first.op, rhs }, ...list.slice(1)];
}

/**
 * packaging's `_format_marker`. A list holding a single atom prints as that atom, without
 * parentheses, at any depth — so `((a or b)) and c` prints as `a or b and c`, exactly like the
 * reference (the tree, not the text, is what evaluates).
 */
function formatMarker(marker: MarkerAtom | 'and' | 'or', first = true): string {
  if (typeof marker === 'string') return marker;
  if (isList(marker)) {
    const only = marker[0];
    if (marker.length === 1 && only !== undefined && typeof only !== 'string') return formatMarker(only);
    const inner = marker.map((m) => formatMarker(m, false)).join(' ');
    return first ? inner : `(${inner})`;
  }
  return `${serialize(marker.lhs)} ${marker.op} ${serialize(marker.rhs)}`;
}

function evaluateList(list: MarkerList, env: Record<string, unknown>, marker: Marker): boolean {
  const groups: boolean[][] = [[]];
  for (const item of list) {
    if (item === 'or') groups.push([]);
    else if (item === 'and') continue;
    else groups[groups.length - 1]!.push(isList(item) ? evaluateList(item, env, marker) : evaluateComparison(item, env, marker));
  }
  return groups.some((group) => group.every(Boolean));
}

function lookup(env: Record<string, unknown>, key: string, marker: Marker): string {
  const value = Object.prototype.hasOwnProperty.call(env, key) ? env[key] : undefined;
  if (typeof value !== 'string') {
    throw new SneakpackError(
      'UNDEFINED_MARKER_VARIABLE',
      `The marker "${marker}" needs the environment variable "${key}", which the target ` +
        "environment does not define; add it to the target's marker_environment",
      { details: { variable: key, marker: marker.toString() } },
    );
  }
  return value;
}

function evaluateComparison(c: MarkerComparison, env: Record<string, unknown>, marker: Marker): boolean {
  const key = environmentKey(c);
  let lhs: string;
  let rhs: string;
  if (c.lhs.kind === 'variable') {
    lhs = lookup(env, key, marker);
    rhs = nodeValue(c.rhs);
  } else {
    lhs = c.lhs.value;
    rhs = lookup(env, key, marker);
  }
  if (key === 'extra') {
    lhs = canonicalizeName(lhs);
    rhs = canonicalizeName(rhs);
  }
  return evaluateOperator(lhs, c.op, rhs, marker);
}

/** packaging's `_eval_op`. */
function evaluateOperator(lhs: string, op: MarkerOperator, rhs: string, marker: Marker): boolean {
  let spec: Specifier | null = null;
  try {
    spec = parseSpecifier(op + rhs);
  } catch (e) {
    if (!isSneakpackError(e, 'INVALID_SPECIFIER')) throw e;
  }
  if (spec !== null) {
    try {
      return spec.contains(lhs, { prereleases: true });
    } catch (e) {
      if (!isSneakpackError(e, 'INVALID_VERSION')) throw e;
      throw comparisonError(
        `"${lhs}" is not a PEP 440 version, so it cannot be compared with "${op}${rhs}"`,
        'InvalidVersion',
        lhs,
        op,
        rhs,
        marker,
        e,
      );
    }
  }
  switch (op) {
    case 'in':
      return rhs.includes(lhs);
    case 'not in':
      return !rhs.includes(lhs);
    case '<':
      return compareCodePoints(lhs, rhs) < 0;
    case '<=':
      return compareCodePoints(lhs, rhs) <= 0;
    case '==':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '>=':
      return compareCodePoints(lhs, rhs) >= 0;
    case '>':
      return compareCodePoints(lhs, rhs) > 0;
    default:
      throw comparisonError(
        `"${op}" needs a PEP 440 version on its right, got "${rhs}"`,
        'UndefinedComparison',
        lhs,
        op,
        rhs,
        marker,
      );
  }
}

function comparisonError(
  why: string,
  reason: 'InvalidVersion' | 'UndefinedComparison',
  lhs: string,
  op: MarkerOperator,
  rhs: string,
  marker: Marker,
  cause?: unknown,
): SneakpackError {
  return new SneakpackError('INVALID_MARKER_COMPARISON', `Cannot evaluate the marker "${marker}": ${why}`, {
    cause,
    details: { reason, lhs, op, rhs, marker: marker.toString() },
  });
}

/** Python's `str` ordering: by code point (JavaScript's `<` orders by UTF-16 unit). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only a surrogate against a unit at or above U+E000 orders differently by code point.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y >= 0xe000 : x >= 0xe000)) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
