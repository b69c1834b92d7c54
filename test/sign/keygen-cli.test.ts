/** `sneakpack keygen`: files and modes, refusing to overwrite, passphrases, JSON output. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIO, main } from '../../src/cli.js';
import { decodeEncryptedSecretKey, readPublicKey, readSecretKey, verifyFile } from '../../src/sign/index.js';
import { signifyOk, tempDir } from './signify-tool.js';

async function run(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false };
  const status = await main(argv, io);
  return { status, stdout, stderr };
}

const mode = (file: string): number => statSync(file).mode & 0o777;

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('sneakpack-keygen-')));
afterAll(() => cleanup());

describe('sneakpack keygen', () => {
  it('writes NAME.sec (0600) and NAME.pub (0644) and reports them as JSON', async () => {
    const base = join(dir, 'keys', 'release');
    const r = await run(['keygen', base, '--comment', 'release 2024', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const pub = await readPublicKey(`${base}.pub`);
    expect(out).toEqual({
      ok: true,
      keynum: pub.keynum,
      secret_key_file: `${base}.sec`,
      public_key_file: `${base}.pub`,
      comment: 'release 2024 public key',
      passphrase: false,
      kdf_rounds: 0,
    });
    expect(out.keynum).toMatch(/^[0-9a-f]{16}$/);
    expect(mode(`${base}.sec`)).toBe(0o600);
    expect(mode(`${base}.pub`)).toBe(0o644);
    expect((await readSecretKey(`${base}.sec`)).keynum).toBe(pub.keynum);
  });

  it('prints what it wrote, and refuses to overwrite without --force', async () => {
    const base = join(dir, 'once');
    const first = await run(['keygen', base]);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`${base}.sec`);
    expect(first.stdout).toContain('NOT passphrase-protected');
    const keynum = (await readPublicKey(`${base}.pub`)).keynum;
    expect(first.stdout).toContain(keynum);
    const before = readFileSync(`${base}.sec`);

    const again = await run(['keygen', base, '--json']);
    expect(again.status).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: 'FILE_EXISTS', file: `${base}.sec` } });
    expect(again.stderr).toContain('--force');
    expect(readFileSync(`${base}.sec`)).toEqual(before);

    const forced = await run(['keygen', base, '--force', '--json']);
    expect(forced.status).toBe(0);
    expect(JSON.parse(forced.stdout).keynum).not.toBe(keynum);
  });

  it('protects the key with a passphrase file (signify signs with it) or variable', async () => {
    const passFile = join(dir, 'pass.txt');
    writeFileSync(passFile, 'hunter2 hunter2\n');
    const base = join(dir, 'protected');
    const r = await run(['keygen', base, '--passphrase-file', passFile, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ passphrase: true, kdf_rounds: 42 });
    // The trailing newline is not part of the passphrase: signify, typing it, agrees.
    const msg = join(dir, 'msg');
    writeFileSync(msg, 'payload\n');
    signifyOk(['-S', '-s', `${base}.sec`, '-m', msg, '-x', `${msg}.sig`], { input: 'hunter2 hunter2\n' });
    await verifyFile(await readPublicKey(`${base}.pub`), msg, `${msg}.sig`);

    process.env.SNEAKPACK_TEST_PASSPHRASE = 'from the environment';
    try {
      const env = await run(['keygen', join(dir, 'env'), '--passphrase-env', 'SNEAKPACK_TEST_PASSPHRASE']);
      expect(env.status).toBe(0);
      expect(decodeEncryptedSecretKey(readFileSync(join(dir, 'env.sec')), 'env.sec').kdfRounds).toBe(42);
      expect((await readSecretKey(join(dir, 'env.sec'), 'from the environment')).keynum).toBe((await readPublicKey(join(dir, 'env.pub'))).keynum);
    } finally {
      delete process.env.SNEAKPACK_TEST_PASSPHRASE;
    }
  });

  it.each([
    ['both passphrase sources', ['--passphrase-file', 'x', '--passphrase-env', 'Y'], 'USAGE', 2],
    ['an unset variable', ['--passphrase-env', 'SNEAKPACK_TEST_UNSET_VARIABLE'], 'USAGE', 2],
    ['a missing passphrase file', ['--passphrase-file', '/nonexistent/pass'], 'FILE_NOT_FOUND', 1],
    ['a multi-line comment', ['--comment', 'two\nlines'], 'INVALID_KEY', 1],
  ])('rejects %s without writing anything', async (_what, flags, code, status) => {
    const base = join(dir, `bad-${code}-${status}-${flags.length}`);
    const r = await run(['keygen', base, ...flags, '--json']);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.stdout).error.code).toBe(code);
    expect(() => statSync(`${base}.sec`)).toThrow();
  });

  it('rejects an empty passphrase file', async () => {
    const empty = join(dir, 'empty-pass');
    writeFileSync(empty, '\n');
    const r = await run(['keygen', join(dir, 'nopass'), '--passphrase-file', empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('empty');
  });
});
