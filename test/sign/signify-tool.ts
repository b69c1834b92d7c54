/**
 * Drives the reference, OpenBSD signify (Debian's `signify-openbsd`). Tests that need it FAIL when
 * it is missing: CI installs it, and a skipped interop test would hide a format regression.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

export const SIGNIFY = process.env.SIGNIFY ?? 'signify-openbsd';

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs signify with `args`; `input` goes to stdin (signify reads passphrases there when stdin is not a tty). */
export function signify(args: string[], options: { cwd?: string; input?: string } = {}): ToolResult {
  const r = spawnSync(SIGNIFY, args, { cwd: options.cwd, input: options.input ?? '', encoding: 'utf8' });
  if (r.error !== undefined) {
    throw new Error(`cannot run ${SIGNIFY} (${r.error.message}); install it: apt-get install -y signify-openbsd`);
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like {@link signify} but throws with signify's stderr unless it exits 0. */
export function signifyOk(args: string[], options: { cwd?: string; input?: string } = {}): ToolResult {
  const r = signify(args, options);
  if (r.status !== 0) throw new Error(`${SIGNIFY} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

/** A fresh temporary folder and a function removing it. */
export function tempDir(prefix = 'sneakpack-sign-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fixed 32-byte seed per label, so keys are the same on every run without binary fixtures. */
export function seed(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`sneakpack test seed: ${label}`).digest());
}
