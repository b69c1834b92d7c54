import { TARGETS_DIR } from '../helpers/targets.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const armv7l = JSON.parse(readFileSync(join(TARGETS_DIR, 'debian12-armv7l-cp311.json'), 'utf8')) as {
  tags: string[];
  marker_environment: Record<string, string>;
};

describe('sneakpack target show', () => {
  it('--json prints one object with the tags best first and unset markers as null', () => {
    const r = runCli(['target', 'show', 'rpi-os-armhf', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      ok: true,
      name: 'debian12-armhf',
      source: 'preset',
      compact: 'cp311-manylinux_2_36_armv7l',
      python_version: '3.11.2',
    });
    expect(out.tags).toEqual(armv7l.tags);
    expect(out.marker_environment).toEqual({ ...armv7l.marker_environment, platform_release: null, platform_version: null });
  });

  it('--json for a compact target leaves what it does not determine null', () => {
    const r = runCli(['target', 'show', 'cp312-musllinux_1_2_aarch64', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { tags: string[]; marker_environment: Record<string, string | null> };
    expect(out.tags[0]).toBe('cp312-cp312-musllinux_1_2_aarch64');
    expect(out.marker_environment.python_full_version).toBeNull();
    expect(out.marker_environment.python_version).toBe('3.12');
  });

  it('text output numbers the tags and marks unset variables', () => {
    const r = runCli(['target', 'show', 'cp311-manylinux_2_36_armv7l']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+1 {2}cp311-cp311-manylinux_2_36_armv7l$/m);
    expect(r.stdout).toMatch(/^\s+564 {2}py30-none-any$/m);
    expect(r.stdout).toMatch(/^ {2}platform_release +\(unset\)$/m);
    expect(r.stdout).toMatch(/^ {2}python_version +"3\.11"$/m);
  });

  it('reads a profile file', () => {
    const file = join(TARGETS_DIR, 'pyenv-x86_64-cp313.json');
    const r = runCli(['target', 'show', file, '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { name: string; compact: string; tags: string[] };
    expect(out.name).toBe(file);
    expect(out.compact).toBe('cp313-manylinux_2_36_x86_64');
    expect(out.tags).toHaveLength(1060);
  });

  it('fails with the error code, as JSON too', () => {
    const r = runCli(['target', 'show', 'cp311-manylinux_2_36_armv6l']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[INVALID_TARGET]');
    expect(r.stderr).toContain('cp311-manylinux_2_36_armv6l');
    const j = runCli(['target', 'show', 'pp310-manylinux_2_36_x86_64', '--json']);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_TARGET' } });
    const missing = runCli(['target', 'show', '/nonexistent/box.json']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('[FILE_NOT_FOUND]');
  });
});

describe('sneakpack target list', () => {
  it('lists every preset with what it means', () => {
    const r = runCli(['target', 'list']);
    expect(r.status).toBe(0);
    for (const name of ['debian12-armhf', 'rpi-os-armhf', 'debian12-arm64', 'debian12-amd64', 'ubuntu22.04-amd64', 'ubuntu24.04-amd64']) {
      expect(r.stdout).toContain(name);
    }
    expect(r.stdout).toContain('cp310-manylinux_2_35_x86_64');
  });

  it('--json', () => {
    const r = runCli(['target', 'list', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; presets: { name: string; aliases: string[]; compact: string; python_version: string }[] };
    expect(out.ok).toBe(true);
    expect(out.presets.map((p) => p.name)).toEqual(['debian12-armhf', 'debian12-arm64', 'debian12-amd64', 'ubuntu22.04-amd64', 'ubuntu24.04-amd64']);
    expect(out.presets[0]).toMatchObject({ aliases: ['rpi-os-armhf'], compact: 'cp311-manylinux_2_36_armv7l', python_version: '3.11.2' });
  });
});
