/**
 * Differential tests against the reference, packaging 24.1 (pip's vendored copy): thousands of
 * generated versions, specifier sets and filters go to Python in ONE call; every answer must agree.
 *
 * Where packaging's answer depends on frozenset iteration order (a specifier that raises next to one
 * that short-circuits), the reference reports every outcome over all orders and ours must be one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { Specifier, SpecifierSet, canonicalizeVersion, tryParseVersion } from '../../src/pep440/index.js';
import { runReference } from '../helpers/reference.js';
import { Rng } from '../helpers/random.js';
import {
  type VersionShape,
  mutateShape,
  optionalBool,
  render,
  shape,
  specifierSetString,
  specifierString,
  versionString,
} from './generate.js';

type Outcome = readonly ['ok', unknown] | readonly ['err', string];

function run(f: () => unknown): Outcome {
  try {
    return ['ok', f()];
  } catch (e) {
    if (isSneakpackError(e, 'INVALID_VERSION')) return ['err', 'InvalidVersion'];
    if (isSneakpackError(e, 'INVALID_SPECIFIER')) return ['err', 'InvalidSpecifier'];
    throw e;
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const oneOf = (mine: Outcome, theirs: readonly Outcome[]): boolean => theirs.some((t) => same(mine, t));
const opt = (b: boolean | null): boolean | undefined => (b === null ? undefined : b);

// --------------------------------------------------------------------------------------------
// Case generation (deterministic).

const rng = new Rng(440_2024);

const pairs: [string, string][] = [];
for (let i = 0; i < 6000; i++) {
  const s = shape(rng);
  const close = rng.chance(0.7);
  pairs.push([versionString(rng, s), versionString(rng, close ? mutateShape(rng, s) : shape(rng))]);
}

interface ContainsCase { set: string; version: string; setPre: boolean | null; callPre: boolean | null; installed: boolean }
const containsCases: ContainsCase[] = [];
for (let i = 0; i < 6000; i++) {
  const base = shape(rng);
  const near: VersionShape = rng.chance(0.8) ? mutateShape(rng, base) : shape(rng);
  containsCases.push({
    set: specifierSetString(rng, base),
    version: rng.chance(0.97) ? render(rng, near) : versionString(rng, near),
    setPre: rng.chance(0.6) ? null : optionalBool(rng),
    callPre: optionalBool(rng),
    installed: rng.chance(0.1),
  });
}

interface SpecCase { spec: string; version: string; specPre: boolean | null; callPre: boolean | null }
const specCases: SpecCase[] = [];
for (let i = 0; i < 3000; i++) {
  const base = shape(rng);
  specCases.push({
    spec: specifierString(rng, base),
    version: render(rng, rng.chance(0.85) ? mutateShape(rng, base) : shape(rng)),
    specPre: rng.chance(0.6) ? null : optionalBool(rng),
    callPre: optionalBool(rng),
  });
}

interface FilterCase { set: string; versions: string[]; setPre: boolean | null; callPre: boolean | null; single: boolean }
const filterCases: FilterCase[] = [];
for (let i = 0; i < 600; i++) {
  const base = shape(rng);
  const single = i % 3 === 0;
  const versions = Array.from({ length: rng.int(0, 10) }, () =>
    rng.chance(0.99) ? render(rng, rng.chance(0.85) ? mutateShape(rng, base) : shape(rng)) : versionString(rng),
  );
  filterCases.push({
    set: single ? specifierString(rng, base) : specifierSetString(rng, base),
    versions,
    setPre: rng.chance(0.5) ? null : optionalBool(rng),
    callPre: rng.chance(0.4) ? null : optionalBool(rng),
    single,
  });
}

interface AndCase { a: string; b: string; aPre: boolean | null; bPre: boolean | null }
const andCases: AndCase[] = [];
for (let i = 0; i < 400; i++) {
  const base = shape(rng);
  andCases.push({
    a: specifierSetString(rng, base),
    b: rng.chance(0.2) ? specifierSetString(rng, base) : specifierSetString(rng, mutateShape(rng, base)),
    aPre: optionalBool(rng),
    bPre: optionalBool(rng),
  });
}

const SCRIPT = String.raw`
import itertools
def run(f):
    try:
        return ["ok", f()]
    except (version.InvalidVersion, specifiers.InvalidSpecifier, ValueError) as e:
        return ["err", type(e).__name__]

def info(s):
    try:
        v = version.Version(s)
    except version.InvalidVersion:
        return None
    return [str(v), v.public, v.base_version, v.is_prerelease, v.is_postrelease, v.is_devrelease,
            str(v.epoch), [str(x) for x in v.release], None if v.pre is None else [v.pre[0], str(v.pre[1])],
            None if v.post is None else str(v.post), None if v.dev is None else str(v.dev), v.local,
            [str(v.major), str(v.minor), str(v.micro)]]

def cmp(a, b):
    try:
        va, vb = version.Version(a), version.Version(b)
    except version.InvalidVersion:
        return None
    return [va < vb, va == vb, va > vb, va <= vb, va >= vb, va != vb]

def order_matters(specs, items):
    # The set only calls s.prereleases and s.contains(item, prereleases=<bool>) (item or its base
    # version); with prereleases=True every operator runs. If none of these raise, every order of
    # the frozenset gives the same answer; otherwise packaging's answer depends on hash order.
    for s in specs:
        try:
            s.prereleases
            for item in items:
                v = version.Version(item)
                s.contains(v, prereleases=True)
                s.contains(version.Version(v.base_version), prereleases=True)
        except ValueError:
            return True
    return False

def over_orders(text, pre, fns, items):
    try:
        ss = specifiers.SpecifierSet(text, prereleases=pre)
    except specifiers.InvalidSpecifier:
        return [[["err", "InvalidSpecifier"]] for _ in fns]
    specs = list(ss._specs)
    orders = list(itertools.permutations(specs)) if len(specs) > 1 and order_matters(specs, items) else [specs]
    outs = []
    for fn in fns:
        out = []
        for order in orders:
            ss._specs = order
            r = run(lambda: fn(ss))
            if r not in out:
                out.append(r)
        outs.append(out)
    return outs

def set_info(text, pre):
    try:
        ss = specifiers.SpecifierSet(text, prereleases=pre)
    except specifiers.InvalidSpecifier:
        return None
    return [str(ss), len(ss)]

res = {"pairs": [], "canon": [], "contains": [], "spec": [], "filter": [], "and": []}
for a, b in INPUT["pairs"]:
    res["pairs"].append([info(a), info(b), cmp(a, b)])
    for s in (a, b):
        res["canon"].append([utils.canonicalize_version(s), utils.canonicalize_version(s, strip_trailing_zero=False)])
for c in INPUT["contains"]:
    res["contains"].append([set_info(c["set"], c["setPre"])] + over_orders(c["set"], c["setPre"], [
        lambda ss: ss.prereleases,
        lambda ss: ss.contains(c["version"], prereleases=c["callPre"], installed=c["installed"]),
    ], [c["version"]]))
for c in INPUT["spec"]:
    try:
        sp = specifiers.Specifier(c["spec"], prereleases=c["specPre"])
    except specifiers.InvalidSpecifier:
        res["spec"].append(None)
        continue
    res["spec"].append([sp.operator, sp.version, str(sp), run(lambda: sp.prereleases),
                        run(lambda: sp.contains(c["version"], prereleases=c["callPre"]))])
for c in INPUT["filter"]:
    if c["single"]:
        try:
            sp = specifiers.Specifier(c["set"], prereleases=c["setPre"])
        except specifiers.InvalidSpecifier:
            res["filter"].append([["err", "InvalidSpecifier"]])
            continue
        res["filter"].append([run(lambda: list(sp.filter(c["versions"], prereleases=c["callPre"])))])
    else:
        res["filter"].append(over_orders(c["set"], c["setPre"], [lambda ss: list(ss.filter(c["versions"], prereleases=c["callPre"]))], c["versions"])[0])
for c in INPUT["and"]:
    try:
        a = specifiers.SpecifierSet(c["a"], prereleases=c["aPre"])
        b = specifiers.SpecifierSet(c["b"], prereleases=c["bPre"])
    except specifiers.InvalidSpecifier:
        res["and"].append(None)
        continue
    def both():
        ab = a & b
        return [str(ab), len(ab), ab._prereleases, a == b]
    res["and"].append(run(both))
emit(res)
`;

interface Reference {
  pairs: [unknown, unknown, boolean[] | null][];
  canon: [string, string][];
  contains: [[string, number] | null, Outcome[], Outcome[]][];
  spec: ([string, string, string, Outcome, Outcome] | null)[];
  filter: Outcome[][];
  and: (Outcome | null)[];
}

let ref: Reference;
beforeAll(() => {
  ref = runReference<Reference>(SCRIPT, {
    pairs,
    contains: containsCases,
    spec: specCases,
    filter: filterCases,
    and: andCases,
  });
});

function info(s: string): unknown {
  const v = tryParseVersion(s);
  if (v === null) return null;
  const x = v.exact;
  return [
    v.toString(), v.public, v.baseVersion, v.isPrerelease, v.isPostrelease, v.isDevrelease,
    String(x.epoch), x.release.map(String), x.pre && [x.pre[0], String(x.pre[1])],
    x.post === null ? null : String(x.post), x.dev === null ? null : String(x.dev), v.local,
    [String(x.release[0] ?? 0n), String(x.release[1] ?? 0n), String(x.release[2] ?? 0n)],
  ];
}

/** Collect disagreements and fail with the first 20, inputs included. */
function check(label: string, total: number, body: (i: number, fail: (detail: unknown) => void) => void): void {
  const failures: unknown[] = [];
  for (let i = 0; i < total; i++) body(i, (detail) => failures.push(detail));
  if (failures.length > 0) {
    throw new Error(`${label}: ${failures.length}/${total} disagreements, first ones:\n${failures.slice(0, 20).map((f) => JSON.stringify(f)).join('\n')}`);
  }
}

describe('differential vs packaging 24.1', () => {
  it(`versions: ${pairs.length} pairs (parse, str, public, base_version, flags, parts, ordering)`, () => {
    let invalid = 0;
    check('versions', pairs.length, (i, fail) => {
      const [a, b] = pairs[i]!;
      const [ra, rb, rc] = ref.pairs[i]!;
      if (ra === null) invalid++;
      if (!same(info(a), ra)) fail({ input: a, ours: info(a), theirs: ra });
      if (!same(info(b), rb)) fail({ input: b, ours: info(b), theirs: rb });
      const va = tryParseVersion(a);
      const vb = tryParseVersion(b);
      const c = va && vb ? va.compare(vb) : null;
      const ours = c === null ? null : [c < 0, c === 0, c > 0, c <= 0, c >= 0, c !== 0];
      if (!same(ours, rc)) fail({ a, b, ours, theirs: rc });
      if (va && vb && va.equals(vb) !== (c === 0)) fail({ a, b, equals: va.equals(vb) });
    });
    // The generator must keep exercising both sides.
    expect(invalid).toBeGreaterThan(pairs.length * 0.05);
    expect(invalid).toBeLessThan(pairs.length * 0.2);
    const equalNotIdentical = pairs.filter(([a, b], i) => ref.pairs[i]![2]?.[1] && a !== b).length;
    expect(equalNotIdentical).toBeGreaterThan(100);
  });

  it(`canonicalize_version: ${pairs.length * 2} strings, both strip_trailing_zero settings`, () => {
    const strings = pairs.flat();
    check('canonicalize', strings.length, (i, fail) => {
      const s = strings[i]!;
      const ours = [canonicalizeVersion(s), canonicalizeVersion(s, { stripTrailingZero: false })];
      if (!same(ours, ref.canon[i])) fail({ input: s, ours, theirs: ref.canon[i] });
      const v = tryParseVersion(s);
      if (v && canonicalizeVersion(v) !== ours[0]) fail({ input: s, fromVersion: canonicalizeVersion(v) });
    });
  });

  it(`SpecifierSet: ${containsCases.length} (set, version, prereleases) contains cases, str, len`, () => {
    let invalid = 0;
    let matched = 0;
    let ambiguous = 0;
    check('contains', containsCases.length, (i, fail) => {
      const c = containsCases[i]!;
      const [setInfo, preOutcomes, containsOutcomes] = ref.contains[i]!;
      const parsed = run(() => new SpecifierSet(c.set, opt(c.setPre)));
      if (setInfo === null) {
        invalid++;
        if (parsed[0] !== 'err' || parsed[1] !== 'InvalidSpecifier') fail({ case: c, ours: parsed, theirs: 'InvalidSpecifier' });
        return;
      }
      if (parsed[0] === 'err') return fail({ case: c, ours: parsed, theirs: setInfo });
      const ss = parsed[1] as SpecifierSet;
      if (!same([ss.toString(), ss.length], setInfo)) fail({ case: c, ours: [ss.toString(), ss.length], theirs: setInfo });
      const pre = run(() => ss.prereleases ?? null);
      if (!oneOf(pre, preOutcomes)) fail({ case: c, prereleases: pre, theirs: preOutcomes });
      const ours = run(() => ss.contains(c.version, { prereleases: opt(c.callPre), installed: c.installed }));
      if (containsOutcomes.length > 1) ambiguous++;
      if (same(ours, ['ok', true])) matched++;
      if (!oneOf(ours, containsOutcomes)) fail({ case: c, ours, theirs: containsOutcomes });
    });
    expect(invalid).toBeGreaterThan(containsCases.length * 0.05);
    expect(invalid).toBeLessThan(containsCases.length * 0.12);
    expect(matched).toBeGreaterThan(containsCases.length * 0.15);
    expect(ambiguous).toBeLessThan(containsCases.length * 0.02);
  });

  it(`Specifier: ${specCases.length} (specifier, version, prereleases) cases`, () => {
    check('specifier', specCases.length, (i, fail) => {
      const c = specCases[i]!;
      const theirs = ref.spec[i]!;
      const parsed = run(() => new Specifier(c.spec, opt(c.specPre)));
      if (theirs === null) {
        if (parsed[0] !== 'err') fail({ case: c, ours: String(parsed[1]), theirs: 'InvalidSpecifier' });
        return;
      }
      if (parsed[0] === 'err') return fail({ case: c, ours: parsed, theirs });
      const sp = parsed[1] as Specifier;
      const ours = [
        sp.operator, sp.version, sp.toString(), run(() => sp.prereleases),
        run(() => sp.contains(c.version, { prereleases: opt(c.callPre) })),
      ];
      if (!same(ours, theirs)) fail({ case: c, ours, theirs });
    });
  });

  it(`filter: ${filterCases.length} cases (SpecifierSet and Specifier)`, () => {
    let fallback = 0;
    check('filter', filterCases.length, (i, fail) => {
      const c = filterCases[i]!;
      const ours = c.single
        ? run(() => new Specifier(c.set, opt(c.setPre)).filter(c.versions, { prereleases: opt(c.callPre) }))
        : run(() => new SpecifierSet(c.set, opt(c.setPre)).filter(c.versions, { prereleases: opt(c.callPre) }));
      const theirs = ref.filter[i]!;
      if (ours[0] === 'ok') {
        const kept = ours[1] as string[];
        if (kept.length > 0 && kept.every((v) => tryParseVersion(v)?.isPrerelease)) fallback++;
      }
      if (!oneOf(ours, theirs)) fail({ case: c, ours, theirs });
    });
    expect(fallback).toBeGreaterThan(10);
  });

  it(`and (&), equality and str: ${andCases.length} cases`, () => {
    let conflicts = 0;
    check('and', andCases.length, (i, fail) => {
      const c = andCases[i]!;
      const theirs = ref.and[i]!;
      let a: SpecifierSet;
      let b: SpecifierSet;
      try {
        a = new SpecifierSet(c.a, opt(c.aPre));
        b = new SpecifierSet(c.b, opt(c.bPre));
      } catch (e) {
        if (theirs !== null || !isSneakpackError(e, 'INVALID_SPECIFIER')) fail({ case: c, ours: String(e), theirs });
        return;
      }
      if (theirs === null) return fail({ case: c, ours: 'parsed', theirs: 'InvalidSpecifier' });
      let ours: Outcome;
      try {
        const ab = a.and(b);
        ours = ['ok', [ab.toString(), ab.length, ab.prereleasesOverride ?? null, a.equals(b)]];
      } catch (e) {
        if (!isSneakpackError(e, 'INVALID_SPECIFIER')) throw e;
        conflicts++;
        ours = ['err', 'ValueError'];
      }
      if (!same(ours, theirs)) fail({ case: c, ours, theirs });
    });
    expect(conflicts).toBeGreaterThan(10);
  });
});
