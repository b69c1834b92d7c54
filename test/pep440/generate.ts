/**
 * Seeded generators of nasty PEP 440 inputs for the differential tests: every spelling PEP 440
 * "Normalization" allows, big and zero-padded numbers, locals, whitespace, the non-ASCII letters
 * Python's case-insensitive regex folds onto ASCII, and near-miss invalid strings. Versions are
 * generated from a structure so that pairs can be made "close" (same release, different suffix).
 */
import type { Rng } from '../helpers/random.js';

export interface VersionShape {
  epoch: string | null;
  release: string[];
  pre: { label: 'a' | 'b' | 'rc'; n: string | null } | null;
  post: { n: string | null; implicit: boolean } | null;
  dev: { n: string | null } | null;
  local: string[] | null;
}

const SEPS = ['', '.', '-', '_'] as const;
const WS_CHOICES = [' ', '  ', '\t', '\n', ' \r\n', '\u3000', '\x1c', '\x85', '\u2009', '\u00a0'];

function randomCase(rng: Rng, s: string): string {
  const r = rng.next();
  if (r < 0.75) return s;
  if (r < 0.9) return s.toUpperCase();
  return [...s].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c)).join('');
}

/** A number as text: mostly small, sometimes zero-padded, sometimes beyond 2^64. */
export function num(rng: Rng): string {
  const r = rng.next();
  if (r < 0.45) return String(rng.int(0, 3));
  if (r < 0.7) return String(rng.int(0, 20));
  if (r < 0.8) return String(rng.int(0, 100000));
  if (r < 0.88) return '0'.repeat(rng.int(1, 3)) + String(rng.int(0, 12));
  if (r < 0.94) return '9'.repeat(rng.int(15, 25));
  return String(rng.int(1, 9)) + '0'.repeat(rng.int(16, 22)) + String(rng.int(0, 9));
}

export function shape(rng: Rng): VersionShape {
  const n = rng.chance(0.1) ? rng.int(4, 8) : rng.int(1, 3);
  return {
    epoch: rng.chance(0.12) ? num(rng) : null,
    release: Array.from({ length: n }, () => num(rng)),
    pre: rng.chance(0.3) ? { label: rng.pick(['a', 'b', 'rc'] as const), n: rng.chance(0.8) ? num(rng) : null } : null,
    post: rng.chance(0.25) ? { n: rng.chance(0.8) ? num(rng) : null, implicit: rng.chance(0.3) } : null,
    dev: rng.chance(0.25) ? { n: rng.chance(0.8) ? num(rng) : null } : null,
    local: rng.chance(0.2) ? localParts(rng) : null,
  };
}

function localParts(rng: Rng): string[] {
  const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: rng.int(1, 4) }, () => {
    const r = rng.next();
    if (r < 0.35) return num(rng);
    if (r < 0.6) return rng.pick(['ubuntu', 'abc', 'cpu', 'cu118', 'deadbeef', 'g1234', 'z', 'a', 'dev', 'post']);
    return Array.from({ length: rng.int(1, 5) }, () => rng.pick([...alnum])).join('');
  });
}

/** A close relative of `s`: same release with other suffixes, trailing zeros, or other locals. */
export function mutateShape(rng: Rng, s: VersionShape): VersionShape {
  const t: VersionShape = { ...s, release: [...s.release], local: s.local && [...s.local] };
  const k = rng.int(1, 2);
  for (let i = 0; i < k; i++) {
    switch (rng.int(0, 8)) {
      case 0:
        t.release.push('0'.repeat(rng.int(1, 2)));
        break;
      case 1:
        if (t.release.length > 1) t.release.pop();
        break;
      case 2:
        t.pre = rng.chance(0.5) ? null : { label: rng.pick(['a', 'b', 'rc'] as const), n: rng.chance(0.7) ? String(rng.int(0, 3)) : null };
        break;
      case 3:
        t.post = rng.chance(0.5) ? null : { n: rng.chance(0.7) ? String(rng.int(0, 3)) : null, implicit: rng.chance(0.3) };
        break;
      case 4:
        t.dev = rng.chance(0.5) ? null : { n: rng.chance(0.7) ? String(rng.int(0, 3)) : null };
        break;
      case 5:
        t.local = rng.chance(0.4) ? null : rng.chance(0.5) && t.local ? [...t.local, num(rng)] : localParts(rng);
        break;
      case 6:
        t.epoch = rng.chance(0.5) ? null : String(rng.int(0, 2));
        break;
      case 7: {
        const j = rng.int(0, t.release.length - 1);
        const x = BigInt(t.release[j]!);
        t.release[j] = String(rng.chance(0.5) || x === 0n ? x + 1n : x - 1n);
        break;
      }
      default:
        break; // identical shape, different spelling
    }
  }
  return t;
}

const PRE_SPELLINGS: Record<'a' | 'b' | 'rc', string[]> = {
  a: ['a', 'alpha'],
  b: ['b', 'beta'],
  rc: ['rc', 'c', 'pre', 'preview'],
};

/** Spell a shape with random (valid) separators, case, prefix and whitespace. */
export function render(rng: Rng, s: VersionShape, opts: { ws?: boolean } = {}): string {
  let out = '';
  if (rng.chance(0.1)) out += rng.pick(['v', 'V']);
  if (s.epoch !== null) out += `${s.epoch}!`;
  out += s.release.join('.');
  if (s.pre) {
    out += rng.pick(SEPS) + randomCase(rng, rng.pick(PRE_SPELLINGS[s.pre.label]!));
    if (s.pre.n !== null) out += rng.pick(SEPS) + s.pre.n;
  }
  if (s.post) {
    if (s.post.implicit && s.post.n !== null) out += `-${s.post.n}`;
    else {
      out += rng.pick(SEPS) + randomCase(rng, rng.pick(['post', 'post', 'rev', 'r']));
      if (s.post.n !== null) out += rng.pick(SEPS) + s.post.n;
    }
  }
  if (s.dev) {
    out += rng.pick(SEPS) + randomCase(rng, 'dev');
    if (s.dev.n !== null) out += rng.pick(SEPS) + s.dev.n;
  }
  if (s.local) {
    out += '+' + s.local.map((p, i) => (i === 0 ? '' : rng.pick(['.', '-', '_'])) + randomCase(rng, p)).join('');
  }
  if (opts.ws !== false && rng.chance(0.08)) out = rng.pick(WS_CHOICES) + out;
  if (opts.ws !== false && rng.chance(0.08)) out += rng.pick(WS_CHOICES);
  return out;
}

/** Non-ASCII spellings Python's IGNORECASE accepts (and one it does not). */
const UNICODE_ODDITIES = ['1.0prev\u0130ew1', '1.0prev\u0131ew', '1.0.po\u017ft1', '2.po\u017ft', '1.0+\u212a', '1.0+abc.\u0130', '1.0+\u0131.1', '1.0+\u017f', '1.0\ufeff', '\ufeff1.0', '1.0.pos\u0307t1'];

/** Near-miss invalid strings. */
export function invalidVersion(rng: Rng, valid: string): string {
  const cut = rng.int(0, valid.length);
  switch (rng.int(0, 11)) {
    case 0:
      return valid.slice(0, cut) + rng.pick(['..', '!', '+', '*', '#', ' ', ',', '-', 'x', '١', '²', '+-', '/']) + valid.slice(cut);
    case 1:
      return rng.pick(['', ' ', 'v', 'V', '1.', '.1', '1..0', '1.0-', '1.0+', '1.0+a..b', '1.0 .dev', '1.*', '1!', '!1', '1.0-1-1']);
    case 2:
      return rng.pick(['1.0post1a1', '1.0.dev1.post1', '1.0+abc+def', '1,0', '1.0a1.rc1', 'v 1.0', '1.0_+abc', '1.0+_abc', '1.0+abc_', 'vv1.0']);
    case 3:
      return `${valid}.*`;
    case 4:
      return `${valid}${rng.pick(['a', 'post', 'dev', '-'])}${rng.pick(['x', '.', '-1', 'dev'])}`;
    case 5:
      return rng.pick(['1.0-dev', '1.0-dev1', '1.0.r', '1.0r', '1-1', '1.0c', '1.0pre-', '1.0_rev_', '1.0--1', '1.0.post.1.dev']); // some of these are valid
    case 6:
      return rng.pick(UNICODE_ODDITIES);
    case 7:
      return valid.toUpperCase().replace(/V/g, 'vV');
    case 8:
      return `${valid}+`;
    case 9:
      return `${rng.pick(['0x', '-', '+', '~', '==', 'v.'])}${valid}`;
    case 10:
      return valid.replace('.', rng.pick(['..', ',', ' . ', '', '_']));
    default:
      return `${valid} ${valid}`;
  }
}

/** A version string: ~10% invalid or odd, the rest valid but spelt in every allowed way. */
export function versionString(rng: Rng, s: VersionShape = shape(rng)): string {
  if (rng.chance(0.13)) return invalidVersion(rng, render(rng, s, { ws: false }));
  return render(rng, s);
}

// ---------------------------------------------------------------------------------------------
// Specifiers

const OPS = ['~=', '==', '!=', '<=', '>=', '<', '>', '==='] as const;
const SPEC_WS = ['', '', '', ' ', '  ', '\t', '\u3000'];

/** One specifier near `base`: every operator, wildcards, locals, `===`; some invalid (~1% picked from a list, more by construction). */
export function specifierString(rng: Rng, base: VersionShape): string {
  const r = rng.next();
  if (r < 0.012) {
    return rng.pick([
      '=>1.0', '=1.0', '~1.0', '<>1.0', '>=', '==', '>=foo', 'foo', '~=1', '~=1.*', '>=1.0.*', '<1.0+local', '>1.*',
      '==1.0a1.*', '==1.0.post1.*', '!=1.0+abc.*', '>= 1.0 1.1', '==1.0;', '>=1.0)', '=== ', '==1.0.*.*', '~=1.0+abc',
      '>=v', '>==1.0', '!==1.0', '==*', '===foo bar', 'v>=1.0', '>=1.0-',
    ]);
  }
  const op = rng.pick(OPS);
  const ws = () => rng.pick(SPEC_WS);
  const s: VersionShape = { ...base, release: [...base.release] };
  if (rng.chance(0.5)) Object.assign(s, mutateShape(rng, base));
  if (op === '===') {
    const choice = rng.int(0, 4);
    if (choice === 0) return `===${ws()}${rng.pick(['foo', '1.0', 'FOO-1.0', '1.0+ABC', '1.0.0', 'x;'])}`;
    if (choice === 1) return `===${ws()}${render(rng, s, { ws: false }).toLowerCase()}`;
    return `===${ws()}${render(rng, { ...s, epoch: null }, { ws: false })}`;
  }
  if (op !== '==' && op !== '!=') s.local = rng.chance(0.05) ? ['abc'] : null; // locals only in ==/!= (else invalid)
  if (op === '~=' && s.release.length < 2 && rng.chance(0.9)) s.release.push(String(rng.int(0, 3)));
  let version: string;
  if ((op === '==' || op === '!=') && rng.chance(0.35)) {
    // Wildcard: release only; sometimes (invalidly) with suffixes.
    const bare = rng.chance(0.9) ? { ...s, pre: null, post: null, dev: null, local: null } : s;
    version = `${render(rng, bare, { ws: false })}.*`;
  } else {
    version = render(rng, s, { ws: false });
  }
  return `${ws()}${op}${ws()}${version}${ws()}`;
}

/** A comma-separated set of 0–4 specifiers around `base` (empty items and spaces included). */
export function specifierSetString(rng: Rng, base: VersionShape): string {
  const n = rng.pick([0, 1, 1, 1, 2, 2, 3, 4]);
  const parts = Array.from({ length: n }, () => specifierString(rng, base));
  if (rng.chance(0.05)) parts.push('');
  if (rng.chance(0.03)) parts.unshift(' ');
  return parts.join(rng.pick([',', ', ', ' ,', ',']));
}

export function optionalBool(rng: Rng): boolean | null {
  return rng.pick([null, true, false]);
}
