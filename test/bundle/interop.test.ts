/**
 * Bundles against the reference tools: OpenBSD signify (`-C` on the unpacked folder, `-V -e` on
 * SHA256.sig, a key made by `signify -G`), GNU tar and bsdtar (list and extract, including
 * prefix-split and pax paths), gzip, and Python's `tarfile` and `json` (the reference python) as
 * an independent reader of the headers and the canonical JSON. These tests FAIL when a tool is
 * missing: CI installs them (.ci/run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleInput,
  type WrittenBundle,
  extractBundle,
  verifyBundle,
  writeBundle,
} from '../../src/bundle/index.js';
import { loadTrustedKeys, readSecretKey } from '../../src/sign/index.js';
import { referencePython } from '../helpers/reference.js';
import { SIGNIFY, signify, signifyOk } from '../sign/signify-tool.js';
import { listTree, makeInput, removeDir, tempDir, writeKeys } from './fixtures.js';

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`cannot run ${cmd} (${r.error.message}); CI installs it (.ci/run)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

let dir: string;
let keys: Awaited<ReturnType<typeof writeKeys>>;
let input: BundleInput;
let plain: WrittenBundle;
let gz: WrittenBundle;
const STEM = 'schoolapp-1.2.0-cp311-manylinux_2_36_armv7l';

beforeAll(async () => {
  dir = tempDir();
  keys = await writeKeys(join(dir, 'keys'), 'alice');
  input = makeInput(join(dir, 'src'));
  plain = await writeBundle(input, { secretKey: keys.pair.secretKey, secretKeyFile: keys.sec, outDir: dir });
  gz = await writeBundle(input, { secretKey: keys.pair.secretKey, secretKeyFile: keys.sec, outDir: dir, gzip: true });
});
afterAll(() => removeDir(dir));

const expectedNames = (): string[] => [
  'SHA256.sig',
  'manifest.json',
  'pylock.toml',
  ...input.wheels.map((w) => `wheels/${w.filename}`).sort(),
  ...input.appFiles.map((f) => `app/${f.path}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
];

describe('file names and layout', () => {
  it('names the file after app, version and target', () => {
    expect(plain.path).toBe(join(dir, `${STEM}.tar`));
    expect(gz.path).toBe(join(dir, `${STEM}.tar.gz`));
    expect(plain.size % 10240).toBe(0);
    expect(sha(plain.path)).toBe(plain.sha256);
    expect(sha(gz.path)).toBe(gz.sha256);
  });
});

describe.each([
  ['GNU tar', 'tar'],
  ['bsdtar', 'bsdtar'],
])('%s', (_label, tool) => {
  it('lists every entry in order, regular files only, owned by 0/0 with modes 644/755', () => {
    for (const b of [plain, gz]) {
      const names = run(tool, ['-tf', b.path]).trimEnd().split('\n');
      expect(names).toEqual(expectedNames().map((n) => `${STEM}/${n}`));
      const long = run(tool, ['-tvf', b.path]).trimEnd().split('\n');
      for (const line of long) expect(line).toMatch(/^-(rw-r--r--|rwxr-xr-x) +(0\/0|0 0 +0) /);
      expect(long.filter((l) => l.startsWith('-rwxr-xr-x'))).toHaveLength(1);
    }
  });

  it('extracts a folder that stock signify -C checks', () => {
    for (const b of [plain, gz]) {
      const out = tempDir();
      try {
        run(tool, ['-xf', b.path, '-C', out]);
        expect(listTree(out).filter((n) => !n.endsWith('/'))).toEqual(expectedNames().map((n) => `${STEM}/${n}`).sort());
        const r = signifyOk(['-C', '-p', keys.pub, '-x', 'SHA256.sig'], { cwd: join(out, STEM) });
        const ok = r.stdout.trimEnd().split('\n');
        expect(ok[0]).toBe('Signature Verified');
        expect(ok.slice(1).sort()).toEqual(expectedNames().slice(1).map((n) => `${n}: OK`).sort());
        // The mode survives extraction, so the launcher script stays executable.
        const mode = execFileSync('stat', ['-c', '%a', join(out, STEM, 'app/bin/run.sh')]).toString().trim();
        expect(mode).toBe('755');
      } finally {
        removeDir(out);
      }
    }
  });
});

describe('signify', () => {
  it(`${SIGNIFY} -V -e verifies SHA256.sig and its message is the checksum list`, async () => {
    const out = tempDir();
    try {
      await extractBundle(plain.path, join(out, 'x'), { trusted: keys.trusted });
      signifyOk(['-V', '-e', '-p', keys.pub, '-x', join(out, 'x', 'SHA256.sig'), '-m', join(out, 'msg')]);
      const lines = readFileSync(join(out, 'msg'), 'utf8').trimEnd().split('\n');
      expect(lines.map((l) => /^SHA256 \((.*)\) = [0-9a-f]{64}$/.exec(l)?.[1])).toEqual(expectedNames().slice(1).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      // And signify -C works in the folder extractBundle wrote, too.
      signifyOk(['-C', '-p', keys.pub, '-x', 'SHA256.sig'], { cwd: join(out, 'x') });
      // Another key does not verify it.
      const bob = await writeKeys(join(out, 'bob'), 'bob');
      expect(signify(['-C', '-p', bob.pub, '-x', 'SHA256.sig'], { cwd: join(out, 'x') }).status).not.toBe(0);
    } finally {
      removeDir(out);
    }
  });

  it('signs with a key made by signify -G -n, and verify accepts it', async () => {
    const out = tempDir();
    try {
      signifyOk(['-G', '-n', '-c', 'made by signify', '-p', join(out, 'sk.pub'), '-s', join(out, 'sk.sec')]);
      const secretKey = await readSecretKey(join(out, 'sk.sec'));
      const b = await writeBundle(input, { secretKey, secretKeyFile: join(out, 'sk.sec'), outDir: out });
      const trusted = await loadTrustedKeys({ pubkeys: [join(out, 'sk.pub')] });
      const v = await verifyBundle(b.path, { trusted });
      expect(v.keynum).toBe(secretKey.keynum);
      expect(v.signatureComment).toBe('verify with sk.pub');
      run('tar', ['-xf', b.path, '-C', out]);
      signifyOk(['-C', '-p', join(out, 'sk.pub'), '-x', 'SHA256.sig'], { cwd: join(out, STEM) });
    } finally {
      removeDir(out);
    }
  });
});

describe('gzip', () => {
  it('gzip -t accepts the compressed bundle and gunzip gives the plain bundle byte for byte', () => {
    run('gzip', ['-t', gz.path]);
    const tarBytes = execFileSync('gzip', ['-dc', gz.path], { maxBuffer: 1 << 30 });
    expect(createHash('sha256').update(tarBytes).digest('hex')).toBe(plain.sha256);
  });
});

describe('Python tarfile and json (an independent reader)', () => {
  it('sees exactly the canonical headers and canonical JSON', () => {
    const script = `
import sys, json, tarfile, hashlib
out = []
for path in sys.argv[1:]:
    with tarfile.open(path) as tf:
        members = []
        for m in tf.getmembers():
            data = tf.extractfile(m).read()
            members.append({"name": m.name, "size": m.size, "mode": m.mode, "uid": m.uid, "gid": m.gid,
                            "uname": m.uname, "gname": m.gname, "mtime": m.mtime, "type": m.type.decode(),
                            "pax": sorted(m.pax_headers.keys()), "sha256": hashlib.sha256(data).hexdigest(),
                            "text": data.decode() if m.name.endswith("manifest.json") else None})
        out.append(members)
print(json.dumps(out))
`;
    const file = join(dir, 'read.py');
    writeFileSync(file, script);
    const r = JSON.parse(run(referencePython(), [file, plain.path, gz.path])) as Array<Array<Record<string, unknown>>>;
    expect(r[0]).toEqual(r[1]);
    const members = r[0]!;
    expect(members.map((m) => m.name)).toEqual(expectedNames().map((n) => `${STEM}/${n}`));
    for (const m of members) {
      expect(m).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', mtime: 1700000000, type: '0' });
      expect([0o644, 0o755]).toContain(m.mode);
      const needsPax = /[^\x00-\x7f]/.test(m.name as string) || (m.name as string).includes('n'.repeat(120));
      expect(m.pax).toEqual(needsPax ? ['path'] : []);
    }
    // Python re-serialises the manifest to the same bytes: the canonical form is language-neutral.
    const text = members[1]!.text as string;
    const py = spawnSync(referencePython(), ['-c', 'import sys, json; v = json.loads(sys.stdin.read()); sys.stdout.write(json.dumps(v, sort_keys=True, indent=2, ensure_ascii=False) + "\\n")'], {
      input: text,
      encoding: 'utf8',
    });
    expect(py.status).toBe(0);
    expect(py.stdout).toBe(text);
  });
});
