import { describe, expect, it } from 'vitest';
import { checkRelativePath, relativePathProblem, safeJoin } from '../src/paths.js';
import { isSneakpackError } from '../src/errors.js';

describe('safeJoin', () => {
  it('joins plain relative paths inside the root', () => {
    expect(safeJoin('/tmp/root', 'a/b.txt')).toBe('/tmp/root/a/b.txt');
    expect(safeJoin('/tmp/root/', 'dir/')).toBe('/tmp/root/dir');
    expect(safeJoin('/tmp/root', 'a..b/c')).toBe('/tmp/root/a..b/c');
  });

  const hostile = [
    '', '/etc/passwd', '../x', 'a/../../x', 'a/..', 'a/./b', '.', 'a//b', 'a\\..\\b', 'C:/x', 'c:x',
    'a\u0000b', 'a\nb', 'x'.repeat(256), 'a/' + 'y'.repeat(4100),
  ];
  for (const p of hostile) {
    it(`refuses ${JSON.stringify(p.length > 40 ? p.slice(0, 40) + '…' : p)}`, () => {
      expect(relativePathProblem(p)).not.toBeNull();
      try {
        safeJoin('/tmp/root', p, 'bundle entry');
        expect.unreachable();
      } catch (e) {
        expect(isSneakpackError(e, 'UNSAFE_PATH')).toBe(true);
        expect((e as Error).message).toContain('bundle entry');
      }
    });
  }

  it('names the source in the message', () => {
    expect(() => checkRelativePath('../evil', 'RECORD of foo-1.0-py3-none-any.whl')).toThrow(/RECORD of foo-1\.0/);
  });
});
