import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { type DistFile, SIMPLE_ACCEPT, SimpleIndexSource, defaultCacheDir, multiSource, FindLinksSource } from '../../src/sources/index.js';
import { type IndexServer, type ServedFile, startIndexServer } from '../helpers/index-server.js';
import { makeWheel, sha256Hex, wheelBytes, type BuiltWheel } from '../helpers/wheels.js';

const root = mkdtempSync(join(tmpdir(), 'sneakpack-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function error(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    if (!isSneakpackError(e)) throw e;
    return e;
  }
  throw new Error('expected an error');
}

const served = (w: BuiltWheel, extra: Partial<ServedFile> = {}): ServedFile => ({ filename: w.filename, bytes: w.bytes, ...extra });

// The test wheels, shared by every server.
const flask20 = wheelBytes({ name: 'Flask', version: '2.0', requiresPython: '>=3.8', requiresDist: ['werkzeug>=2'] });
const flask21 = wheelBytes({ name: 'Flask', version: '2.1', requiresDist: ['werkzeug>=2.1'] });
const flask22 = wheelBytes({ name: 'Flask', version: '2.2' });
const flask10 = wheelBytes({ name: 'Flask', version: '1.0' });
const flask09 = wheelBytes({ name: 'Flask', version: '0.9', tags: 'py2.py3-none-any' });
const badhash = wheelBytes({ name: 'badhash', version: '1.0' });
const liar = wheelBytes({ name: 'liar', version: '1.0' });
const liarMeta = Buffer.from('Metadata-Version: 2.1\nName: somebody-else\nVersion: 1.0\n');
const metahash = wheelBytes({ name: 'metahash', version: '1.0' });
const fooBar = wheelBytes({ name: 'Foo.Bar', version: '0.1' });

function projects(): Record<string, ServedFile[]> {
  return {
    flask: [
      served(flask20, { requiresPython: '>=3.8', metadata: flask20.metadata }),
      served(flask21), // no PEP 658 metadata: read from the wheel
      served(flask22, { metadata: flask22.metadata, metadataHash: false }),
      served(flask10, { yanked: 'broken build' }),
      served(flask09, { yanked: true }),
      { filename: 'Flask-3.0.tar.gz', bytes: Buffer.from('sdist bytes') },
    ],
    badhash: [served(badhash, { publishedSha256: sha256Hex('something else') })],
    liar: [served(liar, { metadata: liarMeta })],
    metahash: [served(metahash, { metadata: metahash.metadata, publishedMetadataSha256: '0'.repeat(64) })],
    'Foo.Bar': [served(fooBar)],
    broken: [],
  };
}

interface Row {
  filename: string;
  kind: string;
  version?: string;
  url: string;
  hashes: Record<string, string>;
  requiresPython?: string;
  yanked: false | string;
  metadata?: unknown;
}
const row = (f: DistFile): Row => ({
  filename: f.filename,
  kind: f.kind,
  version: f.version?.toString(),
  url: f.location.type === 'url' ? f.location.url : '',
  hashes: f.hashes,
  requiresPython: f.requiresPython,
  yanked: f.yanked,
  metadata: f.metadata,
});

function expectedFlask(origin: string): Row[] {
  const u = (f: string) => `${origin}/files/${f}`;
  return [
    { filename: flask20.filename, kind: 'wheel', version: '2.0', url: u(flask20.filename), hashes: { sha256: flask20.sha256 }, requiresPython: '>=3.8', yanked: false, metadata: { available: true, hashes: { sha256: sha256Hex(flask20.metadata) } } },
    { filename: flask21.filename, kind: 'wheel', version: '2.1', url: u(flask21.filename), hashes: { sha256: flask21.sha256 }, requiresPython: undefined, yanked: false, metadata: undefined },
    { filename: flask22.filename, kind: 'wheel', version: '2.2', url: u(flask22.filename), hashes: { sha256: flask22.sha256 }, requiresPython: undefined, yanked: false, metadata: { available: true } },
    { filename: flask10.filename, kind: 'wheel', version: '1.0', url: u(flask10.filename), hashes: { sha256: flask10.sha256 }, requiresPython: undefined, yanked: 'broken build', metadata: undefined },
    { filename: flask09.filename, kind: 'wheel', version: '0.9', url: u(flask09.filename), hashes: { sha256: flask09.sha256 }, requiresPython: undefined, yanked: '', metadata: undefined },
    { filename: 'Flask-3.0.tar.gz', kind: 'sdist', version: '3.0', url: u('Flask-3.0.tar.gz'), hashes: { sha256: sha256Hex('sdist bytes') }, requiresPython: undefined, yanked: false, metadata: undefined },
  ];
}

describe.each(['html', 'json', 'negotiate'] as const)('SimpleIndexSource against a %s index', (format) => {
  let server: IndexServer;
  let cacheDir: string;
  beforeAll(async () => {
    server = await startIndexServer({ projects: projects(), format, status: { '/simple/broken/': 500 } });
    cacheDir = mkdtempSync(join(root, `cache-${format}-`));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lists every file with hashes, requires-python, yanked and PEP 658 data', async () => {
    const src = new SimpleIndexSource(server.indexUrl, { cacheDir });
    const files = await src.listFiles('FLASK');
    expect(files.map(row)).toEqual(expectedFlask(server.origin));
    expect(files.every((f) => f.sourceLabel === server.indexUrl && f.project === 'flask')).toBe(true);
    if (format !== 'html') expect(files[0]!.size).toBe(flask20.bytes.length);
    const page = server.requests.find((r) => r.path === '/simple/flask/')!;
    expect(page.headers.accept).toBe(SIMPLE_ACCEPT);
    // Any spelling asks for the normalised URL.
    expect((await src.listFiles('foo_BAR')).map((f) => f.filename)).toEqual([fooBar.filename]);
    expect(server.requests.some((r) => r.path === '/simple/foo-bar/')).toBe(true);
  });

  it('treats a 404 project as no files, and reports other statuses with the URL', async () => {
    const src = new SimpleIndexSource(server.indexUrl, { cacheDir });
    expect(await src.listFiles('no-such-project')).toEqual([]);
    const e = await error(src.listFiles('broken'));
    expect(e.code).toBe('INDEX_ERROR');
    expect(e.message).toContain(`GET ${server.indexUrl}broken/ returned 500`);
  });

  it('reads metadata from PEP 658 files when offered (hash checked), else from the wheel', async () => {
    const src = new SimpleIndexSource(server.indexUrl, { cacheDir });
    const files = await src.listFiles('flask');
    const before = server.requests.length;
    const md20 = await src.readMetadata(files[0]!);
    expect(md20.requiresDist.map(String)).toEqual(['werkzeug>=2']);
    expect(md20.requiresPython?.toString()).toBe('>=3.8');
    const md22 = await src.readMetadata(files[2]!);
    expect(md22.version.toString()).toBe('2.2');
    const paths = server.requests.slice(before).map((r) => r.path);
    expect(paths).toEqual([`/files/${flask20.filename}.metadata`, `/files/${flask22.filename}.metadata`]);
    const md21 = await src.readMetadata(files[1]!);
    expect(md21.requiresDist.map(String)).toEqual(['werkzeug>=2.1']);
    expect(server.requests.slice(before).map((r) => r.path).slice(2)).toEqual([`/files/${flask21.filename}`]);
    expect((await error(src.readMetadata(files[5]!))).code).toBe('INVALID_WHEEL_FILENAME');
  });

  it('fetches into a content-addressed cache, once', async () => {
    const src = new SimpleIndexSource(server.indexUrl, { cacheDir });
    const files = await src.listFiles('flask');
    const f = files.find((x) => x.filename === flask10.filename)!;
    const [a, b] = await Promise.all([src.fetch(f), src.fetch(f)]);
    expect(a).toEqual({ path: join(cacheDir, 'files', 'sha256', flask10.sha256.slice(0, 2), flask10.sha256), sha256: flask10.sha256, size: flask10.bytes.length });
    expect(b).toEqual(a);
    const downloads = () => server.requests.filter((r) => r.path === `/files/${flask10.filename}`).length;
    expect(downloads()).toBe(1);
    await src.fetch(f);
    expect(downloads()).toBe(1);
  });

  it('refuses a download whose hash differs from the index, keeping nothing', async () => {
    const src = new SimpleIndexSource(server.indexUrl, { cacheDir });
    const [f] = await src.listFiles('badhash');
    const e = await error(src.fetch(f!));
    expect(e.code).toBe('HASH_MISMATCH');
    expect(e.message).toContain(badhash.filename);
    expect(e.message).toContain(`${server.origin}/files/${badhash.filename}`);
    expect(existsSync(join(cacheDir, 'files', 'sha256', badhash.sha256.slice(0, 2), badhash.sha256))).toBe(false);
    expect(readdirSync(join(cacheDir, 'tmp'))).toEqual([]);
    // readMetadata needs the wheel here (no PEP 658), so it fails the same way.
    expect((await error(src.readMetadata(f!))).code).toBe('HASH_MISMATCH');
  });

  it('refuses PEP 658 metadata with a wrong hash or describing another project', async () => {
    const src = new SimpleIndexSource(server.indexUrl, { cacheDir });
    const [m] = await src.listFiles('metahash');
    expect((await error(src.readMetadata(m!))).code).toBe('HASH_MISMATCH');
    const [l] = await src.listFiles('liar');
    const e = await error(src.readMetadata(l!));
    expect(e.code).toBe('INVALID_WHEEL_FILE');
    expect(e.message).toContain('somebody-else');
    expect(e.message).toContain(liar.filename);
  });

  it('revalidates cached pages with ETag (304), and works offline from the cache once the server is gone', async () => {
    const src = new SimpleIndexSource(server.indexUrl, { cacheDir });
    const first = await src.listFiles('flask');
    await src.readMetadata(first[1]!);
    await src.fetch(first[0]!);
    const again = await src.listFiles('flask');
    expect(again.map(row)).toEqual(first.map(row));
    const revalidations = server.requests.filter((r) => r.path === '/simple/flask/' && r.status === 304);
    expect(revalidations.length).toBeGreaterThan(0);
    expect(revalidations[0]!.headers['if-none-match']).toMatch(/^"[0-9a-f]+"$/);

    await server.close();
    const requestsBefore = server.requests.length;
    const offline = new SimpleIndexSource(server.indexUrl, { cacheDir, offline: true });
    const cached = await offline.listFiles('flask');
    expect(cached.map(row)).toEqual(first.map(row));
    expect(await offline.listFiles('no-such-project')).toEqual([]);
    expect((await offline.readMetadata(cached[0]!)).version.toString()).toBe('2.0'); // cached .metadata
    expect((await offline.readMetadata(cached[1]!)).version.toString()).toBe('2.1'); // cached wheel
    expect((await offline.readMetadata(cached[2]!)).version.toString()).toBe('2.2'); // cached .metadata, no hash
    expect((await offline.fetch(cached[0]!)).sha256).toBe(flask20.sha256);
    expect((await error(offline.fetch(cached[4]!))).code).toBe('INDEX_ERROR'); // never downloaded
    expect((await error(offline.listFiles('never-asked'))).code).toBe('INDEX_ERROR');
    expect(server.requests.length).toBe(requestsBefore);

    // Online, but the index is unreachable: the cached page is used, with a warning.
    const warnings: string[] = [];
    const online = new SimpleIndexSource(server.indexUrl, { cacheDir, onWarning: (m) => warnings.push(m) });
    expect((await online.listFiles('flask')).map(row)).toEqual(first.map(row));
    expect(warnings.join('\n')).toMatch(/using the cached copy/);
    expect((await error(online.listFiles('never-asked'))).code).toBe('INDEX_ERROR');
  });
});

describe('SimpleIndexSource over HTTP', () => {
  it('follows redirects and resolves links against the final URL', async () => {
    const server = await startIndexServer({ projects: projects(), format: 'html', redirects: { '/a/b/c/flask/': '/simple/flask/' } });
    try {
      const src = new SimpleIndexSource(`${server.origin}/a/b/c`, { cacheDir: join(root, 'redirect') });
      const files = await src.listFiles('flask');
      expect(files.map(row)).toEqual(expectedFlask(server.origin));
      expect((await src.fetch(files[0]!)).sha256).toBe(flask20.sha256);
    } finally {
      await server.close();
    }
  });

  it('sends credentials from the index URL to the index origin and never shows them', async () => {
    const server = await startIndexServer({ projects: projects(), auth: { user: 'me', password: 'p@ss:word' }, gzip: true });
    try {
      const url = server.indexUrl.replace('http://', 'http://me:p%40ss%3Aword@');
      const src = new SimpleIndexSource(url, { cacheDir: join(root, 'auth') });
      expect(src.label).toBe(server.indexUrl);
      const files = await src.listFiles('flask');
      expect(files.map(row)).toEqual(expectedFlask(server.origin));
      expect(JSON.stringify(files.map(row))).not.toContain('p%40ss');
      expect(JSON.stringify(files.map(row))).not.toContain('me:');
      expect((await src.fetch(files[3]!)).sha256).toBe(flask10.sha256);
      expect(server.requests.every((r) => r.status !== 401)).toBe(true);
      const wrong = new SimpleIndexSource(server.indexUrl.replace('http://', 'http://me:nope@'), { cacheDir: join(root, 'auth2') });
      const e = await error(wrong.listFiles('flask'));
      expect(e.code).toBe('INDEX_ERROR');
      expect(e.message).toContain('returned 401');
      expect(e.message).not.toContain('nope');
    } finally {
      await server.close();
    }
  });

  it('falls back to the wheel when an advertised .metadata file is missing', async () => {
    const server = await startIndexServer({ projects: projects(), status: { [`/files/${flask20.filename}.metadata`]: 404 } });
    try {
      const warnings: string[] = [];
      const src = new SimpleIndexSource(server.indexUrl, { cacheDir: join(root, 'md404'), onWarning: (m) => warnings.push(m) });
      const [f] = await src.listFiles('flask');
      expect((await src.readMetadata(f!)).requiresDist.map(String)).toEqual(['werkzeug>=2']);
      expect(warnings.join('\n')).toMatch(/returned 404.*reading the metadata from the wheel/);
      expect(server.requests.map((r) => r.path)).toContain(`/files/${flask20.filename}`);
    } finally {
      await server.close();
    }
  });

  it('caches files the index gives no hash for by URL, for offline use', async () => {
    const nohash = wheelBytes({ name: 'nohash', version: '1.0' });
    const server = await startIndexServer({ projects: { nohash: [served(nohash, { noHash: true })] }, format: 'json' });
    const cacheDir = join(root, 'nohash');
    try {
      const src = new SimpleIndexSource(server.indexUrl, { cacheDir });
      const [f] = await src.listFiles('nohash');
      expect(f!.hashes).toEqual({});
      expect((await src.fetch(f!)).sha256).toBe(nohash.sha256);
      expect((await src.fetch(f!)).sha256).toBe(nohash.sha256);
      expect(server.requests.filter((r) => r.path.startsWith('/files/')).length).toBe(1);
    } finally {
      await server.close();
    }
    const offline = new SimpleIndexSource(server.indexUrl, { cacheDir, offline: true });
    const [f] = await offline.listFiles('nohash');
    expect((await offline.readMetadata(f!)).name).toBe('nohash');
  });

  it('refuses bytes that differ from the index in transit (hash and PEP 700 size)', async () => {
    const good = wheelBytes({ name: 'transit', version: '1.0' });
    const server = await startIndexServer({
      projects: { transit: [served(good, { servedBytes: Buffer.concat([good.bytes, Buffer.from('extra')]) })] },
      format: 'json',
    });
    try {
      const src = new SimpleIndexSource(server.indexUrl, { cacheDir: join(root, 'transit') });
      const [f] = await src.listFiles('transit');
      expect((await error(src.fetch(f!))).code).toBe('HASH_MISMATCH');
      // Without a hash, the size alone catches it.
      const e = await error(src.fetch({ ...f!, hashes: {}, size: good.bytes.length }));
      expect(e.code).toBe('HASH_MISMATCH');
      expect(e.message).toContain(`${good.bytes.length}`);
    } finally {
      await server.close();
    }
  });

  it('refuses a page that is not a simple-API page', async () => {
    const { createServer } = await import('node:http');
    const s = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const port = (s.address() as { port: number }).port;
      const e = await error(new SimpleIndexSource(`http://127.0.0.1:${port}/simple/`, { cacheDir: join(root, 'ct') }).listFiles('x'));
      expect(e.code).toBe('INDEX_ERROR');
      expect(e.message).toContain("'application/json'");
    } finally {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('merges a find-links folder before the index (multiSource)', async () => {
    const server = await startIndexServer({ projects: projects() });
    try {
      const dir = join(root, 'local');
      makeWheel({ dir, name: 'Flask', version: '2.0', summary: 'local build' });
      const local = new FindLinksSource(dir, { label: 'local' });
      const index = new SimpleIndexSource(server.indexUrl, { cacheDir: join(root, 'multi') });
      const both = multiSource([local, index]);
      const files = await both.listFiles('flask');
      expect(files.map((f) => [f.filename, f.sourceLabel])).toEqual([
        [flask20.filename, 'local'],
        ...expectedFlask(server.origin).slice(1).map((r) => [r.filename, server.indexUrl]),
      ]);
      expect((await both.readMetadata(files[0]!)).summary).toBe('local build');
      expect((await both.fetch(files[1]!)).sha256).toBe(flask21.sha256);
    } finally {
      await server.close();
    }
  });

  it('rejects index URLs that are not http(s), and picks the XDG cache directory', () => {
    expect(() => new SimpleIndexSource('ftp://x/simple/')).toThrow(/http or https/);
    expect(() => new SimpleIndexSource('not a url')).toThrow(/not a URL/);
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, '/home/u')).toBe('/xdg/sneakpack');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.cache/sneakpack');
    expect(defaultCacheDir({}, '/home/u')).toBe('/home/u/.cache/sneakpack');
  });
});
