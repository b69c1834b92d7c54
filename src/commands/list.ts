/** `sneakpack list [--prefix DIR] [--json]`: the apps under the prefix and their releases. */
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';

/** Register `list`. */
export function register(program: Command, io: CliIO): void {
  program
    .command('list')
    .description('List the apps installed under the prefix, their current and previous releases.')
    .option('--prefix <dir>', 'install prefix (default: $SNEAKPACK_PREFIX or /opt/sneakpack)')
    .option('--json', 'print one JSON object')
    .action(async (flags: { prefix?: string; json?: boolean }) => {
      const { listApps, resolvePrefix } = await import('../install/index.js');
      const prefix = resolvePrefix(flags.prefix);
      const apps = await listApps(prefix);
      if (flags.json) {
        io.stdout(JSON.stringify({ ok: true, prefix, apps }) + '\n');
        return;
      }
      if (apps.length === 0) {
        io.stdout(`No apps under ${prefix}\n`);
        return;
      }
      const lines: string[] = [];
      for (const a of apps) {
        lines.push(a.current === null ? `${a.app}  (not installed${a.hasData ? '; data kept' : ''})` : `${a.app} ${a.version}`);
        for (const r of [...a.releases].reverse()) {
          lines.push(`  ${r.current ? '*' : r.previous ? '<' : ' '} ${r.name}  installed ${r.installedAt}`);
        }
      }
      lines.push('(* current, < previous: what rollback returns to)');
      io.stdout(lines.join('\n') + '\n');
    });
}
