/**
 * installWheels: several wheels at once on worker threads. The worker script exists only in the
 * compiled dist/ (global setup builds it), so the pool is imported from there; the TypeScript
 * module falls back to one thread, and both must install exactly the same files.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import type { VenvInfo } from '../../src/install/venv.js';
import * as sourcePool from '../../src/install/wheel-pool.js';
import { ROOT } from '../helpers/cli.js';
import { type RawWheelSpec, fakeVenv as emptyVenv, rawWheel } from './fixtures.js';

type Pool = typeof sourcePool;
const distPool = (await import(join(ROOT, 'dist', 'install', 'wheel-pool.js'))) as Pool;

const root = mkdtempSync(join(tmpdir(), 'sneakpack-pool-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function fakeVenv(): VenvInfo {
  return emptyVenv(join(root, `venv${++n}`));
}

/** Every path under `dir` with kind, mode and content hash; the venv's own path replaced by VENV. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) {
        walk(r);
        continue;
      }
      let text = readFileSync(join(dir, r), 'latin1').split(dir).join('VENV');
      // RECORD rows of scripts hash bytes that name the venv's interpreter: compare their paths only.
      if (r.endsWith('/RECORD')) text = text.replace(/^(\.\.\/\.\.\/\.\.\/bin\/[^,]+),.*$/gm, '$1');
      out[r] = `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(text, 'latin1').digest('hex')}`;
    }
  };
  walk('');
  return out;
}

/** `count` wheels of different sizes, each with a package, a script and an entry point. */
function wheels(dir: string, count: number, extra: (i: number) => Partial<RawWheelSpec> = () => ({})): string[] {
  return Array.from({ length: count }, (_, i) =>
    rawWheel(join(dir, `w${i}`), {
      name: `pkg${i}`,
      version: '1.0',
      members: [
        { name: `pkg${i}/__init__.py`, data: `X = ${i}\n` },
        ...Array.from({ length: 1 + (i % 5) * 7 }, (_, k) => ({ name: `pkg${i}/mod${k}.py`, data: `# ${'x'.repeat(k * 97 + i)}\n` })),
        { name: `pkg${i}-1.0.data/scripts/tool${i}`, data: '#!python\nprint(1)\n' },
      ],
      entryPoints: `[console_scripts]\ncli${i} = pkg${i}:X\n`,
      ...extra(i),
    }),
  );
}

const jobsOf = (files: string[]) => files.map((wheelPath) => ({ wheelPath, options: {}, size: lstatSync(wheelPath).size }));

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    // dist/'s SneakpackError is not src/'s class: look at the code.
    if (isSneakpackError(e) || (e instanceof Error && typeof (e as { code?: unknown }).code === 'string')) return (e as unknown as { code: string }).code;
    throw e;
  }
  return undefined;
}

describe('installWheels', () => {
  it('installs the same files on three threads as on one, reporting every wheel once', async () => {
    const files = wheels(join(root, 'same'), 23);
    const one = fakeVenv();
    const many = fakeVenv();
    const seen: number[] = [];
    const counts: number[] = [];
    expect(distPool.workerAvailable()).toBe(true);
    expect(sourcePool.workerAvailable()).toBe(false);
    const r1 = await sourcePool.installWheels(jobsOf(files), one, { jobs: 1 });
    const r3 = await distPool.installWheels(jobsOf(files), many, {
      jobs: 3,
      onInstalled: (i, installed) => {
        seen.push(i);
        counts.push(installed);
      },
    });
    expect(tree(many.dir)).toEqual(tree(one.dir));
    expect(Object.keys(tree(one.dir)).length).toBeGreaterThan(23 * 5);
    expect(r3.map((r) => r.filename)).toEqual(r1.map((r) => r.filename));
    expect(r3.map((r) => r.record.length)).toEqual(r1.map((r) => r.record.length));
    expect([...seen].sort((a, b) => a - b)).toEqual(files.map((_, i) => i));
    expect(counts).toEqual(files.map((_, i) => i + 1));
  });

  it('stops at the first failing wheel and rethrows its error with its code', async () => {
    // Wheel 5 has a member whose hash is not RECORD's: INVALID_RECORD, raised in whichever thread took it.
    const files = wheels(join(root, 'bad'), 12, (i) =>
      i === 5 ? { members: [{ name: 'pkg5/__init__.py', data: 'X = 5\n', recordAs: { hash: { algorithm: 'sha256', value: 'A'.repeat(43) } } }] } : {},
    );
    const venv = fakeVenv();
    expect(await codeOf(distPool.installWheels(jobsOf(files), venv, { jobs: 3 }))).toBe('INVALID_RECORD');
    // The failing wheel cleaned up after itself.
    expect(() => lstatSync(join(venv.scheme.purelib, 'pkg5'))).toThrow();
  });

  it('refuses two wheels that install the same file, whichever comes second', async () => {
    const files = wheels(join(root, 'clash'), 6, (i) =>
      i === 1 || i === 4 ? { members: [{ name: `pkg${i}/__init__.py`, data: 'X = 1\n' }, { name: 'shared/clash.py', data: `# from ${i}\n` }] } : {},
    );
    expect(await codeOf(distPool.installWheels(jobsOf(files), fakeVenv(), { jobs: 2 }))).toBe('INSTALL_CONFLICT');
    expect(await codeOf(sourcePool.installWheels(jobsOf(files), fakeVenv(), { jobs: 1 }))).toBe('INSTALL_CONFLICT');
  });

  it('flattens errors for the thread boundary; threads from SNEAKPACK_JOBS, else one', () => {
    const posted = sourcePool.postableError(new (class extends Error {})('plain'));
    expect(posted).toMatchObject({ message: 'plain' });
    expect(posted.code).toBeUndefined();
    const saved = process.env.SNEAKPACK_JOBS;
    try {
      delete process.env.SNEAKPACK_JOBS;
      expect(sourcePool.defaultJobs()).toBe(1);
      process.env.SNEAKPACK_JOBS = '3';
      expect(sourcePool.defaultJobs()).toBe(3);
      process.env.SNEAKPACK_JOBS = 'many';
      expect(sourcePool.defaultJobs()).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.SNEAKPACK_JOBS;
      else process.env.SNEAKPACK_JOBS = saved;
    }
  });
});
