import type { Command } from 'commander';
import type { CliIO } from '../cli.js';

/** `sneakpack target …` — placeholder registered so the CLI builds; filled in by the tags work. */
export function register(program: Command, _io: CliIO): void {
  program.command('target').description('Describe build targets (tags and marker environment).');
}
