/**
 * The wheel provider and `resolveClosure` on generated wheelhouses: everything decided for the
 * target — tags, markers, Requires-Python — and failures explained per version and file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseRequirement, parseSpecifierSet } from '../../src/index.js';
import { type ClosureApp, resolveClosure } from '../../src/resolve/closure.js';
import { comparePreference } from '../../src/resolve/index.js';
import { REQUIRES_PYTHON_IDENTIFIER, SpecifierRequirement, WheelProvider, isPinned, targetPythonVersion } from '../../src/resolve/wheel-provider.js';
import { FindLinksSource, SimpleIndexSource } from '../../src/sources/index.js';
import { resolveTarget } from '../../src/target/index.js';
import { startIndexServer, type ServedFile } from '../helpers/index-server.js';
import { type WheelSpec, makeWheel, wheelBytes } from '../helpers/wheels.js';
import { failure } from '../helpers/errors.js';

const work = mkdtempSync(join(tmpdir(), 'sneakpack-provider-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ARMV7 = resolveTarget('cp311-manylinux_2_36_armv7l');
const X86 = resolveTarget('cp311-manylinux_2_17_x86_64');
let n = 0;

function house(wheels: readonly WheelSpec[], other: Record<string, string> = {}): string {
  const dir = join(work, `h${n++}`);
  for (const w of wheels) makeWheel({ dir, ...w });
  for (const [name, text] of Object.entries(other)) writeFileSync(join(dir, name), text);
  return dir;
}

function app(reqs: readonly string[], more: Partial<ClosureApp> = {}): ClosureApp {
  return { name: 'myapp', requirements: reqs.map(parseRequirement), ...more };
}

async function pick(dir: string, reqs: readonly string[], target = ARMV7, more: Partial<ClosureApp> = {}, pre = false): Promise<Record<string, string>> {
  const closure = await resolveClosure(app(reqs, more), target, new FindLinksSource(dir), { pre });
  return Object.fromEntries(closure.packages.map((p) => [p.name, p.filename]));
}

describe('candidates for the target', () => {
  test('best tag for the target wins within a version; a newer version beats a better tag', async () => {
    const dir = house([
      { name: 'fast', version: '1.0', tags: 'py3-none-any' },
      { name: 'fast', version: '1.0', tags: 'cp311-cp311-manylinux_2_17_armv7l' },
      { name: 'fast', version: '1.0', tags: 'cp311-abi3-manylinux_2_17_armv7l' },
      { name: 'fast', version: '1.0', tags: 'cp311-cp311-manylinux_2_17_x86_64' },
      { name: 'newer', version: '1.0', tags: 'cp311-cp311-manylinux_2_31_armv7l' },
      { name: 'newer', version: '1.1', tags: 'py3-none-any' },
    ]);
    expect(await pick(dir, ['fast', 'newer'])).toEqual({
      fast: 'fast-1.0-cp311-cp311-manylinux_2_17_armv7l.whl',
      newer: 'newer-1.1-py3-none-any.whl',
    });
    expect(await pick(dir, ['fast'], X86)).toEqual({ fast: 'fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl' });
  });

  test('a higher build tag wins between otherwise equal wheels', async () => {
    const dir = house([
      { name: 'b', version: '1.0', tags: 'py3-none-any', buildTag: '1' },
      { name: 'b', version: '1.0', tags: 'py3-none-any', buildTag: '10' },
      { name: 'b', version: '1.0', tags: 'py3-none-any', buildTag: '2' },
      { name: 'b', version: '1.0', tags: 'py3-none-any' },
    ]);
    expect(await pick(dir, ['b'])).toEqual({ b: 'b-1.0-10-py3-none-any.whl' });
  });

  test('pre-releases: only when named, with --pre, or when nothing else matches', async () => {
    const dir = house([
      { name: 'p', version: '1.0' },
      { name: 'p', version: '2.0rc1' },
      { name: 'only', version: '0.9b2' },
      { name: 'only', version: '0.9a1' },
    ]);
    expect(await pick(dir, ['p'])).toEqual({ p: 'p-1.0-py3-none-any.whl' });
    expect(await pick(dir, ['p>=2.0rc1'])).toEqual({ p: 'p-2.0rc1-py3-none-any.whl' });
    expect(await pick(dir, ['p'], ARMV7, {}, true)).toEqual({ p: 'p-2.0rc1-py3-none-any.whl' });
    expect(await pick(dir, ['p'], ARMV7, { pre: true })).toEqual({ p: 'p-2.0rc1-py3-none-any.whl' });
    expect(await pick(dir, ['only'])).toEqual({ only: 'only-0.9b2-py3-none-any.whl' });
    // A requirement that excludes the final release finds nothing: the pre-release needs asking for.
    const e = await failure(pick(dir, ['p>1.0']));
    expect(e.code).toBe('NO_MATCHING_DISTRIBUTION');
    expect(e.message).toMatch(/p 2\.0rc1: a pre-release; allow it with --pre/);
  });

  test('Requires-Python from METADATA is checked against the target, not this machine', async () => {
    const dir = house([
      { name: 'lib', version: '3.0', requiresPython: '>=3.12' },
      { name: 'lib', version: '2.0', requiresPython: '>=3.8' },
      { name: 'lib', version: '1.0' },
    ]);
    expect(await pick(dir, ['lib'])).toEqual({ lib: 'lib-2.0-py3-none-any.whl' });
    expect(await pick(dir, ['lib'], resolveTarget('cp312-manylinux_2_36_armv7l'))).toEqual({ lib: 'lib-3.0-py3-none-any.whl' });
    const e = await failure(pick(dir, ['lib>=3']));
    expect(e.code).toBe('RESOLUTION_IMPOSSIBLE');
    expect(e.message).toContain('lib 3.0 requires Python >=3.12; target cp311-manylinux_2_36_armv7l has Python 3.11.0');
  });

  test('a compact target without a micro version is taken as X.Y.0 for Requires-Python', async () => {
    expect(targetPythonVersion(ARMV7).toString()).toBe('3.11.0');
    const dir = house([
      { name: 'm', version: '2.0', requiresPython: '>=3.11.4' },
      { name: 'm', version: '1.0', requiresPython: '>=3.11' },
    ]);
    expect(await pick(dir, ['m'])).toEqual({ m: 'm-1.0-py3-none-any.whl' });
  });

  test('the app requires-python must admit the target', async () => {
    const dir = house([{ name: 'a', version: '1' }]);
    const e = await failure(pick(dir, ['a'], ARMV7, { requiresPython: parseSpecifierSet('>=3.12') }));
    expect(e.code).toBe('UNSUPPORTED_TARGET');
    expect(e.message).toContain('myapp requires Python >=3.12');
  });

  test('--hash values from requirements files restrict which file may be used', async () => {
    const dir = house([
      { name: 'h', version: '2.0' },
      { name: 'h', version: '1.0' },
    ]);
    const one = wheelBytes({ name: 'h', version: '1.0' }).sha256;
    expect(await pick(dir, ['h'], ARMV7, { hashes: new Map([['h', [`sha256:${one}`]]]) })).toEqual({ h: 'h-1.0-py3-none-any.whl' });
    const e = await failure(pick(dir, ['h'], ARMV7, { hashes: new Map([['h', [`sha256:${'0'.repeat(64)}`]]]) }));
    expect(e.code).toBe('NO_MATCHING_DISTRIBUTION');
    expect(e.message).toContain('do not have any of the --hash values');
  });

  test('constraints limit versions of what is needed and add nothing', async () => {
    const dir = house([
      { name: 'c', version: '3' },
      { name: 'c', version: '2' },
      { name: 'unused', version: '1' },
    ]);
    expect(await pick(dir, ['c'], ARMV7, { constraints: [parseRequirement('c<3'), parseRequirement('unused==1')] })).toEqual({ c: 'c-2-py3-none-any.whl' });
  });

  test('isPinned follows pip: == without .* and ===', () => {
    expect(isPinned(parseSpecifierSet('==1.0'))).toBe(true);
    expect(isPinned(parseSpecifierSet('===1.0'))).toBe(true);
    expect(isPinned(parseSpecifierSet('==1.*'))).toBe(false);
    expect(isPinned(parseSpecifierSet('>=1,<2'))).toBe(false);
  });
});

describe('extras and markers, for the target', () => {
  test('name[x] pulls in the extra, pins the same version as name, and evaluates extra markers', async () => {
    const dir = house([
      {
        name: 'web',
        version: '2.0',
        providesExtra: ['async', 'docs'],
        requiresDist: ['core>=1', 'aio; extra == "async"', 'armaio; extra == "async" and platform_machine == "armv7l"', 'sphinx; extra == "docs"'],
      },
      { name: 'web', version: '1.0', providesExtra: ['async'], requiresDist: ['core>=1', 'aio; extra == "async"'] },
      { name: 'core', version: '1.0' },
      { name: 'aio', version: '1.0' },
      { name: 'armaio', version: '1.0' },
      { name: 'sphinx', version: '1.0' },
    ]);
    const closure = await resolveClosure(app(['web[async]', 'web<2; python_version < "3.12"']), ARMV7, new FindLinksSource(dir));
    const names = closure.packages.map((p) => `${p.name}==${p.version}`);
    expect(names).toEqual(['aio==1.0', 'core==1.0', 'web==1.0']);
    const web = closure.packages.find((p) => p.name === 'web')!;
    expect(web.extras).toEqual(['async']);
    expect(web.dependencies).toEqual(['aio', 'core']);
    expect(web.why).toEqual([
      { parent: null, requirement: 'web<2' },
      { parent: null, requirement: 'web[async]' },
    ]);
    // Without the cap, 2.0 with its arm-only extra dependency.
    const again = await pick(dir, ['web[async]']);
    expect(Object.keys(again).sort()).toEqual(['aio', 'armaio', 'core', 'web']);
    // The same on x86_64: no armaio.
    expect(Object.keys(await pick(dir, ['web[async]'], X86)).sort()).toEqual(['aio', 'core', 'web']);
  });

  test('a dependency name[x]>=v also constrains the base (pip SpecifierWithoutExtrasRequirement)', async () => {
    const dir = house([
      { name: 'top', version: '1', requiresDist: ['lib[fast]>=2', 'lib'] },
      { name: 'lib', version: '3', providesExtra: ['fast'], requiresDist: ['speed; extra == "fast"'] },
      { name: 'lib', version: '2', providesExtra: ['fast'], requiresDist: ['speed; extra == "fast"'] },
      { name: 'lib', version: '1' },
      { name: 'speed', version: '1' },
    ]);
    const closure = await resolveClosure(app(['top', 'lib<3']), ARMV7, new FindLinksSource(dir));
    expect(closure.packages.map((p) => `${p.name}==${p.version}`)).toEqual(['lib==2', 'speed==1', 'top==1']);
  });

  test('an extra the wheel does not provide is ignored (as pip does)', async () => {
    const dir = house([{ name: 'plain', version: '1', requiresDist: ['dep; extra == "nope"'] }, { name: 'dep', version: '1' }]);
    expect(await pick(dir, ['plain[nope]'])).toEqual({ plain: 'plain-1-py3-none-any.whl' });
  });

  test('root requirements whose markers do not hold on the target are dropped', async () => {
    const dir = house([{ name: 'winonly', version: '1' }, { name: 'any', version: '1' }]);
    expect(await pick(dir, ['any', 'winonly; sys_platform == "win32"'])).toEqual({ any: 'any-1-py3-none-any.whl' });
  });

  test('a marker on a variable the target leaves unset is an error naming the requirement and the package', async () => {
    const dir = house([
      { name: 'kernelish', version: '1.5', requiresDist: ['newio; platform_release >= "6"'] },
      { name: 'newio', version: '1' },
    ]);
    const e = await failure(pick(dir, ['kernelish']));
    expect(e.code).toBe('UNDEFINED_MARKER_VARIABLE');
    expect(e.message).toContain('kernelish 1.5');
    expect(e.message).toContain('newio; platform_release >= "6"');
    expect(e.details).toMatchObject({ variable: 'platform_release', declaredBy: 'kernelish 1.5 (kernelish-1.5-py3-none-any.whl)' });
    // A root requirement: the app and where it was written are named.
    const root = await failure(
      resolveClosure(app(['newio; platform_release >= "6"'], { requirementOrigins: ['requirements.txt line 3'] }), ARMV7, new FindLinksSource(dir)),
    );
    expect(root.code).toBe('UNDEFINED_MARKER_VARIABLE');
    expect(root.message).toContain('myapp (requirements.txt line 3)');
  });
});

describe('failures say why, per version and file', () => {
  test('only an sdist', async () => {
    const dir = house([{ name: 'jinja2', version: '3.1.4', requiresDist: ['MarkupSafe>=2.0'] }], {
      'MarkupSafe-2.1.5.tar.gz': 'sdist',
    });
    const e = await failure(pick(dir, ['jinja2']));
    expect(e.code).toBe('NO_MATCHING_DISTRIBUTION');
    expect(e.message).toContain('markupsafe: no usable wheel for cp311-manylinux_2_36_armv7l');
    expect(e.message).toContain('MarkupSafe>=2.0 (required by jinja2 3.1.4)');
    expect(e.message).toContain('markupsafe 2.1.5: no wheel for cp311-manylinux_2_36_armv7l; only an sdist (MarkupSafe-2.1.5.tar.gz), which sneakpack never builds');
  });

  test('no wheel for the arch: lists the wheels seen', async () => {
    const dir = house(
      [
        { name: 'MarkupSafe', version: '2.1.5', tags: 'cp311-cp311-manylinux_2_17_x86_64' },
        { name: 'MarkupSafe', version: '2.1.5', tags: 'cp312-cp312-manylinux_2_17_armv7l' },
        { name: 'MarkupSafe', version: '2.1.4', tags: 'cp311-cp311-musllinux_1_1_armv7l' },
      ],
      { 'MarkupSafe-2.1.5.tar.gz': 'sdist' },
    );
    const e = await failure(pick(dir, ['markupsafe']));
    expect(e.code).toBe('NO_MATCHING_DISTRIBUTION');
    expect(e.message).toContain(
      'markupsafe 2.1.5: no wheel for cp311-manylinux_2_36_armv7l; seen cp311-cp311-manylinux_2_17_x86_64, cp312-cp312-manylinux_2_17_armv7l; and an sdist',
    );
    expect(e.message).toContain('markupsafe 2.1.4: no wheel for cp311-manylinux_2_36_armv7l; seen cp311-cp311-musllinux_1_1_armv7l');
    expect(e.message).toContain("markupsafe (the app's requirement)");
    expect(e.details.packages).toEqual([
      expect.objectContaining({ name: 'markupsafe', versions: [expect.objectContaining({ version: '2.1.5' }), expect.objectContaining({ version: '2.1.4' })] }),
    ]);
  });

  test('nothing at all', async () => {
    const dir = house([{ name: 'x', version: '1' }]);
    const e = await failure(pick(dir, ['ghost>=1']));
    expect(e.code).toBe('NO_MATCHING_DISTRIBUTION');
    expect(e.message).toContain('ghost: the wheel sources');
    expect(e.message).toContain('offer no files for it at all');
  });

  test('conflicting requirements name both sides and what exists', async () => {
    const dir = house([
      { name: 'flask', version: '3.0', requiresDist: ['werkzeug>=3.0'] },
      { name: 'werkzeug', version: '3.0.1' },
      { name: 'werkzeug', version: '2.3.8' },
    ]);
    const e = await failure(pick(dir, ['werkzeug<3', 'flask==3.0']));
    expect(e.code).toBe('RESOLUTION_IMPOSSIBLE');
    expect(e.message).toContain('werkzeug: no version satisfies all of these together');
    expect(e.message).toContain('werkzeug>=3.0 (required by flask 3.0)');
    expect(e.message).toContain('werkzeug<3');
    expect(e.message).toContain('werkzeug 3.0.1: excluded by werkzeug<3');
    expect(e.message).toContain('werkzeug 2.3.8: excluded by werkzeug>=3.0');
  });
});

describe('index sources: yanked files and data-requires-python', () => {
  test('yanked files are skipped unless the requirement pins them; data-requires-python filters before download', async () => {
    const mk = (spec: WheelSpec, extra: Partial<ServedFile> = {}): ServedFile => {
      const b = wheelBytes(spec);
      return { filename: b.filename, bytes: b.bytes, metadata: b.metadata, ...extra };
    };
    const server = await startIndexServer({
      projects: {
        yk: [mk({ name: 'yk', version: '1.0' }), mk({ name: 'yk', version: '1.1' }, { yanked: 'broken build' })],
        onlyyanked: [mk({ name: 'onlyyanked', version: '1.0' }, { yanked: true })],
        rp: [mk({ name: 'rp', version: '2.0', requiresPython: '>=3.12' }, { requiresPython: '>=3.12' }), mk({ name: 'rp', version: '1.0' })],
      },
    });
    try {
      const source = new SimpleIndexSource(server.indexUrl, { cacheDir: join(work, 'cache') });
      const run = async (reqs: string[]): Promise<string[]> =>
        (await resolveClosure(app(reqs), ARMV7, source)).packages.map((p) => p.filename);
      expect(await run(['yk'])).toEqual(['yk-1.0-py3-none-any.whl']);
      // Pinned, but a non-yanked file also matches `==1.1`? No: only the yanked 1.1 does, so it is used.
      expect(await run(['yk==1.1'])).toEqual(['yk-1.1-py3-none-any.whl']);
      const e = await failure(run(['onlyyanked']));
      expect(e.code).toBe('NO_MATCHING_DISTRIBUTION');
      expect(e.message).toContain('onlyyanked 1.0: yanked; pin it with == to use it anyway');
      expect(await run(['onlyyanked==1.0'])).toEqual(['onlyyanked-1.0-py3-none-any.whl']);
      expect(await run(['rp'])).toEqual(['rp-1.0-py3-none-any.whl']);
      // rp 2.0 was rejected from the listing: neither its metadata nor the wheel was downloaded.
      expect(server.requests.some((r) => r.path.includes('rp-2.0'))).toBe(false);
      const why = await failure(run(['rp>=2']));
      expect(why.message).toContain('rp-2.0-py3-none-any.whl requires Python >=3.12, the target has 3.11.0');
    } finally {
      await server.close();
    }
  });
});

describe('preference', () => {
  test("pip's key: Requires-Python first, then pinned, backtrack causes, depth, the user's order, has a specifier", () => {
    const dir = house([{ name: 'a', version: '1' }]);
    const p = new WheelProvider(ARMV7, new FindLinksSource(dir), { userRequested: new Map([['b', 0], ['e', 1]]) });
    const none = new Map();
    const req = (s: string) => ({ requirement: new SpecifierRequirement(parseRequirement(s)), parent: null });
    const key = (identifier: string, r: string, causes: string[] = []) =>
      p.getPreference({
        identifier,
        resolutions: none,
        candidates: none,
        information: new Map([[identifier, [req(r)]]]),
        backtrackCauses: causes.map(req),
      });
    const keys = {
      python: key(REQUIRES_PYTHON_IDENTIFIER, 'x>=1'),
      pinned: key('c', 'c==1'),
      cause: key('f', 'f', ['f>=2']),
      user0: key('b', 'b>=1'),
      user1: key('e', 'e'),
      withSpec: key('d', 'd>=1'),
      free: key('a', 'a'),
    };
    expect(keys.python).toEqual([false, false, true, true, 1, Infinity, false, REQUIRES_PYTHON_IDENTIFIER]);
    expect(keys.user0).toEqual([true, false, true, true, 1, 0, false, 'b']);
    const order = Object.entries(keys)
      .sort((x, y) => comparePreference(x[1], y[1]))
      .map(([k]) => k);
    expect(order).toEqual(['python', 'pinned', 'cause', 'user0', 'user1', 'withSpec', 'free']);
  });
});
