/**
 * Differential tests against the reference, OpenBSD signify (Debian `signify-openbsd`): what
 * sneakpack writes, signify accepts, and the other way round — keys (with and without
 * passphrase), detached and embedded signatures, and signed checksum lists checked with `-C`.
 * These tests fail (they do not skip) when signify-openbsd is missing; CI installs it.
 */
import { readFileSync, mkdirSync, writeFileSync, unlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import {
  type ChecksumFailure,
  type KeyPair,
  type TrustedKeys,
  checkSignedChecksumList,
  decodeEncryptedSecretKey,
  encodePublicKey,
  encodeSecretKey,
  keyPairFromSeed,
  loadTrustedKeys,
  readPublicKey,
  readSecretKey,
  signFile,
  verifyEmbeddedFile,
  verifyFile,
  writeKeyPair,
  writeSignedChecksumList,
} from '../../src/sign/index.js';
import { Rng } from '../helpers/random.js';
import { SIGNIFY, seed, signify, signifyOk, tempDir } from './signify-tool.js';

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (isSneakpackError(e)) return { code: e.code, message: e.message, details: { ...e.details } };
    throw e;
  }
  throw new Error('expected a rejection');
}

let dir: string;
let cleanup: () => void;
let alice: KeyPair;
let trusted: TrustedKeys;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  alice = keyPairFromSeed(seed('alice'));
  writeFileSync(join(dir, 'alice.pub'), encodePublicKey(alice.publicKey));
  writeFileSync(join(dir, 'alice.sec'), encodeSecretKey(alice.secretKey), { mode: 0o600 });
  trusted = await loadTrustedKeys({ pubkeys: [join(dir, 'alice.pub')] });
});
afterAll(() => cleanup());

it(`runs ${SIGNIFY}`, () => {
  // Fails loudly (rather than every test below failing obscurely) when the reference is missing.
  const r = signify([]);
  expect(r.stderr).toContain('usage');
});

/** Messages that stress the embedded format and line handling: generated, fixed seed. */
function messages(): Array<{ name: string; data: Uint8Array }> {
  const rng = new Rng(0x51d1f1);
  const enc = new TextEncoder();
  const out = [
    { name: 'empty', data: new Uint8Array() },
    { name: 'newline', data: enc.encode('\n') },
    { name: 'no-final-newline', data: enc.encode('SHA256 (a) = 00') },
    { name: 'crlf', data: enc.encode('a\r\nb\r\n') },
    { name: 'looks-like-a-header', data: enc.encode('untrusted comment: hi\nRWQ=\n') },
    { name: 'nul-bytes', data: new Uint8Array([0, 10, 0, 0, 10]) },
    { name: 'utf8', data: enc.encode('wheels ✓ ünïcode 😀\n') },
    { name: 'large', data: Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24) },
  ];
  for (let i = 0; i < 8; i++) out.push({ name: `random-${i}`, data: Uint8Array.from({ length: rng.int(1, 5000) }, () => rng.int(0, 255)) });
  return out;
}

describe('signify verifies what sneakpack signs', () => {
  it.each(messages())('detached and embedded signature over $name', async ({ name, data }) => {
    const msg = join(dir, `${name}.msg`);
    writeFileSync(msg, data);
    await signFile(alice.secretKey, msg, `${msg}.sig`, { secretKeyFile: join(dir, 'alice.sec') });
    expect(readFileSync(`${msg}.sig`, 'utf8').split('\n')[0]).toBe('untrusted comment: verify with alice.pub');
    expect(signifyOk(['-V', '-p', join(dir, 'alice.pub'), '-m', msg, '-x', `${msg}.sig`]).stdout).toBe('Signature Verified\n');

    await signFile(alice.secretKey, msg, `${msg}.esig`, { embedded: true, secretKeyFile: join(dir, 'alice.sec') });
    signifyOk(['-V', '-e', '-p', join(dir, 'alice.pub'), '-x', `${msg}.esig`, '-m', `${msg}.out`]);
    expect(Buffer.compare(readFileSync(`${msg}.out`), Buffer.from(data))).toBe(0);
  });

  it('and signify rejects it when the message changes', async () => {
    const msg = join(dir, 'changed.msg');
    writeFileSync(msg, 'original\n');
    await signFile(alice.secretKey, msg, `${msg}.sig`);
    writeFileSync(msg, 'Original\n');
    const r = signify(['-V', '-p', join(dir, 'alice.pub'), '-m', msg, '-x', `${msg}.sig`]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('signature verification failed');
  });
});

describe('sneakpack verifies what signify signs', () => {
  let signifyPub: string;
  let signifySec: string;
  beforeAll(() => {
    signifyPub = join(dir, 'stock.pub');
    signifySec = join(dir, 'stock.sec');
    signifyOk(['-G', '-n', '-c', 'stock', '-p', signifyPub, '-s', signifySec]);
  });

  it.each(messages().filter((_, i) => i % 2 === 0))('detached and embedded signatures over $name', async ({ name, data }) => {
    const msg = join(dir, `stock-${name}.msg`);
    writeFileSync(msg, data);
    signifyOk(['-S', '-s', signifySec, '-m', msg, '-x', `${msg}.sig`]);
    signifyOk(['-S', '-e', '-s', signifySec, '-m', msg, '-x', `${msg}.esig`]);
    const pub = await readPublicKey(signifyPub);
    expect(pub.comment).toBe('stock public key');
    expect((await verifyFile(pub, msg, `${msg}.sig`)).publicKey.keynum).toBe(pub.keynum);
    const { message } = await verifyEmbeddedFile(pub, `${msg}.esig`);
    expect(Buffer.compare(Buffer.from(message), Buffer.from(data))).toBe(0);
  });

  it('and names the key number when the signer is not trusted', async () => {
    const msg = join(dir, 'stock-untrusted.msg');
    writeFileSync(msg, 'x');
    signifyOk(['-S', '-s', signifySec, '-m', msg, '-x', `${msg}.sig`]);
    const keynum = (await readPublicKey(signifyPub)).keynum;
    const e = await rejection(verifyFile(trusted, msg, `${msg}.sig`));
    expect(e.code).toBe('UNTRUSTED_KEY');
    expect(e.message).toContain(keynum);
    expect(e.message).toContain(`${msg}.sig`);
  });

  it('reads signify -G -n secret keys and signs with them (signify verifies)', async () => {
    const sec = await readSecretKey(signifySec);
    expect(sec.keynum).toBe((await readPublicKey(signifyPub)).keynum);
    const msg = join(dir, 'by-stock-key.msg');
    writeFileSync(msg, 'signed by sneakpack with a key signify made\n');
    await signFile(sec, msg, `${msg}.sig`, { secretKeyFile: signifySec });
    expect(signifyOk(['-V', '-p', signifyPub, '-m', msg, '-x', `${msg}.sig`]).stdout).toBe('Signature Verified\n');
  });
});

describe('signify reads the secret keys sneakpack writes', () => {
  it('without a passphrase: signify -S signs, sneakpack verifies', async () => {
    const base = join(dir, 'keys', 'plain');
    const written = await writeKeyPair(base, { seed: seed('plain') });
    const msg = join(dir, 'plain.msg');
    writeFileSync(msg, 'signed by signify with a key sneakpack made\n');
    signifyOk(['-S', '-s', written.secretKeyFile, '-m', msg, '-x', `${msg}.sig`]);
    expect(readFileSync(`${msg}.sig`, 'utf8')).toMatch(/^untrusted comment: verify with plain\.pub\n/);
    expect((await verifyFile(written.keyPair.publicKey, msg, `${msg}.sig`)).publicKey.keynum).toBe(written.keyPair.publicKey.keynum);
    // signify's own verifier agrees with the .pub sneakpack wrote.
    signifyOk(['-V', '-p', written.publicKeyFile, '-m', msg, '-x', `${msg}.sig`]);
  });
});

describe('passphrase-protected keys (bcrypt_pbkdf, 42 rounds) interoperate', () => {
  // signify reads the passphrase from stdin when stdin is not a terminal (kdf(): RPP_STDIN when
  // `allowstdin && !isatty(0)`), for -G and for -S unless the message itself is stdin.
  it('signify -G with a passphrase → sneakpack decrypts it, signs, and signify verifies', async () => {
    const pub = join(dir, 'pp-stock.pub');
    const sec = join(dir, 'pp-stock.sec');
    signifyOk(['-G', '-p', pub, '-s', sec], { input: 'tr0ub4dor & 3\n' });
    expect(decodeEncryptedSecretKey(readFileSync(sec), sec).kdfRounds).toBe(42);
    const key = await readSecretKey(sec, 'tr0ub4dor & 3');
    expect(key.keynum).toBe((await readPublicKey(pub)).keynum);
    const msg = join(dir, 'pp-stock.msg');
    writeFileSync(msg, 'hello\n');
    await signFile(key, msg, `${msg}.sig`);
    signifyOk(['-V', '-p', pub, '-m', msg, '-x', `${msg}.sig`]);

    const wrong = await rejection(readSecretKey(sec, 'tr0ub4dor & 4'));
    expect(wrong.code).toBe('WRONG_PASSPHRASE');
    expect(wrong.message).toContain(sec);
  });

  it('sneakpack writes a passphrase key → signify signs with the passphrase, refuses a wrong one', async () => {
    const written = await writeKeyPair(join(dir, 'keys', 'protected'), { seed: seed('protected'), passphrase: 'correct horse battery staple' });
    expect(written.kdfRounds).toBe(42);
    const msg = join(dir, 'pp.msg');
    writeFileSync(msg, 'hello\n');
    signifyOk(['-S', '-s', written.secretKeyFile, '-m', msg, '-x', `${msg}.sig`], { input: 'correct horse battery staple\n' });
    await verifyFile(written.keyPair.publicKey, msg, `${msg}.sig`);
    const bad = signify(['-S', '-s', written.secretKeyFile, '-m', msg, '-x', `${msg}.bad`], { input: 'correct horse battery stapler\n' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('incorrect passphrase');
  });
});

/** File names signify -C must handle: spaces, "(", "=", Unicode, subfolders; plus generated ones. */
function checksumNames(): string[] {
  const names = ['app-1.0-py3-none-any.whl', 'with space.txt', ' leading and trailing ', 'paren(open', 'x = y', 'ünïcode-✓.txt', 'sub/dir/deep.bin', 'empty'];
  const rng = new Rng(0xc5);
  const alphabet = [...'aZ0 (=.-_+,[]{}$#!\'"`&;~é✓'];
  while (names.length < 30) {
    const name = Array.from({ length: rng.int(1, 16) }, () => rng.pick(alphabet)).join('');
    if (/^\.+$/.test(name) || names.includes(name)) continue;
    names.push(name);
  }
  return names;
}

describe('signed checksum lists (SHA256.sig) and signify -C', () => {
  let bundle: string;
  const names = checksumNames();

  beforeAll(async () => {
    bundle = join(dir, 'bundle');
    names.forEach((name, i) => {
      mkdirSync(join(bundle, name, '..'), { recursive: true });
      writeFileSync(join(bundle, name), name === 'empty' ? '' : `contents of ${name} #${i}\n`.repeat(i + 1));
    });
    await writeSignedChecksumList(bundle, names, alice.secretKey, { secretKeyFile: join(dir, 'alice.sec') });
  });

  it('signify -C accepts the list sneakpack signed, checking every file', () => {
    const r = signify(['-C', '-p', join(dir, 'alice.pub'), '-x', 'SHA256.sig'], { cwd: bundle });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const ok = r.stdout.split('\n').filter((l) => l.endsWith(': OK'));
    expect(ok.sort()).toEqual(names.map((n) => `${n}: OK`).sort());
  });

  it('the list is what sha256sum --tag prints for the same files', () => {
    const signed = readFileSync(join(bundle, 'SHA256.sig'), 'utf8').split('\n').slice(2).join('\n');
    const gnu = execFileSync('sha256sum', ['--tag', '--', ...names], { cwd: bundle, encoding: 'utf8' });
    expect(signed.split('\n').sort()).toEqual(gnu.split('\n').sort());
  });

  it('sneakpack accepts it too', async () => {
    const { entries, key } = await checkSignedChecksumList(bundle, trusted);
    expect(entries.map((e) => e.path).sort()).toEqual([...names].sort());
    expect(key.file).toBe(join(dir, 'alice.pub'));
  });

  it('one changed byte: signify -C fails and sneakpack names the file', async () => {
    const victim = join(bundle, 'with space.txt');
    const original = readFileSync(victim);
    const changed = Buffer.from(original);
    changed[3] ^= 0x01;
    writeFileSync(victim, changed);
    try {
      const r = signify(['-C', '-p', join(dir, 'alice.pub'), '-x', 'SHA256.sig'], { cwd: bundle });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('with space.txt: FAIL');
      const e = await rejection(checkSignedChecksumList(bundle, trusted));
      expect(e.code).toBe('CHECKSUM_MISMATCH');
      expect(e.message).toContain('with space.txt');
      expect(e.message).toContain('SHA256.sig');
      expect(e.details.failures).toEqual([expect.objectContaining({ path: 'with space.txt', reason: 'changed' })]);
    } finally {
      writeFileSync(victim, original);
    }
  });

  it('missing files and a changed list are reported too, all at once', async () => {
    const gone = ['empty', 'sub/dir/deep.bin'];
    const saved = gone.map((n) => [n, readFileSync(join(bundle, n))] as const);
    gone.forEach((n) => unlinkSync(join(bundle, n)));
    try {
      expect(signify(['-C', '-p', join(dir, 'alice.pub'), '-x', 'SHA256.sig'], { cwd: bundle }).status).not.toBe(0);
      const e = await rejection(checkSignedChecksumList(bundle, trusted));
      expect(e.code).toBe('CHECKSUM_MISMATCH');
      const failures = e.details.failures as ChecksumFailure[];
      expect(failures.map((f) => [f.path, f.reason]).sort()).toEqual(gone.map((n) => [n, 'missing']).sort());
    } finally {
      for (const [n, data] of saved) writeFileSync(join(bundle, n), data);
    }
    // Editing the signed list itself breaks the signature for both tools.
    const sigFile = join(bundle, 'SHA256.sig');
    const sig = readFileSync(sigFile, 'utf8');
    try {
      writeFileSync(sigFile, sig.replace('SHA256 (empty)', 'SHA256 (empty2)'));
      expect(signify(['-C', '-p', join(dir, 'alice.pub'), '-x', 'SHA256.sig'], { cwd: bundle }).stderr).toContain('signature verification failed');
      expect((await rejection(checkSignedChecksumList(bundle, trusted))).code).toBe('SIGNATURE_MISMATCH');
    } finally {
      writeFileSync(sigFile, sig);
    }
  });

  it('checks only the named files when asked, like signify -C … file', async () => {
    expect(signify(['-C', '-p', join(dir, 'alice.pub'), '-x', 'SHA256.sig', 'x = y'], { cwd: bundle }).stdout).toBe('Signature Verified\nx = y: OK\n');
    await checkSignedChecksumList(bundle, trusted, { only: ['x = y'] });
    const e = await rejection(checkSignedChecksumList(bundle, trusted, { only: ['x = y', 'not-there'] }));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain('not-there');
    expect(signify(['-C', '-p', join(dir, 'alice.pub'), '-x', 'SHA256.sig', 'not-there'], { cwd: bundle }).status).not.toBe(0);
  });

  it('sneakpack checks a list made by sha256sum --tag and signed by signify -S -e', async () => {
    const stock = join(dir, 'stock-bundle');
    mkdirSync(stock);
    const files = ['a.whl', 'b c.whl', 'd(e.txt'];
    files.forEach((f) => writeFileSync(join(stock, f), `data ${f}\n`));
    writeFileSync(join(stock, 'list'), execFileSync('sha256sum', ['--tag', '--', ...files], { cwd: stock }));
    signifyOk(['-G', '-n', '-p', join(dir, 'lists.pub'), '-s', join(dir, 'lists.sec')]);
    signifyOk(['-S', '-e', '-s', join(dir, 'lists.sec'), '-m', 'list', '-x', 'SHA256.sig'], { cwd: stock });
    unlinkSync(join(stock, 'list'));
    const keys = await loadTrustedKeys({ keysDir: dir });
    const { entries } = await checkSignedChecksumList(stock, keys);
    expect(entries.map((e) => e.path)).toEqual(files);
  });

  it('refuses listed paths that leave the folder, which signify would open', async () => {
    const evil = join(dir, 'evil');
    mkdirSync(evil);
    writeFileSync(join(dir, 'outside'), 'x');
    const sum = execFileSync('sha256sum', ['--tag', '../outside'], { cwd: evil });
    writeFileSync(join(evil, 'list'), sum);
    signifyOk(['-S', '-e', '-s', join(dir, 'alice.sec'), '-m', 'list', '-x', 'SHA256.sig'], { cwd: evil });
    expect(signify(['-C', '-p', join(dir, 'alice.pub'), '-x', 'SHA256.sig'], { cwd: evil }).status).toBe(0);
    expect((await rejection(checkSignedChecksumList(evil, trusted))).code).toBe('UNSAFE_PATH');
  });

  it('writes SHA256.sig with mode 0644', () => {
    expect(statSync(join(bundle, 'SHA256.sig')).mode & 0o777).toBe(0o644 & ~process.umask());
  });
});
