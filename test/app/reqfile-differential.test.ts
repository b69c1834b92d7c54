/**
 * Requirements files, differential against pip 24.2 itself (the reference interpreter's pip):
 * generated file sets — nested `-r`/`-c`, continuations, comments, `${VAR}`, hashes, markers,
 * extras, every supported option and a share of broken lines — are read by pip's
 * `RequirementsFileParser` + `parse_req_from_line` and by `readRequirementsFiles`, and the results
 * compared: requirements and constraints (file, line, string, marker, hashes), finder options,
 * format control, and which inputs fail (URL/path/editable → UNSUPPORTED_REQUIREMENT).
 *
 * The generator stays inside what pip and sneakpack should agree on; the places where sneakpack
 * is deliberately stricter (see src/app/requirements.ts) are unit-tested in reqfile.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequirementsFiles } from '../../src/app/index.js';
import { isSneakpackError } from '../../src/errors.js';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';

const rng = new Rng(751_2025);
const FILES = ['requirements.txt', 'sub/more.txt', 'constraints.txt', 'sub/deeper/c.txt'];
const H256 = 'a'.repeat(63) + '1';
const H512 = 'b'.repeat(127) + '2';
const ENV = { SP_VERSION: '2.0', SP_PKG: 'requests', SP_EMPTY: '', SP_SPACE: 'foo  bar' };

const REQUIREMENTS = [
  'requests', 'Django>=4.2,<5', 'foo[bar,Baz]==1.0', 'numpy ; python_version < "3.12"', 'pkg==1.*;sys_platform=="linux"',
  'a.b_c-d ~= 1.4.2', 'x (>=1.0)', 'Flask>=2 # web', 'six#not-a-comment', 'name==${SP_VERSION}', '${SP_PKG}>=1',
  'foo; os_name == "posix" and extra == "x"', 'requests[security] >= 2.8.1, == 2.8.* ; python_version < "2.7"', 'foo===weird',
  'foo ; python_version >= "3"', 'zope.interface>=5; platform_machine != "armv7l"', 'pkg[extra] ; python_version>"3"',
  'UPPER_Case==1.0.post1', 'foo==1.0 --global-option=--x', `foo==1.0 --hash=sha256:${H256}`,
  `Foo_Bar==2.0 --hash sha256:${H256} --hash=sha512:${H512}`, `pinned==1.0 --hash=sha256:${H256}`, 'bar==3 -C key=value',
  'foo>=1; python_version < "3.8" or python_version >= "3.13"', 'foo [bar] >= 1.0', 'foo[]', 'foo>=1.0 ;', '${SP_EMPTY}requests',
];
const BAD_REQUIREMENTS = [
  'bad==', 'foo @ https://example.com/foo-1.0-py3-none-any.whl', 'https://example.com/x-1.0-py3-none-any.whl', './local/pkg',
  'pkg-1.0-py3-none-any.whl', 'git+https://github.com/x/y.git#egg=y', 'foo=1.0', 'foo;bar', 'fooé', 'name==${SP_UNSET}',
  'name==${sp_lower}', 'pkg;python_version>"3";x', 'dir/with/slash', '.hidden', 'pkg.tar.gz', 'foo==1.0 --hash=md5:abc',
  'foo==1.0 --hash=sha256', '-e ./editable', '--editable=git+https://x/y', '${SP_SPACE}',
];
const CONSTRAINT_LINES = ['requests<3', 'django==4.2.*', 'numpy!=1.26.0 ; python_version >= "3.9"', `pinned==1.0 --hash=sha256:${H256}`];
const BAD_CONSTRAINT_LINES = ['foo[bar]<2', 'https://example.com/c.whl'];
const OPTIONS = [
  '-i https://idx.example/simple', '--index-url=https://a.example/simple', '--extra-index-url https://b.example/simple',
  '--extra-index https://c.example/simple', '--no-index', '--pre', '-f ./wheels', '--find-links=https://x.example/links',
  '-f../up', '--find-links "with space"', '--no-binary :all:', '--only-binary=:all:', '--no-binary foo,Bar_baz',
  '--only-binary :none:', '--only-binary foo', '--prefer-binary', '--trusted-host h.example', '--pypi-url https://old.example/simple',
  '--no-binary=:all:,:none:,zap', '--pre # trailing comment', '--pre --no-index', '-ihttps://glued.example/simple',
  '--use-feature truststore', "-f 'single quoted'", '--find-links=sub',
];
const BAD_OPTIONS = ['--bogus', '--e x', '-i', '--pre=1', '-x', '-f "unterminated', '--require-hashes'];
const NOISE = ['# comment', '', '   # indented comment', '   ', '\t', '#', 'foo \\', '\\'];

function line(fileIndex: number): string {
  const r = rng.next();
  if (r < 0.15 && fileIndex < FILES.length - 1) {
    const target = FILES[rng.int(fileIndex + 1, FILES.length - 1)]!;
    const rel = relative(dirname(FILES[fileIndex]!), target);
    const kind = rng.pick(['-r', '-c', '--requirement', '--constraint=', '-c', '-r', '-c', 'ghost']);
    if (kind === 'ghost') return '-r missing-file.txt';
    return kind.endsWith('=') ? `${kind}${rel}` : `${kind} ${rel}`;
  }
  if (rng.chance(0.04)) return rng.pick([...BAD_REQUIREMENTS, ...BAD_OPTIONS, ...BAD_CONSTRAINT_LINES]);
  if (FILES[fileIndex] === 'constraints.txt' && r < 0.6) return rng.pick(CONSTRAINT_LINES);
  if (r < 0.5) return rng.pick(REQUIREMENTS);
  if (r < 0.7) return rng.pick(OPTIONS);
  return rng.pick(NOISE);
}

function generateFile(fileIndex: number): string {
  const lines: string[] = [];
  const n = rng.int(0, 7);
  for (let i = 0; i < n; i++) {
    let l = line(fileIndex);
    if (rng.chance(0.05)) l = `${l} \\`; // continuation onto the next line
    if (rng.chance(0.02)) l = `${l}\u000c${rng.pick(REQUIREMENTS)}`; // a form feed splits lines for Python
    lines.push(l);
  }
  const eol = rng.pick(['\n', '\n', '\r\n', '\r']);
  return lines.join(eol) + (rng.chance(0.7) ? eol : '');
}

interface Case {
  files: Record<string, string>;
}

function generateCase(): Case {
  const files: Record<string, string> = {};
  FILES.forEach((f, i) => {
    if (i === 0 || rng.chance(0.8)) files[f] = generateFile(i);
  });
  // Make the hash-checking corner frequent enough: a file where every requirement is hashed and pinned.
  if (rng.chance(0.1)) files['requirements.txt'] = `pinned==1.0 --hash=sha256:${H256}\nother==2 \\\n    --hash=sha256:${H256}\n`;
  return { files };
}

const CASES: Case[] = Array.from({ length: 700 }, generateCase);

type Entry = [file: string, line: number, requirement: string, marker: string | null, hashes: string[]];
interface Summary {
  requirements: Entry[];
  constraints: Entry[];
  indexUrl: string | null;
  extraIndexUrls: string[];
  noIndex: boolean;
  pre: boolean;
  requireHashes: boolean;
  findLinks: string[];
  trustedHosts: string[];
  noBinary: string[];
  onlyBinary: string[];
}
type Outcome = ['ok', Summary] | ['unsupported', string] | ['error', string];

const REF = String.raw`
import os, tempfile, shutil, shlex, urllib.parse
from pip._internal.req.req_file import RequirementsFileParser, get_line_parser, break_args_options, build_parser
from pip._internal.req.constructors import parse_req_from_line, install_req_from_parsed_requirement
from pip._internal.req.req_file import handle_requirement_line
from pip._internal.req.req_install import check_invalid_constraint_type
from pip._internal.models.format_control import FormatControl
import logging, sys, warnings
logging.disable(logging.CRITICAL)
warnings.simplefilter('ignore')
sys.stderr = open(os.devnull, 'w')  # optparse prints usage on errors

class Finder:
    pass

class Stricter(Exception):
    """Where sneakpack refuses what pip ignores (documented in src/app/requirements.ts)."""

class Editable(Exception):
    pass

FINDER_DESTS = ['index_url', 'extra_index_urls', 'no_index', 'constraints', 'requirements', 'find_links',
                'prefer_binary', 'require_hashes', 'pre', 'trusted_hosts']  # features_enabled: pip shares its default list between parsers

def strict(base):
    def parse_line(line):
        args_str, opts = base(line)
        _, options_str = break_args_options(line)
        p = build_parser()
        dv = p.get_default_values()
        dv.index_url = None
        dv.format_control = FormatControl(set(), set())
        o2, positional = p.parse_args(shlex.split(options_str), dv)
        if positional:
            raise Stricter('words after the options')
        if opts.editables:
            raise Editable()
        given = {k for k in FINDER_DESTS if getattr(o2, k, None)}
        if o2.format_control.no_binary or o2.format_control.only_binary:
            given.add('format')
        if any(t.startswith('--u') for t in shlex.split(options_str)):
            given.add('features_enabled')
        req_opts = o2.hashes or o2.global_options or o2.config_settings
        if args_str and given:
            raise Stricter('finder option on a requirement line')
        nested = (o2.requirements or []) + (o2.constraints or [])
        if nested and (len(nested) > 1 or given - {'requirements', 'constraints'} or req_opts):
            raise Stricter('-r/-c with other options')
        if len(o2.find_links or []) > 1:
            raise Stricter('several -f on a line')
        if not args_str and req_opts:
            raise Stricter('requirement option without a requirement')
        return args_str, opts
    return parse_line

def run(case, root):
    for name, content in case['files'].items():
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'wb') as f:
            f.write(content.encode('utf-8'))
    finder = Finder()
    finder.format_control = FormatControl(set(), set())
    parser = RequirementsFileParser(None, strict(get_line_parser(finder)))
    rel = lambda f: os.path.relpath(os.path.normpath(f), root)
    s = dict(requirements=[], constraints=[], indexUrl=None, extraIndexUrls=[], noIndex=False, pre=False,
             requireHashes=False, findLinks=[], trustedHosts=[])
    explicit_require = False
    ireqs = []
    try:
        for pl in parser.parse(os.path.join(root, 'requirements.txt'), False):
            if pl.is_requirement:
                try:
                    parts = parse_req_from_line(pl.requirement, None)
                except Exception as e:
                    name = pl.requirement.split(';', 1)[0].strip()
                    if '/' in name or name.startswith('.'):
                        return ['unsupported', 'a path pip cannot find']
                    return ['error', 'badreq %s line %d' % (rel(pl.filename), pl.lineno)]
                if parts.link is not None or parts.requirement is None or parts.requirement.url:
                    return ['unsupported', 'link']
                hashes = []
                for algo, digests in (pl.opts.hashes or {}).items():
                    hashes += ['%s:%s' % (algo, d) for d in digests]
                ireq = install_req_from_parsed_requirement(handle_requirement_line(pl))
                if pl.constraint and check_invalid_constraint_type(ireq):
                    return ['error', 'constraint form']
                entry = [rel(pl.filename), pl.lineno, str(parts.requirement), str(parts.markers) if parts.markers else None, hashes]
                (s['constraints'] if pl.constraint else s['requirements']).append(entry)
                if not pl.constraint:
                    ireqs.append(ireq)
            else:
                o = pl.opts
                if o.index_url: s['indexUrl'] = o.index_url
                for u in o.extra_index_urls or []:
                    if u not in s['extraIndexUrls']: s['extraIndexUrls'].append(u)
                if o.no_index: s['noIndex'] = True
                if o.pre: s['pre'] = True
                if o.require_hashes: explicit_require = True
                for v in o.find_links or []:
                    if urllib.parse.urlsplit(v).scheme:
                        r = v
                    else:
                        r = os.path.relpath(os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(pl.filename)), v)), root)
                    if r not in s['findLinks']: s['findLinks'].append(r)
                for h in o.trusted_hosts or []:
                    if h not in s['trustedHosts']: s['trustedHosts'].append(h)
    except Editable:
        return ['unsupported', 'editable']
    except Exception as e:
        return ['error', '%s: %s' % (type(e).__name__, str(e).splitlines()[0] if str(e) else '')]
    hash_mode = explicit_require or any(e[4] for e in s['requirements'])
    if hash_mode:
        for ireq in ireqs:
            if not ireq.is_pinned or not ireq.has_hash_options:
                return ['error', 'hash mode']
    s['requireHashes'] = hash_mode
    s['noBinary'] = sorted(finder.format_control.no_binary)
    s['onlyBinary'] = sorted(finder.format_control.only_binary)
    return ['ok', s]

out = []
os.environ.update(INPUT['env'])
for case in INPUT['cases']:
    root = tempfile.mkdtemp()
    old = os.getcwd()
    os.chdir(root)
    try:
        out.append(run(case, root))
    finally:
        os.chdir(old)
        shutil.rmtree(root)
emit(out)
`;

describe('requirements files vs pip 24.2', () => {
  let reference: Outcome[];
  const roots: string[] = [];
  beforeAll(() => {
    reference = runReference(REF, { env: ENV, cases: CASES });
  });
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it(`reads ${CASES.length} generated file sets the same way`, async () => {
    const disagreements: unknown[] = [];
    const stats: Record<string, number> = { ok: 0, unsupported: 0, error: 0, requirements: 0, constraints: 0, hashed: 0, findLinks: 0 };
    for (let i = 0; i < CASES.length; i++) {
      const theirs = reference[i]!;
      const root = mkdtempSync(join(tmpdir(), 'sp-req-'));
      roots.push(root);
      for (const [name, content] of Object.entries(CASES[i]!.files)) {
        mkdirSync(dirname(join(root, name)), { recursive: true });
        writeFileSync(join(root, name), content);
      }
      let mine: Outcome;
      try {
        const r = await readRequirementsFiles([join(root, 'requirements.txt')], { env: ENV });
        const entry = (e: (typeof r.requirements)[number]): Entry => {
          const req = e.requirement;
          // pip keeps the marker apart from the requirement; print both parts as packaging does.
          const bare = req.marker === null ? req.toString() : req.toString().slice(0, req.toString().indexOf('; '));
          return [relative(root, e.file), e.line, bare, req.marker?.toString() ?? null, [...e.hashes]];
        };
        mine = [
          'ok',
          {
            requirements: r.requirements.map(entry),
            constraints: r.constraints.map(entry),
            indexUrl: r.indexUrl,
            extraIndexUrls: [...r.extraIndexUrls],
            noIndex: r.noIndex,
            pre: r.pre,
            requireHashes: r.requireHashes,
            findLinks: r.findLinks.map((f) => (f.startsWith('/') ? relative(root, f) : f)),
            trustedHosts: [...r.trustedHosts],
            noBinary: [...r.formatControl.noBinary],
            onlyBinary: [...r.formatControl.onlyBinary],
          },
        ];
      } catch (e) {
        if (!isSneakpackError(e)) throw e;
        mine = e.code === 'UNSUPPORTED_REQUIREMENT' ? ['unsupported', e.message] : ['error', `${e.code}: ${e.message}`];
      }
      const same = mine[0] === theirs[0] && (mine[0] !== 'ok' || JSON.stringify(mine[1]) === JSON.stringify(theirs[1]));
      if (!same) disagreements.push({ files: CASES[i]!.files, mine, theirs });
      stats[mine[0]]!++;
      if (mine[0] === 'ok') {
        stats.requirements! += mine[1].requirements.length;
        stats.constraints! += mine[1].constraints.length;
        stats.hashed! += mine[1].requirements.filter((e) => e[4].length > 0).length;
        stats.findLinks! += mine[1].findLinks.length;
      }
    }
    expect(disagreements.slice(0, 20)).toEqual([]);
    // The generator must exercise each outcome, not just the happy path.
    expect(stats.ok).toBeGreaterThan(100);
    expect(stats.unsupported).toBeGreaterThan(20);
    expect(stats.error).toBeGreaterThan(100);
    expect(stats.requirements).toBeGreaterThan(150);
    expect(stats.constraints).toBeGreaterThan(10);
    expect(stats.hashed).toBeGreaterThan(10);
    expect(stats.findLinks).toBeGreaterThan(10);
  });
});
