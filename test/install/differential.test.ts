/**
 * Differential test against pip 24.2 (issue 5, "Compared with the reference"): the same wheels
 * are installed by sneakpack into one fresh venv and by `pip install --no-deps --no-index
 * --no-compile` into another, then both venvs are compared file by file — paths, kinds, modes,
 * contents (venv path substituted), RECORD rows as sets (INSTALLER / REQUESTED / direct_url.json
 * rows left out) — and by behaviour: every script is run in both and must print the same, and the
 * C extension must import.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWheel, type InstalledWheel } from '../../src/install/wheel-install.js';
import { createVenv, type VenvInfo } from '../../src/install/venv.js';
import { parseRecord, serializeRecord } from '../../src/wheel/index.js';
import { PY311, PY313, buildSetuptoolsWheels, cleanEnv, haveReferenceTools, rawWheel } from './fixtures.js';

interface Node {
  readonly kind: 'file' | 'dir' | 'symlink';
  readonly mode: number;
  readonly content: string;
}

/** Every path under `root` except bytecode and pip's direct_url.json, contents with `root` → `<VENV>`. */
function snapshot(root: string): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (name === '__pycache__' || name.endsWith('.pyc') || name === 'direct_url.json') continue;
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      if (st.isSymbolicLink()) {
        out.set(r, { kind: 'symlink', mode: 0, content: readlinkSync(join(root, r)).split(root).join('<VENV>') });
      } else if (st.isDirectory()) {
        out.set(r, { kind: 'dir', mode: st.mode & 0o7777, content: '' });
        walk(r);
      } else {
        const content = readFileSync(join(root, r)).toString('latin1').split(root).join('<VENV>');
        out.set(r, { kind: 'file', mode: st.mode & 0o7777, content });
      }
    }
  };
  walk('');
  return out;
}

/** Snapshots hold contents as latin1 text (byte-preserving); RECORD is UTF-8. */
function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

const IGNORED_RECORD_FILES = new Set(['INSTALLER', 'REQUESTED', 'direct_url.json']);

/**
 * A RECORD's rows as comparable text, INSTALLER / REQUESTED / direct_url.json left out. A file
 * that holds the venv's own path (a script's shebang) differs between the two venvs, so its row
 * is first checked against the file and then re-hashed with the path replaced by `<VENV>`.
 */
function recordRows(text: string, siteDir: string, venvDir: string): string[] {
  return parseRecord(text)
    .filter((r) => !IGNORED_RECORD_FILES.has(r.path.split('/').pop()!))
    .map((r) => {
      if (r.hash === null) return serializeRecord([r]).trimEnd();
      const data = readFileSync(join(siteDir, r.path));
      const actual = { algorithm: 'sha256', value: createHash('sha256').update(data).digest('base64url') };
      if (actual.value !== r.hash.value || data.length !== r.size) return `${r.path}: RECORD row does not match the file`;
      const text = data.toString('latin1');
      if (!text.includes(venvDir)) return serializeRecord([r]).trimEnd();
      const portable = Buffer.from(text.split(venvDir).join('<VENV>'), 'latin1');
      const hash = { algorithm: 'sha256', value: `<VENV>${createHash('sha256').update(portable).digest('base64url')}` };
      return serializeRecord([{ path: r.path, hash, size: portable.length }]).trimEnd();
    })
    .sort();
}

const ready = haveReferenceTools();

describe.skipIf(!ready)('installWheel vs pip 24.2', () => {
  let tmp: string;
  let ours: VenvInfo;
  let pips: VenvInfo;
  let wheels: string[];
  const installed: InstalledWheel[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'sneakpack-diff-'));
    wheels = buildSetuptoolsWheels(tmp);
    const raw = join(tmp, 'raw');
    wheels.push(
      rawWheel(raw, {
        name: 'rawpure',
        version: '1.0',
        members: [
          { name: 'rawpure/', directory: true },
          { name: 'rawpure/__init__.py', data: 'import sys\ndef main():\n    print("rawpure main", sys.argv[1:])\n' },
          { name: 'rawpure/run.sh', data: '#!/bin/sh\necho run\n', mode: 0o755 },
          { name: 'rawpure/a,b.txt', data: 'comma "quoted" name\n' },
          { name: 'rawpure/données/été.txt', data: 'non-ASCII path\n' },
          { name: 'rawpure/empty/', directory: true },
          { name: 'rawpure/sub/deep/x.py', data: 'X = 1\n', mode: 0o600 },
          { name: 'rawpure-1.0.data/platlib/rawpure_plat.py', data: 'PLAT = True\n' },
          { name: 'rawpure-1.0.data/purelib/rawpure_extra/__init__.py', data: 'EXTRA = True\n' },
          { name: 'rawpure-1.0.data/scripts/raw-w', data: '#!pythonw\nimport rawpure\nprint("w", rawpure.__name__)\n', mode: 0o755 },
          { name: 'rawpure-1.0.data/scripts/raw-args', data: '#!python -u -X dev\nprint("args")\n', mode: 0o755 },
          { name: 'rawpure-1.0.data/scripts/raw-crlf', data: '#!python\r\nprint("crlf")\r\n', mode: 0o755 },
          { name: 'rawpure-1.0.data/scripts/raw-nonl', data: '#!python', mode: 0o755 },
          { name: 'rawpure-1.0.data/scripts/raw-sh', data: '#!/bin/sh\necho sh "$@"\n', mode: 0o755 },
          { name: 'rawpure-1.0.data/scripts/sub/nested', data: '#!python\nprint("nested")\n', mode: 0o755 },
          { name: 'rawpure-1.0.data/headers/sub/raw.h', data: '#define RAW 1\n' },
          { name: 'rawpure-1.0.data/data/share/rawpure/x.dat', data: Buffer.from([0, 1, 2, 255, 10, 13]) },
        ],
        entryPoints: '[console_scripts]\nraw-cli = rawpure:main\n\n[gui_scripts]\nraw-gui = rawpure:main\n',
      }),
      rawWheel(raw, {
        name: 'rawplat',
        version: '2.0',
        rootIsPurelib: false,
        members: [
          { name: 'rawplat/__init__.py', data: 'from rawplat_pure import PURE\n' },
          { name: 'rawplat-2.0.data/purelib/rawplat_pure.py', data: 'PURE = "pure"\n' },
          { name: 'rawplat-2.0.data/scripts/rawplat-run', data: '#!python\nimport rawplat\nprint("rawplat", rawplat.PURE)\n', mode: 0o755 },
        ],
      }),
    );
    // Same base name and length: the venvs' own files (activate, pyvenv.cfg) compare equal.
    ours = await createVenv(PY311, join(tmp, 's', 'venv'));
    pips = await createVenv(PY311, join(tmp, 'p', 'venv'));
    for (const w of wheels) installed.push(await installWheel(w, ours, { requested: true }));
    execFileSync(
      PY313,
      ['-m', 'pip', '--python', pips.python, 'install', '--no-deps', '--no-index', '--no-compile', '--no-warn-script-location', '-q', ...wheels],
      { env: cleanEnv(tmp), stdio: ['ignore', 'pipe', 'pipe'] },
    );
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('covers .data folders, entry points, a shared namespace and a C extension', () => {
    const names = wheels.map((w) => w.split('/').pop()!);
    expect(names.some((n) => /^cext-0\.3-cp311-cp311-linux_\w+\.whl$/.test(n))).toBe(true);
    expect(names).toEqual(expect.arrayContaining(['Diff_App-1.0-py3-none-any.whl', 'ns_a-2.0-py3-none-any.whl', 'ns_b-2.1-py3-none-any.whl']));
    const all = installed.flatMap((i) => i.record.map((r) => r.path));
    for (const needle of ['.data', '../../../bin/diff-tool', '../../../include/site/python3.11/Diff-App/diffapp.h', '../../../share/diffapp/config.txt']) {
      expect(all.some((p) => p.includes(needle) || p === needle), needle).toBe(!needle.startsWith('.data'));
    }
    expect(installed.find((i) => i.filename === 'Diff_App-1.0-py3-none-any.whl')!.scripts).toEqual(['diff-app', 'diff-app-extra', 'diff-app-runner', 'diff-gui']);
  });

  it('installs the same files, modes and contents as pip', () => {
    const a = snapshot(ours.dir);
    const b = snapshot(pips.dir);
    const problems: string[] = [];
    for (const p of new Set([...a.keys(), ...b.keys()])) {
      const x = a.get(p);
      const y = b.get(p);
      if (!x || !y) {
        problems.push(`${p}: only ${x ? 'sneakpack' : 'pip'} has it`);
        continue;
      }
      if (x.kind !== y.kind || x.mode !== y.mode) {
        problems.push(`${p}: ${x.kind} ${x.mode.toString(8)} vs pip ${y.kind} ${y.mode.toString(8)}`);
        continue;
      }
      if (p.endsWith('.dist-info/INSTALLER')) {
        if (x.content !== 'sneakpack\n' || y.content !== 'pip\n') problems.push(`${p}: ${JSON.stringify([x.content, y.content])}`);
      } else if (p.endsWith('.dist-info/RECORD')) {
        const site = p.split('/').slice(0, -2).join('/');
        const rx = recordRows(utf8(x.content), join(ours.dir, site), ours.dir);
        const ry = recordRows(utf8(y.content), join(pips.dir, site), pips.dir);
        if (JSON.stringify(rx) !== JSON.stringify(ry)) {
          problems.push(`${p}: RECORD differs\n  only sneakpack: ${rx.filter((r) => !ry.includes(r)).join('\n    ')}\n  only pip: ${ry.filter((r) => !rx.includes(r)).join('\n    ')}`);
        }
        // Ours is pip's format exactly: sorted rows, `…/RECORD,,`.
        expect(utf8(x.content)).toBe(serializeRecord(parseRecord(utf8(x.content))));
      } else if (x.content !== y.content) {
        problems.push(`${p}: contents differ\n--- sneakpack\n${x.content.slice(0, 400)}\n--- pip\n${y.content.slice(0, 400)}`);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    // Report the size of the comparison (and make sure it is not vacuous).
    const files = [...a.values()].filter((n) => n.kind === 'file').length;
    const records = [...a.keys()].filter((p) => p.endsWith('.dist-info/RECORD'));
    const rows = records.reduce((n, p) => n + parseRecord(utf8(a.get(p)!.content)).length, 0);
    console.log(`differential vs pip: ${wheels.length} wheels, ${a.size} paths (${files} files), ${rows} RECORD rows compared`);
    expect(records.length).toBe(wheels.length);
    expect(rows).toBeGreaterThan(40);
  });

  const runs: [string, string[], RegExp][] = [
    ['bin/diff-app', ['x', 'y'], /^diff-app \['x', 'y'\] diff-app\nprefix-is-venv True\n$/],
    ['bin/diff-app', ['--fail'], /^diff-app/],
    ['bin/diff-app-runner', ['q'], /^runner \['q'\]\n$/],
    ['bin/diff-app-extra', [], /^diff-app \[\] diff-app-extra\n/],
    ['bin/diff-gui', ['g'], /^gui \['g'\]\n$/],
    ['bin/diff-tool', ['t'], /^diff-tool 1\.0 \['t'\]\n$/],
    ['bin/plain.sh', ['p'], /^plain p\n$/],
    ['bin/nsb-hello', [], /^hello from b, a says a\n$/],
    ['bin/cext-add', ['2', '3'], /^sum 5\n$/],
    ['bin/raw-cli', ['r'], /^rawpure main \['r'\]\n$/],
    ['bin/raw-gui', [], /^rawpure main \[\]\n$/],
    ['bin/raw-w', [], /^w rawpure\n$/],
    ['bin/raw-args', [], /^args\n$/],
    ['bin/raw-crlf', [], /^crlf\n$/],
    ['bin/raw-nonl', [], /^$/],
    ['bin/raw-sh', ['s'], /^sh s\n$/],
    ['bin/sub/nested', [], /^nested\n$/],
    ['bin/rawplat-run', [], /^rawplat pure\n$/],
    ['bin/python', ['-c', 'import cext._speed as s, nsx.a, nsx.b, rawpure_plat, rawpure_extra; print(s.add(40, 2), s.__file__.endswith(".so"))'], /^42 True\n$/],
  ];

  it.each(runs)('%s %j behaves as under pip', (script, args, expected) => {
    const run = (venv: VenvInfo) => {
      const r = spawnSync(join(venv.dir, script), args, { env: cleanEnv(tmp), encoding: 'utf8' });
      return { status: r.status, stdout: r.stdout.split(venv.dir).join('<VENV>'), stderr: r.stderr.split(venv.dir).join('<VENV>') };
    };
    const x = run(ours);
    expect(x).toEqual(run(pips));
    expect(x.stdout).toMatch(expected);
    expect(x.status).toBe(args[0] === '--fail' ? 3 : 0);
  });
});
