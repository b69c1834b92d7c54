/** The key-file facade: modes, refusing to overwrite, reading, and loading trusted keys. */
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import {
  encodePublicKey,
  generateKeyPair,
  keyPairFiles,
  keyPairFromSeed,
  loadTrustedKeys,
  readPublicKey,
  readSecretKey,
  writeKeyPair,
} from '../../src/sign/index.js';
import { seed, tempDir } from './signify-tool.js';

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isSneakpackError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}

const mode = (file: string): number => statSync(file).mode & 0o777;

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('writeKeyPair', () => {
  it('writes NAME.sec 0600 and NAME.pub 0644 whatever the umask, creating the folder', async () => {
    const old = process.umask(0o077);
    try {
      const w = await writeKeyPair(join(dir, 'new', 'folder', 'release'), { seed: seed('release'), comment: 'release 2024' });
      expect(w.secretKeyFile).toBe(join(dir, 'new', 'folder', 'release.sec'));
      expect(mode(w.secretKeyFile)).toBe(0o600);
      expect(mode(w.publicKeyFile)).toBe(0o644);
      expect(readFileSync(w.publicKeyFile, 'utf8')).toMatch(/^untrusted comment: release 2024 public key\n/);
      expect(readFileSync(w.secretKeyFile, 'utf8')).toMatch(/^untrusted comment: release 2024 secret key\n/);
      expect(await readPublicKey(w.publicKeyFile)).toEqual(w.keyPair.publicKey);
      expect(await readSecretKey(w.secretKeyFile)).toEqual(w.keyPair.secretKey);
      expect(w.keyPair).toEqual(keyPairFromSeed(seed('release'), { comment: 'release 2024' }));
    } finally {
      process.umask(old);
    }
  });

  it('refuses to overwrite either file, leaving both untouched', async () => {
    const base = join(dir, 'once');
    await writeKeyPair(base, { seed: seed('once') });
    const before = [readFileSync(`${base}.sec`), readFileSync(`${base}.pub`)];
    const e = await rejection(writeKeyPair(base, { seed: seed('twice') }));
    expect(e.code).toBe('FILE_EXISTS');
    expect(e.message).toContain(`${base}.sec`);
    expect(e.message).toContain('--force');
    expect([readFileSync(`${base}.sec`), readFileSync(`${base}.pub`)]).toEqual(before);

    // Only the public key present: still refused, and no secret key is left behind.
    const half = join(dir, 'half');
    writeFileSync(`${half}.pub`, 'not mine');
    expect((await rejection(writeKeyPair(half))).code).toBe('FILE_EXISTS');
    expect(existsSync(`${half}.sec`)).toBe(false);

    // A dangling symlink counts as existing (no writing through links).
    const link = join(dir, 'linked');
    symlinkSync(join(dir, 'elsewhere.sec'), `${link}.sec`);
    expect((await rejection(writeKeyPair(link))).code).toBe('FILE_EXISTS');
    expect(existsSync(join(dir, 'elsewhere.sec'))).toBe(false);
  });

  it('replaces both files with force, fixing the modes', async () => {
    const base = join(dir, 'forced');
    await writeKeyPair(base, { seed: seed('forced-1') });
    chmodSync(`${base}.sec`, 0o644);
    const w = await writeKeyPair(base, { seed: seed('forced-2'), force: true });
    expect(await readPublicKey(`${base}.pub`)).toEqual(keyPairFromSeed(seed('forced-2')).publicKey);
    expect(mode(w.secretKeyFile)).toBe(0o600);
    expect(mode(w.publicKeyFile)).toBe(0o644);
  });

  it('accepts the base with .sec or .pub spelled out, and rejects a folder path', async () => {
    expect(keyPairFiles('keys/x.sec')).toEqual({ secretKeyFile: 'keys/x.sec', publicKeyFile: 'keys/x.pub' });
    expect(keyPairFiles('keys/x.pub')).toEqual({ secretKeyFile: 'keys/x.sec', publicKeyFile: 'keys/x.pub' });
    expect(keyPairFiles('keys/x')).toEqual({ secretKeyFile: 'keys/x.sec', publicKeyFile: 'keys/x.pub' });
    expect((await rejection(writeKeyPair(`${dir}/`))).code).toBe('USAGE');
  });

  it('generates random keys with random key numbers by default', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(a.publicKey.keynum).not.toBe(b.publicKey.keynum);
    expect(Buffer.from(a.publicKey.key).equals(Buffer.from(b.publicKey.key))).toBe(false);
  });
});

describe('reading keys', () => {
  it('reports missing files and wrong kinds with the file name', async () => {
    const missing = await rejection(readPublicKey(join(dir, 'nope.pub')));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toContain('nope.pub');
    const w = await writeKeyPair(join(dir, 'kinds'), { seed: seed('kinds') });
    expect((await rejection(readSecretKey(w.publicKeyFile))).code).toBe('INVALID_KEY');
    expect((await rejection(readPublicKey(w.secretKeyFile))).code).toBe('INVALID_KEY');
    expect((await rejection(readPublicKey(dir))).code).toBe('INVALID_KEY');
  });

  it('needs the passphrase of a protected key', async () => {
    const w = await writeKeyPair(join(dir, 'locked'), { seed: seed('locked'), passphrase: 'open sesame', rounds: 2 });
    expect(w.kdfRounds).toBe(2);
    const e = await rejection(readSecretKey(w.secretKeyFile));
    expect(e.code).toBe('WRONG_PASSPHRASE');
    expect(e.message).toContain('--passphrase-file');
    expect(await readSecretKey(w.secretKeyFile, 'open sesame')).toEqual(w.keyPair.secretKey);
  });
});

describe('loadTrustedKeys', () => {
  it('loads *.pub from a folder and explicit files, by key number, with their files', async () => {
    const keysDir = join(dir, 'trusted');
    mkdirSync(keysDir);
    const a = await writeKeyPair(join(keysDir, 'a'), { seed: seed('a') });
    const b = await writeKeyPair(join(dir, 'b'), { seed: seed('b') });
    writeFileSync(join(keysDir, 'README'), 'not a key');
    const keys = await loadTrustedKeys({ keysDir, pubkeys: [b.publicKeyFile] });
    expect([...keys.keys()].sort()).toEqual([a.keyPair.publicKey.keynum, b.keyPair.publicKey.keynum].sort());
    expect(keys.get(a.keyPair.publicKey.keynum)?.file).toBe(join(keysDir, 'a.pub'));
    expect(keys.get(b.keyPair.publicKey.keynum)?.publicKey).toEqual(b.keyPair.publicKey);
    // The same key twice is fine.
    expect((await loadTrustedKeys({ keysDir, pubkeys: [a.publicKeyFile] })).size).toBe(1);
    expect((await loadTrustedKeys({})).size).toBe(0);
  });

  it('refuses two different keys with one key number, and a missing folder', async () => {
    const clash = join(dir, 'clash');
    mkdirSync(clash);
    writeFileSync(join(clash, 'one.pub'), encodePublicKey(keyPairFromSeed(seed('one'), { keynum: '00000000000000aa' }).publicKey));
    writeFileSync(join(clash, 'two.pub'), encodePublicKey(keyPairFromSeed(seed('two'), { keynum: '00000000000000aa' }).publicKey));
    const e = await rejection(loadTrustedKeys({ keysDir: clash }));
    expect(e.code).toBe('INVALID_KEY');
    expect(e.message).toContain('00000000000000aa');
    expect((await rejection(loadTrustedKeys({ keysDir: join(dir, 'no-such-dir') }))).code).toBe('FILE_NOT_FOUND');
  });
});
