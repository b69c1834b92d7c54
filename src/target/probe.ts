/**
 * The target probe: a standalone Python script that describes the interpreter it runs on as a
 * target profile (its wheel tags, best first, and its PEP 508 marker environment), and a helper
 * that runs it on an interpreter this machine can reach.
 *
 * The script (src/target/probe.py) re-implements `packaging` 24.1's `tags.sys_tags()` and
 * `markers.default_environment()` with the standard library only, for boxes with no pip, no
 * `packaging` and no Node: an admin runs it there (`sneakpack target probe --script` prints it)
 * and carries the JSON back. Its output has the shape of the profiles in /work/shared/targets.
 *
 * @see https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/
 * @see https://peps.python.org/pep-0508/#environment-markers
 */
import { spawn } from 'node:child_process';
import { SneakpackError } from '../errors.js';
import { PROBE_SCRIPT_TEXT } from './probe-script.js';
import { ENVIRONMENT_VARIABLES, type EnvironmentVariable } from '../pep508/markers.js';

/**
 * The probe script's text, byte for byte the content of src/target/probe.py.
 *
 * Embedded (in the generated probe-script.ts) rather than read from disk at run time: `tsc` does
 * not copy .py files to dist/, the package ships only dist/ and bin/, and a path computed from
 * `import.meta.url` breaks as soon as someone bundles sneakpack. Embedded, the script travels with
 * the JavaScript wherever it goes. test/target/probe.test.ts fails when the copy and probe.py drift
 * apart, and regenerates the copy when run with SNEAKPACK_UPDATE_PROBE_SCRIPT=1.
 */
export const PROBE_SCRIPT: string = PROBE_SCRIPT_TEXT;

/** The `probe_version` this module understands; the script writes it into every profile. */
export const PROBE_VERSION = 1;

/**
 * Flags the probe runs with. `-I` (isolated mode) keeps the current directory off `sys.path`
 * and ignores `PYTHON*` variables and the user site, so a stray `platform.py` or `PYTHONPATH`
 * cannot change the answer. Not `-S`: PEP 600 lets a distributor veto manylinux tags with a
 * `_manylinux` module, and that module normally lives in site-packages, which `-S` would hide.
 * (Where no such module exists, as on pyenv and Debian builds, `-S` changes nothing.)
 * `-` reads the script from stdin, so nothing is written to disk and no argument-length limit applies.
 */
export const PROBE_PYTHON_FLAGS: readonly string[] = Object.freeze(['-I', '-']);

/** The `python` block of a profile: which interpreter, built for what. */
export interface ProbedPython {
  /** `platform.python_version()`, e.g. `3.11.2`. */
  readonly version: string;
  /** `sys.implementation.name`, e.g. `cpython`. */
  readonly implementation: string;
  /** `sysconfig.get_platform()`, e.g. `linux-armv7l`. */
  readonly sysconfig_platform: string;
  /** `sysconfig.get_config_var("SOABI")` (PEP 3149), `null` where unset (Windows). */
  readonly soabi: string | null;
  /** `["glibc", "2.36"]`, `["musl", "1.2"]`, or `null` for another libc. */
  readonly libc: readonly [string, string] | null;
}

/** The full PEP 508 marker environment, as `packaging.markers.default_environment()` returns it. */
export type MarkerEnvironment = Readonly<Record<EnvironmentVariable, string>>;

/** The PEP 508 marker variable names, in `default_environment()` order. */
export const MARKER_VARIABLES = ENVIRONMENT_VARIABLES;

/** A target profile as the probe prints it (the shape of the files in /work/shared/targets). */
export interface ProbedProfile {
  readonly probe_version: number;
  readonly captured_with: string;
  readonly python: ProbedPython;
  /** `platform.machine()`, e.g. `armv7l`. */
  readonly uname_machine: string;
  readonly marker_environment: MarkerEnvironment;
  /** `str(tag)` for each of `packaging.tags.sys_tags()`, best first (PEP 425 order). */
  readonly tags: readonly string[];
}

/** Options for {@link probeInterpreter}. */
export interface ProbeOptions {
  /** Give up after this many milliseconds (default 60 000; a musl box runs its loader once). */
  readonly timeoutMs?: number;
  /** Environment of the interpreter (default: this process's). `-I` ignores `PYTHON*` anyway. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Run the probe with `python` (a command on PATH or a path) and return the validated profile.
 *
 * @throws SneakpackError `PROBE_FAILED` when the interpreter cannot be started, exits with an
 *   error, times out or prints something that is not JSON; `INVALID_TARGET` when the JSON is not a
 *   profile. Each message names the interpreter.
 */
export async function probeInterpreter(python = 'python3', options: ProbeOptions = {}): Promise<ProbedProfile> {
  const { stdout, stderr, code, signal, error, timedOut } = await runScript(python, options);
  const fail = (message: string, extra: Record<string, unknown> = {}): SneakpackError =>
    new SneakpackError('PROBE_FAILED', message, { details: { python, ...extra }, cause: error });
  if (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') {
      throw fail(`Python interpreter not found: ${python} (give a command on PATH or a path to python3)`);
    }
    if (errno === 'EACCES') throw fail(`cannot run ${python}: permission denied (is it an executable?)`);
    throw fail(`cannot run ${python}: ${error.message}`);
  }
  if (timedOut) throw fail(`the probe did not finish within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms on ${python}`);
  if (code !== 0) {
    const tail = lastLines(stderr, 12);
    const hint = /Unknown option: -I/.test(stderr) ? ' (this interpreter predates Python 3.4; the probe needs 3.6 or newer)' : '';
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    throw fail(`the probe ${how} on ${python}${hint}${tail ? `:\n${tail}` : ''}`, { status: code, signal, stderr });
  }
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    throw fail(`the probe printed something that is not JSON on ${python}: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  return validateProbedProfile(value, python);
}

/**
 * Check that `value` (parsed JSON) is a profile as the probe prints it, and return it frozen.
 * `source` (an interpreter or a file name) is named in the error.
 *
 * @throws SneakpackError `INVALID_TARGET` naming the first field that is wrong.
 */
export function validateProbedProfile(value: unknown, source: string): ProbedProfile {
  const bad = (field: string, want: string, got: unknown): SneakpackError =>
    new SneakpackError(
      'INVALID_TARGET',
      `${source}: probe output field ${field} should be ${want}, got ${JSON.stringify(got) ?? String(got)}`,
      { details: { source, field } },
    );
  const str = (obj: Record<string, unknown>, key: string, path: string): string => {
    const v = obj[key];
    if (typeof v !== 'string') throw bad(path, 'a string', v);
    return v;
  };
  if (!isRecord(value)) throw bad('(top level)', 'a JSON object', value);
  if (value.probe_version !== PROBE_VERSION) {
    throw bad('probe_version', `${PROBE_VERSION} (re-run the probe that comes with this sneakpack)`, value.probe_version);
  }
  const py = value.python;
  if (!isRecord(py)) throw bad('python', 'an object', py);
  const soabi = py.soabi;
  if (soabi !== null && typeof soabi !== 'string') throw bad('python.soabi', 'a string or null', soabi);
  const libc = py.libc;
  if (libc !== null && !(Array.isArray(libc) && libc.length === 2 && libc.every((p) => typeof p === 'string'))) {
    throw bad('python.libc', '[name, version] or null', libc);
  }
  const env = value.marker_environment;
  if (!isRecord(env)) throw bad('marker_environment', 'an object', env);
  const markerEnvironment = Object.fromEntries(
    MARKER_VARIABLES.map((name) => [name, str(env, name, `marker_environment.${name}`)]),
  ) as unknown as MarkerEnvironment;
  const tags = value.tags;
  if (!Array.isArray(tags) || tags.length === 0) throw bad('tags', 'a non-empty array', tags);
  tags.forEach((tag: unknown, i) => {
    // interpreter-abi-platform, each part non-empty (PEP 425 "Details").
    if (typeof tag !== 'string' || !/^[^-\s]+-[^-\s]+-[^-\s]+$/.test(tag)) throw bad(`tags[${i}]`, 'a tag like cp311-cp311-linux_x86_64', tag);
  });
  return Object.freeze({
    probe_version: PROBE_VERSION,
    captured_with: str(value, 'captured_with', 'captured_with'),
    python: Object.freeze({
      version: str(py, 'version', 'python.version'),
      implementation: str(py, 'implementation', 'python.implementation'),
      sysconfig_platform: str(py, 'sysconfig_platform', 'python.sysconfig_platform'),
      soabi,
      libc: libc === null ? null : (Object.freeze([libc[0], libc[1]]) as readonly [string, string]),
    }),
    uname_machine: str(value, 'uname_machine', 'uname_machine'),
    marker_environment: Object.freeze(markerEnvironment),
    tags: Object.freeze([...(tags as string[])]),
  });
}

const DEFAULT_TIMEOUT_MS = 60_000;

interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  timedOut: boolean;
}

/** Feed the script to `python` on stdin and collect what it prints; never rejects. */
function runScript(python: string, options: ProbeOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(python, [...PROBE_PYTHON_FLAGS], {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const finish = (result: Omit<RunResult, 'stdout' | 'stderr' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
      // A grandchild (a hung musl loader) may hold the pipes open: stop reading, don't wait for it.
      child.stdout.destroy();
      child.stderr.destroy();
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (error) => finish({ code: null, signal: null, error }));
    child.on('close', (code, signal) => finish({ code, signal }));
    child.on('exit', (code, signal) => {
      if (timedOut) finish({ code, signal });
    });
    // An interpreter that exits before reading the script (python2 rejects -I) closes the pipe:
    // EPIPE here is expected, and the exit status tells the story.
    child.stdin.on('error', () => {});
    child.stdin.end(PROBE_SCRIPT, 'utf8');
  });
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
