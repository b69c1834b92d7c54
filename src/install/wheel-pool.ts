/**
 * Install a release's wheels on several cores at once. `installWheel` is synchronous while it
 * writes (one wheel keeps one core busy with inflating, hashing and file creation), and the wheels
 * of a release write disjoint files, so the main thread and `jobs - 1` worker threads each take
 * the next wheel, largest first. A collision between two wheels is still caught: every file is
 * created with `O_EXCL`, whichever thread comes second fails with `INSTALL_CONFLICT`.
 *
 * On the first failure no further wheel is started, the wheels in flight finish (each cleans up
 * after itself when it fails), the workers are stopped and that first error is thrown; the
 * caller throws the half-built release away.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SneakpackError, type ErrorCode } from '../errors.js';
import { type InstallWheelOptions, type InstalledWheel, installWheel } from './wheel-install.js';
import type { VenvInfo } from './venv.js';

/** One wheel to install. `options` must be plain data (it is posted to a worker). */
export interface WheelJob {
  readonly wheelPath: string;
  readonly options: InstallWheelOptions;
  /** Bytes, to start the largest first (a worker left with one big wheel at the end is slow). */
  readonly size: number;
}

/** Options of {@link installWheels}. */
export interface InstallWheelsOptions {
  /** Threads in all, the main one included (default {@link defaultJobs}). */
  readonly jobs?: number;
  /** Called as each wheel is installed, with its index in `jobs` and how many are installed now. */
  readonly onInstalled?: (index: number, installed: number) => void;
}

/** An error as it crosses from a worker: enough to rebuild a SneakpackError. */
interface PostedError {
  readonly code?: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
  readonly stack?: string;
}

/** Messages from a worker (see ./wheel-worker.ts): one per wheel it took, then `done`. */
export type WorkerReply =
  | { readonly kind: 'installed'; readonly index: number; readonly result: InstalledWheel }
  | { readonly kind: 'failed'; readonly index: number; readonly error: PostedError }
  | { readonly kind: 'done' };

/**
 * What the main thread posts to a worker: every wheel, in the order to take them, and a shared
 * `[next, stop]` pair of counters through which all threads claim wheels without a round trip.
 */
export interface WorkerRequest {
  readonly wheels: readonly { readonly index: number; readonly wheelPath: string; readonly options: InstallWheelOptions }[];
  readonly venv: VenvInfo;
  readonly shared: SharedArrayBuffer;
}

/** Slots of the shared counters. */
export const NEXT = 0;
export const STOP = 1;

/** Claim the next wheel (a position in the request's list), or null when there is none or a wheel failed. */
export function claim(counters: Int32Array, count: number): number | null {
  if (Atomics.load(counters, STOP) !== 0) return null;
  const k = Atomics.add(counters, NEXT, 1);
  return k < count ? k : null;
}

/** Flatten an error for `postMessage` (a SneakpackError's code and details survive). */
export function postableError(e: unknown): PostedError {
  if (e instanceof SneakpackError) return { code: e.code, message: e.message, details: e.details, stack: e.stack };
  const err = e instanceof Error ? e : new Error(String(e));
  return { message: err.message, stack: err.stack };
}

function rebuildError(p: PostedError): Error {
  if (p.code !== undefined) return new SneakpackError(p.code as ErrorCode, p.message, { details: p.details ?? {} });
  const err = new Error(p.message);
  if (p.stack !== undefined) err.stack = p.stack;
  return err;
}

/**
 * Threads to use when the caller does not say: `SNEAKPACK_JOBS` if it is a whole number, else 1.
 * One, because on the 2-core benchmark machine two threads were no faster than one (file creation
 * in the kernel dominates and serialises on the file system's journal); a box with more, faster
 * cores and a slow CPU per byte (inflate, sha256) may gain, so it can be asked for.
 */
export function defaultJobs(): number {
  const asked = Number(process.env.SNEAKPACK_JOBS);
  return Number.isInteger(asked) && asked >= 1 ? Math.min(asked, 16) : 1;
}

/** The compiled worker script, next to this module; absent when running from TypeScript sources (tests). */
const WORKER_SCRIPT = new URL('./wheel-worker.js', import.meta.url);

/** Whether {@link installWheels} can start worker threads (the compiled worker script is there). */
export function workerAvailable(): boolean {
  try {
    return WORKER_SCRIPT.protocol === 'file:' && existsSync(fileURLToPath(WORKER_SCRIPT));
  } catch {
    return false;
  }
}

/**
 * Install every wheel of `jobs` into `venv`, up to `options.jobs` at a time; results in the order
 * of `jobs`. Runs everything on the main thread when one job is asked for, when there are fewer
 * than two wheels, or when the worker script is not there (running from the TypeScript sources).
 *
 * @throws the first wheel's error (see `installWheel`).
 */
export async function installWheels(jobs: readonly WheelJob[], venv: VenvInfo, options: InstallWheelsOptions = {}): Promise<InstalledWheel[]> {
  const results: InstalledWheel[] = new Array(jobs.length);
  const threads = Math.min(options.jobs ?? defaultJobs(), jobs.length);
  if (threads <= 1 || !workerAvailable()) {
    for (const [i, job] of jobs.entries()) {
      results[i] = await installWheel(job.wheelPath, venv, job.options);
      options.onInstalled?.(i, i + 1);
    }
    return results;
  }

  const order = jobs.map((_, i) => i).sort((a, b) => jobs[b]!.size - jobs[a]!.size || a - b);
  const wheels = order.map((index) => ({ index, wheelPath: jobs[index]!.wheelPath, options: jobs[index]!.options }));
  const shared = new SharedArrayBuffer(8);
  const counters = new Int32Array(shared);
  let installed = 0;
  const done = (index: number, result: InstalledWheel): void => {
    results[index] = result;
    options.onInstalled?.(index, ++installed);
  };
  let failure: { error: unknown } | null = null;
  const fail = (error: unknown): void => {
    failure ??= { error };
    Atomics.store(counters, STOP, 1);
  };

  const workers: Promise<void>[] = [];
  for (let k = 1; k < threads; k++) {
    workers.push(
      new Promise<void>((resolve) => {
        const worker = new Worker(WORKER_SCRIPT);
        let finished = false;
        const finish = (): void => {
          if (finished) return;
          finished = true;
          void worker.terminate().then(() => resolve(), () => resolve());
        };
        worker.on('message', (reply: WorkerReply) => {
          if (reply.kind === 'installed') {
            done(reply.index, reply.result);
          } else if (reply.kind === 'failed') {
            fail(rebuildError(reply.error));
          } else {
            finish();
          }
        });
        worker.on('error', (e) => {
          fail(e);
          finish();
        });
        worker.on('exit', (code) => {
          if (!finished) fail(new Error(`a wheel-installing thread stopped early (exit code ${code})`));
          finish();
        });
        const request: WorkerRequest = { wheels, venv, shared };
        worker.postMessage(request);
      }),
    );
  }
  // The main thread is one of the threads.
  for (let k = claim(counters, wheels.length); k !== null; k = claim(counters, wheels.length)) {
    const { index, wheelPath, options: wheelOptions } = wheels[k]!;
    try {
      done(index, await installWheel(wheelPath, venv, wheelOptions));
    } catch (e) {
      fail(e);
    }
  }
  await Promise.all(workers);
  if (failure !== null) throw (failure as { error: unknown }).error;
  return results;
}
