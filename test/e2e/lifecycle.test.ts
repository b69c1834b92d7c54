/**
 * Issue 5's end-to-end test, through the CLI a user runs: build the example app's real dependency
 * closure (its wheels built here, including the C extension `textstats._speedups` compiled by the
 * machine's C compiler), sign a bundle for this machine's Python, install it into a temp prefix
 * with no network (`unshare -n`), run its console script and import its modules with the venv's
 * Python, upgrade to a second version, roll back, remove.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, type CliResult } from '../helpers/cli.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { buildExampleWheels } from '../../scripts/build-example-wheels.mjs';

const APP = path.join(ROOT, 'examples', 'schoolnotes');

/** `unshare -n` gives the installer a network namespace with no interfaces: proof it needs none. */
function canUnshare(): boolean {
  return spawnSync('unshare', ['-n', 'true']).status === 0;
}

function ok(r: CliResult, what: string): Record<string, unknown> {
  expect(r.status, `${what} failed:\n${r.stderr}\n${r.stdout}`).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Files under `dir` with their sha256: the app's data must come through every step unchanged. */
function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('build → install (offline) → run → upgrade → rollback → remove', () => {
  let tmp: string;
  let wheels: string;
  let pub: string;
  let sec: string;
  let profile: string;
  let prefix: string;
  const offline = canUnshare();

  /** The box side runs in a namespace without network where the kernel allows it (CI: root). */
  function boxCli(args: string[]): CliResult {
    if (!offline) return runCli(args);
    const r = spawnSync('unshare', ['-n', process.execPath, BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sneakpack-e2e-'));
    wheels = path.join(tmp, 'wheels');
    await buildExampleWheels({ outDir: wheels });
    ok(runCli(['keygen', path.join(tmp, 'keys', 'school'), '--json']), 'keygen');
    pub = path.join(tmp, 'keys', 'school.pub');
    sec = path.join(tmp, 'keys', 'school.sec');
    profile = path.join(tmp, 'box.json');
    expect(runCli(['target', 'probe', '--python', 'python3', '-o', profile]).status).toBe(0);
    prefix = path.join(tmp, 'prefix');
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the whole life cycle of the example app', () => {
    // CI runs as root, where unshare works; say so loudly if a run could not isolate the network.
    if (process.env.CI) expect(offline, 'unshare -n is not available: the install would not be proven offline').toBe(true);
    const compiled = fs.readdirSync(wheels).filter((f) => f.startsWith('textstats-') && !f.endsWith('-none-any.whl'));
    expect(compiled, 'the C-extension wheel of textstats was not built (is a C compiler installed?)').toHaveLength(1);

    const build = (version: string): Record<string, unknown> =>
      ok(
        runCli(['build', APP, '--target', profile, '--find-links', wheels, '--key', sec, '--version', version, '-o', path.join(tmp, 'bundles'), '--json']),
        `build ${version}`,
      );
    const v1 = build('1.0.0');
    const v2 = build('1.1.0');
    const wheelsOf = (b: Record<string, unknown>): string[] => (b.wheels as { file: string }[]).map((w) => w.file).sort();
    expect(wheelsOf(v1)).toContain(compiled[0]);
    expect(wheelsOf(v1)).toEqual(wheelsOf(v2));

    // Install 1.0.0 with no network; its post-install creates the database in the data folder.
    const i1 = ok(boxCli(['install', v1.path as string, '--pubkey', pub, '--prefix', prefix, '--json']), 'install 1.0.0');
    expect(i1.status).toBe('installed');
    const root = path.join(prefix, 'schoolnotes');
    const venvPython = path.join(root, 'current', 'venv', 'bin', 'python');
    const imported = execFileSync(
      venvPython,
      ['-c', 'import schoolnotes, tinytemplate, notemark, htmlsafe, textstats; print(textstats.IMPLEMENTATION, textstats.count_words("one two  three"))'],
      { encoding: 'utf8' },
    ).trim();
    expect(imported).toBe('C speedups 3');
    // The app's own console script, run as an admin would (idempotent migration).
    const migrate = spawnSync(path.join(root, 'current', 'venv', 'bin', 'schoolnotes-migrate'), [], { encoding: 'utf8' });
    expect(migrate.status, migrate.stderr).toBe(0);
    // What the admin keeps in the data folder (uploads, say) must come through untouched; the app's
    // own database is changed only by the app's own idempotent migration, so its rows are compared.
    fs.mkdirSync(path.join(root, 'data', 'uploads'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data', 'uploads', 'timetable.txt'), 'Monday: maths\n');
    const uploads = (): Record<string, string> => hashTree(path.join(root, 'data', 'uploads'));
    const data = uploads();
    const notes = (): string =>
      execFileSync('python3', ['-c', 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select id, title, body from notes order by id").fetchall())', path.join(root, 'data', 'schoolnotes.sqlite3')], {
        encoding: 'utf8',
      });
    const rows = notes();
    expect(rows).toContain('Welcome to School Notes');

    // Upgrade: a new release becomes current; the data folder is shared and untouched by sneakpack
    // (the app's own idempotent migration runs and changes nothing).
    const i2 = ok(boxCli(['install', v2.path as string, '--pubkey', pub, '--prefix', prefix, '--json']), 'install 1.1.0');
    expect(i2.status).toBe('upgraded');
    const listed = ok(boxCli(['list', '--prefix', prefix, '--json']), 'list');
    expect(JSON.stringify(listed)).toContain('1.1.0');
    expect(fs.readlinkSync(path.join(root, 'current'))).toContain('1.1.0');
    expect(uploads()).toEqual(data);
    expect(notes()).toBe(rows);

    // A downgrade is refused and changes nothing.
    const refused = boxCli(['install', v1.path as string, '--pubkey', pub, '--prefix', prefix, '--json']);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('DOWNGRADE_REFUSED');
    expect(fs.readlinkSync(path.join(root, 'current'))).toContain('1.1.0');

    // Roll back to 1.0.0: the old release is still complete and runs.
    ok(boxCli(['rollback', 'schoolnotes', '--prefix', prefix, '--json']), 'rollback');
    expect(fs.readlinkSync(path.join(root, 'current'))).toContain('1.0.0');
    const version = execFileSync(venvPython, ['-c', 'import importlib.metadata as m; print(m.version("textstats"))'], { encoding: 'utf8' });
    expect(version.trim()).toBe('1.0.0');
    expect(uploads()).toEqual(data);
    expect(notes()).toBe(rows);

    // Remove, keeping the data; then remove entirely.
    ok(boxCli(['remove', 'schoolnotes', '--prefix', prefix, '--keep-data', '--json']), 'remove --keep-data');
    expect(fs.existsSync(path.join(root, 'current'))).toBe(false);
    expect(uploads()).toEqual(data);
    expect(notes()).toBe(rows);
    ok(boxCli(['remove', 'schoolnotes', '--prefix', prefix, '--json']), 'remove');
    expect(fs.existsSync(root)).toBe(false);
  });
});
