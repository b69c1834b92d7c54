/**
 * `sneakpack build APP --target T (--find-links DIR…|--index-url URL…) --key keys/NAME.sec
 * [--passphrase-file F] [-o bundles/] [--lock pylock.toml] [--gzip] [--json]`: resolve (or take a
 * lock), then write ONE signed, reproducible bundle. The human output ends with the bundle's path
 * and sha256; `--json` prints one object. On a terminal, progress goes to stderr.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';
import { SneakpackError } from '../errors.js';
// Types only: the build library loads when the command runs, not at start-up (src/cli.ts).
import type { BuildProgress, SourceOptions } from '../build/index.js';

/** Collect a repeatable option. */
export const repeatable = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Flags shared by `lock` and `build`. */
export interface CommonFlags {
  target: string;
  findLinks?: string[];
  indexUrl?: string;
  extraIndexUrl?: string[];
  cacheDir?: string;
  offline?: boolean;
  pre?: boolean;
  extra?: string[];
  name?: string;
  version?: string;
  requirement?: string[];
  json?: boolean;
}

/** Add the options `lock` and `build` share. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--target <target>', 'the box: preset (see "target list"), compact target like cp311-manylinux_2_36_armv7l, or a profile .json')
    .option('--find-links <dir>', 'a folder of wheels (repeatable)', repeatable)
    .option('--index-url <url>', 'a PEP 503/691 simple index')
    .option('--extra-index-url <url>', 'another simple index, tried after --index-url (repeatable)', repeatable)
    .option('--cache-dir <dir>', 'cache for index pages and downloads')
    .option('--offline', 'use only cached index pages and files')
    .option('--pre', 'accept pre-releases')
    .option('--extra <extra>', 'an extra of [project.optional-dependencies] to include (repeatable)', repeatable)
    .option('--name <name>', "the app's name (required without pyproject.toml [project])")
    .option('--version <version>', "the app's version (required without pyproject.toml [project] version)")
    .option('-r, --requirement <file>', 'a requirements file, instead of [project] dependencies (repeatable)', repeatable);
}

/** Library options from the shared flags. */
export function sourceOptions(flags: CommonFlags): SourceOptions & { name?: string; version?: string; requirementsFiles?: string[]; extras?: string[] } {
  return {
    ...(flags.findLinks ? { findLinks: flags.findLinks } : {}),
    ...(flags.indexUrl !== undefined ? { indexUrl: flags.indexUrl } : {}),
    ...(flags.extraIndexUrl ? { extraIndexUrls: flags.extraIndexUrl } : {}),
    ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
    ...(flags.offline ? { offline: true } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.version !== undefined ? { version: flags.version } : {}),
    ...(flags.requirement ? { requirementsFiles: flags.requirement } : {}),
    ...(flags.extra ? { extras: flags.extra } : {}),
  };
}

/** A one-line progress display on stderr, only on a terminal and without --json. */
export function progressPrinter(io: CliIO, json: boolean): { update: (p: BuildProgress) => void; done: () => void } {
  let shown = false;
  let last = '';
  const show = (text: string): void => {
    if (text === last) return;
    last = text;
    shown = true;
    io.stderr(`\r\x1b[K${text}`);
  };
  return {
    update: (p) => {
      if (!io.isTTY || json) return;
      switch (p.phase) {
        case 'resolve':
          return show(`resolving… ${p.pinned} pins`);
        case 'fetch':
          return show(p.filename === '' ? `fetched ${p.total} wheels` : `fetching ${p.done + 1}/${p.total} ${p.filename}`);
        case 'lock':
          return show(`checking locked wheels ${p.done + 1}/${p.total} ${p.filename}`);
        case 'hash':
        case 'write': {
          const pct = p.bytesTotal === 0 ? 100 : Math.floor((100 * p.bytesDone) / p.bytesTotal);
          return show(`${p.phase === 'hash' ? 'hashing' : 'writing'} ${pct}%`);
        }
      }
    },
    done: () => {
      if (shown) io.stderr('\r\x1b[K');
    },
  };
}

interface BuildFlags extends CommonFlags {
  key: string;
  passphraseFile?: string;
  output?: string;
  lock?: string;
  gzip?: boolean;
}

async function readPassphrase(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR';
    throw new SneakpackError(code, `${file}: cannot read the passphrase file: ${(e as Error).message}`, { cause: e, details: { file } });
  }
  return text.replace(/\r?\n$/, '');
}

/** Register `build`. */
export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('build')
    .description('Resolve the app for one target and write one signed, reproducible bundle.')
    .argument('<app>', 'the app folder (pyproject.toml or requirements.txt)');
  addCommonOptions(cmd)
    .requiredOption('--key <file>', 'the signify secret key, e.g. keys/release.sec')
    .option('--passphrase-file <file>', "the secret key's passphrase, on the first line of FILE")
    .option('-o, --output <dir>', 'folder for the bundle', 'bundles')
    .option('--lock <file>', 'use exactly the wheels of this pylock.toml (fails if the sources disagree)')
    .option('--gzip', 'gzip-compress the bundle (.tar.gz)')
    .option('--json', 'print one JSON object')
    .action(async (appDir: string, flags: BuildFlags) => {
      const { buildBundle } = await import('../build/index.js');
      const progress = progressPrinter(io, flags.json === true);
      const built = await buildBundle(appDir, {
        ...sourceOptions(flags),
        target: flags.target,
        keyFile: flags.key,
        ...(flags.passphraseFile !== undefined ? { passphrase: await readPassphrase(flags.passphraseFile) } : {}),
        outDir: flags.output ?? 'bundles',
        ...(flags.lock !== undefined ? { lockFile: flags.lock } : {}),
        ...(flags.gzip ? { gzip: true } : {}),
        ...(flags.pre ? { pre: true } : {}),
        onProgress: progress.update,
      });
      progress.done();
      const target = built.target.compact ?? built.target.name;
      if (flags.json) {
        io.stdout(
          JSON.stringify({
            ok: true,
            path: built.path,
            sha256: built.sha256,
            size: built.size,
            app: built.app.name,
            version: built.app.version.toString(),
            target,
            wheels: built.wheels.map((w) => ({ name: w.name, version: w.version, file: w.filename, sha256: w.sha256, size: w.size })),
          }) + '\n',
        );
        return;
      }
      const width = Math.max(0, ...built.wheels.map((w) => `${w.name} ${w.version}`.length));
      for (const w of built.wheels) io.stdout(`  ${`${w.name} ${w.version}`.padEnd(width)}  ${w.filename}\n`);
      io.stdout(
        `built ${built.app.name} ${built.app.version} for ${target}: ${built.wheels.length} wheels, ${built.manifest.files.length} files, ${built.size} bytes\n` +
          `${built.path}\nsha256 ${built.sha256}\n`,
      );
    });
}
