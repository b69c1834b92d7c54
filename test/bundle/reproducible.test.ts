/**
 * "Build twice, compare bytes": the same inputs give the same bundle whatever the folder, umask,
 * file mtimes and on-disk modes (beyond the execute bit), input order or clock (issue 4).
 */
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BundleInput, DEFAULT_SOURCE_DATE_EPOCH, sourceDateEpoch, verifyBundle, writeBundle } from '../../src/bundle/index.js';
import { Rng } from '../helpers/random.js';
import { codeOf, makeInput, removeDir, tempDir, writeKeys } from './fixtures.js';

let root: string;
let keys: Awaited<ReturnType<typeof writeKeys>>;

beforeAll(async () => {
  root = tempDir();
  keys = await writeKeys(join(root, 'keys'), 'alice');
});
afterAll(() => removeDir(root));
afterEach(() => {
  vi.useRealTimers();
  delete process.env.SOURCE_DATE_EPOCH;
});

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function build(name: string, variant: { umask: number; fileMode: number; execMode: number; clock: string; mtimeSeed: number }, gzip: boolean, edit?: (i: BundleInput) => BundleInput) {
  const dir = join(root, name);
  const old = process.umask(variant.umask);
  try {
    let input = makeInput(join(dir, 'in'), { fileMode: variant.fileMode, execMode: variant.execMode });
    const rng = new Rng(variant.mtimeSeed);
    for (const f of [...input.appFiles.map((a) => a.absPath), ...input.wheels.map((w) => w.path)]) {
      const t = rng.int(0, 2_000_000_000);
      utimesSync(f, t, t);
    }
    input = { ...input, wheels: shuffled(input.wheels, rng), appFiles: shuffled(input.appFiles, rng) };
    if (edit !== undefined) input = edit(input);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(variant.clock));
    const out = await writeBundle(input, { secretKey: keys.pair.secretKey, secretKeyFile: keys.sec, outDir: join(dir, 'in'), gzip });
    vi.useRealTimers();
    return out;
  } finally {
    process.umask(old);
  }
}

const A = { umask: 0o022, fileMode: 0o644, execMode: 0o755, clock: '2024-03-01T12:00:00Z', mtimeSeed: 1 };
const B = { umask: 0o077, fileMode: 0o600, execMode: 0o700, clock: '2031-11-30T01:02:03Z', mtimeSeed: 2 };

describe('reproducible bundles', () => {
  it.each([false, true])('two builds in different folders, umasks, mtimes, modes, orders and clocks are identical (gzip %s)', async (gzip) => {
    const a = await build(`a${gzip}`, A, gzip);
    const b = await build(`b${gzip}`, B, gzip);
    expect(a.path).not.toBe(b.path);
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(b.path).equals(readFileSync(a.path))).toBe(true);
    // The bundle file is world-readable whatever the umask.
    expect(statSync(b.path).mode & 0o777).toBe(0o644);
    await verifyBundle(b.path, { trusted: keys.trusted });
  });

  it('a different SOURCE_DATE_EPOCH or content gives a different bundle (the comparison can fail)', async () => {
    const a = await build('c1', A, false);
    const b = await build('c2', A, false, (i) => ({ ...i, sourceDateEpoch: 1700000001 }));
    expect(b.sha256).not.toBe(a.sha256);
    const c = await build('c3', A, false, (i) => ({ ...i, lockText: i.lockText + '# changed\n' }));
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('takes SOURCE_DATE_EPOCH from the environment, else 1980-01-01', async () => {
    const noEpoch = (i: BundleInput): BundleInput => {
      const { sourceDateEpoch: _drop, ...rest } = i;
      return rest;
    };
    process.env.SOURCE_DATE_EPOCH = '1234567890';
    const fromEnv = await build('e1', A, false, noEpoch);
    expect(fromEnv.manifest.created).toBe(1234567890);
    delete process.env.SOURCE_DATE_EPOCH;
    const fixed = await build('e2', A, false, noEpoch);
    expect(fixed.manifest.created).toBe(DEFAULT_SOURCE_DATE_EPOCH);
    expect(DEFAULT_SOURCE_DATE_EPOCH).toBe(Date.UTC(1980, 0, 1) / 1000);
    const again = await build('e3', B, false, noEpoch);
    expect(again.sha256).toBe(fixed.sha256);
  });

  it('refuses a SOURCE_DATE_EPOCH that is not a whole number of seconds', async () => {
    for (const bad of ['-1', '1.5', 'yesterday', '99999999999999']) {
      expect(() => sourceDateEpoch({}, { SOURCE_DATE_EPOCH: bad })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    }
    expect(sourceDateEpoch({}, { SOURCE_DATE_EPOCH: '0' })).toBe(0);
    expect(sourceDateEpoch({ sourceDateEpoch: 5 }, { SOURCE_DATE_EPOCH: '7' })).toBe(5);
    expect(await codeOf(build('e4', A, false, (i) => ({ ...i, sourceDateEpoch: -5 })))).toBe('USAGE');
  });
});
