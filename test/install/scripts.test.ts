import { codeOfSync } from '../helpers/errors.js';
import { describe, expect, it } from 'vitest';
import {
  MAX_SHEBANG_LENGTH,
  ShebangRewriter,
  buildShebang,
  isEntryPointWrapper,
  launcherSpecs,
  launcherText,
  rewriteShebang,
} from '../../src/install/scripts.js';
import { type EntryPoint, parseEntryPoints } from '../../src/wheel/index.js';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';

const codeOf = codeOfSync;

describe('buildShebang', () => {
  it('writes a plain shebang for a short path without spaces', () => {
    expect(buildShebang('/opt/app/venv/bin/python')).toBe('#!/opt/app/venv/bin/python\n');
  });

  it('switches to the /bin/sh trampoline past 127 bytes (counting #! and the newline, in UTF-8)', () => {
    const fits = '/' + 'a'.repeat(MAX_SHEBANG_LENGTH - 3 - 1);
    expect(buildShebang(fits)).toBe(`#!${fits}\n`);
    const over = fits + 'b';
    expect(buildShebang(over)).toBe(`#!/bin/sh\n'''exec' ${over} "$0" "$@"\n' '''\n`);
    // é is one character but two bytes.
    const wide = '/' + 'a'.repeat(MAX_SHEBANG_LENGTH - 3 - 2) + 'é';
    expect(buildShebang(wide).startsWith('#!/bin/sh\n')).toBe(true);
  });

  it('double-quotes a path with a space inside the trampoline', () => {
    expect(buildShebang('/opt/my app/bin/python')).toBe(`#!/bin/sh\n'''exec' "/opt/my app/bin/python" "$0" "$@"\n' '''\n`);
  });

  it('refuses paths the trampoline cannot quote, and line breaks', () => {
    expect(codeOf(() => buildShebang('/opt/my $app/bin/python'))).toBe('USAGE');
    expect(codeOf(() => buildShebang('/opt/a"b c/python'))).toBe('USAGE');
    expect(codeOf(() => buildShebang('/opt/app\n/python'))).toBe('USAGE');
    // Short and without a space, `$` is harmless in a plain shebang.
    expect(buildShebang('/opt/$x/python')).toBe('#!/opt/$x/python\n');
  });
});

describe('launcherText', () => {
  it("is pip's launcher", () => {
    expect(launcherText({ module: 'pkg.cli', attr: 'App.run' }, '/v/bin/python')).toBe(
      [
        '#!/v/bin/python',
        '# -*- coding: utf-8 -*-',
        'import re',
        'import sys',
        'from pkg.cli import App',
        "if __name__ == '__main__':",
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])",
        '    sys.exit(App.run())',
        '',
      ].join('\n'),
    );
  });
});

function eps(text: string): EntryPoint[] {
  return parseEntryPoints(text);
}

describe('launcherSpecs', () => {
  it('keeps declaration order, console scripts first', () => {
    const specs = launcherSpecs(eps('[gui_scripts]\ng = m:g\n[console_scripts]\nb = m:b\na = m:a\n'), '3.11');
    expect(specs.map((s) => [s.name, s.gui])).toEqual([
      ['b', false],
      ['a', false],
      ['g', true],
    ]);
  });

  it('refuses a name declared as both a console and a GUI script', () => {
    expect(codeOf(() => launcherSpecs(eps('[console_scripts]\nx = m:a\n[gui_scripts]\nx = m:b\n'), '3.11'))).toBe('INVALID_ENTRY_POINTS');
  });

  it('refuses unsafe names even when handed entry points that skipped parseEntryPoints', () => {
    const hostile: EntryPoint = { group: 'console_scripts', name: '../evil', value: 'm:f', module: 'm', attr: 'f', extras: [] };
    expect(codeOf(() => launcherSpecs([hostile], '3.11'))).toBe('INVALID_ENTRY_POINTS');
    expect(codeOf(() => launcherSpecs([{ ...hostile, name: 'a/b' }], '3.11'))).toBe('INVALID_ENTRY_POINTS');
    expect(codeOf(() => launcherSpecs([{ ...hostile, name: 'ok', attr: null }], '3.11'))).toBe('INVALID_ENTRY_POINTS');
  });
});

describe('isEntryPointWrapper', () => {
  it("matches setuptools' wrapper names of declared scripts only", () => {
    const names = new Set(['tool', 'Other']);
    for (const n of ['tool', 'tool.exe', 'tool.EXE', 'tool-script.py', 'tool-SCRIPT.PY', 'tool.pya', 'Other']) {
      expect(isEntryPointWrapper(n, names), n).toBe(true);
    }
    for (const n of ['tool.py', 'tool-script.pyw', 'other', 'tools', 'TOOL']) expect(isEntryPointWrapper(n, names), n).toBe(false);
  });
});

describe('rewriteShebang / ShebangRewriter', () => {
  const exe = '/v/bin/python';
  it('replaces a #!python line whole, arguments included', () => {
    expect(rewriteShebang(Buffer.from('#!python -u\n'), exe)?.toString()).toBe('#!/v/bin/python\n');
    expect(rewriteShebang(Buffer.from('#!/usr/bin/python\n'), exe)).toBeNull();
    expect(rewriteShebang(Buffer.from('#!pytho'), exe)).toBeNull();
  });

  it('gives the same output whatever the chunk boundaries', () => {
    const inputs = ['#!python\nprint(1)\n', '#!pythonw -E\r\nx\n', '#!python', '#!pyth\nrest', 'plain\ntext', '', '#!/bin/sh\n#!python\n'];
    for (const input of inputs) {
      const data = Buffer.from(input);
      const whole = new ShebangRewriter(exe);
      const expected = Buffer.concat([...whole.push(data), ...whole.end()]).toString();
      for (let cut = 0; cut <= data.length; cut++) {
        for (let cut2 = cut; cut2 <= data.length; cut2++) {
          const r = new ShebangRewriter(exe);
          const out = [data.subarray(0, cut), data.subarray(cut, cut2), data.subarray(cut2)].flatMap((c) => r.push(c));
          expect(Buffer.concat([...out, ...r.end()]).toString(), `${JSON.stringify(input)} cut at ${cut},${cut2}`).toBe(expected);
        }
      }
    }
  });
});

/**
 * Differential against pip 24.2 itself: its `PipScriptMaker` (distlib) writes launchers, its
 * `fix_script` rewrites `.data/scripts`, its `get_console_script_specs` picks launcher names —
 * each run with `sys.executable` set to the generated interpreter path.
 */
describe('scripts vs pip 24.2 (generated cases)', () => {
  const rng = new Rng(0x5c1192);
  const ident = (): string => {
    const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';
    const rest = first + '0123456789';
    let s = rng.pick([...first]);
    for (let i = rng.int(0, 10); i > 0; i--) s += rng.pick([...rest]);
    return s;
  };
  const dotted = (max: number): string => Array.from({ length: rng.int(1, max) }, ident).join('.');
  const segment = (spaces: boolean): string => {
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789_.-+@' + (spaces ? ' é' : '');
    let s = '';
    for (let i = rng.int(1, 30); i > 0; i--) s += rng.pick([...chars]);
    return s === '.' || s === '..' ? 'x' : s;
  };
  const interpreters: string[] = [];
  // Around the 127-byte boundary, in ASCII and with a two-byte character.
  for (let total = 120; total <= 132; total++) {
    const base = '/bin/python';
    interpreters.push('/' + 'p'.repeat(total - 3 - base.length - 1) + base);
    interpreters.push('/é' + 'p'.repeat(total - 3 - base.length - 3) + base);
  }
  interpreters.push('/opt/my app/venv/bin/python', '/usr/bin/env python3', '/a b/c d/bin/python3.11', `/${'x'.repeat(300)}/bin/python`);
  for (let i = 0; i < 150; i++) {
    const spaces = rng.chance(0.3);
    interpreters.push('/' + Array.from({ length: rng.int(1, 8) }, () => segment(spaces)).join('/') + '/bin/python' + rng.pick(['', '3', '3.11']));
  }
  const launchers = interpreters.map((interpreter) => {
    const name = ident() + rng.pick(['', '-cli', '.py', '-2', '_x']);
    const module = dotted(4);
    const attr = dotted(3);
    const extras = rng.chance(0.2) ? ` [${ident()}]` : '';
    return { interpreter, name, module, attr, value: `${module}:${attr}${extras}` };
  });

  const simple = interpreters.filter((i) => !i.includes(' ') && Buffer.byteLength(i) + 3 <= MAX_SHEBANG_LENGTH);
  const firstLines = ['#!python', '#!pythonw', '#!python3', '#!python3.11 -u', '#!python -X dev', '#!/usr/bin/env python', '#!pytho', '#!', '', 'print(1)', '#!python\r', '  #!python'];
  const bodies = ['', '\n', '\nprint("hi")\n', '\r\nimport sys\r\n', '\n#!python\n', '\n\u00e9\u0000\u00ff'];
  const fixes: { interpreter: string; data: string }[] = [];
  for (let i = 0; i < 200; i++) {
    fixes.push({ interpreter: rng.pick(simple), data: Buffer.from(rng.pick(firstLines) + rng.pick(bodies), 'latin1').toString('base64') });
  }

  const specNames = ['pip', 'pip3', 'pip3.8', 'pip3.13', 'pip2', 'pipx', 'pip3.x', 'easy_install', 'easy_install-3.6', 'easy_install-2', 'easy_install3', 'tool', 'pip-run'];
  const specs: string[][] = [];
  for (let i = 0; i < 100; i++) specs.push(specNames.filter(() => rng.chance(0.35)));

  const script = `
import base64, os, sys, tempfile
from pip._internal.operations.install import wheel as pw
os.environ.pop("ENSUREPIP_OPTIONS", None)
tmp = tempfile.mkdtemp()
real = sys.executable
out = {"launchers": [], "fixes": [], "specs": []}
try:
    for case in INPUT["launchers"]:
        sys.executable = case["interpreter"]
        maker = pw.PipScriptMaker(None, tmp)
        maker.clobber = True
        maker.variants = {""}
        maker.set_mode = True
        files = maker.make("%s = %s" % (case["name"], case["value"]))
        with open(files[0], "rb") as f:
            out["launchers"].append([os.path.basename(files[0]), f.read().decode("utf-8")])
        os.unlink(files[0])
    path = os.path.join(tmp, "script")
    for case in INPUT["fixes"]:
        sys.executable = case["interpreter"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(case["data"]))
        pw.fix_script(path)
        with open(path, "rb") as f:
            out["fixes"].append(base64.b64encode(f.read()).decode())
    sys.executable = real
    for names in INPUT["specs"]:
        out["specs"].append(pw.get_console_script_specs({n: "mod:%s" % n.replace("-", "_").replace(".", "_") for n in names}))
    out["version"] = "%d.%d" % sys.version_info[:2]
finally:
    sys.executable = real
emit(out)
`;
  const ref = runReference<{ launchers: [string, string][]; fixes: string[]; specs: string[][]; version: string }>(script, {
    launchers,
    fixes,
    specs,
  });

  it(`launchers: ${launchers.length} generated interpreters and entry points`, () => {
    const bad: string[] = [];
    launchers.forEach((c, i) => {
      const ours = launcherText({ module: c.module, attr: c.attr }, c.interpreter);
      const [name, theirs] = ref.launchers[i]!;
      if (ours !== theirs || name !== c.name) bad.push(`${JSON.stringify(c)}\n  ours: ${JSON.stringify(ours)}\n  pip:  ${JSON.stringify(theirs)}`);
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(launchers.filter((c) => Buffer.byteLength(c.interpreter) + 3 > MAX_SHEBANG_LENGTH || c.interpreter.includes(' ')).length).toBeGreaterThan(20);
  });

  it(`.data/scripts shebang rewrite: ${fixes.length} generated files`, () => {
    const bad: string[] = [];
    fixes.forEach((c, i) => {
      const data = Buffer.from(c.data, 'base64');
      const r = new ShebangRewriter(c.interpreter);
      const ours = Buffer.concat([...r.push(data.subarray(0, 5)), ...r.push(data.subarray(5)), ...r.end()]).toString('base64');
      if (ours !== ref.fixes[i]) bad.push(`${JSON.stringify(data.toString('latin1'))}: ours ${ours} pip ${ref.fixes[i]}`);
    });
    expect(bad.slice(0, 20)).toEqual([]);
  });

  it(`launcher names: ${specs.length} generated console_scripts sets (pip / easy_install versioning)`, () => {
    const bad: string[] = [];
    specs.forEach((names, i) => {
      const text = `[console_scripts]\n${names.map((n) => `${n} = mod:${n.replace(/[-.]/g, '_')}`).join('\n')}\n`;
      const ours = launcherSpecs(eps(text), ref.version).map((s) => `${s.name} = ${s.module}:${s.attr}`);
      if (JSON.stringify(ours) !== JSON.stringify(ref.specs[i])) bad.push(`${JSON.stringify(names)}: ours ${JSON.stringify(ours)} pip ${JSON.stringify(ref.specs[i])}`);
    });
    expect(bad.slice(0, 20)).toEqual([]);
  });
});
