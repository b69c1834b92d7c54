/**
 * Measuring: wall time of child processes (each command is timed as the user would run it, start-up
 * included), peak RSS through GNU time, dropping the page cache for cold runs, statistics, and a
 * description of the machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

/** Run `argv` and return its wall time in ms; throws with the command's output if it fails. */
export function run(argv, { env = process.env, cwd, rss = false } = {}) {
  let cmd = argv;
  const rssFile = join(tmpdir(), `sneakpack-bench-rss-${process.pid}`);
  if (rss) cmd = ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`command failed (${r.error?.message ?? `status ${r.status}`}): ${argv.join(' ')}\n${String(r.stdout).slice(-2000)}\n${String(r.stderr).slice(-4000)}`);
  }
  const out = { ms, stdout: String(r.stdout) };
  if (rss) {
    out.maxRssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    rmSync(rssFile, { force: true });
  }
  return out;
}

let dropAllowed;
/** True when this process may drop the page cache (root, and /proc writable). */
export function canDropCaches() {
  if (dropAllowed === undefined) {
    try {
      execFileSync('sync');
      writeFileSync('/proc/sys/vm/drop_caches', '3');
      dropAllowed = true;
    } catch {
      dropAllowed = false;
    }
  }
  return dropAllowed;
}

/** Flush dirty pages and, when allowed, drop the page cache, dentries and inodes. */
export function dropCaches() {
  execFileSync('sync');
  if (canDropCaches()) writeFileSync('/proc/sys/vm/drop_caches', '3');
}

/** min / median / max of a list. */
export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
}

function firstLine(argv) {
  try {
    return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0];
  } catch {
    return 'unavailable';
  }
}

/** Where `dir` lives: device, file system type and mount options, and whether the disk rotates. */
function diskOf(dir) {
  let df = 'unknown';
  try {
    df = execFileSync('df', ['--output=source,fstype,size', '-h', dir], { encoding: 'utf8' }).trim().split('\n')[1].trim().replace(/\s+/g, ' ');
  } catch {
    return df;
  }
  const dev = df.split(' ')[0].replace('/dev/', '');
  const rot = existsSync(`/sys/block/${dev}/queue/rotational`) ? readFileSync(`/sys/block/${dev}/queue/rotational`, 'utf8').trim() : null;
  const model = existsSync(`/sys/block/${dev}/device/model`) ? readFileSync(`/sys/block/${dev}/device/model`, 'utf8').trim() : null;
  return `${df}${rot === null ? '' : rot === '1' ? ', rotational' : ', non-rotational'}${model ? `, ${model}` : dev.startsWith('vd') ? ', virtio block device' : ''}`;
}

/** The machine, interpreters and date, for the report. */
export function machineInfo({ cacheDir, py311, py313 }) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    date: new Date().toISOString(),
    cpu: model,
    cores: cpus().length,
    ram_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: `${release()} (${process.arch})`,
    disk: diskOf(cacheDir),
    node: process.version,
    box_python: `${firstLine([py311, '--version'])} (${py311})`,
    box_pip: firstLine([py311, '-m', 'pip', '--version']).replace(/ from .*\(/, ' (').trim(),
    resolver_python: `${firstLine([py313, '--version'])}`,
    resolver_pip: firstLine([py313, '-m', 'pip', '--version']).replace(/ from .*\(/, ' (').trim(),
    sha256sum: firstLine(['sha256sum', '--version']),
    tar: firstLine(['tar', '--version']),
    unzip: firstLine(['unzip', '-v']).split(' by ')[0].replace(/,\s*$/, ''),
    drop_caches: canDropCaches(),
  };
}
