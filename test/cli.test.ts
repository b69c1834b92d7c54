import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './helpers/cli.js';
import { VERSION } from '../src/version.js';

describe('sneakpack CLI', () => {
  it('reports the version recorded in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const r = runCli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('answers a usage error with one JSON object under --json, as every other error', () => {
    const r = runCli(['verify', '--no-such-flag', '--json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
    const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('USAGE');
    expect(out.error.message).toContain('--no-such-flag');
    const missing = runCli(['install', '--json']);
    expect(missing.status).toBe(2);
    expect((JSON.parse(missing.stdout) as { error: { code: string } }).error.code).toBe('USAGE');
    expect(runCli(['verify', '--no-such-flag']).stdout).toBe('');
  });

  it('exits 2 with a hint on an unknown command', () => {
    const r = runCli(['no-such-command']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'no-such-command'");
  });
});
