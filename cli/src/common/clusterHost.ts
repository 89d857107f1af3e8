// What the operations subcommands share: the spec loaded and refused when it has errors (as Generate does), a host
// of it by name with its SSH endpoint, the checkpoint settings, and the step reports written as progress lines on
// a terminal.

import { loadSpec } from '#core/validate';
import type { ClusterSpec, HostSpec } from '#core/spec';
import { hostEndpoint, type SshEndpoint } from '#core/ssh';
import { escapeControl, type CliIo } from './io';

export interface ClusterContext {
  spec: ClusterSpec;
  specFile: string;
  host(name: string): HostSpec;
  endpoint(name: string): SshEndpoint;
}

/** The spec at `target`, or the message to print (exit 1; spec text in it is escaped for the terminal). */
export async function loadCluster(target: string): Promise<ClusterContext | string> {
  let loaded;
  try {
    loaded = await loadSpec(target);
  } catch (err) {
    return escapeControl((err as Error).message);
  }
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    return `the spec has ${errors.length} error(s) (gpu-cluster validate ${escapeControl(target)} shows where):\n${errors
      .slice(0, 5)
      .map((d) => `  ${d.code} ${escapeControl(d.message)}\n`)
      .join('')}`;
  }
  const spec = loaded.model.spec;
  const host = (name: string) => {
    const h = spec.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`There is no host "${name}" in the spec.`);
    return h;
  };
  return { spec, specFile: loaded.clusterPath, host, endpoint: (name) => hostEndpoint(spec, loaded.clusterPath, host(name)) };
}

/** `--name value` / `--name=value` options and positional arguments; flags listed in `flags` take no value. */
export function splitArgs(
  args: readonly string[],
  valued: readonly string[],
  flags: readonly string[],
): { options: Map<string, string>; flags: Set<string>; positional: string[] } | string {
  const options = new Map<string, string>();
  const set = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (valued.includes(name)) {
      const value = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (value === undefined) return `${name} needs a value`;
      options.set(name, value);
    } else if (flags.includes(a)) set.add(a);
    else if (a.startsWith('-')) return `unknown option ${a}`;
    else positional.push(a);
  }
  return { options, flags: set, positional };
}

/** One step's line on the terminal (`✓ lock`, `✗ dump: exit 1 …`); nothing when not a terminal or with --json. */
export function progressLine(io: CliIo, json: boolean, host: string, step: { step: string; ok: boolean; detail?: string }): void {
  if (!io.progress || json) return;
  io.err(`${step.ok ? '✓' : '✗'} ${escapeControl(host)} ${step.step}${step.detail ? `: ${escapeControl(step.detail)}` : ''}\n`);
}
