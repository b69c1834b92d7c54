/**
 * Awaiting an operation that must fail with a SneakpackError, for tests that check its `code`
 * (and sometimes its message or details).
 */
import { expect } from 'vitest';
import { type SneakpackError, isSneakpackError } from '../../src/errors.js';

/** The SneakpackError `p` rejects with; anything else (or success) fails the test. */
export async function failure(p: Promise<unknown>): Promise<SneakpackError> {
  try {
    await p;
  } catch (e) {
    if (isSneakpackError(e)) return e;
    throw e;
  }
  throw new Error('expected a SneakpackError');
}

/** The code of the SneakpackError `p` rejects with, or undefined when it succeeds; any other error is rethrown. */
export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isSneakpackError(e)) return e.code;
    throw e;
  }
  return undefined;
}

/** Expect `p` to reject with a SneakpackError of `code` (the message shown when it does not); returns it. */
export async function expectCode(p: Promise<unknown>, code: string): Promise<SneakpackError> {
  const e = await failure(p);
  expect(e.code, e.message).toBe(code);
  return e;
}

/** {@link codeOf} for a synchronous call: the code of the SneakpackError `f` throws, or undefined. */
export function codeOfSync(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isSneakpackError(e)) return e.code;
    throw e;
  }
  return undefined;
}
