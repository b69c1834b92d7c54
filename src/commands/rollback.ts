/** `sneakpack rollback APP [--prefix DIR] [--json]`: make the previous release current again. */
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';

/** Register `rollback`. */
export function register(program: Command, io: CliIO): void {
  program
    .command('rollback')
    .description('Switch APP back to its previous release (post-install commands are not run again).')
    .argument('<app>', 'the app name')
    .option('--prefix <dir>', 'install prefix (default: $SNEAKPACK_PREFIX or /opt/sneakpack)')
    .option('--json', 'print one JSON object')
    .action(async (app: string, flags: { prefix?: string; json?: boolean }) => {
      const { rollback } = await import('../install/index.js');
      const r = await rollback(app, flags.prefix === undefined ? {} : { prefix: flags.prefix });
      if (flags.json) {
        io.stdout(JSON.stringify({ ok: true, ...r }) + '\n');
        return;
      }
      io.stdout(`Rolled ${r.app} back from ${r.fromVersion} (${r.from}) to ${r.toVersion} (${r.to})\n`);
    });
}
