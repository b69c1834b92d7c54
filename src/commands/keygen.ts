/**
 * `sneakpack keygen keys/NAME`: make a signify-compatible Ed25519 key pair, `keys/NAME.sec`
 * (mode 0600) and `keys/NAME.pub` (mode 0644), like `signify -G -p keys/NAME.pub -s keys/NAME.sec`.
 *
 * There is no interactive prompt, on purpose: keygen runs in scripts and CI as often as by hand.
 * Without `--passphrase-file` or `--passphrase-env` the secret key is unprotected
 * (`signify -G -n`); with one, it is encrypted with 42 rounds of bcrypt_pbkdf, as signify does.
 * A passphrase file holds the passphrase on its first line; one trailing newline is dropped.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';
import { SneakpackError } from '../errors.js';

interface KeygenOptions {
  passphraseFile?: string;
  passphraseEnv?: string;
  comment?: string;
  force?: boolean;
  json?: boolean;
}

async function passphraseFrom(opts: KeygenOptions): Promise<string | undefined> {
  if (opts.passphraseFile !== undefined && opts.passphraseEnv !== undefined) {
    throw new SneakpackError('USAGE', 'pass either --passphrase-file or --passphrase-env, not both');
  }
  if (opts.passphraseFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.passphraseFile, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR';
      throw new SneakpackError(code, `${opts.passphraseFile}: cannot read the passphrase file: ${(err as Error).message}`, {
        cause: err,
        details: { file: opts.passphraseFile },
      });
    }
    const passphrase = text.replace(/\r?\n$/, '');
    if (passphrase === '') throw new SneakpackError('USAGE', `${opts.passphraseFile}: the passphrase file is empty; write the passphrase on its first line`, { details: { file: opts.passphraseFile } });
    return passphrase;
  }
  if (opts.passphraseEnv !== undefined) {
    const passphrase = process.env[opts.passphraseEnv];
    if (passphrase === undefined || passphrase === '') {
      throw new SneakpackError('USAGE', `environment variable ${opts.passphraseEnv} is unset or empty; set it to the passphrase`, { details: { variable: opts.passphraseEnv } });
    }
    return passphrase;
  }
  return undefined;
}

/** Register `keygen`. */
export function register(program: Command, io: CliIO): void {
  program
    .command('keygen')
    .description('Generate a signify-compatible signing key pair: NAME.sec (mode 0600) and NAME.pub (mode 0644).')
    .argument('<name>', 'path of the key pair without extension, e.g. keys/release')
    .option('--passphrase-file <file>', 'protect the secret key with the passphrase on the first line of FILE')
    .option('--passphrase-env <var>', 'protect the secret key with the passphrase in environment variable VAR')
    .option('--comment <text>', 'comment for the key files ("TEXT public key", as signify -c); default "sneakpack"')
    .option('--force', 'replace existing key files')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: KeygenOptions) => {
      const passphrase = await passphraseFrom(opts);
      const { writeKeyPair } = await import('../sign/keys.js');
      const written = await writeKeyPair(name, {
        ...(passphrase === undefined ? {} : { passphrase }),
        ...(opts.comment === undefined ? {} : { comment: opts.comment }),
        force: opts.force ?? false,
      });
      const keynum = written.keyPair.publicKey.keynum;
      if (opts.json) {
        io.stdout(
          JSON.stringify({
            ok: true,
            keynum,
            secret_key_file: written.secretKeyFile,
            public_key_file: written.publicKeyFile,
            comment: written.keyPair.publicKey.comment,
            passphrase: written.kdfRounds > 0,
            kdf_rounds: written.kdfRounds,
          }) + '\n',
        );
        return;
      }
      io.stdout(
        [
          `Wrote ${written.secretKeyFile} (secret key${written.kdfRounds > 0 ? ', passphrase-protected' : ', NOT passphrase-protected'}; keep it private)`,
          `Wrote ${written.publicKeyFile} (public key; give it to whoever verifies your bundles)`,
          `Key number: ${keynum}`,
        ].join('\n') + '\n',
      );
    });
}
