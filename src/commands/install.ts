/**
 * `sneakpack install BUNDLE (--keys DIR | --pubkey FILE…) [--prefix DIR] [--python PY]
 * [--allow-downgrade] [--compile] [--keep-releases N] [--json]`: verify a bundle and make it the
 * app's current release (src/install/release.ts), or change nothing.
 */
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';
import { SneakpackError } from '../errors.js';
import type { TrustedKeys } from '../sign/index.js';
import type { InstallProgress } from '../install/index.js';

interface InstallFlags {
  keys?: string;
  pubkey?: string[];
  prefix?: string;
  python?: string;
  allowDowngrade?: boolean;
  compile?: boolean;
  keepReleases?: string;
  json?: boolean;
}

/** Collect a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The trusted keys from `--keys DIR` and/or `--pubkey FILE…`; at least one source is required. */
export async function trustedKeysFromFlags(flags: { keys?: string; pubkey?: string[] }): Promise<TrustedKeys> {
  if (flags.keys === undefined && (flags.pubkey === undefined || flags.pubkey.length === 0)) {
    throw new SneakpackError('USAGE', 'say which keys to trust: --keys DIR (every *.pub in it) or --pubkey FILE (repeatable)');
  }
  const { loadTrustedKeys } = await import('../sign/keys.js');
  const trusted = await loadTrustedKeys({ ...(flags.keys === undefined ? {} : { keysDir: flags.keys }), pubkeys: flags.pubkey ?? [] });
  if (trusted.size === 0) {
    throw new SneakpackError('USAGE', `no public keys (*.pub) found in ${flags.keys}; put the publisher's key there or pass --pubkey FILE`, {
      details: { keys: flags.keys },
    });
  }
  return trusted;
}

function describe(event: InstallProgress): string {
  switch (event.stage) {
    case 'verify':
      return `verifying ${event.detail}`;
    case 'check':
      return `checking the box (${event.detail})`;
    case 'lock':
      return 'locking the app';
    case 'venv':
      return 'creating the venv';
    case 'wheel':
      return `installed ${event.detail} (${event.index}/${event.total})`;
    case 'app':
      return `installing the app ${event.detail}`;
    case 'compile':
      return 'byte-compiling';
    case 'post-install':
      return `running ${event.detail} (${event.index}/${event.total})`;
    case 'commit':
      return 'finishing the release';
    case 'switch':
      return 'switching current';
    case 'prune':
      return 'pruning old releases';
    case 'done':
      return 'done';
  }
}

/** Register `install`. */
export function register(program: Command, io: CliIO): void {
  program
    .command('install')
    .description('Verify a bundle and install it as the current release of its app (atomically: on any failure nothing changes).')
    .argument('<bundle>', 'the bundle file (.tar or .tar.gz)')
    .option('--keys <dir>', 'trust every *.pub key in DIR')
    .option('--pubkey <file>', 'trust this public key (repeatable)', collect)
    .option('--prefix <dir>', 'install prefix (default: $SNEAKPACK_PREFIX or /opt/sneakpack)')
    .option('--python <python>', 'the interpreter for the venv (default: python3)')
    .option('--allow-downgrade', 'install even if the version is lower than the current one')
    .option('--compile', 'byte-compile the venv and the app')
    .option('--keep-releases <n>', 'releases to keep, the new current one included, at least 2 (default: the app\'s [tool.sneakpack] keep-releases, else 3)')
    .option('--json', 'print one JSON object')
    .action(async (bundle: string, flags: InstallFlags) => {
      let keepReleases: number | undefined;
      if (flags.keepReleases !== undefined) {
        keepReleases = Number(flags.keepReleases);
        if (!/^\d+$/.test(flags.keepReleases) || keepReleases < 2) {
          throw new SneakpackError('USAGE', `--keep-releases takes a whole number of at least 2, got ${JSON.stringify(flags.keepReleases)}`, {
            details: { keepReleases: flags.keepReleases },
          });
        }
      }
      const trusted = await trustedKeysFromFlags(flags);
      const { installBundle } = await import('../install/index.js');
      const showProgress = io.isTTY && !flags.json;
      const result = await installBundle(bundle, {
        trusted,
        ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
        ...(flags.python === undefined ? {} : { python: flags.python }),
        allowDowngrade: flags.allowDowngrade ?? false,
        compile: flags.compile ?? false,
        ...(keepReleases === undefined ? {} : { keepReleases }),
        ...(showProgress ? { onProgress: (e: InstallProgress) => io.stderr(`  ${describe(e)}\n`) } : {}),
      });
      if (flags.json) {
        io.stdout(JSON.stringify({ ok: true, ...result }) + '\n');
        return;
      }
      if (result.status === 'unchanged') {
        io.stdout(`${result.app} ${result.version} is already the current release (${result.release}); nothing to do\n`);
        return;
      }
      const lines = [
        `${result.status === 'installed' ? 'Installed' : result.status === 'upgraded' ? 'Upgraded to' : result.status === 'downgraded' ? 'Downgraded to' : 'Reinstalled'} ${result.app} ${result.version}` +
          (result.previous === null ? '' : ` (was ${result.previous})`),
        `  release: ${result.releaseDir}`,
        `  data:    ${result.dataDir}`,
        `  python:  ${result.python} (${result.pythonVersion})`,
        `  signer:  ${result.signer}`,
        ...result.scripts.map((s) => `  script:  ${s}`),
        ...(result.sharedFiles > 0 ? [`  shared:  ${result.sharedFiles} unchanged files hard-linked from ${result.previous}`] : []),
        ...(result.pruned.length > 0 ? [`  pruned:  ${result.pruned.join(', ')}`] : []),
      ];
      io.stdout(lines.join('\n') + '\n');
    });
}
