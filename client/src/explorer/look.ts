// How the cluster looks in the explorer's trees and the topology panel: the icons and words for host and
// service states, the facts the views derive from the spec (services of a host, its GPU slots, segments, menus'
// contextValues) and the formatting of figures. Pure functions of the spec and the live state.

import {
  type ClusterSpec,
  effectiveGpus,
  effectiveRoles,
  effectiveSystem,
  exoHosts,
  type GpuVendor,
  type HostSpec,
  type InterfaceKind,
  isDarwin,
} from '#core/spec';
import type { GpuFacts, HostState, HostStatus, ServiceFacts, ServiceName, ServiceStatus, SourceHealth } from '../state/store';

/** What the views read; the ClusterStateStore provides it. */
export interface ExplorerInput {
  readonly spec: ClusterSpec | undefined;
  host(name: string): HostState;
  sourceHealth(): ReadonlyMap<string, SourceHealth>;
}

/** A codicon id and a theme colour id. */
export interface Icon {
  id: string;
  color?: string;
}

// ---------- presentation of states ----------

export const HOST_STATUS_LOOK: Record<HostStatus, { icon: Icon; text: string; explain: string }> = {
  unknown: {
    icon: { id: 'circle-outline', color: 'disabledForeground' },
    text: 'unknown',
    explain: 'Nothing has reported on this host yet (probe it, or start exo).',
  },
  reachable: {
    icon: { id: 'circle-filled', color: 'charts.blue' },
    text: 'reachable',
    explain: 'The host answers, but none of its cluster services is known to run.',
  },
  unreachable: {
    icon: { id: 'debug-disconnect', color: 'charts.orange' },
    text: 'unreachable',
    explain: 'The host did not answer the last probe.',
  },
  deploying: {
    icon: { id: 'sync~spin', color: 'charts.yellow' },
    text: 'deploying',
    explain: 'A deploy or update is running on this host.',
  },
  running: { icon: { id: 'pass-filled', color: 'charts.green' }, text: 'running', explain: 'The host is up and its cluster services run.' },
  failed: {
    icon: { id: 'error', color: 'charts.red' },
    text: 'failed',
    explain: 'The last deploy, update or service on this host failed.',
  },
};

export const SERVICE_LOOK: Record<ServiceFacts['status'], Icon> = {
  unknown: { id: 'circle-outline', color: 'disabledForeground' },
  starting: { id: 'loading~spin', color: 'charts.yellow' },
  running: { id: 'play-circle', color: 'charts.green' },
  downloading: { id: 'cloud-download', color: 'charts.blue' },
  loading: { id: 'loading~spin', color: 'charts.blue' },
  ready: { id: 'pass-filled', color: 'charts.green' },
  stopped: { id: 'stop-circle', color: 'charts.orange' },
  failed: { id: 'error', color: 'charts.red' },
};

export const INTERFACE_ICON: Record<InterfaceKind, string> = {
  ethernet: 'plug',
  bond: 'link',
  vlan: 'symbol-namespace',
  thunderbolt: 'zap',
  wifi: 'broadcast',
};

/** exo statuses in which its node is up (Stop is offered, not Launch). */
export const EXO_UP = new Set<ServiceStatus>(['running', 'downloading', 'loading', 'ready']);

export const SERVICE_LABEL: Record<ServiceName, string> = { exo: 'exo', nats: 'NATS', k3s: 'k3s', 'checkpoint-agent': 'checkpoint agent' };

// ---------- spec facts ----------

/** Lookups every refresh needs, computed once per spec (the store replaces the spec object when it changes). */
interface SpecIndex {
  byName: Map<string, HostSpec>;
  exo: Set<HostSpec>;
}
const specIndexes = new WeakMap<ClusterSpec, SpecIndex>();

export function specIndex(spec: ClusterSpec): SpecIndex {
  let index = specIndexes.get(spec);
  if (!index) {
    index = { byName: new Map(spec.hosts.map((h) => [h.name, h])), exo: new Set(exoHosts(spec)) };
    specIndexes.set(spec, index);
  }
  return index;
}

/** Services a host runs, from its roles. */
export function hostServices(host: HostSpec, spec: ClusterSpec): ServiceName[] {
  const roles = effectiveRoles(spec, host);
  const out: ServiceName[] = [];
  if (specIndex(spec).exo.has(host)) out.push('exo');
  if (roles.some((r) => r.startsWith('nats-'))) out.push('nats');
  if (roles.some((r) => r.startsWith('k3s-')) && spec.k3s?.enable !== false) out.push('k3s');
  if (roles.includes('checkpoint-agent')) out.push('checkpoint-agent');
  return out;
}

export interface GpuSlot {
  index: number;
  vendor: GpuVendor;
  model: string;
  vramGB?: number;
}

/** The host's GPUs one by one (a `count: 2` entry becomes two slots), indexed in spec order; VRAM from the catalogue when the spec omits it. */
export function gpuSlots(host: HostSpec): GpuSlot[] {
  const slots: GpuSlot[] = [];
  for (const g of effectiveGpus(host)) {
    for (let i = 0; i < g.count; i++) slots.push({ index: slots.length, vendor: g.vendor, model: g.model, vramGB: g.vramGB });
  }
  return slots;
}

/** `host.darwin`, or `host.linux` plus the first discrete GPU vendor: the manifest's menus match these. */
export function hostContextValue(host: HostSpec, spec: ClusterSpec): string {
  if (isDarwin(effectiveSystem(spec, host))) return 'host.darwin';
  const vendor = (host.hardware?.gpus ?? []).map((g) => g.vendor).find((v) => v !== 'apple');
  return vendor ? `host.linux.${vendor}` : 'host.linux';
}

export function hostSegments(host: HostSpec): string[] {
  return [...new Set((host.interfaces ?? []).map((i) => i.segment).filter((s): s is string => !!s))];
}

// ---------- formatting ----------

export function formatGiB(mib: number): string {
  const gib = mib / 1024;
  return gib >= 100 ? gib.toFixed(0) : gib >= 10 ? gib.toFixed(1) : gib.toFixed(2);
}

function percent(value: number | undefined): string | undefined {
  return value === undefined ? undefined : `${Math.round(value)}%`;
}

function gpuTotalMiB(slot: GpuSlot, live: GpuFacts | undefined): number | undefined {
  return live?.memoryTotalMiB ?? (slot.vramGB !== undefined ? slot.vramGB * 1024 : undefined);
}

export function gpuFreeMiB(slot: GpuSlot, live: GpuFacts | undefined): number | undefined {
  const total = gpuTotalMiB(slot, live);
  if (total === undefined || live?.memoryUsedMiB === undefined) return undefined;
  return Math.max(0, total - live.memoryUsedMiB);
}

export function gpuMetrics(slot: GpuSlot, live: GpuFacts | undefined): string[] {
  const total = gpuTotalMiB(slot, live);
  const parts: string[] = [];
  if (total !== undefined)
    parts.push(
      live?.memoryUsedMiB !== undefined ? `${formatGiB(live.memoryUsedMiB)} / ${formatGiB(total)} GiB` : `${formatGiB(total)} GiB`,
    );
  const util = percent(live?.utilizationPct);
  if (util) parts.push(util);
  if (live?.temperatureC !== undefined) parts.push(`${Math.round(live.temperatureC)}°C`);
  return parts;
}

export function gpuTooltip(host: string, slot: GpuSlot, live: GpuFacts | undefined): string {
  const total = gpuTotalMiB(slot, live);
  const free = gpuFreeMiB(slot, live);
  return [
    `**${slot.model}** (${slot.vendor}) — GPU ${slot.index} on \`${host}\``,
    '',
    `- VRAM: ${live?.memoryUsedMiB !== undefined ? `${formatGiB(live.memoryUsedMiB)} GiB used` : 'usage unknown'}${total !== undefined ? ` of ${formatGiB(total)} GiB` : ''}${free !== undefined ? `, ${formatGiB(free)} GiB free` : ''}`,
    `- Utilisation: ${percent(live?.utilizationPct) ?? 'unknown'}`,
    `- Temperature: ${live?.temperatureC !== undefined ? `${Math.round(live.temperatureC)}°C` : 'unknown'}`,
    live ? '' : '\n_No live figures yet: probe the host or connect to NATS telemetry._',
  ].join('\n');
}

export function gpuSummary(host: HostSpec): string | undefined {
  const gpus = host.hardware?.gpus ?? [];
  if (!gpus.length) return undefined;
  return gpus.map((g) => `${(g.count ?? 1) > 1 ? `${g.count}× ` : ''}${g.model}`).join(', ');
}
