import { describe, expect, it } from 'vitest';
import {
  type DistFile,
  type PageContext,
  decodeEntities,
  htmlStartTags,
  pageFormat,
  parseSimpleHtml,
  parseSimpleJson,
} from '../../src/sources/index.js';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';
import { codeOfSync } from '../helpers/errors.js';

const ctx: PageContext = { url: 'https://idx.example/simple/foo-bar/', project: 'foo-bar', sourceLabel: 'idx' };

const codeOf = (f: () => unknown): string => codeOfSync(f) ?? 'OK';

describe('HTML tokenizer', () => {
  it('reads attributes in any order and quoting, decodes entities, skips comments and scripts', () => {
    const tags = htmlStartTags(
      `<!DOCTYPE html><!-- <a href="no"> --><A HREF=x.whl data-yanked>t</A>` +
        `<a data-requires-python='&gt;=3.8,&lt;4' href="y.whl?a=1&amp;b=2">` +
        `<script>var s = "<a href='bad'>";</script><a href = "z" href="second" title=">">`,
    );
    expect(tags.map((t) => [t.name, Object.fromEntries(t.attrs)])).toEqual([
      ['a', { href: 'x.whl', 'data-yanked': '' }],
      ['a', { 'data-requires-python': '>=3.8,<4', href: 'y.whl?a=1&b=2' }],
      ['script', {}],
      ['a', { href: 'z', title: '>' }],
    ]);
  });

  it('decodes numeric and named references, leaving unknown ones', () => {
    expect(decodeEntities('&gt;=3.6&#44;&#x3C;4 &amp &unknown; &#0; &#x110000;')).toBe('>=3.6,<4 & &unknown; \ufffd \ufffd');
  });

  it('picks a parser from the Content-Type', () => {
    expect(pageFormat('application/vnd.pypi.simple.v1+json')).toBe('json');
    expect(pageFormat('Application/Vnd.Pypi.Simple.V1+Html; charset=utf-8')).toBe('html');
    expect(pageFormat('text/html')).toBe('html');
    expect(pageFormat('application/json')).toBe(null);
    expect(pageFormat(undefined)).toBe(null);
  });
});

describe('parseSimpleHtml', () => {
  it('reads PEP 503/592/658/714 attributes and resolves links against the page and <base>', () => {
    const html = `
      <html><head><meta name="pypi:repository-version" content="1.3"></head><body>
      <a href="../../files/foo_bar-1.0-py3-none-any.whl#sha256=ABCDEF" data-requires-python="&gt;=3.8" data-core-metadata="sha256=00ff">w1</a>
      <a data-yanked="broken &quot;build&quot;" data-dist-info-metadata="true" href="https://cdn.example/p/foo-bar-1.0.tar.gz#md5=11">s</a>
      <a href="/f/foo_bar-2.0-py3-none-any.whl" data-yanked data-requires-python="">w2</a>
      <a href="/f/foo_bar-3.0-py3-none-any.whl" data-core-metadata="false">w3</a>
      <a href="/f/other-1.0-py3-none-any.whl">another project</a>
      <a href="/f/foo-bar-1.0-py3-none-any.whl">broken wheel name</a>
      <a href="/f/README">not a distribution</a>
      <a href="../">up</a><a>no href</a>
      </body></html>`;
    const files = parseSimpleHtml(html, ctx);
    const view = (f: DistFile) => ({
      filename: f.filename,
      kind: f.kind,
      url: f.location.type === 'url' ? f.location.url : null,
      hashes: f.hashes,
      rp: f.requiresPython,
      yanked: f.yanked,
      md: f.metadata,
    });
    expect(files.map(view)).toEqual([
      {
        filename: 'foo_bar-1.0-py3-none-any.whl',
        kind: 'wheel',
        url: 'https://idx.example/files/foo_bar-1.0-py3-none-any.whl',
        hashes: { sha256: 'abcdef' },
        rp: '>=3.8',
        yanked: false,
        md: { available: true, hashes: { sha256: '00ff' } },
      },
      {
        filename: 'foo-bar-1.0.tar.gz',
        kind: 'sdist',
        url: 'https://cdn.example/p/foo-bar-1.0.tar.gz',
        hashes: { md5: '11' },
        rp: undefined,
        yanked: 'broken "build"',
        md: { available: true },
      },
      { filename: 'foo_bar-2.0-py3-none-any.whl', kind: 'wheel', url: 'https://idx.example/f/foo_bar-2.0-py3-none-any.whl', hashes: {}, rp: undefined, yanked: '', md: undefined },
      { filename: 'foo_bar-3.0-py3-none-any.whl', kind: 'wheel', url: 'https://idx.example/f/foo_bar-3.0-py3-none-any.whl', hashes: {}, rp: undefined, yanked: false, md: { available: false } },
      { filename: 'foo-bar-1.0-py3-none-any.whl', kind: 'other', url: 'https://idx.example/f/foo-bar-1.0-py3-none-any.whl', hashes: {}, rp: undefined, yanked: false, md: undefined },
    ]);
    expect(files[4]!.project).toBe('foo-bar');
    expect(files[4]!.reason).toMatch(/invalid version/);
    expect(files[0]!.version?.toString()).toBe('1.0');

    const based = parseSimpleHtml('<base href="https://mirror.example/pkgs/"><a href="foo_bar-1.0-py3-none-any.whl">x</a>', ctx);
    expect(based[0]!.location).toEqual({ type: 'url', url: 'https://mirror.example/pkgs/foo_bar-1.0-py3-none-any.whl' });
  });

  it('refuses pages of a newer API major version and unsafe file names', () => {
    expect(codeOf(() => parseSimpleHtml('<meta name="pypi:repository-version" content="2.0">', ctx))).toBe('INDEX_ERROR');
    expect(codeOf(() => parseSimpleHtml('<meta name="pypi:repository-version" content="1.99">', ctx))).toBe('OK');
    expect(codeOf(() => parseSimpleHtml('<a href="/x/..%2F..%2Ffoo_bar-1.0-py3-none-any.whl">x</a>', ctx))).toBe('INDEX_ERROR');
  });
});

describe('parseSimpleJson', () => {
  it('reads PEP 691 / 700 / 714 fields', () => {
    const files = parseSimpleJson(
      JSON.stringify({
        meta: { 'api-version': '1.1' },
        name: 'Foo.Bar',
        files: [
          { filename: 'foo_bar-1.0-py3-none-any.whl', url: '../../f/a.whl', hashes: { sha256: 'AA', blake2b: 'x' }, 'requires-python': '>=3.9', yanked: false, 'core-metadata': { sha256: 'bb' }, size: 12 },
          { filename: 'foo_bar-2.0-py3-none-any.whl', url: 'https://cdn/x.whl', hashes: {}, yanked: 'bad', 'dist-info-metadata': true },
          { filename: 'foo_bar-3.0-py3-none-any.whl', url: 'https://cdn/y.whl', hashes: {}, yanked: true, 'core-metadata': false, 'dist-info-metadata': true },
          { filename: 'foo_bar-4.0-py3-none-any.whl', url: 'https://cdn/z.whl', hashes: {}, yanked: '' },
          { filename: 'other-1.0.tar.gz', url: 'https://cdn/o.tar.gz', hashes: {} },
        ],
      }),
      ctx,
    );
    expect(files.map((f) => [f.filename, f.location, f.hashes, f.requiresPython, f.yanked, f.metadata, f.size])).toEqual([
      ['foo_bar-1.0-py3-none-any.whl', { type: 'url', url: 'https://idx.example/f/a.whl' }, { sha256: 'aa' }, '>=3.9', false, { available: true, hashes: { sha256: 'bb' } }, 12],
      ['foo_bar-2.0-py3-none-any.whl', { type: 'url', url: 'https://cdn/x.whl' }, {}, undefined, 'bad', { available: true }, undefined],
      ['foo_bar-3.0-py3-none-any.whl', { type: 'url', url: 'https://cdn/y.whl' }, {}, undefined, '', { available: false }, undefined],
      ['foo_bar-4.0-py3-none-any.whl', { type: 'url', url: 'https://cdn/z.whl' }, {}, undefined, false, undefined, undefined],
    ]);
  });

  it('refuses malformed pages, naming the entry', () => {
    const page = (o: unknown) => JSON.stringify(o);
    expect(codeOf(() => parseSimpleJson('{', ctx))).toBe('INDEX_ERROR');
    expect(codeOf(() => parseSimpleJson(page({ meta: { 'api-version': '2.0' }, files: [] }), ctx))).toBe('INDEX_ERROR');
    expect(codeOf(() => parseSimpleJson(page({ meta: { 'api-version': '1.0' } }), ctx))).toBe('INDEX_ERROR');
    expect(codeOf(() => parseSimpleJson(page({ name: 'other', files: [] }), ctx))).toBe('INDEX_ERROR');
    let message = '';
    try {
      parseSimpleJson(page({ files: [{ filename: 'a', url: 'x' }, { filename: 'b' }] }), ctx);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('files[1]');
    expect(message).toContain(ctx.url);
    expect(codeOf(() => parseSimpleJson(page({ files: [{ filename: '../foo_bar-1.0-py3-none-any.whl', url: 'x' }] }), ctx))).toBe('INDEX_ERROR');
  });
});

describe('differential: project pages vs pip 24.2 parse_links (HTML and JSON)', () => {
  it('agrees on URL, hashes, requires-python, yanked and metadata for generated pages', () => {
    const rng = new Rng(503);
    const filenames = ['foo_bar-1.0-py3-none-any.whl', 'foo_bar-2.0-cp312-cp312-manylinux_2_17_x86_64.whl', 'foo-bar-1.0.tar.gz', 'Foo.Bar-3.0.zip', 'foo_bar-1.0-1-py2.py3-none-any.whl'];
    const hex = () => Array.from({ length: rng.int(4, 64) }, () => rng.pick([...'0123456789abcdef'])).join('');
    const specs = ['>=3.8', '>=3.6,<4', '!=3.0.*,>=2.7', '~=3.10', '>=3.8; "quoted"', "<'4'", '&plain', ''];
    const q = (v: string, style: number) => {
      // Encode a value as HTML the way different servers do.
      const enc = style === 0 ? v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') : style === 1 ? v.replace(/&/g, '&#38;').replace(/>/g, '&#x3E;').replace(/</g, '&#60;').replace(/"/g, '&#34;') : v.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      return `"${enc}"`;
    };
    type Case = { format: 'html' | 'json'; url: string; content: string; n: number };
    const cases: Case[] = [];
    for (let p = 0; p < 60; p++) {
      const format = rng.chance(0.5) ? 'html' : 'json';
      const url = rng.pick(['https://idx.example/simple/foo-bar/', 'https://idx.example/a/b/simple/foo-bar/', 'http://127.0.0.1:8080/foo-bar/']);
      const n = rng.int(1, 6);
      if (format === 'html') {
        const anchors: string[] = [];
        const base = rng.chance(0.2) ? `<base href="https://mirror.example/x/y/">` : '';
        for (let i = 0; i < n; i++) {
          const fn = rng.pick(filenames);
          const where = rng.pick([`../../files/${fn}`, `/files/${fn}`, `https://cdn.example/p/${fn}`, fn, `sub/${fn}?x=1&amp;y=2`]);
          const frag = rng.pick(['', `#sha256=${hex()}`, `#md5=${hex()}`, `#egg=foo&amp;sha1=${hex()}`, `#sha512=${hex()}`]);
          const attrs = [`href="${where}${frag}"`];
          if (rng.chance(0.6)) attrs.push(`data-requires-python=${q(rng.pick(specs.filter((s) => s !== '')), rng.int(0, 2))}`);
          if (rng.chance(0.3)) attrs.push(rng.pick([`data-yanked=""`, `data-yanked="reason ${i}"`, `data-yanked='it &amp; that'`]));
          if (rng.chance(0.4)) {
            const val = rng.pick(['true', `sha256=${hex()}`, `md5=${hex()}`, `blake2b=${hex()}`]);
            attrs.push(rng.chance(0.5) ? `data-core-metadata="${val}"` : `data-dist-info-metadata="${val}"`);
          }
          for (let k = attrs.length - 1; k > 0; k--) {
            const j = rng.int(0, k);
            [attrs[k], attrs[j]] = [attrs[j]!, attrs[k]!];
          }
          anchors.push(`<a ${attrs.join(rng.pick([' ', '\n  ', '\t']))}>${fn}</a><br/>`);
        }
        cases.push({ format, url, n, content: `<!DOCTYPE html><html><head>${base}</head><body>\n${anchors.join('\n')}\n</body></html>` });
      } else {
        const files = Array.from({ length: n }, (_, i) => {
          const fn = rng.pick(filenames);
          const f: Record<string, unknown> = { filename: fn, url: rng.pick([`../../files/${fn}`, `https://cdn.example/p/${fn}`, `/x/${fn}`]), hashes: rng.chance(0.7) ? { sha256: hex() } : {} };
          if (rng.chance(0.5)) f['requires-python'] = rng.pick(specs.filter((s) => s !== ''));
          if (rng.chance(0.4)) f.yanked = rng.pick([true, false, `why ${i}`, '']);
          if (rng.chance(0.5)) f[rng.pick(['core-metadata', 'dist-info-metadata'])] = rng.pick([true, false, { sha256: hex() }, { md5: hex(), sha256: hex() }, { blake2b: hex() }]);
          if (rng.chance(0.1)) Object.assign(f, { 'core-metadata': false, 'dist-info-metadata': true });
          return f;
        });
        cases.push({ format, url, n, content: JSON.stringify({ meta: { 'api-version': '1.0' }, name: 'foo-bar', files }) });
      }
    }
    type Ref = { url: string; hashes: Record<string, string>; rp: string | null; yanked: string | null; md: null | { hashes: Record<string, string> | null } };
    const ref = runReference<Ref[][]>(
      `
from pip._internal.index.collector import IndexContent, parse_links
out = []
for c in INPUT:
    ct = 'text/html' if c['format'] == 'html' else 'application/vnd.pypi.simple.v1+json'
    page = IndexContent(c['content'].encode(), ct, encoding='utf-8', url=c['url'], cache_link_parsing=False)
    links = []
    for l in parse_links.__wrapped__(page) if hasattr(parse_links, '__wrapped__') else parse_links(page):
        md = l.metadata_file_data
        links.append({'url': l.url_without_fragment, 'hashes': l._hashes, 'rp': l.requires_python, 'yanked': l.yanked_reason,
                      'md': None if md is None else {'hashes': md.hashes}})
    out.append(links)
emit(out)
`,
      cases,
    );
    const bad: string[] = [];
    let compared = 0;
    const supported = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);
    cases.forEach((c, i) => {
      const pctx: PageContext = { url: c.url, project: 'foo-bar', sourceLabel: 't' };
      const ours = c.format === 'html' ? parseSimpleHtml(c.content, pctx) : parseSimpleJson(c.content, pctx);
      const theirs = ref[i]!;
      if (ours.length !== theirs.length) {
        bad.push(`case ${i}: ${ours.length} files vs pip ${theirs.length}\n${c.content}`);
        return;
      }
      ours.forEach((f, j) => {
        compared++;
        const t = theirs[j]!;
        const tHashes = Object.fromEntries(Object.entries(t.hashes).filter(([k]) => supported.has(k)));
        // pip: a JSON metadata entry of `false` (or a false core-metadata shadowing dist-info-metadata) is "absent".
        const ourMd = f.metadata?.available ? { hashes: f.metadata.hashes ?? null } : null;
        const want = { url: t.url, hashes: tHashes, rp: t.rp, yanked: t.yanked, md: t.md };
        const got = {
          url: f.location.type === 'url' ? f.location.url : '',
          hashes: f.hashes,
          rp: f.requiresPython ?? null,
          yanked: f.yanked === false ? null : f.yanked,
          md: ourMd,
        };
        if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`case ${i} link ${j}:\n  ours ${JSON.stringify(got)}\n  pip  ${JSON.stringify(want)}`);
      });
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(150);
    // The generated pages must reach every feature, not only the happy path.
    const all = ref.flat();
    expect(all.filter((l) => Object.keys(l.hashes).length > 0).length).toBeGreaterThan(30);
    expect(all.filter((l) => l.yanked !== null).length).toBeGreaterThan(20);
    expect(all.filter((l) => l.yanked === '').length).toBeGreaterThan(3);
    expect(all.filter((l) => l.md !== null && l.md.hashes !== null).length).toBeGreaterThan(10);
    expect(all.filter((l) => l.md !== null && l.md.hashes === null).length).toBeGreaterThan(10);
    expect(all.filter((l) => l.rp !== null && /[<>&]/.test(l.rp)).length).toBeGreaterThan(30);
    expect(new Set(all.map((l) => new URL(l.url).host)).size).toBeGreaterThan(2);
  });
});
