/**
 * Scripts in a venv's `bin/` — pure text work, no I/O:
 *
 * - launchers for `console_scripts` / `gui_scripts` entry points (entry points specification,
 *   "Use for scripts"), byte-for-byte what pip 24.2 writes on POSIX through distlib's
 *   `ScriptMaker` (so a differential test against pip can compare files),
 * - the `#!python` shebang rewrite of `{name}-{version}.data/scripts/` files (binary distribution
 *   format spec, "Recommended installer features"), as pip's `fix_script` and installer's
 *   `fix_shebang` do it,
 * - pip's choice of launcher names (`pip` / `easy_install` get versioned copies) and of which
 *   `.data/scripts` files are setuptools' own wrappers of an entry point (skipped).
 */
import { SneakpackError } from '../errors.js';
import { type EntryPoint, unsafeScriptName } from '../wheel/index.js';

/**
 * Longest shebang line (with `#!` and the newline) the Linux kernel honours in full; longer ones
 * are cut at 127 bytes, so distlib (and installer) fall back to a `/bin/sh` trampoline.
 */
export const MAX_SHEBANG_LENGTH = 127;

/** distlib `enquote_executable` on POSIX: double-quote a path holding a space. */
function enquote(executable: string): string {
  if (!executable.includes(' ')) return executable;
  if (executable.startsWith('/usr/bin/env ')) {
    const [env, rest] = [executable.slice(0, 12), executable.slice(13)];
    return rest.includes(' ') && !rest.startsWith('"') ? `${env} "${rest}"` : executable;
  }
  return executable.startsWith('"') ? executable : `"${executable}"`;
}

/**
 * The shebang that runs `interpreter`, ending in `\n` — distlib `ScriptMaker._get_shebang` +
 * `_build_shebang` + `_write_script` on Linux, as pip 24.2 uses them: `#!{interpreter}\n` when it
 * has no space and the line fits in {@link MAX_SHEBANG_LENGTH} bytes, otherwise a three-line
 * `/bin/sh` trampoline that `exec`s the interpreter (and that Python reads as a string literal).
 *
 * @throws SneakpackError `USAGE` when the path holds a character that cannot be placed safely
 *   inside the trampoline's double quotes (`"`, `$`, `` ` ``, `\`), or a line break.
 */
export function buildShebang(interpreter: string): string {
  if (/[\r\n\0]/.test(interpreter)) {
    throw new SneakpackError('USAGE', `interpreter path ${JSON.stringify(interpreter)} cannot go in a shebang line`, {
      details: { interpreter },
    });
  }
  const executable = enquote(interpreter);
  const length = Buffer.byteLength(executable, 'utf8') + 3;
  if (!executable.includes(' ') && length <= MAX_SHEBANG_LENGTH) return `#!${executable}\n`;
  // distlib double-quotes the path; inside the sh trampoline these would be expanded.
  if (/["$`\\]/.test(interpreter)) {
    throw new SneakpackError(
      'USAGE',
      `interpreter path ${JSON.stringify(interpreter)} is long or has a space, and holds a character (", $, \`, \\) ` +
        `that a /bin/sh shebang trampoline cannot quote; use a simpler prefix`,
      { details: { interpreter } },
    );
  }
  return `#!/bin/sh\n'''exec' ${executable} "$0" "$@"\n' '''\n`;
}

/** What a launcher needs from its entry point: the script name and the object to call. */
export interface LauncherSpec {
  /** File name in `bin/` (checked by {@link launcherText}'s callers with `unsafeScriptName`). */
  readonly name: string;
  /** Module to import, e.g. `foo.cli`. */
  readonly module: string;
  /** Attribute path to call, e.g. `main` or `App.run`. */
  readonly attr: string;
  /** From `gui_scripts` (same text as a console script on POSIX; kept for reporting). */
  readonly gui: boolean;
}

/**
 * The launcher file for an entry point, exactly as pip 24.2 writes it on POSIX (distlib
 * `SCRIPT_TEMPLATE` behind {@link buildShebang}): import the first component of the attribute
 * path from the module, strip a Windows `-script.pyw` / `.exe` suffix from `argv[0]`, exit with
 * what the callable returns. GUI and console launchers are the same text on POSIX.
 */
export function launcherText(spec: Pick<LauncherSpec, 'module' | 'attr'>, interpreter: string): string {
  const importName = spec.attr.split('.')[0]!;
  return (
    buildShebang(interpreter) +
    '# -*- coding: utf-8 -*-\n' +
    'import re\n' +
    'import sys\n' +
    `from ${spec.module} import ${importName}\n` +
    "if __name__ == '__main__':\n" +
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n" +
    `    sys.exit(${spec.attr}())\n`
  );
}

/**
 * The launchers to write for a wheel's entry points, in pip's order (console scripts, then GUI
 * scripts). Like pip's `get_console_script_specs` (with `ENSUREPIP_OPTIONS` unset): a `pip`
 * console script becomes `pip`, `pipX` and `pipX.Y` for the venv's Python (other `pipN[.M]`
 * entries are dropped), and `easy_install` becomes `easy_install` and `easy_install-X.Y` — those
 * names were baked in at build time for whatever Python built the wheel.
 *
 * @param pythonVersion The venv's `X.Y`.
 * @param wheel The wheel's file name, for messages.
 * @throws SneakpackError `INVALID_ENTRY_POINTS` when a name is unsafe as a file name or is
 *   declared both as a console and a GUI script (pip would silently let one overwrite the other).
 */
export function launcherSpecs(entryPoints: readonly EntryPoint[], pythonVersion: string, wheel = 'wheel'): LauncherSpec[] {
  // pip builds dicts: a later entry with the same name wins.
  const console = new Map<string, EntryPoint>();
  const gui = new Map<string, EntryPoint>();
  for (const ep of entryPoints) {
    if (ep.group === 'console_scripts') console.set(ep.name, ep);
    else if (ep.group === 'gui_scripts') gui.set(ep.name, ep);
  }
  const out: LauncherSpec[] = [];
  const add = (name: string, ep: EntryPoint, isGui: boolean): void => {
    const unsafe = unsafeScriptName(name);
    if (unsafe !== null) {
      throw new SneakpackError('INVALID_ENTRY_POINTS', `${wheel}: script name ${JSON.stringify(name)} is unsafe: ${unsafe}`, {
        details: { wheel, name, group: ep.group },
      });
    }
    if (ep.attr === null) {
      throw new SneakpackError('INVALID_ENTRY_POINTS', `${wheel}: script ${JSON.stringify(name)} = ${JSON.stringify(ep.value)} names no function`, {
        details: { wheel, name, group: ep.group },
      });
    }
    out.push(Object.freeze({ name, module: ep.module, attr: ep.attr, gui: isGui }));
  };
  const major = pythonVersion.split('.')[0]!;
  const remaining = new Map(console);
  const pip = remaining.get('pip');
  if (pip) {
    remaining.delete('pip');
    add('pip', pip, false);
    add(`pip${major}`, pip, false);
    add(`pip${pythonVersion}`, pip, false);
    for (const k of [...remaining.keys()]) if (/^pip(\d+(\.\d+)?)?$/.test(k)) remaining.delete(k);
  }
  const easyInstall = remaining.get('easy_install');
  if (easyInstall) {
    remaining.delete('easy_install');
    add('easy_install', easyInstall, false);
    add(`easy_install-${pythonVersion}`, easyInstall, false);
    for (const k of [...remaining.keys()]) if (/^easy_install(-\d+\.\d+)?$/.test(k)) remaining.delete(k);
  }
  for (const [name, ep] of remaining) add(name, ep, false);
  const seen = new Set(out.map((s) => s.name));
  for (const [name, ep] of gui) {
    if (seen.has(name)) {
      throw new SneakpackError(
        'INVALID_ENTRY_POINTS',
        `${wheel}: script ${JSON.stringify(name)} is declared both in console_scripts and gui_scripts`,
        { details: { wheel, name } },
      );
    }
    add(name, ep, true);
  }
  return out;
}

/**
 * True when a `.data/scripts` file is a wrapper setuptools generated for one of the wheel's own
 * entry points (`EP`, `EP.exe`, `EP-script.py`, `EP.pya`): pip's `is_entrypoint_wrapper` skips
 * those, since the installer writes a launcher for `EP` itself.
 *
 * @param basename The file's name (last path component).
 * @param scriptNames Every `console_scripts` and `gui_scripts` name, as declared.
 */
export function isEntryPointWrapper(basename: string, scriptNames: ReadonlySet<string>): boolean {
  const lower = basename.toLowerCase();
  let match = basename;
  if (lower.endsWith('.exe') || lower.endsWith('.pya')) match = basename.slice(0, -4);
  else if (lower.endsWith('-script.py')) match = basename.slice(0, -10);
  return scriptNames.has(match);
}

/** The bytes a `.data/scripts` file must start with to have its shebang rewritten. */
const PYTHON_SHEBANG_MARKER = Buffer.from('#!python', 'latin1');

/**
 * Rewrite a `.data/scripts` file's first line (binary distribution format spec, "Recommended
 * installer features"): when it starts with `#!python` (which also covers `#!pythonw` and
 * `#!python3 -u`), the whole line — arguments included, as pip and installer drop them — is
 * replaced by the venv interpreter's shebang ({@link buildShebang}); otherwise `null`.
 *
 * @param firstLine The file's first line including its `\n`, or the whole file when it has none.
 */
export function rewriteShebang(firstLine: Buffer, interpreter: string): Buffer | null {
  if (firstLine.length < PYTHON_SHEBANG_MARKER.length) return null;
  if (!firstLine.subarray(0, PYTHON_SHEBANG_MARKER.length).equals(PYTHON_SHEBANG_MARKER)) return null;
  return Buffer.from(buildShebang(interpreter), 'utf8');
}

/**
 * {@link rewriteShebang} over a stream: holds back the start of a `.data/scripts` file until its
 * first line is complete (only while it still looks like `#!python`), then lets everything
 * through. Feed chunks to {@link ShebangRewriter.push} and finish with {@link ShebangRewriter.end};
 * the concatenated output is the rewritten file whatever the chunk boundaries.
 */
export class ShebangRewriter {
  private head: Buffer | null = Buffer.alloc(0);

  constructor(private readonly interpreter: string) {}

  /** The bytes that can be written after `chunk`. */
  push(chunk: Buffer): Buffer[] {
    if (this.head === null) return [chunk];
    const buf = Buffer.concat([this.head, chunk]);
    const n = Math.min(buf.length, PYTHON_SHEBANG_MARKER.length);
    if (!buf.subarray(0, n).equals(PYTHON_SHEBANG_MARKER.subarray(0, n))) return this.flush(buf, Buffer.alloc(0));
    const nl = buf.indexOf(0x0a);
    if (nl >= 0) return this.flush(buf.subarray(0, nl + 1), buf.subarray(nl + 1));
    this.head = buf;
    return [];
  }

  /** The bytes still held back at the end of the file (a file that is all first line). */
  end(): Buffer[] {
    return this.head === null ? [] : this.flush(this.head, Buffer.alloc(0));
  }

  private flush(line: Buffer, rest: Buffer): Buffer[] {
    this.head = null;
    return [rewriteShebang(line, this.interpreter) ?? line, rest].filter((b) => b.length > 0);
  }
}
