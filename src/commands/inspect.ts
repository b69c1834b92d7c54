/**
 * `sneakpack inspect BUNDLE [--json]`: what a bundle says it is — app, version, target, signer
 * key number, wheels with sizes, total size — read from its first two entries without any key.
 * Nothing is verified, and the output says so.
 */
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';
import type { InspectedBundle } from '../bundle/index.js';

/** Bytes for people: `1.4 MB`, `812 B` (SI units, as `ls -h --si`). */
export function humanSize(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

function text(bundle: string, r: InspectedBundle): string {
  const m = r.manifest;
  const lines = [
    `Bundle:  ${bundle}${r.compressed ? ' (gzip)' : ''}, ${humanSize(r.fileSize)}`,
    `App:     ${m.app.name} ${m.app.version}`,
    `Target:  ${m.target.compact ?? m.target.name}${m.target.compact !== null && m.target.name !== m.target.compact ? ` (${m.target.name})` : ''}`,
    `Signer:  key ${r.keynum} ("${r.signatureComment}")`,
    `Built:   by ${m.builder.name} ${m.builder.version}, created ${new Date(m.created * 1000).toISOString()} (format ${m.format})`,
    '',
    `Wheels (${m.wheels.length}, ${humanSize(r.wheelsSize)}):`,
  ];
  const width = Math.max(0, ...m.wheels.map((w) => `${w.name} ${w.version}`.length));
  for (const w of m.wheels) lines.push(`  ${`${w.name} ${w.version}`.padEnd(width)}  ${humanSize(w.size).padStart(7)}  ${w.file}`);
  lines.push(
    `App files: ${r.appFiles} (${humanSize(r.appSize)})`,
    `Total:     ${r.totalSize} bytes in ${m.files.length} files (${humanSize(r.totalSize)})`,
    '',
    `NOT VERIFIED: this shows what the bundle claims. Check it with: sneakpack verify ${bundle} --keys DIR`,
  );
  return lines.join('\n') + '\n';
}

/** Register `inspect`. */
export function register(program: Command, io: CliIO): void {
  program
    .command('inspect')
    .description('Show what a bundle claims to be (app, version, target, signer, wheels) without verifying it.')
    .argument('<bundle>', 'the bundle file (.tar or .tar.gz)')
    .option('--json', 'print one JSON object')
    .action(async (bundle: string, flags: { json?: boolean }) => {
      const { inspectBundle } = await import('../bundle/read.js');
      const r = await inspectBundle(bundle);
      if (flags.json) {
        const m = r.manifest;
        io.stdout(
          JSON.stringify({
            ok: true,
            verified: false,
            bundle,
            compressed: r.compressed,
            file_size: r.fileSize,
            app: m.app.name,
            version: m.app.version,
            target: m.target.compact ?? m.target.name,
            target_name: m.target.name,
            keynum: r.keynum,
            signature_comment: r.signatureComment,
            builder: m.builder,
            created: m.created,
            format: m.format,
            wheels: m.wheels.map((w) => ({ file: w.file, name: w.name, version: w.version, size: w.size })),
            app_files: r.appFiles,
            total_size: r.totalSize,
          }) + '\n',
        );
        return;
      }
      io.stdout(text(bundle, r));
    });
}
