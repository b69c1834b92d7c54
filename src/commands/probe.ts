/**
 * `sneakpack target probe [--python PY] [-o FILE] [--script]`
 *
 * Without `--script`: run the probe with an interpreter this machine can reach and print (or
 * write) its target profile. With `--script`: print (or write) the standalone probe script, for
 * boxes without Node: copy it over, run `python3 -I sneakpack-probe.py -o box.json` there, and
 * bring box.json back.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';
import { SneakpackError } from '../errors.js';

interface ProbeFlags {
  python?: string;
  output?: string;
  script?: boolean;
}

/** Add the `probe` subcommand to `sneakpack target` (called from src/commands/target.ts). */
export function registerProbe(targetCommand: Command, io: CliIO): void {
  targetCommand
    .command('probe')
    .description('Describe a Python interpreter as a target profile (JSON), or print the standalone probe script to run on the box.')
    .option('--python <python>', 'the interpreter to probe, a command or a path (default: python3)')
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .option('--script', 'print the standalone probe script (Python 3.6+, standard library only) instead of running it')
    .action(async (flags: ProbeFlags) => {
      if (flags.script && flags.python !== undefined) {
        throw new SneakpackError('USAGE', '--script prints the probe script for another machine; it does not take --python', {
          details: { python: flags.python },
        });
      }
      const { PROBE_SCRIPT, probeInterpreter } = await import('../target/probe.js');
      if (flags.script) {
        // Executable, so that `./sneakpack-probe.py` works on the box too (the script has a shebang).
        await emit(io, flags.output, PROBE_SCRIPT, 0o755);
        return;
      }
      const profile = await probeInterpreter(flags.python ?? 'python3');
      // One-space indent, as Python's json.dump(indent=1) writes the script's own -o files.
      await emit(io, flags.output, JSON.stringify(profile, null, 1) + '\n', 0o644);
    });
}

async function emit(io: CliIO, file: string | undefined, text: string, mode: number): Promise<void> {
  if (file === undefined) {
    io.stdout(text);
    return;
  }
  try {
    await writeFile(file, text, { encoding: 'utf8', mode });
  } catch (err) {
    throw new SneakpackError('IO_ERROR', `cannot write ${file}: ${(err as Error).message}`, { cause: err, details: { file } });
  }
}
