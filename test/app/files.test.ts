/**
 * The app's file listing: exclude patterns as a table (path → excluded?), built-in excludes,
 * virtualenvs, symlink refusal, modes, and a listing that is the same every time.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExcludeMatcher, compileExcludePattern, listAppFiles } from '../../src/app/index.js';
import { failure } from '../helpers/errors.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function tree(files: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'sp-files-'));
  roots.push(root);
  for (const name of files) {
    if (name.endsWith('/')) {
      mkdirSync(join(root, name), { recursive: true });
    } else {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), `content of ${name}\n`);
    }
  }
  return root;
}

describe('exclude patterns', () => {
  // [patterns, path, is a directory, excluded?]
  const TABLE: [string[], string, boolean, boolean][] = [
    [['*.log'], 'debug.log', false, true],
    [['*.log'], 'logs/deep/debug.log', false, true],
    [['*.log'], 'debug.log.txt', false, false],
    [['*.log'], 'logs', true, false],
    [['media/'], 'media', true, true],
    [['media/'], 'media', false, false],
    [['media/'], 'app/media', true, true],
    [['/media/'], 'app/media', true, false],
    [['/media/'], 'media', true, true],
    [['docs/_build'], 'docs/_build', true, true],
    [['docs/_build'], 'sub/docs/_build', true, false],
    [['**/tests/'], 'tests', true, true],
    [['**/tests/'], 'pkg/sub/tests', true, true],
    [['**/tests/'], 'pkg/tests.py', false, false],
    [['**/tests/'], 'pkg/tests', false, false],
    [['docs/**'], 'docs/a/b.txt', false, true],
    [['docs/**'], 'docs', true, false],
    [['a/**/b'], 'a/b', false, true],
    [['a/**/b'], 'a/x/y/b', false, true],
    [['a/**/b'], 'c/a/b', false, false],
    [['**'], 'anything/at/all', false, true],
    [['?.txt'], 'a.txt', false, true],
    [['?.txt'], 'ab.txt', false, false],
    [['[ab].txt'], 'b.txt', false, true],
    [['[!ab].txt'], 'b.txt', false, false],
    [['[!ab].txt'], 'c.txt', false, true],
    [['*'], 'x/y', false, true],
    [['x*y'], 'x/y', false, false],
    [['*.log', '!keep.log'], 'keep.log', false, false],
    [['*.log', '!keep.log'], 'other.log', false, true],
    [['!keep.log', '*.log'], 'keep.log', false, true],
    [['\\!important.txt'], '!important.txt', false, true],
    [['\\#notes'], '#notes', false, true],
    [['file\\*'], 'file*', false, true],
    [['file\\*'], 'fileX', false, false],
    [['.env'], '.env', false, true],
    [['.env'], 'config/.env', false, true],
    [['settings/local.py'], 'settings/local.py', false, true],
    [['settings/local.py'], 'x/settings/local.py', false, false],
    [['a+b(c).txt'], 'a+b(c).txt', false, true],
  ];
  it.each(TABLE)('%j on %s (dir: %s) → excluded: %s', (patterns, path, isDir, expected) => {
    expect(new ExcludeMatcher(patterns).excluded(path, isDir)).toBe(expected);
  });

  it('a file in an excluded directory stays excluded even if re-included (git rule)', () => {
    const m = new ExcludeMatcher(['build/', '!build/keep.txt']);
    expect(m.excludedWithParents('build/keep.txt', false)).toBe(true);
    expect(m.excludedWithParents('src/keep.txt', false)).toBe(false);
  });

  it.each(['', '/', '../x', 'a/../b', './a', 'a//b', 'x\\', '[abc', '!'])('refuses the pattern %j', (p) => {
    expect(() => compileExcludePattern(p, 'pyproject.toml [tool.sneakpack] exclude[0]')).toThrow(
      expect.objectContaining({ code: 'INVALID_PYPROJECT', message: expect.stringContaining('exclude[0]') }),
    );
  });
});

describe('listAppFiles', () => {
  const FILES = [
    'manage.py',
    'mysite/__init__.py',
    'mysite/settings.py',
    'mysite/__pycache__/settings.cpython-311.pyc',
    'mysite/old.pyc',
    'mysite/static/bundles/app.js',
    'mysite/tests/test_views.py',
    'mysite/media/upload.png',
    'debug.log',
    'logs/server.log',
    '.git/HEAD',
    '.hg/store',
    '.svn/entries',
    'node_modules/left-pad/index.js',
    'bundles/mysite-1.0.spk',
    '.sneakpack/cache/x',
    'venv/pyvenv.cfg',
    'venv/lib/python3.11/site-packages/x.py',
    '.tox/py311/pyvenv.cfg',
    'Zeta.txt',
    'alpha.txt',
    'b/c.txt',
    'b-c.txt',
    'é.txt',
    'z.txt',
    'empty-dir/',
  ];

  it('lists what belongs to the app, sorted bytewise, with built-in and app excludes applied', async () => {
    const root = tree(FILES);
    const files = await listAppFiles(root, ['*.log', '**/tests/', 'media/']);
    expect(files.map((f) => f.path)).toEqual([
      'Zeta.txt',
      'alpha.txt',
      'b-c.txt',
      'b/c.txt',
      'manage.py',
      'mysite/__init__.py',
      'mysite/settings.py',
      'mysite/static/bundles/app.js',
      'z.txt',
      'é.txt',
    ]);
    const manage = files.find((f) => f.path === 'manage.py')!;
    expect(manage.absPath).toBe(join(root, 'manage.py'));
    expect(manage.size).toBe('content of manage.py\n'.length);
    expect(manage.mode).toBe(0o644);
  });

  it('re-includes default excludes with "!" patterns, but never the built-in ones', async () => {
    const root = tree(FILES);
    const files = (await listAppFiles(root, ['!node_modules/', '!bundles/', '!.git/', '!*.pyc'])).map((f) => f.path);
    expect(files).toContain('node_modules/left-pad/index.js');
    expect(files).toContain('bundles/mysite-1.0.spk');
    expect(files).not.toContain('.git/HEAD');
    expect(files).not.toContain('mysite/old.pyc');
  });

  it('gives 0o755 to files the owner may execute and 0o644 to the rest', async () => {
    const root = tree(['run.sh', 'data.txt', 'group-exec.sh']);
    chmodSync(join(root, 'run.sh'), 0o744);
    chmodSync(join(root, 'data.txt'), 0o600);
    chmodSync(join(root, 'group-exec.sh'), 0o654);
    const modes = Object.fromEntries((await listAppFiles(root)).map((f) => [f.path, f.mode]));
    expect(modes).toEqual({ 'data.txt': 0o644, 'group-exec.sh': 0o644, 'run.sh': 0o755 });
  });

  it('is deterministic: the same tree, created in another order, lists the same', async () => {
    const a = await listAppFiles(tree(FILES));
    const b = await listAppFiles(tree([...FILES].reverse()));
    expect(b.map((f) => [f.path, f.size, f.mode])).toEqual(a.map((f) => [f.path, f.size, f.mode]));
  });

  it('refuses a symlink inside the app, naming it and its target', async () => {
    const root = tree(['real.txt', 'sub/']);
    symlinkSync('/etc/passwd', join(root, 'sub/leak'));
    const e = await failure(listAppFiles(root));
    expect(e.code).toBe('UNSUPPORTED_FILE');
    expect(e.message).toContain('sub/leak');
    expect(e.message).toContain('/etc/passwd');
    // A link to a folder inside the app is refused too (never followed).
    const root2 = tree(['real/x.txt']);
    symlinkSync('real', join(root2, 'alias'));
    expect((await failure(listAppFiles(root2))).code).toBe('UNSUPPORTED_FILE');
  });

  it('skips a symlink the app excludes', async () => {
    const root = tree(['real.txt']);
    symlinkSync('real.txt', join(root, 'link.txt'));
    expect((await listAppFiles(root, ['link.txt'])).map((f) => f.path)).toEqual(['real.txt']);
  });

  it('refuses names that cannot travel in a bundle', async () => {
    const root = tree(['ok.txt']);
    writeFileSync(join(root, 'back\\slash.txt'), 'x');
    const e = await failure(listAppFiles(root));
    expect(e.code).toBe('UNSUPPORTED_FILE');
    expect(e.message).toContain('back\\\\slash.txt');
    const root2 = tree(['ok.txt']);
    writeFileSync(Buffer.concat([Buffer.from(join(root2, 'bad-')), Buffer.from([0xff]), Buffer.from('.txt')]), 'x');
    expect((await failure(listAppFiles(root2))).code).toBe('UNSUPPORTED_FILE');
  });

  it('names a missing app folder', async () => {
    const e = await failure(listAppFiles('/nonexistent/app'));
    expect(e.code).toBe('FILE_NOT_FOUND');
  });
});
