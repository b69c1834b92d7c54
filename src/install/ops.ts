/**
 * The I/O the release manager delegates, as one replaceable object ({@link InstallOps}), with the
 * real implementations as defaults: the bundle reader (src/bundle), the probe (src/target), the
 * venv and wheel installer (./venv.ts, ./wheel-install.ts), and child processes. Tests pass fakes
 * for the parts they are not about, the way resolvelib's resolver only sees a provider.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { SneakpackError } from '../errors.js';
import { hashFile, type TrustedKeys } from '../sign/index.js';
import type { VenvInfo } from './venv.js';
import { probeInterpreter } from '../target/probe.js';
import { extractBundle, type BundleManifest as FullManifest, type ManifestWheel } from '../bundle/index.js';
import { buildShebang } from './scripts.js';
import { compileVenv, createVenv, relocateVenv } from './venv.js';
import { installWheel } from './wheel-install.js';
import { installWheels } from './wheel-pool.js';

/**
 * The fields of a bundle manifest the release manager reads: a subset of src/bundle's
 * {@link FullManifest} (docs/FORMAT.md), so tests can pass fakes that carry only these.
 */
export type BundleManifest = {
  readonly app: Pick<FullManifest['app'], 'name' | 'version'> & Partial<Omit<FullManifest['app'], 'name' | 'version'>>;
  readonly target: Pick<FullManifest['target'], 'name'> & { readonly profile?: unknown };
  readonly wheels: readonly BundleWheel[];
};

/** A wheel as the manifest lists it (the fields the release manager reads). */
export type BundleWheel = Pick<ManifestWheel, 'file' | 'name' | 'version' | 'sha256' | 'size'> & Partial<Pick<ManifestWheel, 'tags' | 'requires_python'>>;

/** What the bundle reader returns after a successful verify + extract. */
export interface ExtractedBundle {
  readonly manifest: BundleManifest;
  /** Key number of the key that signed it. */
  readonly keynum: string;
  /** Hex sha256 of the whole bundle file, from the same pass (else the installer hashes it). */
  readonly sha256?: string;
}

export type { VenvInfo } from './venv.js';

/** One of the app's own scripts. */
export interface AppScript {
  readonly name: string;
  readonly module: string;
  /** The function to call; null runs the module as `python -m` would not — refused earlier. */
  readonly attr: string | null;
}

/** What a post-install command did. */
export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they came, tail only. */
  readonly output: string;
  /** Set when the command could not be started. */
  readonly error?: string;
}

/** The probe's answer, the part the release manager reads. */
export interface BoxProbe {
  readonly python: { readonly version: string };
  readonly uname_machine: string;
  readonly tags: readonly string[];
}

/** Everything the release manager does that is not bookkeeping under the prefix. */
export interface InstallOps {
  /** Verify `file` against `trusted` and extract it under `destDir` (one top folder). */
  extract(file: string, destDir: string, options: { trusted: TrustedKeys }): Promise<ExtractedBundle>;
  /** Describe the box's interpreter. */
  probe(python: string): Promise<BoxProbe>;
  createVenv(python: string, dir: string): Promise<VenvInfo>;
  /** Move a venv `createVenv` made to `dir`, fixing what names its path (or make it afresh with `python`). */
  relocateVenv(venv: VenvInfo, dir: string, python: string): Promise<VenvInfo>;
  /** Install one wheel; `reuse` names the previous release's venv holding the same wheel file. */
  installWheel(wheelPath: string, venv: VenvInfo, options: { expected: BundleWheel; reuse?: { venvDir: string } }): Promise<unknown>;
  /**
   * Install all of a release's wheels (default: {@link installWheels}, several at a time);
   * `onInstalled` is called as each one is done with its index and the count so far. Returns what
   * each `installWheel` returned, in order.
   */
  installWheels(
    wheels: readonly { wheelPath: string; expected: BundleWheel; reuse?: { venvDir: string } }[],
    venv: VenvInfo,
    onInstalled: (index: number, installed: number) => void,
    jobs?: number,
  ): Promise<readonly unknown[]>;
  /** Write launchers for the app's scripts into the venv's bin/, exporting `env` first; returns their paths. */
  writeAppScripts(venv: VenvInfo, scripts: readonly AppScript[], env: Readonly<Record<string, string>>): Promise<string[]>;
  /** Byte-compile the venv and the extra folders. */
  compile(venv: VenvInfo, extraDirs: readonly string[]): Promise<void>;
  runCommand(argv: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CommandResult>;
  /** Hex sha256 of a file: only for an `extract` that does not report the bundle's own. */
  hashFile(file: string): Promise<string>;
}

/**
 * A launcher for one of the app's own scripts: pip's console-script launcher with the data-folder
 * variables exported first (`setdefault`, so the administrator's environment wins).
 */
export function appLauncherText(script: AppScript, interpreter: string, env: Readonly<Record<string, string>>): string {
  if (script.attr === null) throw new SneakpackError('INVALID_ENTRY_POINTS', `app script ${script.name} names no function`, { details: { name: script.name } });
  const importName = script.attr.split('.')[0]!;
  const exports = Object.keys(env)
    .sort()
    .map((k) => `os.environ.setdefault(${JSON.stringify(k)}, ${JSON.stringify(env[k])})\n`)
    .join('');
  return (
    buildShebang(interpreter) +
    '# -*- coding: utf-8 -*-\n' +
    '# Written by sneakpack for this release; see ../../env for the same variables.\n' +
    'import os\n' +
    'import re\n' +
    'import sys\n' +
    exports +
    `from ${script.module} import ${importName}\n` +
    "if __name__ == '__main__':\n" +
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n" +
    `    sys.exit(${script.attr}())\n`
  );
}

async function writeAppScripts(venv: VenvInfo, scripts: readonly AppScript[], env: Readonly<Record<string, string>>): Promise<string[]> {
  const written: string[] = [];
  for (const s of scripts) {
    const file = path.join(venv.scheme.scripts, s.name);
    // The app's own script wins over a dependency's of the same name, as a later pip install would.
    await fs.writeFile(file, appLauncherText(s, venv.python, env), { mode: 0o755 });
    await fs.chmod(file, 0o755);
    written.push(file);
  }
  return written;
}

/** Run `argv` with `cwd`/`env`, collecting combined output (kept to the last 64 KiB). */
export function runCommand(argv: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CommandResult> {
  return new Promise((resolve) => {
    if (argv.length === 0) {
      resolve({ code: null, signal: null, output: '', error: 'empty command' });
      return;
    }
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (b: Buffer): void => {
      output = (output + b.toString('utf8')).slice(-65536);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => resolve({ code: null, signal: null, output, error: error.message }));
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

/** The real operations. */
export const defaultOps: InstallOps = {
  extract: (file, destDir, options) => extractBundle(file, destDir, options),
  probe: (python) => probeInterpreter(python),
  createVenv: (python, dir) => createVenv(python, dir),
  relocateVenv: (venv, dir, python) => relocateVenv(venv, dir, python),
  installWheel: (wheelPath, venv, options) => installWheel(wheelPath, venv, { expected: options.expected, ...(options.reuse ? { reuse: options.reuse } : {}) }),
  // Replaced by a loop over `installWheel` when a caller replaces only that (installBundle).
  installWheels: (wheels, venv, onInstalled, jobs) =>
    installWheels(
      wheels.map((w) => ({
        wheelPath: w.wheelPath,
        size: w.expected.size,
        options: { expected: { name: w.expected.name, version: w.expected.version }, ...(w.reuse ? { reuse: w.reuse } : {}) },
      })),
      venv,
      { onInstalled, ...(jobs === undefined ? {} : { jobs }) },
    ),
  writeAppScripts,
  async compile(venv, extraDirs) {
    await compileVenv(venv);
    if (extraDirs.length > 0) {
      const r = await runCommand([venv.python, '-I', '-m', 'compileall', '-q', ...extraDirs], { cwd: venv.dir, env: process.env });
      // compileall exits 1 when some file did not compile; like pip (and compileVenv), not fatal.
      if (r.code !== 0 && r.code !== 1) {
        throw new SneakpackError('IO_ERROR', `byte-compiling ${extraDirs.join(', ')} failed (${r.error ?? `status ${r.code}`}): ${r.output.slice(-2000)}`, {
          details: { dirs: extraDirs },
        });
      }
    }
  },
  runCommand,
  hashFile: (file) => hashFile(file),
};
