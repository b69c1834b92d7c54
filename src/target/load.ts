/**
 * The I/O edge of targets: reading a captured profile from disk. Everything else in src/target is
 * pure; this file only reads, parses JSON and hands over to {@link validateProfile}.
 */
import { readFile } from 'node:fs/promises';
import { SneakpackError } from '../errors.js';
import { type TargetProfile, validateProfile } from './profile.js';
import { type ResolvedTarget, resolveTarget } from './resolve.js';

/**
 * Read and validate a target profile JSON file (the format of `sneakpack target probe`).
 *
 * @throws SneakpackError `FILE_NOT_FOUND`, `IO_ERROR`, or `INVALID_TARGET` naming the file and field.
 */
export async function loadTargetProfile(path: string): Promise<TargetProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new SneakpackError('FILE_NOT_FOUND', `target profile ${path} does not exist`, { details: { file: path }, cause: e });
    }
    throw new SneakpackError('IO_ERROR', `cannot read target profile ${path}: ${(e as Error).message}`, {
      details: { file: path },
      cause: e,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SneakpackError('INVALID_TARGET', `${path}: not valid JSON (${(e as Error).message})`, {
      details: { file: path },
      cause: e,
    });
  }
  return validateProfile(value, path);
}

/** True when a target argument names a profile file rather than a preset or compact target. */
export function isProfilePath(arg: string): boolean {
  return arg.endsWith('.json') || arg.includes('/') || arg.includes('\\');
}

/**
 * Resolve a command-line target argument: a path to a profile JSON file (ends in `.json` or
 * contains a path separator), else a preset name or compact target (see {@link resolveTarget}).
 */
export async function resolveTargetArgument(arg: string): Promise<ResolvedTarget> {
  if (isProfilePath(arg)) return resolveTarget(await loadTargetProfile(arg), { name: arg });
  return resolveTarget(arg);
}
