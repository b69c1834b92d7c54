/**
 * Differential testing against the reference implementation: pypa `packaging` 24.1 as vendored by
 * pip in pyenv's CPython 3.13 (`pip._vendor.packaging`). Tests send a JSON value on stdin to a small
 * Python program and read one JSON value back, so thousands of cases cost one interpreter start.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The interpreter that carries the reference `packaging`. Override with SNEAKPACK_REF_PYTHON. */
export function referencePython(): string {
  const fromEnv = process.env.SNEAKPACK_REF_PYTHON;
  if (fromEnv) return fromEnv;
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const candidate = join(pyenvRoot, 'versions', '3.13.0', 'bin', 'python3');
  if (existsSync(candidate)) return candidate;
  throw new Error(
    `reference interpreter not found at ${candidate}; install CPython 3.13.0 with pyenv or set SNEAKPACK_REF_PYTHON`,
  );
}

/** The reference packaging version; the differential tests pin 24.1. */
export const REFERENCE_PACKAGING_VERSION = '24.1';

/**
 * Run `script` under the reference Python with `input` as JSON on stdin and return the JSON it
 * prints. The script gets `packaging` importable as a top-level name (aliased to pip's vendored copy).
 */
export function runReference<T = unknown>(script: string, input: unknown): T {
  const prelude = [
    'import sys, json',
    'import pip._vendor.packaging as packaging',
    'sys.modules.setdefault("packaging", packaging)',
    'from pip._vendor.packaging import version, specifiers, markers, requirements, tags, utils',
    `assert packaging.__version__ == ${JSON.stringify(REFERENCE_PACKAGING_VERSION)}, packaging.__version__`,
    'INPUT = json.load(sys.stdin)',
    'def emit(value):',
    '    json.dump(value, sys.stdout)',
    '',
  ].join('\n');
  const out = execFileSync(referencePython(), ['-c', prelude + script], {
    input: JSON.stringify(input),
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
  });
  return JSON.parse(out.toString('utf8')) as T;
}
