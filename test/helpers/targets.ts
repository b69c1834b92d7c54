import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/**
 * The captured target profiles (`shared/targets/*.json`). CI lays `shared/` beside the clone, so
 * look there first; a developer checkout at /work/main has it at /work/shared. Override with
 * SNEAKPACK_TARGETS_DIR.
 */
export const TARGETS_DIR: string = (() => {
  const candidates = [process.env.SNEAKPACK_TARGETS_DIR, join(ROOT, '..', 'shared', 'targets'), '/work/shared/targets'];
  for (const dir of candidates) if (dir && existsSync(join(dir, 'debian12-armv7l-cp311.json'))) return dir;
  throw new Error(`shared/targets not found (looked in ${candidates.filter(Boolean).join(', ')}); set SNEAKPACK_TARGETS_DIR`);
})();
