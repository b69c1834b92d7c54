#!/usr/bin/env node
/**
 * `npm run bench [-- --runs N] [--only ID,…] [--warm] [--cache DIR] [--no-docs] [--list] [--report-only]`
 *
 * Measures sneakpack against what a user would otherwise run, in the same run, on the same machine
 * (issue 7). Every command is a child process timed as a whole (start-up included); each run times
 * every command of a group once, alternating their order, and a row's ratio is taken per run and
 * reported as min / median / max. Cold groups sync and drop the page cache before every timed
 * command (root only; otherwise the numbers are warm and the report says so). Warm groups run every
 * command once untimed first.
 *
 * Results are merged into bench/results.json (keyed by row id, so `--only` updates a subset) and
 * the generated part of docs/BENCHMARKS.md is rewritten from it. A missed target prints a line
 * starting with `TARGET MISSED`. Speed targets live here only, never in unit tests.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { canDropCaches, dropCaches, machineInfo, run, stats } from './harness.mjs';
import { DEFAULT_CACHE, GEN_VERSION, PY311, PY313, ROOT, cleanEnv, ensureBuildApp, ensureKeys, ensureWorkload } from './workloads.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    warm: { type: 'boolean', default: false },
    cache: { type: 'string', default: DEFAULT_CACHE },
    'no-docs': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
  },
});

const RUNS = Number(opts.runs);
const CACHE = opts.cache;
const WORK = join(CACHE, 'work');
const HOME = join(CACHE, 'home');
const SNEAKPACK = ['node', join(ROOT, 'bin', 'sneakpack')];
const ENV = cleanEnv(HOME);
const COLD = !opts.warm && canDropCaches();
const log = (m) => process.stderr.write(`${m}\n`);

const fmtS = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const fmtR = (r) => (r >= 10 ? r.toFixed(1) : r.toFixed(2));

// ---------------------------------------------------------------------------------------------
// Inputs

let keys;
const bundles = new Map();
/**
 * `sneakpack build` of workload `w`, as a user runs it: the app folder (pyproject.toml and the
 * pinned requirements.txt), the target profile, the wheel folder and the key; the bundle goes
 * into `out`.
 */
function buildArgv(w, out) {
  const app = ensureBuildApp(w);
  return [...SNEAKPACK, 'build', app.dir, '--target', profile('py311'), '--find-links', w.wheelsDir, '-r', app.requirements, '--key', keys.sec, '--output', out, '--json'];
}

/** Build the workload's bundle once per invocation (with the current dist/, by `sneakpack build`), return its path. */
function bundleOf(name) {
  if (bundles.has(name)) return bundles.get(name);
  const w = ensureWorkload(CACHE, name, log);
  const out = join(w.dir, 'bundle');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const r = run(buildArgv(w, out), { env: ENV });
  const path = JSON.parse(r.stdout).path;
  bundles.set(name, path);
  return path;
}

function profile(which) {
  const file = join(CACHE, `profile-${which}.json`);
  if (!existsSync(file)) {
    const py = which === 'py311' ? PY311 : PY313;
    const r = run(['node', '--input-type=module', '-e', `import { probeInterpreter } from ${JSON.stringify(join(ROOT, 'dist', 'target', 'probe.js'))}; process.stdout.write(JSON.stringify(await probeInterpreter(${JSON.stringify(py)})));`]);
    writeFileSync(file, r.stdout);
  }
  return file;
}

const rm = (...paths) => () => {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
};

const sneakInstall = (bundle, prefix, extra = []) => [...SNEAKPACK, 'install', bundle, '--pubkey', keys.pub, '--prefix', prefix, '--python', PY311, '--json', ...extra];
const pipFresh = (w, venv, compile) =>
  ['sh', '-c', `"$0" -m venv "$1" && "$1/bin/python" -m pip install --no-index --find-links "$2" ${compile ? '' : '--no-compile'} -q -r "$3"`, PY311, venv, w.wheelsDir, w.requirements];

// ---------------------------------------------------------------------------------------------
// Measuring a group

/**
 * Time each command of `commands` `runs` times (cold: page cache dropped before each; warm: one
 * untimed pass first). A command is `{ label, argv, prepare?, rss? }`; `prepare` runs untimed
 * before every timing (clean up, install the previous release…). Returns samples by label.
 */
function measure(commands, { runs = RUNS, cold = COLD, check } = {}) {
  const samples = Object.fromEntries(commands.map((c) => [c.label, { ms: [], rssKb: [], stdout: [] }]));
  if (!cold) {
    for (const c of commands) {
      c.prepare?.();
      run(c.argv, { env: ENV });
    }
  }
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? commands : [...commands].reverse();
    for (const c of order) {
      c.prepare?.();
      if (cold) dropCaches();
      const r = run(c.argv, { env: ENV, rss: c.rss ?? false });
      samples[c.label].ms.push(r.ms);
      samples[c.label].stdout.push(r.stdout);
      if (r.maxRssKb !== undefined) samples[c.label].rssKb.push(r.maxRssKb);
      if (i === 0 && check) check(c.label, r);
      log(`  ${c.label}: ${fmtS(r.ms)}${r.maxRssKb !== undefined ? `, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB` : ''}`);
    }
  }
  return samples;
}

/**
 * A comparison row: `subject` against `baseline`. `ratio` is `baseline/subject` ("N x faster",
 * target: at least N) or `subject/baseline` ("within N x", target: at most N).
 */
function row(id, title, samples, { subject, baseline, ratio, target = null, workload, cold, note }) {
  const s = samples[subject].ms;
  const b = samples[baseline].ms;
  const ratios = s.map((x, i) => (ratio === 'baseline/subject' ? b[i] / x : x / b[i]));
  const r = stats(ratios);
  const met = target === null ? null : ratio === 'baseline/subject' ? r.median >= target : r.median <= target;
  return {
    id,
    kind: 'time',
    title,
    workload,
    cache: cold ? 'cold' : 'warm',
    subject: { label: subject, ms: stats(s) },
    baseline: { label: baseline, ms: stats(b) },
    ratio: { of: ratio === 'baseline/subject' ? `${baseline} ÷ ${subject}` : `${subject} ÷ ${baseline}`, ...r },
    target: target === null ? null : { op: ratio === 'baseline/subject' ? '>=' : '<=', value: target },
    met,
    note: note ?? null,
    measured_at: new Date().toISOString(),
  };
}

function memoryRow(id, title, samples, label, limitMb, workload) {
  const mb = stats(samples[label].rssKb.map((k) => k / 1024));
  return {
    id,
    kind: 'memory',
    title,
    workload,
    cache: 'warm',
    subject: { label, ms: stats(samples[label].ms), peak_mb: mb },
    target: { op: '<', value: limitMb, unit: 'MB' },
    met: mb.max < limitMb,
    note: null,
    measured_at: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// The groups

const GROUPS = [
  {
    id: 'install-a',
    describe: 'install the Flask-sized closure (a), warm: sneakpack vs fresh venv + pip, without and with byte-compiling',
    run() {
      const w = ensureWorkload(CACHE, 'a', log);
      const bundle = bundleOf('a');
      const [p1, p2, v1, v2] = ['sp-a', 'sp-ac', 'pip-a', 'pip-ac'].map((n) => join(WORK, n));
      const samples = measure(
        [
          { label: 'sneakpack', argv: sneakInstall(bundle, p1), prepare: rm(p1) },
          { label: 'pip', argv: pipFresh(w, v1, false), prepare: rm(v1) },
          { label: 'sneakpack --compile', argv: sneakInstall(bundle, p2, ['--compile']), prepare: rm(p2) },
          { label: 'pip (compiling)', argv: pipFresh(w, v2, true), prepare: rm(v2) },
        ],
        { cold: false },
      );
      return [
        row('install-a', 'Install (a), no byte-compile', samples, { subject: 'sneakpack', baseline: 'pip', ratio: 'baseline/subject', target: 10, workload: 'a', cold: false }),
        row('install-a-compile', 'Install (a), both byte-compile', samples, { subject: 'sneakpack --compile', baseline: 'pip (compiling)', ratio: 'baseline/subject', workload: 'a', cold: false }),
      ];
    },
  },
  {
    id: 'install-b',
    describe: 'install the large closure (b), cold: sneakpack vs fresh venv + pip vs the floor (unzip + venv --without-pip)',
    run() {
      const w = ensureWorkload(CACHE, 'b', log);
      const bundle = bundleOf('b');
      const [p, v, f] = ['sp-b', 'pip-b', 'floor-b'].map((n) => join(WORK, n));
      const site = join(f, 'lib', 'python3.11', 'site-packages');
      const samples = measure(
        [
          { label: 'sneakpack', argv: sneakInstall(bundle, p), prepare: rm(p) },
          { label: 'pip', argv: pipFresh(w, v, false), prepare: rm(v) },
          {
            label: 'floor',
            argv: ['sh', '-c', `"$0" -m venv --without-pip "$1" && for w in "$2"/*.whl; do unzip -q -o "$w" -d "$3" || exit 1; done`, PY311, f, w.wheelsDir, site],
            prepare: rm(f),
          },
        ],
        {
          check(label) {
            if (label !== 'sneakpack') return;
            run([join(p, 'benchapp', 'current', 'venv', 'bin', 'python'), '-c', 'import cext._speed, big_00, big_88, benchapp.cli; assert cext._speed.add(2, 3) == 5'], { env: ENV });
          },
        },
      );
      return [
        row('install-b', 'Install (b), no byte-compile', samples, { subject: 'sneakpack', baseline: 'pip', ratio: 'baseline/subject', target: 2, workload: 'b', cold: COLD }),
        row('floor-b', 'Install (b) vs the floor', samples, { subject: 'sneakpack', baseline: 'floor', ratio: 'subject/baseline', target: 1.3, workload: 'b', cold: COLD }),
      ];
    },
  },
  {
    id: 'install-b-compile',
    describe: 'install (b), cold, both byte-compiling',
    run() {
      const w = ensureWorkload(CACHE, 'b', log);
      const bundle = bundleOf('b');
      const [p, v] = ['sp-bc', 'pip-bc'].map((n) => join(WORK, n));
      const samples = measure([
        { label: 'sneakpack --compile', argv: sneakInstall(bundle, p, ['--compile']), prepare: rm(p) },
        { label: 'pip (compiling)', argv: pipFresh(w, v, true), prepare: rm(v) },
      ]);
      return [row('install-b-compile', 'Install (b), both byte-compile', samples, { subject: 'sneakpack --compile', baseline: 'pip (compiling)', ratio: 'baseline/subject', workload: 'b', cold: COLD })];
    },
  },
  {
    id: 'upgrade-b',
    describe: 'upgrade (b) to b2 (one wheel changed), cold: sneakpack new release vs pip rebuilding the venv, and vs pip upgrading in place',
    run() {
      const w1 = ensureWorkload(CACHE, 'b', log);
      const w2 = ensureWorkload(CACHE, 'b2', log);
      const b1 = bundleOf('b');
      const b2 = bundleOf('b2');
      const [p, v, vi] = ['sp-up', 'pip-up', 'pip-inplace'].map((n) => join(WORK, n));
      const samples = measure([
        {
          label: 'sneakpack upgrade',
          argv: sneakInstall(b2, p),
          prepare() {
            rm(p)();
            run(sneakInstall(b1, p), { env: ENV });
          },
        },
        { label: 'pip (new venv)', argv: pipFresh(w2, v, false), prepare: rm(v) },
        {
          label: 'pip (in place)',
          argv: [join(vi, 'bin', 'python'), '-m', 'pip', 'install', '--no-index', '--find-links', w2.wheelsDir, '--no-compile', '-q', '-r', w2.requirements],
          prepare() {
            rm(vi)();
            run(pipFresh(w1, vi, false), { env: ENV });
          },
        },
      ]);
      return [
        row('upgrade-b', 'Upgrade (b), one wheel changed', samples, { subject: 'sneakpack upgrade', baseline: 'pip (new venv)', ratio: 'baseline/subject', target: 10, workload: 'b → b2', cold: COLD }),
        row('upgrade-b-inplace', 'Upgrade (b) vs pip in place (not atomic)', samples, { subject: 'sneakpack upgrade', baseline: 'pip (in place)', ratio: 'baseline/subject', workload: 'b → b2', cold: COLD }),
      ];
    },
  },
  {
    id: 'verify',
    describe: 'verify the bundles of (b) and (c), warm: sneakpack verify vs sha256sum of the bundle',
    run() {
      const rows = [];
      for (const name of ['b', 'c']) {
        const bundle = bundleOf(name);
        const samples = measure(
          [
            { label: 'sneakpack verify', argv: [...SNEAKPACK, 'verify', bundle, '--pubkey', keys.pub] },
            { label: 'sha256sum', argv: ['sha256sum', bundle] },
          ],
          { cold: false },
        );
        rows.push(row(`verify-${name}`, `Verify (${name})`, samples, { subject: 'sneakpack verify', baseline: 'sha256sum', ratio: 'subject/baseline', target: 1.3, workload: name, cold: false }));
      }
      return rows;
    },
  },
  {
    id: 'build',
    describe: 'build the bundles of (b) and (c) from a ready wheelhouse, warm: sneakpack build vs sha256sum + tar -cf of the same files',
    run() {
      const rows = [];
      for (const name of ['b', 'c']) {
        const w = ensureWorkload(CACHE, name, log);
        const app = ensureBuildApp(w);
        const out = join(WORK, `build-${name}`);
        const tarOut = join(WORK, `tar-${name}`);
        const samples = measure(
          [
            { label: 'sneakpack build', argv: buildArgv(w, out), prepare: () => (rm(out)(), mkdirSync(out, { recursive: true })) },
            {
              // The same files: the wheels and the app folder (with its pyproject.toml and requirements.txt).
              label: 'sha256sum + tar',
              argv: ['sh', '-c', 'cd "$0" && mkdir -p "$1" && find "$2" "$3" -type f | sort | xargs sha256sum > "$1/SHA256" && tar -cf "$1/out.tar" "$2" "$3" -C "$1" SHA256', w.dir, tarOut, relative(w.dir, w.wheelsDir), relative(w.dir, app.dir)],
              prepare: rm(tarOut),
            },
          ],
          {
            cold: false,
            check(label, r) {
              if (label !== 'sneakpack build') return;
              const built = JSON.parse(r.stdout);
              if (built.wheels.length !== w.wheels) throw new Error(`build ${name}: ${built.wheels.length} wheels in the bundle, the workload has ${w.wheels}`);
            },
          },
        );
        rows.push(
          row(`build-${name}`, `Build (${name})`, samples, {
            subject: 'sneakpack build',
            baseline: 'sha256sum + tar',
            ratio: 'subject/baseline',
            target: 1.5,
            workload: name,
            cold: false,
            note: '`sneakpack build APP --target profile.json --find-links WHEELS -r requirements.txt --key K -o OUT` (resolution from the wheel folder, hashing, signing, writing and fsync of the bundle), start-up included',
          }),
        );
      }
      return rows;
    },
  },
  {
    id: 'memory',
    describe: 'peak RSS of sneakpack verify and install on the 1 GB bundle (c)',
    run() {
      const bundle = bundleOf('c');
      const p = join(WORK, 'sp-c');
      const samples = measure(
        [
          { label: 'sneakpack verify', argv: [...SNEAKPACK, 'verify', bundle, '--pubkey', keys.pub], rss: true },
          { label: 'sneakpack install', argv: sneakInstall(bundle, p), prepare: rm(p), rss: true },
        ],
        { runs: Math.min(RUNS, 3), cold: false },
      );
      rm(p)();
      return [
        memoryRow('memory-verify-c', 'Peak RSS, verify (c)', samples, 'sneakpack verify', 150, 'c'),
        memoryRow('memory-install-c', 'Peak RSS, install (c)', samples, 'sneakpack install', 150, 'c'),
      ];
    },
  },
  {
    id: 'resolve',
    describe: "resolve the 300-package backtracking index, warm: sneakpack's wheel resolver vs pip's (dry run), start-up measured separately",
    run() {
      const w = ensureWorkload(CACHE, 'resolve', log);
      const task = (dir, req) => ['node', join(ROOT, 'bench', 'tasks', 'resolve.mjs'), dir, req, profile('py313')];
      const report = join(WORK, 'pip-report.json');
      const pip = (dir, req) => [PY313, '-m', 'pip', 'install', '--isolated', '--dry-run', '--ignore-installed', '--no-index', '--no-cache-dir', '--only-binary=:all:', '--find-links', dir, '--report', report, '-q', '-r', req];
      mkdirSync(WORK, { recursive: true });
      const samples = measure(
        [
          { label: 'sneakpack', argv: task(w.wheelsDir, w.requirements) },
          { label: 'pip', argv: pip(w.wheelsDir, w.requirements) },
          { label: 'sneakpack, one wheel', argv: task(join(w.dir, 'trivial'), join(w.dir, 'trivial.txt')) },
          { label: 'pip, one wheel', argv: pip(join(w.dir, 'trivial'), join(w.dir, 'trivial.txt')) },
        ],
        {
          cold: false,
          check(label, r) {
            if (label === 'sneakpack') resolveCheck.sneakpack = JSON.parse(r.stdout).packages;
            if (label === 'pip') resolveCheck.pip = Object.fromEntries(JSON.parse(readFileSync(report, 'utf8')).install.map((i) => [i.metadata.name, i.metadata.version]));
          },
        },
      );
      const inProcess = stats(samples.sneakpack.stdout.map((o) => JSON.parse(o).ms));
      const same = JSON.stringify(Object.entries(resolveCheck.sneakpack ?? {}).sort()) === JSON.stringify(Object.entries(resolveCheck.pip ?? {}).sort());
      const n = Object.keys(resolveCheck.sneakpack ?? {}).length;
      const start = { sneakpack: stats(samples['sneakpack, one wheel'].ms), pip: stats(samples['pip, one wheel'].ms) };
      const note =
        `${n} packages chosen; ${same ? 'the same versions as pip' : 'DIFFERENT versions from pip'}. ` +
        `Start-up plus a one-wheel resolution: sneakpack ${fmtS(start.sneakpack.median)}, pip ${fmtS(start.pip.median)}; ` +
        `sneakpack's time inside the process ${fmtS(inProcess.median)}`;
      const r1 = row('resolve', 'Resolve the 300-package index', samples, { subject: 'sneakpack', baseline: 'pip', ratio: 'baseline/subject', workload: 'resolve', cold: false, note });
      const r2 = row('resolve-startup', 'Start-up + one-wheel resolution', samples, { subject: 'sneakpack, one wheel', baseline: 'pip, one wheel', ratio: 'baseline/subject', workload: 'resolve', cold: false });
      const net = stats(samples.sneakpack.ms.map((x, i) => (samples.pip.ms[i] - samples['pip, one wheel'].ms[i]) / (x - samples['sneakpack, one wheel'].ms[i])));
      r1.net_ratio = { of: 'pip ÷ sneakpack, each minus its one-wheel run', ...net };
      return [r1, r2];
    },
  },
];
const resolveCheck = {};

// ---------------------------------------------------------------------------------------------
// Report

const RESULTS = join(ROOT, 'bench', 'results.json');
const DOC = join(ROOT, 'docs', 'BENCHMARKS.md');
const BEGIN = '<!-- bench:begin (generated by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:end -->';

function targetText(r) {
  if (r.target === null) return '—';
  if (r.kind === 'memory') return `< ${r.target.value} MB`;
  return r.target.op === '>=' ? `≥ ${r.target.value}` : `≤ ${r.target.value}`;
}

function verdict(r) {
  if (r.met === null) return 'info';
  if (r.met) return 'met';
  if (r.kind === 'memory') return `**missed** (${(r.subject.peak_mb.max / r.target.value).toFixed(2)}x the limit)`;
  const m = r.ratio.median;
  const v = r.target.value;
  return `**missed** (${r.target.op === '>=' ? `needs ${(v / m).toFixed(1)}x more` : `${((m / v - 1) * 100).toFixed(0)}% over`})`;
}

function markdown(results) {
  const m = results.machine;
  const lines = [BEGIN, '', `Measured ${m.date.slice(0, 10)} on:`, '', '| | |', '|---|---|'];
  for (const [k, v] of [
    ['CPU', `${m.cpu}, ${m.cores} cores`],
    ['RAM', `${m.ram_gb} GB`],
    ['Kernel', m.kernel],
    ['Disk', m.disk],
    ['Node.js', m.node],
    ['Box Python / pip', `${m.box_python}, ${m.box_pip}`],
    ['Resolver reference', `${m.resolver_python}, ${m.resolver_pip}`],
    ['Tools', `${m.sha256sum}; ${m.tar}; ${m.unzip}`],
    ['Page cache', m.drop_caches ? 'dropped before every timed command of a cold row (`sync; echo 3 > /proc/sys/vm/drop_caches`)' : 'could not be dropped (not root): **every row is warm**'],
  ])
    lines.push(`| ${k} | ${v} |`);
  lines.push('', 'Load is the 1-minute load average before → after the row\'s group (the machine is shared; above the core count, other processes compete). Times are medians; a ratio is taken per run (the commands of a row alternate their order), then min / median / max; a target is judged on the median.', '');
  const time = results.rows.filter((r) => r.kind === 'time');
  lines.push('| Row | Workload | Cache | Runs | Load | sneakpack | Baseline | Ratio | min / median / max | Target | |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of time) {
    lines.push(
      `| ${r.title} | ${r.workload} | ${r.cache} | ${r.ratio.n} | ${(r.load ?? []).join('→')} | ${r.subject.label}: ${fmtS(r.subject.ms.median)} | ${r.baseline.label}: ${fmtS(r.baseline.ms.median)} | ${r.ratio.of} | ${fmtR(r.ratio.min)} / **${fmtR(r.ratio.median)}** / ${fmtR(r.ratio.max)} | ${targetText(r)} | ${verdict(r)} |`,
    );
  }
  const mem = results.rows.filter((r) => r.kind === 'memory');
  if (mem.length > 0) {
    lines.push('', '| Memory | Workload | Peak RSS min / median / max | Time (median) | Target | |', '|---|---|---|---|---|---|');
    for (const r of mem) {
      const p = r.subject.peak_mb;
      lines.push(`| ${r.title} | ${r.workload} | ${p.min.toFixed(0)} / **${p.median.toFixed(0)}** / ${p.max.toFixed(0)} MB | ${fmtS(r.subject.ms.median)} | ${targetText(r)} | ${verdict(r)} |`);
    }
  }
  const notes = results.rows.filter((r) => r.note !== null || r.net_ratio !== undefined);
  if (notes.length > 0) {
    lines.push('');
    for (const r of notes) {
      const net = r.net_ratio === undefined ? '' : ` Without start-up (${r.net_ratio.of}): ${fmtR(r.net_ratio.min)} / **${fmtR(r.net_ratio.median)}** / ${fmtR(r.net_ratio.max)}.`;
      lines.push(`- ${r.title}: ${[r.note, net.trim()].filter((x) => x !== null && x !== '').map((x) => x.replace(/\.?$/, '.')).join(' ')}`);
    }
  }
  const w = results.workloads;
  lines.push('', 'Workloads (generated by bench/workloads.mjs, deterministic):', '');
  for (const [name, info] of Object.entries(w)) {
    lines.push(`- **${name}**: ${info.wheels} wheels, ${(info.bytes / 1e6).toFixed(1)} MB${info.files ? `, ${info.files} files in the wheels` : ''}${info.bundle_bytes ? `; bundle ${(info.bundle_bytes / 1e6).toFixed(1)} MB` : ''}`);
  }
  lines.push('', END);
  return lines.join('\n');
}

function writeDoc(results) {
  const block = markdown(results);
  let text = existsSync(DOC) ? readFileSync(DOC, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  text = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + END.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, text);
}

// ---------------------------------------------------------------------------------------------

if (opts['report-only']) {
  writeDoc(JSON.parse(readFileSync(RESULTS, 'utf8')));
  process.exit(0);
}
if (opts.list) {
  for (const g of GROUPS) console.log(`${g.id.padEnd(18)} ${g.describe}`);
  process.exit(0);
}
const only = opts.only === undefined ? null : opts.only.split(',').map((s) => s.trim());
const groups = GROUPS.filter((g) => only === null || only.includes(g.id));
if (groups.length === 0) {
  log(`no benchmark matches --only ${opts.only}; see --list`);
  process.exit(2);
}
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  log('dist/ is missing: run `npm run build` first');
  process.exit(2);
}
mkdirSync(WORK, { recursive: true });
mkdirSync(HOME, { recursive: true });
keys = ensureKeys(CACHE);
log(COLD ? 'cold rows drop the page cache before every timed command' : 'page cache NOT dropped: every row is warm');

const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : { rows: [], workloads: {} };
const rows = new Map(previous.rows.map((r) => [r.id, r]));
const missed = [];

/** Write bench/results.json and the docs block from every row so far (after each group: an interrupted run keeps what it measured). */
function save() {
  const workloads = { ...previous.workloads };
  for (const name of ['a', 'b', 'b2', 'c', 'resolve']) {
    const dir = join(CACHE, `${name}-v${GEN_VERSION}`);
    const f = join(dir, 'done.json');
    if (!existsSync(f)) continue;
    const info = JSON.parse(readFileSync(f, 'utf8'));
    // Not info.dir: done.json keeps the absolute paths of the cache it was generated in, and this may be a copy.
    const bdir = join(dir, 'bundle');
    const tar = existsSync(bdir) ? readdirSync(bdir).find((x) => x.endsWith('.tar')) : undefined;
    workloads[name] = { wheels: info.wheels, bytes: info.bytes, files: info.files ?? null, bundle_bytes: tar ? statSync(join(bdir, tar)).size : workloads[name]?.bundle_bytes ?? null };
  }
  const ids = [...rows.keys()];
  const rank = (id) => {
    const g = GROUPS.findIndex((x) => id === x.id || id.startsWith(`${x.id}-`) || (x.id === 'install-b' && id === 'floor-b') || (x.id === 'memory' && id.startsWith('memory-')));
    return g < 0 ? GROUPS.length : g;
  };
  const ordered = ids.map((id, i) => [rank(id), i, id]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , id]) => rows.get(id));
  machine ??= machineInfo({ cacheDir: CACHE, py311: PY311, py313: PY313 });
  const results = { machine, rows: ordered, workloads };
  writeFileSync(RESULTS, JSON.stringify(results, null, 1) + '\n');
  if (!opts['no-docs']) writeDoc(results);
}
let machine;

for (const g of groups) {
  log(`\n== ${g.id}: ${g.describe} (${RUNS} runs)`);
  const loadBefore = loadavg()[0];
  const made = g.run();
  const load = [loadBefore, loadavg()[0]].map((x) => Math.round(x * 10) / 10);
  for (const r of made) {
    r.load = load;
    rows.set(r.id, r);
    const line =
      r.kind === 'memory'
        ? `${r.id}: peak RSS ${r.subject.peak_mb.min.toFixed(0)} / ${r.subject.peak_mb.median.toFixed(0)} / ${r.subject.peak_mb.max.toFixed(0)} MB (target ${targetText(r)})`
        : `${r.id}: ${r.subject.label} ${fmtS(r.subject.ms.median)}, ${r.baseline.label} ${fmtS(r.baseline.ms.median)}; ${r.ratio.of} = ${fmtR(r.ratio.min)} / ${fmtR(r.ratio.median)} / ${fmtR(r.ratio.max)} (target ${targetText(r)})`;
    console.log(line);
    if (r.met === false) {
      const msg = `TARGET MISSED: ${r.id} (${r.title}): ${verdict(r).replace(/\*/g, '')}`;
      missed.push(msg);
      console.log(msg);
    }
  }
  save();
}
rm(WORK)();
console.log(missed.length === 0 ? '\nno target missed by the rows of this run' : `\n${missed.length} target(s) missed:\n${missed.join('\n')}`);
