/**
 * pip requirements files (`requirements.txt`), read as pip 24.2 reads them
 * (`pip/_internal/req/req_file.py`), for an app without `pyproject.toml` or with explicit `-r`.
 *
 * What pip does and sneakpack does too: comments, `\` continuations, `${NAME}` expansion,
 * `-r`/`--requirement` (relative to the including file), `-c`/`--constraint`, `-f`/`--find-links`,
 * `-i`/`--index-url`, `--extra-index-url`, `--no-index`, `--pre`, `--only-binary`/`--no-binary`
 * (recorded with pip's mutual-exclusion rules), `--require-hashes`, `--trusted-host`,
 * `--prefer-binary` and `--use-feature` (accepted, no effect: only wheels are ever used), per-line
 * `--hash=algo:hex`, environment markers and extras.
 *
 * Where sneakpack is stricter than pip (pip silently ignores or mis-handles these):
 * - editable (`-e`) and URL / path / archive requirements are refused (`UNSUPPORTED_REQUIREMENT`):
 *   sneakpack installs wheels it found by name in an index or a `--find-links` folder;
 * - an option on a requirement line other than `--hash`, `--global-option`, `--config-settings`
 *   (pip ignores it), words after the options (pip ignores them), `--hash` on a line without a
 *   requirement (pip warns), a `-r`/`-c` line with other options (pip drops them), several `-f`
 *   on one line (pip keeps the first) — all errors;
 * - `-r` cycles are errors (pip recurses until it crashes); `-r` of a URL is refused;
 * - hash digests must be lower-case hex of the algorithm's length (pip would only fail later);
 * - a relative `--find-links` path is always taken relative to the file that names it (pip does
 *   so only when that path exists, else relative to the working directory);
 * - files are decoded as UTF-8 (UTF-8/16/32 byte-order marks honoured; pip also reads
 *   `# -*- coding: … -*-` declarations and the locale's encoding).
 *
 * `--global-option` and `--config-settings` only affect building sdists, which sneakpack never
 * does; they are accepted and ignored, as pip ignores them for wheels.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SneakpackError, isSneakpackError } from '../errors.js';
import { Requirement, canonicalizeName, parseMarker, parseRequirement, type Marker } from '../pep508/index.js';
import { pyStrip } from '../wheel/pystr.js';
import {
  OptionSyntaxError,
  breakArgsOptions,
  isPipUrl,
  looksLikePathOrFile,
  parseOptions,
  preprocessRequirements,
  urlScheme,
  type OptionOccurrence,
} from './reqfile-syntax.js';

/** Hash algorithms pip accepts in `--hash` (`STRONG_HASHES`), with their hex digest lengths. */
export const REQUIREMENT_HASH_ALGORITHMS: Readonly<Record<string, number>> = Object.freeze({ sha256: 64, sha384: 96, sha512: 128 });

/** One requirement (or constraint) line, with where it came from. */
export interface RequirementEntry {
  readonly requirement: Requirement;
  /** The requirements file (absolute path). */
  readonly file: string;
  /** 1-based number of the line (the first physical line of a continued line). */
  readonly line: number;
  /** True for lines read through `-c` (constraints limit versions, they add no package). */
  readonly constraint: boolean;
  /** `--hash` values of this line, as `algo:hexdigest`, in file order. */
  readonly hashes: readonly string[];
}

/** pip's `FormatControl` after every `--no-binary` / `--only-binary` in order. */
export interface FormatControl {
  /** Canonical names (or `:all:`) for which pip would refuse wheels. Sorted. */
  readonly noBinary: readonly string[];
  /** Canonical names (or `:all:`) for which pip would refuse sdists. Sorted. */
  readonly onlyBinary: readonly string[];
}

/** Everything read from a set of requirements files. */
export interface RequirementsFiles {
  /** Requirement lines, in reading order (nested files inline, as pip reads them). */
  readonly requirements: readonly RequirementEntry[];
  /** Constraint lines (from `-c` files), in reading order. */
  readonly constraints: readonly RequirementEntry[];
  /** `--find-links` values: URLs as written, local paths made absolute (relative to their file). Deduplicated, in order. */
  readonly findLinks: readonly string[];
  /** The last `--index-url`, or null. */
  readonly indexUrl: string | null;
  /** `--extra-index-url` values, deduplicated, in order. */
  readonly extraIndexUrls: readonly string[];
  /** `--no-index` was given. */
  readonly noIndex: boolean;
  /** `--pre` was given: pre-releases are acceptable everywhere. */
  readonly pre: boolean;
  /**
   * Hash-checking mode, as pip turns it on: `--require-hashes`, or any requirement with `--hash`.
   * Then every requirement has hashes and is pinned with `==`, and the resolver must accept only
   * files with the listed hashes (and, as pip does, refuse dependencies it has no hashes for).
   */
  readonly requireHashes: boolean;
  /** `--no-binary` / `--only-binary` as pip would apply them. */
  readonly formatControl: FormatControl;
  /** `--trusted-host` values, deduplicated, in order. */
  readonly trustedHosts: readonly string[];
  /** Every file read, absolute, in the order first read. */
  readonly files: readonly string[];
}

/** Options for {@link readRequirementsFiles}. */
export interface ReadRequirementsOptions {
  /** Variables for `${NAME}` expansion; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Options that are meaningful on a line with a requirement (pip's `SUPPORTED_OPTIONS_REQ`). */
const REQUIREMENT_LINE_OPTIONS = new Set(['hash', 'global-option', 'config-settings']);

function where(file: string, line: number): string {
  return `${file} line ${line}`;
}

function fileError(file: string, line: number, text: string, message: string, extra: Record<string, unknown> = {}): SneakpackError {
  return new SneakpackError('INVALID_REQUIREMENTS_FILE', `${where(file, line)}: ${message}\n    ${text}`, {
    details: { file, line, text, ...extra },
  });
}

function decode(bytes: Buffer, file: string): string {
  const startsWith = (...b: number[]): boolean => b.every((v, i) => bytes[i] === v);
  try {
    if (startsWith(0xef, 0xbb, 0xbf)) return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3));
    if (startsWith(0xff, 0xfe, 0x00, 0x00) || startsWith(0x00, 0x00, 0xfe, 0xff)) {
      throw new SneakpackError('INVALID_REQUIREMENTS_FILE', `${file}: UTF-32 requirements files are not supported; save it as UTF-8`, {
        details: { file },
      });
    }
    if (startsWith(0xff, 0xfe)) return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    if (startsWith(0xfe, 0xff)) return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    if (isSneakpackError(e)) throw e;
    throw new SneakpackError('INVALID_REQUIREMENTS_FILE', `${file}: not valid UTF-8 text; save it as UTF-8`, { details: { file }, cause: e });
  }
}

/** pip's `FormatControl.handle_mutual_excludes`. */
function applyFormatControl(value: string, target: Set<string>, other: Set<string>, fail: (m: string) => never): void {
  if (value.startsWith('-')) fail('--no-binary / --only-binary need a value: package names, ":all:" or ":none:"');
  let names = value.split(',');
  while (names.includes(':all:')) {
    other.clear();
    target.clear();
    target.add(':all:');
    names = names.slice(names.indexOf(':all:') + 1);
    if (!names.includes(':none:')) return;
  }
  for (const name of names) {
    if (name === ':none:') {
      target.clear();
      continue;
    }
    const canonical = canonicalizeName(name);
    other.delete(canonical);
    target.add(canonical);
  }
}

/**
 * Turn the requirement part of a line into a {@link Requirement} as pip's `parse_req_from_line`
 * splits it — markers after the first `;` (`"; "` for a URL) — refusing what is not a named
 * requirement (URLs, paths, archive files, `name @ url`).
 */
function requirementFromArgs(args: string, file: string, line: number): Requirement {
  const sep = isPipUrl(args) ? '; ' : ';';
  const at = args.indexOf(sep);
  const namePart = pyStrip(at >= 0 ? args.slice(0, at) : args);
  const markerText = at >= 0 ? pyStrip(args.slice(at + sep.length)) : '';
  const unsupported = (what: string): SneakpackError =>
    new SneakpackError(
      'UNSUPPORTED_REQUIREMENT',
      `${where(file, line)}: ${JSON.stringify(namePart)} is ${what}; sneakpack needs wheels it can find by name: ` +
        `put the wheel in a folder given with --find-links (or publish it to an index) and require it by name, e.g. "mypkg==1.0"`,
      { details: { file, line, requirement: args } },
    );
  if (isPipUrl(namePart)) throw unsupported(`a URL (${urlScheme(namePart)}:)`);
  if (looksLikePathOrFile(namePart)) throw unsupported('a path or a file name');
  let parsed: Requirement;
  let marker: Marker | null = null;
  try {
    parsed = parseRequirement(namePart);
    if (markerText !== '') marker = parseMarker(markerText);
  } catch (e) {
    if (!isSneakpackError(e)) throw e;
    throw new SneakpackError('INVALID_REQUIREMENT', `${where(file, line)}: ${e.message}`, {
      details: { ...e.details, file, line, requirement: args },
      cause: e,
    });
  }
  if (parsed.url !== null) throw unsupported(`a direct reference ("name @ URL")`);
  return new Requirement({ name: parsed.name, extras: parsed.extras, specifier: parsed.specifier, url: null, marker });
}

function checkHash(value: string, fail: (m: string) => never): string {
  const colon = value.indexOf(':');
  if (colon < 0) fail(`--hash must be a hash name followed by a value, like --hash=sha256:abcde…, got ${JSON.stringify(value)}`);
  const algo = value.slice(0, colon);
  const digest = value.slice(colon + 1);
  const length = REQUIREMENT_HASH_ALGORITHMS[algo];
  if (length === undefined) {
    fail(`--hash algorithm ${JSON.stringify(algo)} is not allowed; use one of ${Object.keys(REQUIREMENT_HASH_ALGORITHMS).join(', ')}`);
  }
  if (!new RegExp(`^[0-9a-f]{${length}}$`).test(digest)) {
    fail(`--hash ${algo} digest must be ${length} lower-case hex digits, got ${JSON.stringify(digest)}`);
  }
  return `${algo}:${digest}`;
}

class Reader {
  readonly requirements: RequirementEntry[] = [];
  readonly constraints: RequirementEntry[] = [];
  readonly findLinks: string[] = [];
  indexUrl: string | null = null;
  readonly extraIndexUrls: string[] = [];
  noIndex = false;
  pre = false;
  requireHashes = false;
  readonly noBinary = new Set<string>();
  readonly onlyBinary = new Set<string>();
  readonly trustedHosts: string[] = [];
  readonly files: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  async readFile(file: string, constraint: boolean, stack: readonly string[], includedFrom: string | null): Promise<void> {
    let real: string;
    let bytes: Buffer;
    try {
      real = await fs.realpath(file);
      bytes = await fs.readFile(real);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SneakpackError(
        code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR',
        `${includedFrom ? `${includedFrom}: ` : ''}cannot read requirements file ${file}: ${(e as Error).message}`,
        { details: { file }, cause: e },
      );
    }
    if (stack.includes(real)) {
      const cycle = [...stack.slice(stack.indexOf(real)), real].join(' -> ');
      throw new SneakpackError('INVALID_REQUIREMENTS_FILE', `${includedFrom}: requirements files include each other in a cycle: ${cycle}`, {
        details: { file, cycle },
      });
    }
    if (!this.files.includes(file)) this.files.push(file);
    const text = decode(bytes, file);
    for (const [line, content] of preprocessRequirements(text, this.env)) {
      await this.readLine(file, line, content, constraint, [...stack, real]);
    }
  }

  private async readLine(file: string, line: number, content: string, constraint: boolean, stack: readonly string[]): Promise<void> {
    const fail = (message: string, extra: Record<string, unknown> = {}): never => {
      throw fileError(file, line, content, message, extra);
    };
    const [args, optionsText] = breakArgsOptions(content);
    let options: OptionOccurrence[];
    let positional: string[];
    try {
      ({ options, positional } = parseOptions(optionsText));
    } catch (e) {
      if (e instanceof OptionSyntaxError) fail(e.message);
      throw e;
    }
    if (positional.length > 0) {
      fail(`unexpected ${JSON.stringify(positional[0])} after the options (one requirement per line, before its options)`);
    }
    const editable = options.find((o) => o.option === 'editable');
    if (editable) {
      throw new SneakpackError(
        'UNSUPPORTED_REQUIREMENT',
        `${where(file, line)}: editable requirement ${JSON.stringify(editable.value)} is not supported; sneakpack ships wheels: ` +
          `build a wheel of it, put it in a --find-links folder and require it by name\n    ${content}`,
        { details: { file, line, text: content } },
      );
    }

    if (args !== '') {
      const misplaced = options.find((o) => !REQUIREMENT_LINE_OPTIONS.has(o.option));
      if (misplaced) fail(`${misplaced.spelling} does nothing on a requirement line (pip ignores it there); put it on a line of its own`);
      const requirement = requirementFromArgs(args, file, line);
      const hashes = options.filter((o) => o.option === 'hash').map((o) => checkHash(o.value!, fail));
      for (const o of options) {
        if (o.option === 'config-settings' && !o.value!.includes('=')) fail(`${o.spelling} must be KEY=VALUE, got ${JSON.stringify(o.value)}`);
      }
      if (constraint) {
        if (requirement.extras.length > 0) fail(`constraints cannot have extras (${requirement.name}[${requirement.extras.join(',')}])`);
      }
      (constraint ? this.constraints : this.requirements).push(Object.freeze({ requirement, file, line, constraint, hashes: Object.freeze(hashes) }));
      return;
    }

    const nested = options.filter((o) => o.option === 'requirement' || o.option === 'constraint');
    if (nested.length > 0) {
      if (options.length > 1) fail(`put ${nested[0]!.spelling} on a line of its own (pip would ignore the other options on this line)`);
      const ref = nested[0]!.value!;
      if (urlScheme(ref) !== '') fail(`${nested[0]!.spelling} ${ref}: sneakpack reads requirements files from disk only, not URLs`);
      const target = path.resolve(path.dirname(file), ref);
      // pip: -r inside a constraints file still reads requirements (only -c makes constraints).
      await this.readFile(target, nested[0]!.option === 'constraint', stack, where(file, line));
      return;
    }
    if (options.filter((o) => o.option === 'find-links').length > 1) fail('give one --find-links per line (pip reads only the first)');
    for (const o of options) {
      const value = o.value;
      switch (o.option) {
        case 'index-url':
          this.indexUrl = value;
          break;
        case 'extra-index-url':
          if (!this.extraIndexUrls.includes(value!)) this.extraIndexUrls.push(value!);
          break;
        case 'no-index':
          this.noIndex = true;
          break;
        case 'find-links': {
          const resolved = urlScheme(value!) !== '' && !/^[A-Za-z]:[\\/]/.test(value!) ? value! : path.resolve(path.dirname(file), value!);
          if (!this.findLinks.includes(resolved)) this.findLinks.push(resolved);
          break;
        }
        case 'no-binary':
          applyFormatControl(value!, this.noBinary, this.onlyBinary, fail);
          break;
        case 'only-binary':
          applyFormatControl(value!, this.onlyBinary, this.noBinary, fail);
          break;
        case 'pre':
          this.pre = true;
          break;
        case 'require-hashes':
          this.requireHashes = true;
          break;
        case 'trusted-host':
          if (!this.trustedHosts.includes(value!)) this.trustedHosts.push(value!);
          break;
        case 'prefer-binary':
        case 'use-feature':
          break;
        case 'hash':
        case 'global-option':
        case 'config-settings':
          fail(`${o.spelling} applies to the requirement on the same line, and this line has none`);
          break;
        default:
          fail(`${o.spelling} is not supported here`);
      }
    }
  }
}

/**
 * Read requirements files as pip would for `pip install -r a.txt -r b.txt`: every file in
 * order, nested `-r`/`-c` files inline, relative to the file that includes them.
 *
 * @param files paths (relative paths are taken from the working directory).
 * @throws SneakpackError `INVALID_REQUIREMENTS_FILE` (syntax, options, cycles),
 *   `INVALID_REQUIREMENT` (a bad requirement), `UNSUPPORTED_REQUIREMENT` (editable, URL, path),
 *   `FILE_NOT_FOUND` / `IO_ERROR`; each naming the file and line.
 */
export async function readRequirementsFiles(files: readonly string[], options: ReadRequirementsOptions = {}): Promise<RequirementsFiles> {
  const reader = new Reader(options.env ?? process.env);
  for (const file of files) await reader.readFile(path.resolve(file), false, [], null);
  // pip: one --hash anywhere turns on hash-checking mode for every requirement.
  const requireHashes = reader.requireHashes || reader.requirements.some((r) => r.hashes.length > 0);
  if (requireHashes) {
    for (const r of reader.requirements) {
      const fail = (m: string): never => {
        throw fileError(r.file, r.line, r.requirement.toString(), m, { requirement: r.requirement.name });
      };
      const why = reader.requireHashes ? '--require-hashes is set' : 'hash-checking mode is on (another requirement has --hash)';
      if (r.hashes.length === 0) fail(`${why} but ${r.requirement.name} has no --hash`);
      const specs = r.requirement.specifier.specifiers;
      const pinned = specs.length === 1 && (specs[0]!.operator === '===' || (specs[0]!.operator === '==' && !specs[0]!.version.endsWith('.*')));
      if (!pinned) fail(`${why}: ${r.requirement.name} must be pinned with "==" to one version, as pip requires`);
    }
  }
  const sorted = (s: Set<string>): string[] => [...s].sort();
  return Object.freeze({
    requirements: Object.freeze(reader.requirements),
    constraints: Object.freeze(reader.constraints),
    findLinks: Object.freeze(reader.findLinks),
    indexUrl: reader.indexUrl,
    extraIndexUrls: Object.freeze(reader.extraIndexUrls),
    noIndex: reader.noIndex,
    pre: reader.pre,
    requireHashes,
    formatControl: Object.freeze({ noBinary: Object.freeze(sorted(reader.noBinary)), onlyBinary: Object.freeze(sorted(reader.onlyBinary)) }),
    trustedHosts: Object.freeze(reader.trustedHosts),
    files: Object.freeze(reader.files),
  });
}
