/**
 * The line syntax of requirements files, differential against pip 24.2's own functions:
 * `preprocess` (splitlines, continuations, comments, `${VAR}`), `break_args_options`,
 * `shlex.split` and pip's optparse line parser — on generated text full of the awkward
 * characters (backslashes, `#`, Unicode whitespace, line separators, quotes).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionSyntaxError, breakArgsOptions, parseOptions, preprocessRequirements, shlexSplit } from '../../src/app/index.js';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';

const rng = new Rng(2024_0242);
const ENV = { SP_A: 'alpha', SP_B: '${SP_A}', SP_EMPTY: '', SP_HASH: 'x #y', SP_DOLLAR: '$&$1' };

const PIECES = [
  'foo', 'Bar>=1', ' ', '  ', '\t', '#', ' #', '# c', '\\', '\\\\', '\n', '\r\n', '\r', '\u000b', '\u000c', '\u001c', '\u0085',
  '\u2028', '\u00a0', '\u3000', '${SP_A}', '${SP_B}', '${SP_EMPTY}', '${SP_HASH}', '${SP_DOLLAR}', '${SP_UNSET}', '${sp_a}', '$SP_A',
  '; python_version < "3"', '-r', '--pre', '-f x', "'q'", '"dq"', 'é', '=', '.', '/', '--hash=sha256:ab',
];

function text(): string {
  let out = '';
  const n = rng.int(0, 14);
  for (let i = 0; i < n; i++) out += rng.pick(PIECES);
  return out;
}

const TEXTS = Array.from({ length: 3000 }, text);

const SHLEX_PIECES = ['a', 'b c', ' ', '\t', "'", '"', '\\', '\\"', "\\'", '""', "''", '--x=1', '-f', 'é', '\\\\', '#', '\n'];
const SHLEX = Array.from({ length: 2000 }, () => {
  let s = '';
  const n = rng.int(0, 8);
  for (let i = 0; i < n; i++) s += rng.pick(SHLEX_PIECES);
  return s;
});

const OPTION_WORDS = [
  '-i', 'https://x/simple', '--index-url', '--index-url=https://y', '--index', '--in', '--pypi-url', '--extra-index-url', '--extra',
  '--ex', '--e', '--no-index', '--no-index=1', '--no', '--no-b', '--no-binary', ':all:', '--only-binary=foo', '-c', 'c.txt', '-r',
  '-rr.txt', '--requirement', '-f', '-fdir', '--find-links', '--find', '--pre', '--pr', '--prefer-binary', '--require-hashes', '--re',
  '--trusted-host', 'host', '--hash=sha256:ab', '--hash', '-C', 'k=v', '--config-settings=a=b', '--global-option', '-x', '--',
  'positional', '-', '--bogus', '-e', '--editable=x',
];
const OPTION_LINES = Array.from({ length: 2000 }, () => {
  const n = rng.int(0, 5);
  return Array.from({ length: n }, () => rng.pick(OPTION_WORDS)).join(' ');
});

const REF = String.raw`
import os, shlex, sys, optparse
from pip._internal.req.req_file import preprocess, break_args_options, build_parser
sys.stderr = open(os.devnull, 'w')
os.environ.update(INPUT['env'])
pre = []
for t in INPUT['texts']:
    lines = list(preprocess(t))
    pre.append([[n, l, list(break_args_options(l))] for n, l in lines])
sh = []
for s in INPUT['shlex']:
    try:
        sh.append(['ok', shlex.split(s)])
    except ValueError as e:
        sh.append(['err', str(e)])
DESTS = ['index_url', 'extra_index_urls', 'no_index', 'constraints', 'requirements', 'editables', 'find_links', 'prefer_binary',
         'require_hashes', 'pre', 'trusted_hosts', 'global_options', 'hashes', 'config_settings']
opts = []
for line in INPUT['options']:
    p = build_parser()
    dv = p.get_default_values()
    dv.index_url = None
    for d in ['global_options', 'hashes', 'config_settings']:
        setattr(dv, d, None)
    try:
        o, args = p.parse_args(shlex.split(line), dv)
    except Exception as e:
        opts.append(['err', type(e).__name__])
        continue
    fc = o.format_control
    opts.append(['ok', {d: getattr(o, d) for d in DESTS}, args])
emit({'pre': pre, 'shlex': sh, 'options': opts})
`;

interface Ref {
  pre: [number, string, [string, string]][][];
  shlex: (['ok', string[]] | ['err', string])[];
  options: (['ok', Record<string, unknown>, string[]] | ['err', string])[];
}

/** Fold our option occurrences into pip's `Values` shape (store / append / store_true / callbacks). */
function asValues(occurrences: ReturnType<typeof parseOptions>['options']): Record<string, unknown> {
  const v: Record<string, unknown> = {
    index_url: null, extra_index_urls: [], no_index: false, constraints: [], requirements: [], editables: [], find_links: [],
    prefer_binary: false, require_hashes: false, pre: false, trusted_hosts: [], global_options: null, hashes: null, config_settings: null,
  };
  const push = (k: string, x: unknown): void => {
    v[k] = [...((v[k] as unknown[] | null) ?? []), x];
  };
  for (const o of occurrences) {
    switch (o.option) {
      case 'index-url': v.index_url = o.value; break;
      case 'extra-index-url': push('extra_index_urls', o.value); break;
      case 'no-index': v.no_index = true; break;
      case 'constraint': push('constraints', o.value); break;
      case 'requirement': push('requirements', o.value); break;
      case 'editable': push('editables', o.value); break;
      case 'find-links': push('find_links', o.value); break;
      case 'prefer-binary': v.prefer_binary = true; break;
      case 'require-hashes': v.require_hashes = true; break;
      case 'pre': v.pre = true; break;
      case 'trusted-host': push('trusted_hosts', o.value); break;
      case 'global-option': push('global_options', o.value); break;
      case 'hash': {
        const [algo, digest] = [o.value!.slice(0, o.value!.indexOf(':')), o.value!.slice(o.value!.indexOf(':') + 1)];
        const h = (v.hashes as Record<string, string[]> | null) ?? {};
        (h[algo] ??= []).push(digest);
        v.hashes = h;
        break;
      }
      case 'config-settings': {
        const eq = o.value!.indexOf('=');
        const c = (v.config_settings as Record<string, unknown> | null) ?? {};
        const [k, val] = [o.value!.slice(0, eq), o.value!.slice(eq + 1)];
        c[k] = k in c ? [...[c[k]].flat(), val] : val;
        v.config_settings = c;
        break;
      }
      default:
        break;
    }
  }
  return v;
}

describe('requirements file syntax vs pip 24.2', () => {
  let ref: Ref;
  beforeAll(() => {
    ref = runReference<Ref>(REF, { env: ENV, texts: TEXTS, shlex: SHLEX, options: OPTION_LINES });
  });

  it(`preprocesses ${TEXTS.length} generated texts and splits their lines as pip does`, () => {
    const bad: unknown[] = [];
    let lines = 0;
    TEXTS.forEach((t, i) => {
      const mine = preprocessRequirements(t, ENV).map(([n, l]) => [n, l, breakArgsOptions(l)]);
      lines += mine.length;
      if (JSON.stringify(mine) !== JSON.stringify(ref.pre[i])) bad.push({ text: t, mine, theirs: ref.pre[i] });
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(lines).toBeGreaterThan(3000);
  });

  it(`splits ${SHLEX.length} option strings as shlex.split does`, () => {
    const bad: unknown[] = [];
    let errors = 0;
    SHLEX.forEach((s, i) => {
      let mine: ['ok', string[]] | ['err'];
      try {
        mine = ['ok', shlexSplit(s)];
      } catch (e) {
        if (!(e instanceof OptionSyntaxError)) throw e;
        mine = ['err'];
        errors++;
      }
      const theirs = ref.shlex[i]!;
      if (mine[0] !== theirs[0] || (mine[0] === 'ok' && JSON.stringify(mine[1]) !== JSON.stringify(theirs[1]))) bad.push({ s, mine, theirs });
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(errors).toBeGreaterThan(100);
  });

  it(`parses ${OPTION_LINES.length} option lines as pip's optparse parser does`, () => {
    const bad: unknown[] = [];
    const outcomes = { ok: 0, err: 0 };
    OPTION_LINES.forEach((line, i) => {
      const theirs = ref.options[i]!;
      let mine: ['ok', Record<string, unknown>, string[]] | ['err'];
      let callbacks = false;
      try {
        const r = parseOptions(line);
        callbacks = r.options.some((o) => ['hash', 'config-settings', 'no-binary', 'only-binary'].includes(o.option));
        mine = ['ok', asValues(r.options), r.positional];
      } catch (e) {
        if (!(e instanceof OptionSyntaxError)) throw e;
        mine = ['err'];
      }
      outcomes[mine[0]]++;
      // pip's callbacks reject a bad --hash / --config-settings value at parse time; we do it when
      // the line is used (with the file and line number), so those count as agreement on 'err'.
      const deferred = mine[0] === 'ok' && theirs[0] === 'err' && callbacks;
      const same = deferred || (mine[0] === theirs[0] && (mine[0] === 'err' || JSON.stringify([mine[1], mine[2]]) === JSON.stringify([theirs[1], theirs[2]])));
      if (!same) bad.push({ line, mine, theirs });
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(400);
    expect(outcomes.err).toBeGreaterThan(400);
  });
});
