/**
 * Build the box-demo fixture bundles from a shell script (scripts/node18-check.sh,
 * scripts/arm-chroot.sh), with the current Node:
 *
 *   npx vite-node test/node18/make-bundles.ts -- --out DIR --target SPEC \
 *     [--versions 1.0.0,1.1.0] [--incompatible SPEC:TAGS]
 *
 * Writes DIR/keys/box-demo.pub, DIR/other-keys/other.pub (a key that signed nothing), one bundle per version under DIR/bundles, and with
 * `--incompatible` one more bundle built for SPEC whose greetlib wheel has TAGS (e.g.
 * `debian12-amd64:cp311-cp311-manylinux_2_17_x86_64`). Prints `key=path` lines:
 * `pubkey=…`, `otherkey=…`, `bundle1=…`, `bundle2=…`, …, `incompatible=…`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildFixtureBundle, fixtureTarget, writeFixturePublicKey } from './fixture.js';

const USAGE = 'usage: make-bundles.ts --out DIR --target SPEC [--versions V1,V2] [--incompatible SPEC:TAGS]\n';

function usage(message: string): never {
  process.stderr.write(`make-bundles: ${message}\n${USAGE}`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue;
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return;
    }
    if (!['--out', '--target', '--versions', '--incompatible'].includes(a)) usage(`unknown argument ${JSON.stringify(a)}`);
    const v = argv[++i];
    if (v === undefined) usage(`${a} needs a value`);
    opts[a.slice(2)] = v;
  }
  if (opts.out === undefined || opts.target === undefined) usage('--out and --target are required');
  const out = path.resolve(opts.out);
  fs.rmSync(path.join(out, 'bundles'), { recursive: true, force: true });
  const lines: string[] = [
    `pubkey=${writeFixturePublicKey(path.join(out, 'keys'))}`,
    `otherkey=${writeFixturePublicKey(path.join(out, 'other-keys'), 'other')}`,
  ];
  const target = await fixtureTarget(opts.target);
  const versions = (opts.versions ?? '1.0.0,1.1.0').split(',').filter((v) => v !== '');
  for (const [i, version] of versions.entries()) {
    lines.push(`bundle${i + 1}=${await buildFixtureBundle({ outDir: path.join(out, 'bundles'), version, target })}`);
  }
  if (opts.incompatible !== undefined) {
    const colon = opts.incompatible.lastIndexOf(':');
    if (colon <= 0) usage(`--incompatible wants SPEC:TAGS, got ${JSON.stringify(opts.incompatible)}`);
    const bad = await buildFixtureBundle({
      outDir: path.join(out, 'bundles', 'incompatible'),
      version: versions[0] ?? '1.0.0',
      target: await fixtureTarget(opts.incompatible.slice(0, colon)),
      depTags: opts.incompatible.slice(colon + 1),
    });
    lines.push(`incompatible=${bad}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`make-bundles: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
