/**
 * `sneakpack lock APP --target T [--find-links DIR…] [--index-url URL] [--extra-index-url URL…]
 * [--pre] [--extra X…] [--name N --version V] [-r FILE…] [-o pylock.toml] [--json]`: resolve the
 * app's wheel closure for one target and write it as a PEP 751 `pylock.toml`.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';
import { type CommonFlags, addCommonOptions, progressPrinter, sourceOptions } from './build.js';

interface LockFlags extends CommonFlags {
  output?: string;
}

/** Register `lock`. */
export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('lock')
    .description("Resolve the app's complete wheel closure for one target and write it as a PEP 751 pylock.toml.")
    .argument('<app>', 'the app folder (pyproject.toml or requirements.txt)');
  addCommonOptions(cmd)
    .option('-o, --output <file>', 'where to write the lock (default: APP/pylock.toml)')
    .option('--json', 'print one JSON object')
    .action(async (appDir: string, flags: LockFlags) => {
      const { lockApp } = await import('../build/index.js');
      const progress = progressPrinter(io, flags.json === true);
      const locked = await lockApp(appDir, {
        ...sourceOptions(flags),
        target: flags.target,
        output: flags.output ?? join(appDir, 'pylock.toml'),
        ...(flags.pre ? { pre: true } : {}),
        onProgress: progress.update,
      });
      progress.done();
      const target = locked.target.compact ?? locked.target.name;
      if (flags.json) {
        io.stdout(
          JSON.stringify({
            ok: true,
            path: locked.path,
            app: locked.app.name,
            version: locked.app.version.toString(),
            target,
            packages: locked.closure.packages.map((p) => ({ name: p.name, version: p.version, wheel: p.filename, sha256: p.sha256, size: p.size })),
          }) + '\n',
        );
        return;
      }
      const width = Math.max(0, ...locked.closure.packages.map((p) => `${p.name} ${p.version}`.length));
      for (const p of locked.closure.packages) io.stdout(`  ${`${p.name} ${p.version}`.padEnd(width)}  ${p.filename}\n`);
      io.stdout(`locked ${locked.closure.packages.length} wheels of ${locked.app.name} ${locked.app.version} for ${target}\n${locked.path}\n`);
    });
}
