/**
 * `sneakpack verify BUNDLE (--pubkey FILE… and/or --keys DIR) [--json]`: check a bundle's signature
 * and every byte of it in one pass, against the keys the user trusts. Exit 0 with one line
 * ("OK app VERSION for TARGET, signed by key KEYNUM (FILE)"), or 1 naming what failed.
 */
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';

interface VerifyFlags {
  pubkey?: string[];
  keys?: string;
  json?: boolean;
}

/** Register `verify`. */
export function register(program: Command, io: CliIO): void {
  program
    .command('verify')
    .description("Check a bundle's signature and contents against trusted public keys (one streaming pass).")
    .argument('<bundle>', 'the bundle file (.tar or .tar.gz)')
    .option('--pubkey <file>', 'trust this signify public key (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--keys <dir>', 'trust every *.pub file in this folder (as well as any --pubkey)')
    .option('--json', 'print one JSON object')
    .action(async (bundle: string, flags: VerifyFlags) => {
      const { trustedKeysFromFlags } = await import('./install.js');
      const trusted = await trustedKeysFromFlags(flags);
      const { verifyBundle } = await import('../bundle/read.js');
      let shown = -1;
      const v = await verifyBundle(bundle, {
        trusted,
        ...(io.isTTY && !flags.json
          ? {
              onProgress: (p) => {
                if (p.bytesTotal === null || p.bytesTotal === 0) return;
                const pct = Math.floor((100 * p.bytesDone) / p.bytesTotal);
                if (pct !== shown) {
                  shown = pct;
                  io.stderr(`\rverifying ${pct}%`);
                }
              },
            }
          : {}),
      });
      if (shown >= 0) io.stderr('\r\x1b[K');
      if (flags.json) {
        const m = v.manifest;
        io.stdout(
          JSON.stringify({
            ok: true,
            bundle,
            app: m.app.name,
            version: m.app.version,
            target: m.target.compact ?? m.target.name,
            keynum: v.keynum,
            pubkey: v.signerFile,
            files: v.entries,
            wheels: m.wheels.length,
            tar_bytes: v.tarBytes,
            compressed: v.compressed,
            format: m.format,
          }) + '\n',
        );
        return;
      }
      io.stdout(`OK ${v.summary}\n`);
    });
}
