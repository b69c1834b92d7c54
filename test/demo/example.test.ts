/**
 * The built-in example on its own, without sneakpack's build or install: its dependency wheels
 * build offline and are valid (by sneakpack's wheel parsers and by pip installing them), the
 * in-tree backend is reproducible and agrees with itself under pip, the C speedups agree with
 * the pure-Python fallback, and the app — run from examples/ with its dependencies on
 * PYTHONPATH — migrates its database and serves its page.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { Rng } from '../helpers/random.js';
import { parseCoreMetadata, parseRecord, parseWheelFilename, parseWheelInfo, recordIssues } from '../../src/wheel/index.js';
import { readApp } from '../../src/app/index.js';
import { resolveClosure } from '../../src/resolve/closure.js';
import { FindLinksSource } from '../../src/sources/index.js';
import { resolveTargetArgument } from '../../src/target/load.js';
import { request, startServer } from './server.js';

// The interpreter itself, not a pyenv shim (a shell script that costs time on every call).
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const EXAMPLES = join(ROOT, 'examples');
const APP_DIR = join(EXAMPLES, 'schoolnotes');
const BUILD_WHEELS = join(ROOT, 'scripts', 'build-example-wheels.mjs');
const HAVE_CC = spawnSync('sh', ['-c', 'command -v "${CC:-cc}"']).status === 0;
const PY36 = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions', '3.6.15', 'bin', 'python3');

/** The environment without the user's pip configuration (this machine sets PIP_FIND_LINKS). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_') && k !== 'PYTHONPATH') env[k] = v;
  // PYTHONDONTWRITEBYTECODE: running the app from examples/ must not leave __pycache__ there.
  return { ...env, PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

function buildWheels(out: string, ...flags: string[]): string[] {
  execFileSync(process.execPath, [BUILD_WHEELS, '-o', out, ...flags], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  return readdirSync(out).filter((f) => f.endsWith('.whl')).sort();
}

function python(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; python?: string } = {}): string {
  const r = spawnSync(options.python ?? PYTHON, args, { env: options.env ?? cleanEnv(), input: options.input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${options.python ?? PYTHON} ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const PURE = [
  'curlyquotes-1.0.1-py3-none-any.whl',
  'htmlsafe-1.2.0-py3-none-any.whl',
  'legacycompat-1.0.0-py3-none-any.whl',
  'notemark-1.0.0-py3-none-any.whl',
  'textstats-1.0.0-py3-none-any.whl',
  'tinytemplate-0.4.0-py3-none-any.whl',
];

let tmp: string;
let wheels: string;
let wheelNames: string[];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sneakpack-example-'));
  wheels = join(tmp, 'wheels');
  wheelNames = buildWheels(wheels, '--no-pip');
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('example dependency wheels', () => {
  it('builds every project in examples/deps, plus a C wheel of textstats when there is a compiler', () => {
    const soabi = python(['-c', 'import sys, sysconfig; v = "%d%d" % sys.version_info[:2]; print("cp" + v + "-cp" + sysconfig.get_config_var("SOABI").split("-")[1] + "-" + sysconfig.get_platform().replace("-", "_").replace(".", "_"))']).trim();
    const expected = HAVE_CC ? [...PURE, `textstats-1.0.0-${soabi}.whl`].sort() : PURE;
    expect(wheelNames).toEqual(expected);
  });

  it('are valid wheels by sneakpack’s parsers: name, WHEEL, METADATA, and a RECORD that matches every file', () => {
    const dump = JSON.parse(
      python(['-c', `
import base64, hashlib, json, os, sys, zipfile
out = {}
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    with zipfile.ZipFile(os.path.join(d, name)) as z:
        members = []
        for info in z.infolist():
            data = z.read(info)
            members.append({"path": info.filename, "size": len(data),
                            "sha256": base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()})
        di = [m["path"].split("/")[0] for m in members if m["path"].endswith(".dist-info/RECORD")][0]
        out[name] = {"members": members, "distInfo": di,
                     "files": {k: z.read(di + "/" + k).decode() for k in ("METADATA", "WHEEL", "RECORD")}}
print(json.dumps(out))
`, wheels]),
    ) as Record<string, { members: { path: string; size: number; sha256: string }[]; distInfo: string; files: Record<string, string> }>;
    const problems: string[] = [];
    for (const [name, w] of Object.entries(dump)) {
      const fn = parseWheelFilename(name);
      const meta = parseCoreMetadata(w.files.METADATA!, `${name}/METADATA`);
      expect(meta.name).toBe(fn.name);
      expect(String(meta.version)).toBe(String(fn.version));
      const info = parseWheelInfo(w.files.WHEEL!, `${name}/WHEEL`);
      expect(info.rootIsPurelib).toBe(name.endsWith('-py3-none-any.whl'));
      const entries = parseRecord(w.files.RECORD!, `${name}/RECORD`);
      const members = w.members.map((m) => ({ path: m.path, size: m.size, digest: (alg: string) => (alg === 'sha256' ? m.sha256 : '') }));
      problems.push(...recordIssues(entries, members, { wheel: name, distInfoDir: w.distInfo }));
    }
    expect(problems).toEqual([]);
    // The marker and the extra the closure depends on are in notemark's metadata.
    expect(dump['notemark-1.0.0-py3-none-any.whl']!.files.METADATA).toContain('Requires-Dist: legacycompat>=1.0; python_version < "3.9"\n');
    expect(dump['notemark-1.0.0-py3-none-any.whl']!.files.METADATA).toContain('Requires-Dist: curlyquotes>=1.0; extra == "smartquotes"\n');
  });

  it('are byte-for-byte reproducible, and pip (PEP 517, in-tree backend) builds the same bytes', async () => {
    const again = join(tmp, 'again');
    expect(buildWheels(again, '--no-pip')).toEqual(wheelNames);
    for (const w of wheelNames) expect(readFileSync(join(again, w)).equals(readFileSync(join(wheels, w))), w).toBe(true);

    // pip as the frontend, on the two projects that matter most (the C one and the one with an extra).
    const viaPip = join(tmp, 'via-pip');
    const pipWheel = (pure: boolean, ...projects: string[]) =>
      promisify(execFile)(PYTHON, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '--no-cache-dir', '-q', '-w', viaPip, ...projects.map((p) => join(EXAMPLES, 'deps', p))], {
        env: cleanEnv(pure ? { SNEAKWHEEL_PURE: '1' } : {}),
      });
    await Promise.all([pipWheel(true, 'textstats'), pipWheel(false, 'textstats', 'notemark')]);
    const pipBuilt = readdirSync(viaPip).sort();
    expect(pipBuilt.length).toBe(HAVE_CC ? 3 : 2);
    for (const w of pipBuilt) expect(readFileSync(join(viaPip, w)).equals(readFileSync(join(wheels, w))), w).toBe(true);
  });

  it('the backend’s TOML reader for Python < 3.11 reads every example pyproject.toml as tomllib does', () => {
    const files = [join(APP_DIR, 'pyproject.toml'), ...readdirSync(join(EXAMPLES, 'deps')).filter((d) => !d.startsWith('_')).map((d) => join(EXAMPLES, 'deps', d, 'pyproject.toml'))];
    const out = python([
      '-c',
      `
import json, sys, tomllib
sys.path.insert(0, sys.argv[1])
import sneakwheel
bad = []
for path in sys.argv[2:]:
    text = open(path, encoding="utf-8").read()
    if sneakwheel._parse_toml_subset(text, path) != tomllib.loads(text):
        bad.append(path)
print(json.dumps(bad))
`,
      join(EXAMPLES, 'deps', '_backend'),
      ...files,
    ]);
    expect(JSON.parse(out)).toEqual([]);
  });

  it.skipIf(!HAVE_CC)('textstats: the C speedups count words exactly as the pure-Python fallback (generated text)', () => {
    const site = join(tmp, 'site-textstats');
    python(['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', join(wheels, wheelNames.find((w) => w.startsWith('textstats-') && !w.endsWith('none-any.whl'))!), site]);
    // Characters str.split() treats as whitespace (including the unusual ones: \x1c-\x1f, \x85,
    // NBSP, U+2000 block, U+2028/9, U+3000) next to ones it does not (ZWSP, BOM, U+180E).
    const alphabet = ['a', 'Z', '7', 'é', '字', '😀', ' ', '\t', '\n', '\r', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\x1f', '\x85', '\xa0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\u200b', '\ufeff', '\u180e', '\x00'];
    const rng = new Rng(20240608);
    const cases: string[] = ['', ' ', 'one', '  two  words  '];
    for (let i = 0; i < 600; i++) {
      let s = '';
      const n = rng.int(0, 40);
      for (let j = 0; j < n; j++) s += rng.pick(alphabet);
      cases.push(s);
    }
    const out = python(
      [
        '-c',
        `
import json, sys
from textstats import _speedups, _pure
cases = json.load(sys.stdin)
print(json.dumps([[c, _speedups.count_words(c), _pure.count_words(c)] for c in cases if _speedups.count_words(c) != _pure.count_words(c)]))
`,
      ],
      { env: cleanEnv({ PYTHONPATH: site }), input: JSON.stringify(cases) },
    );
    const disagreements = JSON.parse(out) as unknown[];
    expect(disagreements.slice(0, 20), `${disagreements.length} of ${cases.length} cases disagree`).toEqual([]);
  });
});

describe("the example's closure depends on the target", () => {
  // What the example is for: markers and extras evaluated for the box, and a compiled wheel only
  // where it runs. (The profile is this machine's, probed: its tags include linux_x86_64.)
  it.each([
    ['this machine (probed)', 'probe', HAVE_CC ? 'compiled' : 'pure', false],
    ['a Raspberry Pi, Python 3.11 armv7l', 'cp311-manylinux_2_36_armv7l', 'pure', false],
    ['an old box with Python 3.8', 'cp38-manylinux_2_31_x86_64', 'pure', true],
  ] as const)('%s', async (_label, spec, textstats, legacy) => {
    let targetArg: string = spec;
    if (spec === 'probe') {
      targetArg = join(tmp, 'this-machine.json');
      execFileSync(process.execPath, [join(ROOT, 'bin', 'sneakpack'), 'target', 'probe', '--python', PYTHON, '-o', targetArg]);
    }
    const closure = await resolveClosure(await readApp(APP_DIR), await resolveTargetArgument(targetArg), [new FindLinksSource(wheels)]);
    const files = closure.packages.map((p) => p.filename);
    const expected = [
      'curlyquotes-1.0.1-py3-none-any.whl',
      'htmlsafe-1.2.0-py3-none-any.whl',
      ...(legacy ? ['legacycompat-1.0.0-py3-none-any.whl'] : []),
      'notemark-1.0.0-py3-none-any.whl',
      textstats === 'pure' ? 'textstats-1.0.0-py3-none-any.whl' : wheelNames.find((w) => w.startsWith('textstats-') && !w.endsWith('-none-any.whl'))!,
      'tinytemplate-0.4.0-py3-none-any.whl',
    ];
    expect(files).toEqual(expected);
    // curlyquotes is there only through notemark's extra.
    expect(closure.packages.find((p) => p.name === 'curlyquotes')!.why.map((w) => w.parent)).toEqual(['notemark']);
  });
});

describe('the example app, run from examples/ with its dependencies on PYTHONPATH', () => {
  /** pip (the reference installer and resolver) installs the app's closure from `findLinks` into a folder. */
  function installDeps(findLinks: string, target: string): void {
    python(['-m', 'pip', 'install', '-q', '--no-index', '--find-links', findLinks, '--target', target, 'tinytemplate>=0.4', 'notemark[smartquotes]>=1.0', 'textstats>=1.0']);
  }

  /** Unpack wheels into a folder, as an installer would put them in site-packages. */
  function unpack(files: string[], target: string, py = PYTHON): void {
    python(['-c', 'import sys, zipfile\nfor w in sys.argv[2:]: zipfile.ZipFile(w).extractall(sys.argv[1])', target, ...files], { python: py });
  }

  async function runApp(site: string, dataDir: string): Promise<{ page: string; afterPost: string }> {
    const env = cleanEnv({ PYTHONPATH: [APP_DIR, site].join(delimiter), SCHOOLNOTES_DATA_DIR: dataDir });
    // The server refuses to start before the database exists: migrate is the post-install step.
    expect(spawnSync(PYTHON, ['-m', 'schoolnotes', '--port', '0'], { env, encoding: 'utf8', cwd: tmp }).status).toBe(1);
    expect(python(['-m', 'schoolnotes.migrate'], { env })).toMatch(/at schema 1 \(was 0\)/);
    expect(python(['-m', 'schoolnotes.migrate'], { env })).toMatch(/at schema 1 \(was 1\)/); // idempotent
    const server = await startServer(PYTHON, ['-m', 'schoolnotes', '--host', '127.0.0.1', '--port', '0'], { cwd: tmp, env });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await request(server.url);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect((await request(`${server.url}healthz`)).body).toBe('ok\n');
      expect((await request(`${server.url}nope`)).status).toBe(404);
      expect((await request(`${server.url}notes`, { form: { title: '', body: 'x' } })).status).toBe(400);
      const posted = await request(`${server.url}notes`, { form: { title: 'Trip <Friday>', body: 'Bring "lunch" and **boots**\n\n- map\n- water' } });
      expect(posted.status).toBe(303);
      expect(posted.headers.location).toBe('/');
      const afterPost = (await request(server.url)).body;
      return { page: page.body, afterPost };
    } finally {
      await server.stop();
    }
  }

  it('migrates, serves the board with the welcome note, and stores a posted note (compiled textstats when there is a compiler)', async () => {
    const site = join(tmp, 'site-all');
    installDeps(wheels, site);
    const data = join(tmp, 'data-all');
    const { page, afterPost } = await runApp(site, data);
    expect(page).toContain('<h1>School Notes</h1>');
    expect(page).toContain('<h2>Welcome to School Notes</h2>');
    // notemark rendered the note and curlyquotes (the smartquotes extra) curled its quotes.
    expect(page).toContain('<strong>sneakpack</strong> \u2013 no internet needed.');
    expect(page).toContain('\u201cdata\u201d folder');
    expect(page).toContain('1 note &middot;');
    expect(page).toContain(`textstats: ${HAVE_CC ? 'C speedups' : 'pure Python'} &middot; smart quotes on`);
    // The title is escaped by tinytemplate; the body went through notemark.
    expect(afterPost).toContain('<h2>Trip &lt;Friday&gt;</h2>');
    expect(afterPost).toContain('<p>Bring \u201clunch\u201d and <strong>boots</strong></p>\n<ul><li>map</li><li>water</li></ul>');
    expect(afterPost).toContain('2 notes');
    expect(existsSync(join(data, 'schoolnotes.sqlite3'))).toBe(true);
  });

  it('runs on the pure-Python textstats wheel alone (a target with no compiled wheel)', async () => {
    const site = join(tmp, 'site-pure');
    unpack(wheelNames.filter((n) => n.endsWith('-none-any.whl')).map((n) => join(wheels, n)), site);
    const { page } = await runApp(site, join(tmp, 'data-pure'));
    expect(page).toContain('textstats: pure Python');
    expect(page).toContain('<h2>Welcome to School Notes</h2>');
  });

  it.skipIf(!existsSync(PY36))('works on Python 3.6, where notemark needs legacycompat (the python_version marker)', () => {
    // No pip new enough there for in-tree backends: the build script calls the backend directly.
    const w36 = join(tmp, 'wheels36');
    const built = execFileSync(process.execPath, [BUILD_WHEELS, '-o', w36, '--python', PY36], { env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(built).toContain('legacycompat-1.0.0-py3-none-any.whl');
    const site = join(tmp, 'site36');
    unpack(readdirSync(w36).map((f) => join(w36, f)), site, PY36);
    const env = cleanEnv({ PYTHONPATH: [APP_DIR, site].join(delimiter), SCHOOLNOTES_DATA_DIR: join(tmp, 'data36') });
    python(['-m', 'schoolnotes.migrate'], { env, python: PY36 });
    // Call the WSGI app directly (PEP 3333), and show legacycompat is what notemark used.
    const out = python(
      [
        '-c',
        `
import io, sys
from schoolnotes.app import make_app
import notemark, legacycompat
assert notemark.removeprefix is legacycompat.removeprefix
status = []
body = b"".join(make_app()({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.input": io.BytesIO()}, lambda s, h: status.append(s)))
print(status[0]); print(body.decode("utf-8"))
`,
      ],
      { env, python: PY36 },
    );
    expect(out.split('\n')[0]).toBe('200 OK');
    expect(out).toContain('<h2>Welcome to School Notes</h2>');
    expect(out).toContain('<ul><li>Write a note with the form below</li>');
  });
});
