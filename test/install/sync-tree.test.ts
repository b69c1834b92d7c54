/**
 * syncTree: a release is flushed to the disk before its marker is written, by `sync -f` or, where
 * there is no such `sync`, by fsyncing every file. Durability itself cannot be observed without
 * pulling the power; what can be checked is that both ways walk real trees and report failures.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syncTree } from '../../src/install/prefix.js';
import { codeOf } from '../helpers/errors.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sneakpack-sync-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function tree(): string {
  const dir = fs.mkdtempSync(path.join(root, 't-'));
  fs.mkdirSync(path.join(dir, 'venv', 'lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'venv', 'lib', 'a.py'), 'A = 1\n');
  fs.writeFileSync(path.join(dir, 'marker'), '');
  fs.symlinkSync('/nonexistent/target', path.join(dir, 'venv', 'dangling'));
  return dir;
}

describe.each([
  ['with sync -f', process.env.PATH ?? '/usr/bin:/bin'],
  ['without a sync command (fsync of every file)', path.join(root, 'empty-bin')],
])('syncTree %s', (_how, PATH) => {
  const withPath = async <T>(f: () => Promise<T>): Promise<T> => {
    const saved = process.env.PATH;
    fs.mkdirSync(path.join(root, 'empty-bin'), { recursive: true });
    process.env.PATH = PATH;
    try {
      return await f();
    } finally {
      process.env.PATH = saved;
    }
  };

  it('flushes a tree with files, folders and a dangling symlink', async () => {
    const dir = tree();
    await expect(withPath(() => syncTree(dir))).resolves.toBeUndefined();
    expect(fs.readFileSync(path.join(dir, 'venv', 'lib', 'a.py'), 'utf8')).toBe('A = 1\n');
  });

  it('fails with IO_ERROR naming a folder that is not there', async () => {
    const missing = path.join(root, 'no-such-release');
    expect(await withPath(() => codeOf(syncTree(missing)))).toBe('IO_ERROR');
  });
});
