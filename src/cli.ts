/**
 * The command line: a thin commander layer over the library (src/index.ts). Each command lives in
 * src/commands/NAME.ts and exports `register(program, io)`; commands turn flags into options, call
 * one library function and print. `main(argv)` takes argv as a parameter so tests can call it.
 *
 * Start-up: a command module imports only types and light helpers at the top, and loads its
 * library code with `await import(…)` inside its action, so `--version`, `--help` and every command
 * load commander, these registrations and only the library the command runs.
 */
import { Command, CommanderError } from 'commander';
import { SneakpackError } from './errors.js';
import { VERSION } from './version.js';
import * as targetCommand from './commands/target.js';
import * as keygenCommand from './commands/keygen.js';
import * as installCommand from './commands/install.js';
import * as listCommand from './commands/list.js';
import * as rollbackCommand from './commands/rollback.js';
import * as removeCommand from './commands/remove.js';
import * as verifyCommand from './commands/verify.js';
import * as inspectCommand from './commands/inspect.js';
import * as lockCommand from './commands/lock.js';
import * as buildCommand from './commands/build.js';

/** Where a command writes; tests pass buffers, the launcher passes the process streams. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress is shown only then). */
  isTTY: boolean;
}

export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

/** Exit codes: 0 ok, 1 a sneakpack error (bad input, failed verification…), 2 usage, 70 internal. */
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2, INTERNAL: 70 } as const;

export function buildProgram(io: CliIO): Command {
  const program = new Command('sneakpack')
    .description('Ship Python apps to offline machines as signed, reproducible bundles.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)')
    // Program options only before the command name, so `build --version 1.2` is the app's version.
    .enablePositionalOptions();
  targetCommand.register(program, io);
  keygenCommand.register(program, io);
  installCommand.register(program, io);
  listCommand.register(program, io);
  rollbackCommand.register(program, io);
  removeCommand.register(program, io);
  verifyCommand.register(program, io);
  inspectCommand.register(program, io);
  lockCommand.register(program, io);
  buildCommand.register(program, io);
  return program;
}

/** Print an error the way every command does: code, message, and a JSON object with --json. */
export function reportError(io: CliIO, err: unknown, json: boolean): number {
  if (err instanceof SneakpackError) {
    if (json) io.stdout(JSON.stringify({ ok: false, error: { code: err.code, message: err.message, ...err.details } }) + '\n');
    io.stderr(`sneakpack: error [${err.code}]: ${err.message}\n`);
    return err.code === 'USAGE' ? EXIT.USAGE : EXIT.ERROR;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  io.stderr(`sneakpack: internal error (please report it): ${text}\n`);
  return EXIT.INTERNAL;
}

/** Run the CLI with `argv` (without node and script) and return the exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT.OK;
      // commander has printed its message on stderr; a --json caller also gets the object it expects.
      if (argv.includes('--json')) {
        const message = err.message.replace(/^error: /, '');
        io.stdout(JSON.stringify({ ok: false, error: { code: 'USAGE', message, commander: err.code } }) + '\n');
      }
      return EXIT.USAGE;
    }
    return reportError(io, err, argv.includes('--json'));
  }
}
