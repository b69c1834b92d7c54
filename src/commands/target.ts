/**
 * `sneakpack target …`: show what sneakpack will build for.
 *
 * - `target show TARGET [--json]` — the supported tags (best first) and marker environment of a
 *   preset, compact target or profile file.
 * - `target list [--json]` — the built-in presets.
 */
import type { Command } from 'commander';
import type { CliIO } from '../cli.js';
import { registerProbe } from './probe.js';
// Types only: the target library loads when a subcommand runs, not at start-up (src/cli.ts).
import type { ResolvedTarget } from '../target/index.js';
import type { MarkerVariable } from '../target/target.js';

/** The `--json` form of `target show`: one object, unset marker variables (of `variables`, in order) as null. */
export function targetToJson(t: ResolvedTarget, variables: readonly MarkerVariable[]): Record<string, unknown> {
  const env: Record<string, string | null> = {};
  for (const k of variables) env[k] = t.markerEnvironment[k] ?? null;
  return {
    ok: true,
    name: t.name,
    description: t.description,
    source: t.source,
    compact: t.compact,
    python_version: t.pythonVersion,
    tags: t.tags.map(String),
    marker_environment: env,
  };
}

function showText(t: ResolvedTarget, variables: readonly MarkerVariable[]): string {
  const lines = [
    `Target:  ${t.name}`,
    `         ${t.description}`,
    `Compact: ${t.compact ?? '(none: not a CPython Linux target)'}`,
    `Python:  ${t.pythonVersion}`,
    '',
    `Marker environment (PEP 508; unset variables make markers that use them fail):`,
  ];
  const width = Math.max(...variables.map((k) => k.length));
  for (const k of variables) {
    const v = t.markerEnvironment[k];
    lines.push(`  ${k.padEnd(width)}  ${v === undefined ? '(unset)' : JSON.stringify(v)}`);
  }
  lines.push('', `Supported tags (${t.tags.length}, best first):`);
  const n = String(t.tags.length).length;
  t.tags.forEach((tag, i) => lines.push(`  ${String(i + 1).padStart(n)}  ${tag}`));
  return lines.join('\n') + '\n';
}

/** Register `target show`, `target list` and `target probe`. */
export function register(program: Command, io: CliIO): void {
  const target = program
    .command('target')
    .description('Describe build targets: supported wheel tags and marker environment.');

  target
    .command('show')
    .description('Show the tags (best first) and marker environment sneakpack builds for.')
    .argument('<target>', 'preset name (see "target list"), compact target like cp311-manylinux_2_36_armv7l, or a profile .json file')
    .option('--json', 'print one JSON object')
    .action(async (spec: string, opts: { json?: boolean }) => {
      const [{ resolveTargetArgument }, { MARKER_VARIABLES }] = await Promise.all([import('../target/load.js'), import('../target/index.js')]);
      const resolved = await resolveTargetArgument(spec);
      io.stdout(opts.json ? JSON.stringify(targetToJson(resolved, MARKER_VARIABLES)) + '\n' : showText(resolved, MARKER_VARIABLES));
    });

  registerProbe(target, io);

  target
    .command('list')
    .description('List the built-in target presets.')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const { PRESETS, compactTarget } = await import('../target/index.js');
      if (opts.json) {
        const presets = PRESETS.map((p) => ({
          name: p.name,
          aliases: p.aliases,
          description: p.description,
          compact: compactTarget(p.target),
          python_version: `${p.target.python.major}.${p.target.python.minor}${p.target.python.micro === undefined ? '' : `.${p.target.python.micro}`}`,
        }));
        io.stdout(JSON.stringify({ ok: true, presets }) + '\n');
        return;
      }
      const width = Math.max(...PRESETS.map((p) => p.name.length));
      const lines = PRESETS.map((p) => {
        const aka = p.aliases.length > 0 ? ` (also: ${p.aliases.join(', ')})` : '';
        return `${p.name.padEnd(width)}  ${p.description}${aka}\n${' '.repeat(width)}  = ${compactTarget(p.target)}`;
      });
      io.stdout(lines.join('\n') + '\n');
    });
}
