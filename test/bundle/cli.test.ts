/**
 * `sneakpack verify` and `sneakpack inspect` as a user runs them (bin/sneakpack → dist/): output,
 * --json, and exit codes (0 ok, 1 failed verification or bad bundle, 2 usage).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WrittenBundle, writeBundle } from '../../src/bundle/index.js';
import { runCli } from '../helpers/cli.js';
import { makeInput, removeDir, tempDir, writeKeys } from './fixtures.js';

let dir: string;
let alice: Awaited<ReturnType<typeof writeKeys>>;
let bob: Awaited<ReturnType<typeof writeKeys>>;
let bundle: WrittenBundle;
let tampered: string;

beforeAll(async () => {
  dir = tempDir();
  alice = await writeKeys(join(dir, 'keys'), 'alice');
  bob = await writeKeys(join(dir, 'other-keys'), 'bob');
  bundle = await writeBundle(makeInput(join(dir, 'src')), { secretKey: alice.pair.secretKey, secretKeyFile: alice.sec, outDir: dir });
  const bytes = readFileSync(bundle.path);
  // Flip a byte inside the first wheel's data (its header's name field starts the block).
  const at = bytes.indexOf(Buffer.from('schoolapp-1.2.0-cp311-manylinux_2_36_armv7l/wheels/attrs')) + 512 + 100;
  bytes[at] = bytes[at]! ^ 0xff;
  tampered = join(dir, 'tampered.tar');
  writeFileSync(tampered, bytes);
});
afterAll(() => removeDir(dir));

const keynum = (): string => alice.pair.publicKey.keynum;

describe('sneakpack verify', () => {
  it('prints one OK line naming app, version, target and signer, and exits 0', () => {
    const r = runCli(['verify', bundle.path, '--pubkey', alice.pub]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`OK schoolapp 1.2.0 for cp311-manylinux_2_36_armv7l, signed by key ${keynum()} (${alice.pub})\n`);
    const byDir = runCli(['verify', bundle.path, '--keys', join(dir, 'keys')]);
    expect(byDir.status).toBe(0);
    expect(byDir.stdout).toContain(`signed by key ${keynum()}`);
    // Several --pubkey flags: any of them may have signed it.
    expect(runCli(['verify', bundle.path, '--pubkey', bob.pub, '--pubkey', alice.pub]).status).toBe(0);
  });

  it('prints one JSON object with --json', () => {
    const r = runCli(['verify', bundle.path, '--pubkey', alice.pub, '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ ok: true, app: 'schoolapp', version: '1.2.0', target: 'cp311-manylinux_2_36_armv7l', keynum: keynum(), pubkey: alice.pub, wheels: 3, format: 1, compressed: false });
    expect(j.files).toBe(bundle.manifest.files.length + 2);
  });

  it('exits 1 naming what failed: a changed byte, an untrusted signer, a missing file', () => {
    const t = runCli(['verify', tampered, '--pubkey', alice.pub]);
    expect(t.status).toBe(1);
    expect(t.stdout).toBe('');
    expect(t.stderr).toContain('[HASH_MISMATCH]');
    expect(t.stderr).toContain('wheels/attrs-1.0.0-py3-none-any.whl');
    const tj = runCli(['verify', tampered, '--pubkey', alice.pub, '--json']);
    expect(tj.status).toBe(1);
    expect(JSON.parse(tj.stdout)).toMatchObject({ ok: false, error: { code: 'HASH_MISMATCH', path: 'wheels/attrs-1.0.0-py3-none-any.whl' } });
    const u = runCli(['verify', bundle.path, '--pubkey', bob.pub]);
    expect(u.status).toBe(1);
    expect(u.stderr).toContain('[UNTRUSTED_KEY]');
    expect(u.stderr).toContain(keynum());
    expect(u.stderr).toContain('--keys');
    const m = runCli(['verify', join(dir, 'nope.tar'), '--pubkey', alice.pub]);
    expect(m.status).toBe(1);
    expect(m.stderr).toContain('[FILE_NOT_FOUND]');
  });

  it('exits 2 without keys or with an empty key folder; trusts --pubkey and --keys together, as install does', () => {
    expect(runCli(['verify', bundle.path]).status).toBe(2);
    mkdirSync(join(dir, 'empty-keys'));
    const both = runCli(['verify', bundle.path, '--pubkey', alice.pub, '--keys', join(dir, 'empty-keys')]);
    expect(both.status, both.stderr).toBe(0);
    const e = runCli(['verify', bundle.path, '--keys', join(dir, 'empty-keys')]);
    expect(e.status).toBe(2);
    expect(e.stderr).toContain('[USAGE]');
    expect(e.stderr).toContain(join(dir, 'empty-keys'));
    expect(runCli(['verify']).status).toBe(2);
  });
});

describe('sneakpack inspect', () => {
  it('shows app, version, target, signer, wheels with sizes and the total, and says it is not verified', () => {
    const r = runCli(['inspect', bundle.path]);
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toContain('App:     schoolapp 1.2.0');
    expect(out).toContain('Target:  cp311-manylinux_2_36_armv7l (debian12-armhf)');
    expect(out).toContain(`Signer:  key ${keynum()} ("verify with alice.pub")`);
    for (const w of bundle.manifest.wheels) expect(out).toMatch(new RegExp(`${w.name} ${w.version.replace(/\./g, '\\.')} +[0-9.]+ k?B  ${w.file.replace(/\./g, '\\.')}`));
    const total = bundle.manifest.files.reduce((n, f) => n + f.size, 0);
    expect(out).toContain(`Total:     ${total} bytes in ${bundle.manifest.files.length} files`);
    expect(out).toContain('NOT VERIFIED');
  });

  it('prints one JSON object with --json, verified: false', () => {
    const r = runCli(['inspect', bundle.path, '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ ok: true, verified: false, app: 'schoolapp', version: '1.2.0', target: 'cp311-manylinux_2_36_armv7l', keynum: keynum(), format: 1 });
    expect(j.wheels).toEqual(bundle.manifest.wheels.map((w) => ({ file: w.file, name: w.name, version: w.version, size: w.size })));
    expect(j.total_size).toBe(bundle.manifest.files.reduce((n, f) => n + f.size, 0));
  });

  it('needs no key, but refuses what is not a bundle (exit 1)', () => {
    // A changed wheel byte is invisible to inspect (it reads only the first two entries)...
    expect(runCli(['inspect', tampered]).status).toBe(0);
    writeFileSync(join(dir, 'garbage.tar'), Buffer.alloc(3000, 7));
    const g = runCli(['inspect', join(dir, 'garbage.tar')]);
    expect(g.status).toBe(1);
    expect(g.stderr).toContain('[BUNDLE_CORRUPT]');
  });
});
