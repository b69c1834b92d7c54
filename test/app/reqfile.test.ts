/**
 * Requirements files: every construct on purpose, the line numbers in errors, and the places
 * where sneakpack is stricter than pip (see src/app/requirements.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRequirementsFiles } from '../../src/app/index.js';
import { type ErrorCode } from '../../src/errors.js';
import { failure } from '../helpers/errors.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A temp folder with `files` written into it (paths relative, `/`-separated). */
function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'sp-reqs-'));
  roots.push(root);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

const H = 'a'.repeat(64);

describe('readRequirementsFiles', () => {
  it('reads every construct: comments, continuations, nested -r, -c, markers, extras, hashes, options, ${VAR}', async () => {
    const root = tree({
      'requirements.txt': [
        '# top comment',
        '-r base/common.txt',
        '-c constraints.txt',
        '--index-url https://idx.example/simple',
        '--extra-index-url=https://extra.example/simple',
        '-f ./wheels',
        '--find-links https://links.example/',
        '--pre',
        `Django==4.2.11 \\`,
        `    ; python_version >= "3.8"  # pinned`,
        'requests[socks,Security]>=2.31 ; python_version >= "3.8"',
        'app-${APP_FLAVOUR}==1.0',
        '--only-binary :all:',
        '--no-binary Foo_Bar',
        '--trusted-host idx.example',
        '',
      ].join('\n'),
      'base/common.txt': '-f ../vendor\nsix>=1.16\n-r deeper/more.txt\n',
      'base/deeper/more.txt': 'attrs  # trailing comment\n',
      'constraints.txt': 'urllib3<2\nrequests<3\n',
      'wheels/.keep': '',
    });
    const r = await readRequirementsFiles([join(root, 'requirements.txt')], { env: { APP_FLAVOUR: 'lite' } });
    expect(r.requirements.map((e) => [e.requirement.toString(), e.file.slice(root.length + 1), e.line])).toEqual([
      ['six>=1.16', 'base/common.txt', 2],
      ['attrs', 'base/deeper/more.txt', 1],
      ['Django==4.2.11; python_version >= "3.8"', 'requirements.txt', 9],
      ['requests[Security,socks]>=2.31; python_version >= "3.8"', 'requirements.txt', 11],
      ['app-lite==1.0', 'requirements.txt', 12],
    ]);
    expect(r.requirements.every((e) => e.hashes.length === 0)).toBe(true);
    expect(r.requireHashes).toBe(false);
    expect(r.constraints.map((e) => [e.requirement.toString(), e.constraint])).toEqual([
      ['urllib3<2', true],
      ['requests<3', true],
    ]);
    expect(r.findLinks).toEqual([join(root, 'vendor'), join(root, 'wheels'), 'https://links.example/']);
    expect(r.indexUrl).toBe('https://idx.example/simple');
    expect(r.extraIndexUrls).toEqual(['https://extra.example/simple']);
    expect(r.pre).toBe(true);
    expect(r.noIndex).toBe(false);
    expect(r.formatControl).toEqual({ noBinary: ['foo-bar'], onlyBinary: [':all:'] });
    expect(r.trustedHosts).toEqual(['idx.example']);
    expect(r.files.map((f) => f.slice(root.length + 1))).toEqual(['requirements.txt', 'base/common.txt', 'base/deeper/more.txt', 'constraints.txt']);
  }, 10_000);

  it('turns hash-checking mode on when any requirement has --hash, and then requires hashes and == pins everywhere', async () => {
    const ok = tree({ 'r.txt': `a==1.0 --hash=sha256:${H}\nb===2 \\\n  --hash=sha512:${'c'.repeat(128)} --hash=sha256:${H}\n` });
    const r = await readRequirementsFiles([join(ok, 'r.txt')]);
    expect(r.requireHashes).toBe(true);
    expect(r.requirements[1]!.hashes).toEqual([`sha512:${'c'.repeat(128)}`, `sha256:${H}`]);

    const missing = tree({ 'r.txt': `a==1.0 --hash=sha256:${H}\n\nb==2\n` });
    const e1 = await failure(readRequirementsFiles([join(missing, 'r.txt')]));
    expect(e1.code).toBe('INVALID_REQUIREMENTS_FILE');
    expect(e1.details).toMatchObject({ line: 3 });
    expect(e1.message).toContain('r.txt line 3');

    const unpinned = tree({ 'r.txt': `--require-hashes\na>=1.0 --hash=sha256:${H}\n` });
    const e2 = await failure(readRequirementsFiles([join(unpinned, 'r.txt')]));
    expect(e2.code).toBe('INVALID_REQUIREMENTS_FILE');
    expect(e2.message).toMatch(/pinned/);

    const wildcard = tree({ 'r.txt': `a==1.* --hash=sha256:${H}\n` });
    expect((await failure(readRequirementsFiles([join(wildcard, 'r.txt')]))).code).toBe('INVALID_REQUIREMENTS_FILE');
  });

  it('expands only ${UPPER_CASE} variables that are set and non-empty, as pip does', async () => {
    const root = tree({ 'r.txt': 'a==${VER}\n' });
    const r = await readRequirementsFiles([join(root, 'r.txt')], { env: { VER: '3.0', EMPTY: '' } });
    expect(r.requirements[0]!.requirement.toString()).toBe('a==3.0');
    // ${EMPTY} stays as written, which is not a valid requirement.
    const root2 = tree({ 'r.txt': 'a==${VER}\nb${EMPTY}==1\n' });
    const e = await failure(readRequirementsFiles([join(root2, 'r.txt')], { env: { VER: '3.0' } }));
    expect(e.code).toBe('INVALID_REQUIREMENT');
    expect(e.details).toMatchObject({ line: 2 });
  });

  it('decodes UTF-8 with a BOM and UTF-16, and refuses other bytes naming the file', async () => {
    const bom = tree({ 'r.txt': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a==1\n')]) });
    expect((await readRequirementsFiles([join(bom, 'r.txt')])).requirements[0]!.requirement.name).toBe('a');
    const u16 = tree({ 'r.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('b==2\n', 'utf16le')]) });
    expect((await readRequirementsFiles([join(u16, 'r.txt')])).requirements[0]!.requirement.name).toBe('b');
    const latin = tree({ 'r.txt': Buffer.from([0x61, 0xe9, 0x0a]) });
    const e = await failure(readRequirementsFiles([join(latin, 'r.txt')]));
    expect(e.code).toBe('INVALID_REQUIREMENTS_FILE');
    expect(e.message).toContain('r.txt');
  });

  it('refuses a -r cycle, naming the chain', async () => {
    const root = tree({ 'a.txt': 'x\n-r sub/b.txt\n', 'sub/b.txt': '-r ../a.txt\n' });
    const e = await failure(readRequirementsFiles([join(root, 'a.txt')]));
    expect(e.code).toBe('INVALID_REQUIREMENTS_FILE');
    expect(e.message).toContain('cycle');
    expect(e.message).toContain('b.txt line 1');
  });

  it('reads a file included twice without a cycle (a diamond) twice, as pip does', async () => {
    const root = tree({ 'a.txt': '-r b.txt\n-r c.txt\n', 'b.txt': '-r d.txt\n', 'c.txt': '-r d.txt\n', 'd.txt': 'x\n' });
    const r = await readRequirementsFiles([join(root, 'a.txt')]);
    expect(r.requirements.map((e) => e.requirement.name)).toEqual(['x', 'x']);
  });

  it('names a missing nested file and the line that includes it', async () => {
    const root = tree({ 'a.txt': '\n\n-r nope.txt\n' });
    const e = await failure(readRequirementsFiles([join(root, 'a.txt')]));
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.message).toContain('a.txt line 3');
    expect(e.message).toContain('nope.txt');
  });

  // [file text, expected code, expected line]
  const BAD: [string, string, ErrorCode, number][] = [
    ['bad requirement', 'a\nb\nfoo==\n', 'INVALID_REQUIREMENT', 3],
    ['bad marker', 'a ; python_versio == "3"\n', 'INVALID_REQUIREMENT', 1],
    ['continued line keeps its first number', 'a\nfoo \\\n  ==\n', 'INVALID_REQUIREMENT', 2],
    ['unknown option', '# c\n--frobnicate\n', 'INVALID_REQUIREMENTS_FILE', 2],
    ['missing option value', '-i\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['flag with a value', '--pre=yes\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['ambiguous abbreviation', '--e x\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['unterminated quote', '-f "x\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['weak hash', 'a==1 --hash=md5:abcd\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['hash without algorithm', 'a==1 --hash=abcd\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['hash of the wrong length', 'a==1 --hash=sha256:abcd\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['upper-case hash', `a==1 --hash=sha256:${'A'.repeat(64)}\n`, 'INVALID_REQUIREMENTS_FILE', 1],
    ['editable', '\n-e ./src\n', 'UNSUPPORTED_REQUIREMENT', 2],
    ['editable long form', '--editable=git+https://x/y#egg=y\n', 'UNSUPPORTED_REQUIREMENT', 1],
    ['URL', 'https://example.com/a-1.0-py3-none-any.whl\n', 'UNSUPPORTED_REQUIREMENT', 1],
    ['VCS URL', 'git+https://github.com/a/b.git\n', 'UNSUPPORTED_REQUIREMENT', 1],
    ['direct reference', 'a @ https://example.com/a-1.0-py3-none-any.whl\n', 'UNSUPPORTED_REQUIREMENT', 1],
    ['local path', './vendor/a\n', 'UNSUPPORTED_REQUIREMENT', 1],
    ['wheel file name', 'a-1.0-py3-none-any.whl\n', 'UNSUPPORTED_REQUIREMENT', 1],
    ['sdist file name', 'a-1.0.tar.gz\n', 'UNSUPPORTED_REQUIREMENT', 1],
    // Stricter than pip, which ignores these silently:
    ['finder option on a requirement line', 'a==1 --pre\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['-r on a requirement line', 'a==1 -r other.txt\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['words after the options', '--pre requests\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['-r with other options', '-r other.txt --pre\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['two -f on a line', '-f a -f b\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['--hash without a requirement', `--hash=sha256:${H}\n`, 'INVALID_REQUIREMENTS_FILE', 1],
    ['-r of a URL', '-r https://example.com/r.txt\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['config setting without =', 'a==1 -C novalue\n', 'INVALID_REQUIREMENTS_FILE', 1],
    ['--no-binary without a value', '--no-binary -x\n', 'INVALID_REQUIREMENTS_FILE', 1],
  ];
  it.each(BAD)('refuses %s with the file and line', async (_what, text, code, line) => {
    const root = tree({ 'reqs.txt': text, 'other.txt': 'x\n' });
    const e = await failure(readRequirementsFiles([join(root, 'reqs.txt')]));
    expect(e.code).toBe(code);
    expect(e.message).toContain(`reqs.txt line ${line}`);
    expect(e.details).toMatchObject({ line });
  });

  it('refuses constraints with extras, naming the constraints file', async () => {
    const root = tree({ 'r.txt': 'a\n-c c.txt\n', 'c.txt': 'ok<2\nb[x]<2\n' });
    const e = await failure(readRequirementsFiles([join(root, 'r.txt')]));
    expect(e.code).toBe('INVALID_REQUIREMENTS_FILE');
    expect(e.message).toContain('c.txt line 2');
  });

  it('reads -r inside a constraints file as requirements (pip does)', async () => {
    const root = tree({ 'r.txt': '-c c.txt\n', 'c.txt': 'a<2\n-r more.txt\n', 'more.txt': 'b\n' });
    const r = await readRequirementsFiles([join(root, 'r.txt')]);
    expect(r.constraints.map((e) => e.requirement.name)).toEqual(['a']);
    expect(r.requirements.map((e) => e.requirement.name)).toEqual(['b']);
  });

  it('applies --no-binary / --only-binary in order with pip mutual exclusion', async () => {
    const root = tree({ 'r.txt': '--no-binary :all:\n--only-binary a,B\n--no-binary b\n--only-binary :none:,c\n' });
    const r = await readRequirementsFiles([join(root, 'r.txt')]);
    expect(r.formatControl).toEqual({ noBinary: [':all:', 'b'], onlyBinary: ['c'] });
  });

  it('reads several top-level files in order; --no-index and the last --index-url win', async () => {
    const root = tree({ 'a.txt': '-i https://one/simple\na\n', 'b.txt': '--no-index\n--index-url https://two/simple\nb\n' });
    const r = await readRequirementsFiles([join(root, 'a.txt'), join(root, 'b.txt')]);
    expect(r.requirements.map((e) => e.requirement.name)).toEqual(['a', 'b']);
    expect(r.indexUrl).toBe('https://two/simple');
    expect(r.noIndex).toBe(true);
  });
});
