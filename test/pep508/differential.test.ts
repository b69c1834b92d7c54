/**
 * Differential tests against pypa/packaging 24.1: generated markers (with environments),
 * requirement strings and names go to the reference in one call each; every case must agree.
 */
import { describe, expect, it } from 'vitest';
import { isSneakpackError, type SneakpackError } from '../../src/errors.js';
import {
  canonicalizeName,
  isValidName,
  parseMarker,
  parseRequirement,
  type Marker,
  type MarkerEnvironment,
} from '../../src/pep508/index.js';
import { runReference } from '../helpers/reference.js';
import { Rng } from '../helpers/random.js';
import { environmentFor, markerText, rawName, nameText, requirementText, targetEnvironments } from './generate.js';

/** packaging's ParserSyntaxError, or the class of whatever else it raised. */
type RefError = { error: string; reason?: string; span?: [number, number] };
type RefEval = boolean | { error: string; key?: string };

/** Shared Python: describe an exception the way the TypeScript side describes its errors. */
const PY_ERRORS = `
import warnings
warnings.filterwarnings('ignore')
from pip._vendor.packaging._tokenizer import ParserSyntaxError

def units(source, index):
    # Python spans count code points; JavaScript strings count UTF-16 units.
    return len(source[:index].encode('utf-16-le', 'surrogatepass')) // 2

def describe_error(exc, source):
    cause = exc.__cause__
    if isinstance(cause, ParserSyntaxError):
        return {'error': type(exc).__name__, 'reason': cause.message,
                'span': [units(source, cause.span[0]), units(source, cause.span[1])]}
    return {'error': type(exc).__name__}
`;

function ours(e: unknown): SneakpackError {
  if (isSneakpackError(e)) return e;
  throw e;
}

/** Our error in the reference's terms. */
function describeOurs(e: SneakpackError, pythonClass: string): RefError {
  const reason = e.details.reason as string | undefined;
  // A literal that ast.literal_eval rejects escapes packaging as SyntaxError (not wrapped).
  if (reason?.startsWith('Invalid string literal')) return { error: 'SyntaxError' };
  // packaging lets SpecifierSet's InvalidSpecifier escape (e.g. "===foo,<1.0.*": the arbitrary
  // clause swallows the comma and the rest); we wrap it in INVALID_REQUIREMENT.
  if (isSneakpackError(e.cause, 'INVALID_SPECIFIER')) return { error: 'InvalidSpecifier' };
  return { error: pythonClass, reason, span: e.details.span as [number, number] };
}

function report(disagreements: string[], total: number): void {
  if (disagreements.length > 0) {
    throw new Error(
      `${disagreements.length} of ${total} cases disagree with packaging 24.1; first ones:\n` +
        disagreements.slice(0, 20).join('\n'),
    );
  }
}

const ENVS = targetEnvironments();

/** Our evaluation result in the reference's terms. */
function evaluation(marker: Marker, env: Record<string, string | null>): RefEval {
  try {
    return marker.evaluate(env as MarkerEnvironment);
  } catch (e) {
    const err = ours(e);
    if (err.code === 'UNDEFINED_MARKER_VARIABLE') return { error: 'KeyError', key: err.details.variable as string };
    if (err.code === 'INVALID_MARKER_COMPARISON') return { error: err.details.reason as string };
    throw e;
  }
}

describe('markers vs packaging 24.1', () => {
  it('agrees on parsing, str() and evaluation of generated (marker, environment) pairs', () => {
    const rng = new Rng(508);
    const cases: { text: string; envs: Record<string, string | null>[] }[] = [];
    for (let i = 0; i < 1200; i++) {
      const envs: Record<string, string | null>[] = [];
      for (let j = rng.int(1, 3); j > 0; j--) envs.push(environmentFor(rng, ENVS));
      cases.push({ text: markerText(rng, ENVS), envs });
    }
    const reference = runReference<({ str: string; evals: RefEval[] } | RefError)[]>(
      `${PY_ERRORS}
out = []
for case in INPUT:
    try:
        m = markers.Marker(case['text'])
    except Exception as exc:
        out.append(describe_error(exc, case['text']))
        continue
    evals = []
    for given in case['envs']:
        env = {'extra': ''}
        env.update(given)
        if env['extra'] is None:
            env['extra'] = ''
        try:
            evals.append(markers._evaluate_markers(m._markers, env))
        except KeyError as exc:
            evals.append({'error': 'KeyError', 'key': exc.args[0]})
        except Exception as exc:
            evals.append({'error': type(exc).__name__})
    out.append({'str': str(m), 'evals': evals})
emit(out)
`,
      cases,
    );

    const disagreements: string[] = [];
    const outcomes: Record<string, number> = {};
    let pairs = 0;
    let evaluatedTrue = 0;
    let evaluatedErrors = 0;
    let parseErrors = 0;
    cases.forEach((c, i) => {
      const ref = reference[i]!;
      let marker: Marker;
      try {
        marker = parseMarker(c.text);
      } catch (e) {
        const got = describeOurs(ours(e), 'InvalidMarker');
        expect(ours(e).code).toBe('INVALID_MARKER');
        parseErrors++;
        if (JSON.stringify(got) !== JSON.stringify(ref)) {
          disagreements.push(`${JSON.stringify(c.text)}: ours ${JSON.stringify(got)} ref ${JSON.stringify(ref)}`);
        }
        return;
      }
      if (!('str' in ref)) {
        disagreements.push(`${JSON.stringify(c.text)}: ours parses as ${marker} ref ${JSON.stringify(ref)}`);
        return;
      }
      if (marker.toString() !== ref.str) {
        disagreements.push(`${JSON.stringify(c.text)}: str ours ${JSON.stringify(marker.toString())} ref ${JSON.stringify(ref.str)}`);
      }
      c.envs.forEach((env, j) => {
        pairs++;
        const got = evaluation(marker, env);
        // variables() is exactly what evaluation reads: an environment cut down to it agrees.
        const cut = Object.fromEntries(Object.entries(env).filter(([k]) => marker.variables().includes(k)));
        const cutGot = evaluation(marker, cut);
        if (JSON.stringify(cutGot) !== JSON.stringify(got)) {
          disagreements.push(`${JSON.stringify(c.text)}: variables() ${JSON.stringify(marker.variables())} misses a key`);
        }
        const want = ref.evals[j]!;
        const outcome = typeof want === 'object' ? want.error : String(want);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (want === true) evaluatedTrue++;
        if (typeof want === 'object') evaluatedErrors++;
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          disagreements.push(
            `${JSON.stringify(c.text)} in ${JSON.stringify(env)}: ours ${JSON.stringify(got)} ref ${JSON.stringify(want)}`,
          );
        }
      });
    });
    report(disagreements, cases.length);
    // The generator must reach every outcome, or the comparison proves little.
    expect(pairs).toBeGreaterThanOrEqual(1500);
    expect(parseErrors).toBeGreaterThan(60);
    expect(evaluatedTrue).toBeGreaterThan(200);
    expect(evaluatedErrors).toBeGreaterThan(100);
    for (const outcome of ['KeyError', 'InvalidVersion', 'UndefinedComparison']) expect(outcomes[outcome]).toBeGreaterThan(10);
    console.log(
      `markers: ${cases.length} markers (${parseErrors} invalid), ${pairs} (marker, environment) pairs: ${JSON.stringify(outcomes)}`,
    );
  });
});

describe('requirements vs packaging 24.1', () => {
  it('agrees on every part of generated requirement strings', () => {
    const rng = new Rng(1508);
    const texts: string[] = [];
    for (let i = 0; i < 2500; i++) texts.push(requirementText(rng, ENVS));
    type RefReq = { name: string; extras: string[]; specifier: string; url: string | null; marker: string | null; str: string };
    const reference = runReference<(RefReq | RefError)[]>(
      `${PY_ERRORS}
out = []
for text in INPUT:
    try:
        r = requirements.Requirement(text)
    except Exception as exc:
        out.append(describe_error(exc, text))
        continue
    out.append({'name': r.name, 'extras': sorted(r.extras), 'specifier': str(r.specifier), 'url': r.url,
                'marker': None if r.marker is None else str(r.marker), 'str': str(r)})
emit(out)
`,
      texts,
    );
    const disagreements: string[] = [];
    let errors = 0;
    let withUrl = 0;
    let withMarker = 0;
    texts.forEach((text, i) => {
      const want = reference[i]!;
      let got: RefReq | RefError;
      try {
        const r = parseRequirement(text);
        got = {
          name: r.name,
          extras: [...r.extras],
          specifier: r.specifier.toString(),
          url: r.url,
          marker: r.marker === null ? null : r.marker.toString(),
          str: r.toString(),
        };
        if (r.url !== null) withUrl++;
        if (r.marker !== null) withMarker++;
      } catch (e) {
        const err = ours(e);
        expect(err.code).toBe('INVALID_REQUIREMENT');
        expect(err.message).toContain(JSON.stringify(text));
        got = describeOurs(err, 'InvalidRequirement');
        errors++;
      }
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        disagreements.push(`${JSON.stringify(text)}: ours ${JSON.stringify(got)} ref ${JSON.stringify(want)}`);
      }
    });
    report(disagreements, texts.length);
    expect(errors).toBeGreaterThan(100);
    expect(withUrl).toBeGreaterThan(100);
    expect(withMarker).toBeGreaterThan(200);
    console.log(`requirements: ${texts.length} strings (${errors} invalid, ${withUrl} with URL, ${withMarker} with marker)`);
  });
});

describe('names vs packaging 24.1', () => {
  it('canonicalizeName equals canonicalize_name; isValidName equals the PEP 508 regex', () => {
    const rng = new Rng(503);
    const names: string[] = [];
    for (let i = 0; i < 1500; i++) names.push(rng.chance(0.5) ? rawName(rng) : nameText(rng));
    const reference = runReference<{ canonical: string; pep508: boolean; packaging: boolean }[]>(
      `
import re
pep508 = re.compile(r'^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\\Z', re.IGNORECASE | re.ASCII)
emit([{'canonical': utils.canonicalize_name(n), 'pep508': pep508.match(n) is not None,
       'packaging': utils._validate_regex.match(n) is not None} for n in INPUT])
`,
      names,
    );
    const disagreements: string[] = [];
    let valid = 0;
    let deliberateDifferences = 0;
    names.forEach((name, i) => {
      const want = reference[i]!;
      if (canonicalizeName(name) !== want.canonical) {
        disagreements.push(`canonicalize ${JSON.stringify(name)}: ours ${canonicalizeName(name)} ref ${want.canonical}`);
      }
      if (isValidName(name) !== want.pep508) {
        disagreements.push(`isValidName ${JSON.stringify(name)}: ours ${isValidName(name)} ref ${want.pep508}`);
      }
      if (want.pep508) valid++;
      // Where packaging's own check differs from the strict regex, it is one of the two documented corners.
      if (want.packaging !== want.pep508) {
        deliberateDifferences++;
        if (!/[\u0130\u0131\u017f\u212a]|\n$/.test(name)) disagreements.push(`unexpected packaging quirk on ${JSON.stringify(name)}`);
      }
    });
    report(disagreements, names.length);
    expect(valid).toBeGreaterThan(300);
    expect(deliberateDifferences).toBeGreaterThan(0);
  });
});
