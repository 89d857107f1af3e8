// What a switch will do to one host, read from the tools that know: the closure difference (`nix store
// diff-closures` and `nix path-info -S`), the units dry activation would stop/restart/start/reload, and which
// GPU processes and exo instances those restarts interrupt.
//
// Output formats, as upstream prints them:
// - diff-closures: NixOS/nix src/nix/diff-closures.cc (commit 00298039678721b4d11fb0796bf7c62fcb859389),
//   printClosureDiff: one line per package `name: <removed> → <added>, <size>`; either item may be missing; a
//   missing side is `∅`, an empty version `ε`, several versions are joined by ", "; the size (only when it moved
//   by ≥ 8 KiB) is wrapped in ANSI colour and rendered by renderSize (older releases: `%+.1f KiB`, e.g. the doc's
//   `dolphin: 20.08.1 → 20.08.2, +13.9 KiB`, src/nix/diff-closures.md).
// - path-info -S: `<store path>\t<closure size in bytes>` per line (NixOS/nix src/nix/path-info.cc).
// - dry activation: NixOS/nixpkgs nixos/modules/system/activation/switch-to-configuration.pl (commit
//   037eeee3e0b9c14167c037ed0e9a7cfe7ba5c3b1) prints to stderr, each only when its list is non-empty:
//   `would stop the following units: a, b`, `would NOT stop the following changed units: …`,
//   `would restart systemd`, `would restart the following units: …`, `would start the following units: …`,
//   `would reload the following units: …`. switch-to-configuration-ng keeps these lines.

import type { GpuProcess } from '../ops/nvidiaSmi';
import { instancesOf, type ExoState } from '../ops/exoState';

export interface PackageChange {
  name: string;
  /** Versions only in the running system (`∅` side is empty; `ε` is the empty version ""). */
  before: string[];
  /** Versions only in the new system. */
  after: string[];
  /** Bytes; undefined when nix did not print it (moved by less than 8 KiB). */
  sizeDelta?: number;
  kind: 'added' | 'removed' | 'changed' | 'resized';
}

const ANSI = /\u001b\[[0-9;]*m/g;
const UNITS: Record<string, number> = { bytes: 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, PiB: 1024 ** 5 };
const SIZE = /^([+-]?\d+(?:\.\d+)?)\s*(bytes|B|KiB|MiB|GiB|TiB|PiB)$/;

function parseVersions(side: string): string[] {
  const t = side.trim();
  if (t === '∅') return [];
  return t.split(', ').map((v) => (v === 'ε' ? '' : v));
}

function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : undefined;
}

/** Parses `nix store diff-closures` output; lines it cannot read are returned, never dropped silently. */
export function parseDiffClosures(output: string): { changes: PackageChange[]; unreadable: string[] } {
  const changes: PackageChange[] = [];
  const unreadable: string[] = [];
  for (const raw of output.replace(ANSI, '').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(': ');
    if (colon <= 0) {
      unreadable.push(line);
      continue;
    }
    const name = line.slice(0, colon);
    let rest = line.slice(colon + 2);
    let sizeDelta: number | undefined;
    // The size is the last item; versions themselves never end in a unit.
    const lastComma = rest.lastIndexOf(', ');
    const tail = lastComma >= 0 ? rest.slice(lastComma + 2) : rest;
    const size = parseSize(tail);
    if (size !== undefined) {
      sizeDelta = size;
      rest = lastComma >= 0 ? rest.slice(0, lastComma) : '';
    }
    let before: string[] = [];
    let after: string[] = [];
    if (rest) {
      const arrow = rest.indexOf(' → ');
      if (arrow < 0) {
        unreadable.push(line);
        continue;
      }
      before = parseVersions(rest.slice(0, arrow));
      after = parseVersions(rest.slice(arrow + 3));
    } else if (sizeDelta === undefined) {
      unreadable.push(line);
      continue;
    }
    const kind = !rest ? 'resized' : before.length === 0 ? 'added' : after.length === 0 ? 'removed' : 'changed';
    changes.push({ name, before, after, sizeDelta, kind });
  }
  return { changes, unreadable };
}

/** Parses `nix path-info -S` output into closure sizes by store path. */
export function parsePathInfoSizes(output: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const line of output.split('\n')) {
    const m = /^(\/\S+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) sizes.set(m[1], Number(m[2]));
  }
  return sizes;
}

export interface DryActivation {
  stop: string[];
  /** Changed units switch-to-configuration leaves running (stopIfChanged/restartIfChanged = false). */
  notStopped: string[];
  restart: string[];
  start: string[];
  reload: string[];
  restartSystemd: boolean;
}

const DRY_LINES: Array<[RegExp, keyof Omit<DryActivation, 'restartSystemd'>]> = [
  [/^would stop the following units: (.*)$/, 'stop'],
  [/^would NOT stop the following changed units: (.*)$/, 'notStopped'],
  [/^would restart the following units: (.*)$/, 'restart'],
  [/^would start the following units: (.*)$/, 'start'],
  [/^would reload the following units: (.*)$/, 'reload'],
];

/** Parses `switch-to-configuration dry-activate` output (stderr and stdout together). */
export function parseDryActivate(output: string): DryActivation {
  const result: DryActivation = { stop: [], notStopped: [], restart: [], start: [], reload: [], restartSystemd: false };
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === 'would restart systemd') {
      result.restartSystemd = true;
      continue;
    }
    for (const [re, key] of DRY_LINES) {
      const m = re.exec(line);
      if (m)
        result[key].push(
          ...m[1]
            .split(', ')
            .map((u) => u.trim())
            .filter(Boolean),
        );
    }
  }
  return result;
}

/** Units whose processes die or restart during the switch: stopped (then maybe started again) or restarted. */
export function interruptedUnits(dry: DryActivation): Set<string> {
  return new Set([...dry.stop, ...dry.restart]);
}

export interface GpuProcessOnHost extends GpuProcess {
  /** The systemd unit it runs in (from /proc/PID/cgroup), when known. */
  unit?: string;
}

export interface Interruption {
  gpuProcesses: GpuProcessOnHost[];
  /** exo instances with a shard on this host's exo node, interrupted when exo.service stops or restarts. */
  exoInstances: Array<{ instanceId: string; modelId: string }>;
}

/**
 * Which GPU processes and exo instances the switch interrupts. A GPU process whose unit is unknown counts as
 * interrupted when systemd itself is re-executed (every unit may be touched) — otherwise it survives.
 */
export function interruptions(
  dry: DryActivation,
  gpu: readonly GpuProcessOnHost[],
  exo: { state?: ExoState; nodeId?: string; unit?: string },
): Interruption {
  const units = interruptedUnits(dry);
  const gpuProcesses = gpu.filter((p) => (p.unit ? units.has(p.unit) : false));
  const exoUnit = exo.unit ?? 'exo.service';
  const exoInstances: Interruption['exoInstances'] = [];
  if (exo.state && exo.nodeId && units.has(exoUnit)) {
    for (const inst of instancesOf(exo.state)) {
      if (inst.shards.some((s) => s.nodeId === exo.nodeId)) exoInstances.push({ instanceId: inst.instanceId, modelId: inst.modelId });
    }
  }
  return { gpuProcesses, exoInstances };
}

export interface HostPreview {
  host: string;
  currentSystem: string;
  newSystem: string;
  /** True when the new system is the running one: nothing to switch. */
  unchanged: boolean;
  /** The profile generation the host is on, and the number the new system gets. */
  currentGeneration: number;
  nextGeneration: number;
  packages: PackageChange[];
  /** Closure sizes in bytes, when nix path-info answered. */
  closureBefore?: number;
  closureAfter?: number;
  units: DryActivation;
  interrupts: Interruption;
  /** Lines of tool output this parser did not recognise. */
  unreadable: string[];
}

export function summarizePackages(changes: readonly PackageChange[]): {
  added: number;
  removed: number;
  changed: number;
  sizeDelta: number;
} {
  return {
    added: changes.filter((c) => c.kind === 'added').length,
    removed: changes.filter((c) => c.kind === 'removed').length,
    changed: changes.filter((c) => c.kind === 'changed').length,
    sizeDelta: changes.reduce((s, c) => s + (c.sizeDelta ?? 0), 0),
  };
}

export function formatBytes(n: number): string {
  const sign = n < 0 ? '-' : n > 0 ? '+' : '';
  let v = Math.abs(n);
  for (const unit of ['B', 'KiB', 'MiB', 'GiB']) {
    if (v < 1024 || unit === 'GiB') return `${sign}${unit === 'B' ? v : v.toFixed(1)} ${unit}`;
    v /= 1024;
  }
  return `${n} B`;
}

/** The preview as text (the CLI's TTY output and the editor's review document). */
export function renderPreview(p: HostPreview): string {
  const lines = [
    `## ${p.host}`,
    `running ${p.currentSystem} (generation ${p.currentGeneration})`,
    `new     ${p.newSystem}${p.unchanged ? '' : ` (becomes generation ${p.nextGeneration})`}`,
  ];
  if (p.unchanged) return [...lines, 'already running the new system: nothing to do', ''].join('\n');
  const s = summarizePackages(p.packages);
  const closure =
    p.closureBefore !== undefined && p.closureAfter !== undefined ? `, closure ${formatBytes(p.closureAfter - p.closureBefore)}` : '';
  lines.push(`packages: ${s.added} added, ${s.removed} removed, ${s.changed} changed${closure}`);
  for (const c of p.packages) {
    const versions = c.kind === 'resized' ? '' : `${c.before.join(', ') || '∅'} → ${c.after.join(', ') || '∅'}`;
    lines.push(
      `  ${c.kind.padEnd(7)} ${c.name}${versions ? `: ${versions}` : ''}${c.sizeDelta !== undefined ? ` (${formatBytes(c.sizeDelta)})` : ''}`,
    );
  }
  const u = p.units;
  for (const [label, list] of [
    ['stop', u.stop],
    ['restart', u.restart],
    ['start', u.start],
    ['reload', u.reload],
    ['left running', u.notStopped],
  ] as const) {
    if (list.length) lines.push(`units to ${label}: ${list.join(', ')}`);
  }
  if (u.restartSystemd) lines.push('systemd itself is re-executed');
  if (p.interrupts.gpuProcesses.length) {
    lines.push('GPU processes interrupted:');
    for (const g of p.interrupts.gpuProcesses)
      lines.push(`  pid ${g.pid} ${g.processName} (${g.unit ?? 'unit unknown'}, ${g.usedMemoryMiB} MiB on ${g.gpuUuid})`);
  } else lines.push('GPU processes interrupted: none');
  if (p.interrupts.exoInstances.length)
    lines.push(`exo instances interrupted: ${p.interrupts.exoInstances.map((i) => `${i.modelId} (${i.instanceId})`).join(', ')}`);
  if (p.unreadable.length) lines.push(`unrecognised tool output: ${p.unreadable.join(' / ')}`);
  lines.push('');
  return lines.join('\n');
}
