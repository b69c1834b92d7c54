/**
 * Built-in targets for the boxes people ship to most: the distribution's own CPython on its own
 * glibc. Each is a {@link Target} with the full Python version, so its marker environment carries
 * `python_full_version` too; the kernel fields (`platform_release`, `platform_version`) stay unset
 * because they change with every kernel update on the box.
 */
import { type Target, type TargetPython, type Arch } from './target.js';

/** A named, described built-in target. */
export interface TargetPreset {
  /** Canonical name, e.g. `debian12-armhf`. */
  readonly name: string;
  /** Other names accepted for it, e.g. `rpi-os-armhf`. */
  readonly aliases: readonly string[];
  /** What box it is, for people. */
  readonly description: string;
  readonly target: Target;
}

function preset(name: string, aliases: string[], description: string, python: TargetPython, glibc: [number, number], arch: Arch): TargetPreset {
  return Object.freeze({
    name,
    aliases: Object.freeze(aliases),
    description,
    target: Object.freeze({
      implementation: 'cpython' as const,
      python: Object.freeze(python),
      freeThreaded: false,
      libc: Object.freeze({ family: 'glibc' as const, major: glibc[0], minor: glibc[1] }),
      arch,
    }),
  });
}

/** The built-in presets, in the order `sneakpack target list` shows them. */
export const PRESETS: readonly TargetPreset[] = Object.freeze([
  preset(
    'debian12-armhf',
    ['rpi-os-armhf'],
    'Raspberry Pi OS / Debian 12 "bookworm" armhf (32-bit ARM hard-float), CPython 3.11.2, glibc 2.36',
    { major: 3, minor: 11, micro: 2 },
    [2, 36],
    'armv7l',
  ),
  preset(
    'debian12-arm64',
    [],
    'Debian 12 "bookworm" arm64 (also 64-bit Raspberry Pi OS), CPython 3.11.2, glibc 2.36',
    { major: 3, minor: 11, micro: 2 },
    [2, 36],
    'aarch64',
  ),
  preset('debian12-amd64', [], 'Debian 12 "bookworm" amd64, CPython 3.11.2, glibc 2.36', { major: 3, minor: 11, micro: 2 }, [2, 36], 'x86_64'),
  preset('ubuntu22.04-amd64', [], 'Ubuntu 22.04 LTS "jammy" amd64, CPython 3.10.12, glibc 2.35', { major: 3, minor: 10, micro: 12 }, [2, 35], 'x86_64'),
  preset('ubuntu24.04-amd64', [], 'Ubuntu 24.04 LTS "noble" amd64, CPython 3.12.3, glibc 2.39', { major: 3, minor: 12, micro: 3 }, [2, 39], 'x86_64'),
]);

/** The preset called `name` (or one of its aliases; case-insensitive), or undefined. */
export function findPreset(name: string): TargetPreset | undefined {
  const key = name.trim().toLowerCase();
  return PRESETS.find((p) => p.name === key || p.aliases.includes(key));
}
