/** `sneakpack remove APP [--prefix DIR] [--keep-data] [--json]`: uninstall an app. */
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';

/** Register `remove`. */
export function register(program: Command, io: CliIO): void {
  program
    .command('remove')
    .description("Remove APP: its releases and, unless --keep-data, its data folder.")
    .argument('<app>', 'the app name')
    .option('--prefix <dir>', 'install prefix (default: $SNEAKPACK_PREFIX or /opt/sneakpack)')
    .option('--keep-data', 'keep PREFIX/APP/data')
    .option('--json', 'print one JSON object')
    .action(async (app: string, flags: { prefix?: string; keepData?: boolean; json?: boolean }) => {
      const { removeApp } = await import('../install/index.js');
      const r = await removeApp(app, { ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }), keepData: flags.keepData ?? false });
      if (flags.json) {
        io.stdout(JSON.stringify({ ok: true, ...r }) + '\n');
        return;
      }
      io.stdout(`Removed ${r.app} (${r.releases.length} release${r.releases.length === 1 ? '' : 's'})${r.keptData ? `; kept its data in ${r.dataDir}` : ', including its data'}\n`);
    });
}
