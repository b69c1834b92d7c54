import { TARGETS_DIR } from '../helpers/targets.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { isProfilePath, loadTargetProfile, resolveTargetArgument } from '../../src/target/load.js';

const dir = mkdtempSync(join(tmpdir(), 'sneakpack-target-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string } | undefined> {
  try {
    await p;
  } catch (e) {
    if (isSneakpackError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  return undefined;
}

describe('loadTargetProfile', () => {
  it('loads a captured profile and resolves it with its file name', async () => {
    const file = join(TARGETS_DIR, 'debian12-armv7l-cp311.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { tags: string[] };
    const p = await loadTargetProfile(file);
    expect(p.tags).toEqual(raw.tags);
    const r = await resolveTargetArgument(file);
    expect(r.name).toBe(file);
    expect(r.tags.map(String)).toEqual(raw.tags);
  });

  it('names the missing file', async () => {
    const missing = join(dir, 'nope.json');
    const e = await codeOf(loadTargetProfile(missing));
    expect(e?.code).toBe('FILE_NOT_FOUND');
    expect(e?.message).toContain(missing);
  });

  it('names the file for bad JSON and the file and field for a bad value', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "python": ');
    expect(await codeOf(loadTargetProfile(bad))).toMatchObject({ code: 'INVALID_TARGET', message: expect.stringContaining(bad) });
    const field = join(dir, 'field.json');
    const raw = JSON.parse(readFileSync(join(TARGETS_DIR, 'debian12-aarch64-cp311.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(field, JSON.stringify({ ...raw, uname_machine: 64 }));
    const e = await codeOf(loadTargetProfile(field));
    expect(e?.code).toBe('INVALID_TARGET');
    expect(e?.message).toContain(field);
    expect(e?.message).toContain('"uname_machine"');
  });

  it('tells profile paths from preset names and compact targets', async () => {
    expect(isProfilePath('box.json')).toBe(true);
    expect(isProfilePath('./box')).toBe(true);
    expect(isProfilePath('debian12-armhf')).toBe(false);
    expect(isProfilePath('cp311-manylinux_2_36_armv7l')).toBe(false);
    expect((await resolveTargetArgument('rpi-os-armhf')).name).toBe('debian12-armhf');
  });
});
