// The cluster explorer's tree model as pure functions of the spec and the live state: grouping, sorting,
// labels, descriptions, tooltips, icons and the contextValues the manifest's menus key on. The vscode tree
// providers only turn these records into TreeItems.

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

/** What the model reads; the ClusterStateStore provides it. */
export interface ExplorerInput {
  readonly spec: ClusterSpec | undefined;
  host(name: string): HostState;
  sourceHealth(): ReadonlyMap<string, SourceHealth>;
}

export type Grouping = 'tag' | 'segment';
export type GpuSort = 'freeMemory' | 'utilization';

/** A codicon id and a theme colour id. */
export interface Icon { id: string; color?: string }

export type NodeKind = 'connection' | 'sourceError' | 'group' | 'host' | 'gpu' | 'service' | 'interface' | 'checkpoint';

export interface TreeNodeModel {
  kind: NodeKind;
  /** Stable across refreshes, unique in its tree (a host listed under two tags has two ids). */
  id: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip: string;
  icon: Icon;
  contextValue: string;
  collapsible: boolean;
  host?: string;
  groupHosts?: string[];
  gpuIndex?: number;
  service?: ServiceName;
  interfaceName?: string;
  checkpointId?: string;
}

// ---------- presentation of states ----------

export const HOST_STATUS_LOOK: Record<HostStatus, { icon: Icon; text: string; explain: string }> = {
  unknown: { icon: { id: 'circle-outline', color: 'disabledForeground' }, text: 'unknown', explain: 'Nothing has reported on this host yet (probe it, or start exo).' },
  reachable: { icon: { id: 'circle-filled', color: 'charts.blue' }, text: 'reachable', explain: 'The host answers, but none of its cluster services is known to run.' },
  unreachable: { icon: { id: 'debug-disconnect', color: 'charts.orange' }, text: 'unreachable', explain: 'The host did not answer the last probe.' },
  deploying: { icon: { id: 'sync~spin', color: 'charts.yellow' }, text: 'deploying', explain: 'A deploy or update is running on this host.' },
  running: { icon: { id: 'pass-filled', color: 'charts.green' }, text: 'running', explain: 'The host is up and its cluster services run.' },
  failed: { icon: { id: 'error', color: 'charts.red' }, text: 'failed', explain: 'The last deploy, update or service on this host failed.' },
};

const SERVICE_LOOK: Record<ServiceFacts['status'], Icon> = {
  unknown: { id: 'circle-outline', color: 'disabledForeground' },
  starting: { id: 'loading~spin', color: 'charts.yellow' },
  running: { id: 'play-circle', color: 'charts.green' },
  downloading: { id: 'cloud-download', color: 'charts.blue' },
  loading: { id: 'loading~spin', color: 'charts.blue' },
  ready: { id: 'pass-filled', color: 'charts.green' },
  stopped: { id: 'stop-circle', color: 'charts.orange' },
  failed: { id: 'error', color: 'charts.red' },
};

const INTERFACE_ICON: Record<InterfaceKind, string> = {
  ethernet: 'plug', bond: 'link', vlan: 'symbol-namespace', thunderbolt: 'zap', wifi: 'broadcast',
};

/** exo statuses in which its node is up (Stop is offered, not Launch). */
const EXO_UP = new Set<ServiceStatus>(['running', 'downloading', 'loading', 'ready']);

const SERVICE_LABEL: Record<ServiceName, string> = { exo: 'exo', nats: 'NATS', k3s: 'k3s', 'checkpoint-agent': 'checkpoint agent' };

// ---------- spec facts ----------

/** Lookups every refresh needs, computed once per spec (the store replaces the spec object when it changes). */
interface SpecIndex { byName: Map<string, HostSpec>; exo: Set<HostSpec> }
const specIndexes = new WeakMap<ClusterSpec, SpecIndex>();

function indexOf(spec: ClusterSpec): SpecIndex {
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
  if (indexOf(spec).exo.has(host)) out.push('exo');
  if (roles.some((r) => r.startsWith('nats-'))) out.push('nats');
  if (roles.some((r) => r.startsWith('k3s-')) && spec.k3s?.enable !== false) out.push('k3s');
  if (roles.includes('checkpoint-agent')) out.push('checkpoint-agent');
  return out;
}

export interface GpuSlot { index: number; vendor: GpuVendor; model: string; vramGB?: number }

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

function gpuMetrics(slot: GpuSlot, live: GpuFacts | undefined): string[] {
  const total = gpuTotalMiB(slot, live);
  const parts: string[] = [];
  if (total !== undefined) parts.push(live?.memoryUsedMiB !== undefined ? `${formatGiB(live.memoryUsedMiB)} / ${formatGiB(total)} GiB` : `${formatGiB(total)} GiB`);
  const util = percent(live?.utilizationPct);
  if (util) parts.push(util);
  if (live?.temperatureC !== undefined) parts.push(`${Math.round(live.temperatureC)}°C`);
  return parts;
}

function gpuTooltip(host: string, slot: GpuSlot, live: GpuFacts | undefined): string {
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

function gpuSummary(host: HostSpec): string | undefined {
  const gpus = host.hardware?.gpus ?? [];
  if (!gpus.length) return undefined;
  return gpus.map((g) => `${(g.count ?? 1) > 1 ? `${g.count}× ` : ''}${g.model}`).join(', ');
}

// ---------- nodes ----------

/** Whether live state can flow (the live session), for the row that says so at the top of the Nodes view. */
export interface ConnectionView { trusted: boolean; connected: boolean }

/** The row above the groups while no live state flows: why, and (clicked) what to do about it. */
export function connectionNode(view: ConnectionView): TreeNodeModel | undefined {
  if (view.connected) return undefined;
  if (!view.trusted) {
    return {
      kind: 'connection', id: 'connection', label: 'Live state needs a trusted workspace', description: 'the spec is still validated',
      tooltip: 'This folder is open in **Restricted Mode**: the spec is validated, but the extension contacts none of the machines it names.\n\nTrust the folder to connect to the cluster.',
      icon: { id: 'shield' }, contextValue: 'connection.untrusted', collapsible: false,
    };
  }
  return {
    kind: 'connection', id: 'connection', label: 'Not connected', description: 'Connect to Cluster for live state',
    tooltip: 'Live state is off: the views show the spec only, and nothing contacts the machines it names.\n\nClick to connect (NATS, exo\'s API); Disconnect stops it again. The choice is remembered for this workspace.',
    icon: { id: 'plug' }, contextValue: 'connection.off', collapsible: false,
  };
}

function sourceErrorNodes(input: ExplorerInput): TreeNodeModel[] {
  const out: TreeNodeModel[] = [];
  for (const [source, health] of input.sourceHealth()) {
    if (health.ok) continue;
    const retry = health.retryAt ? ` Retrying at ${new Date(health.retryAt).toLocaleTimeString()}.` : '';
    out.push({
      kind: 'sourceError', id: `source/${source}`, label: `${source}: not answering`, description: health.error,
      tooltip: `**${source}** live state is unavailable.\n\n${health.error ?? ''}\n\nThe views show the spec and other sources meanwhile.${retry}`,
      icon: { id: 'warning', color: 'list.warningForeground' }, contextValue: 'sourceError', collapsible: false,
    });
  }
  return out;
}

function hostNode(input: ExplorerInput, host: HostSpec, spec: ClusterSpec, idPrefix: string): TreeNodeModel {
  const state = input.host(host.name);
  const look = HOST_STATUS_LOOK[state.status];
  const gpus = gpuSummary(host);
  return {
    kind: 'host', id: `${idPrefix}host/${host.name}`, label: host.name,
    description: [look.text, gpus].filter(Boolean).join(' · '),
    // Built when VS Code asks for it (on hover), not for every host on every refresh.
    get tooltip() {
      const roles = effectiveRoles(spec, host);
      const memory = state.memory ? `${formatGiB((state.memory.totalBytes - state.memory.availableBytes) / 2 ** 20)} / ${formatGiB(state.memory.totalBytes / 2 ** 20)} GiB RAM used` : undefined;
      return [
        `**${host.name}** — ${look.text}`,
        '',
        state.statusDetail ? `${look.explain} ${state.statusDetail}${state.statusSource ? ` (from ${state.statusSource})` : ''}` : look.explain,
        '',
        `- System: ${effectiveSystem(spec, host)}`,
        `- Addresses: ${host.addresses?.join(', ') || 'none'}`,
        roles.length ? `- Roles: ${roles.join(', ')}` : '- Roles: none',
        host.tags?.length ? `- Tags: ${host.tags.join(', ')}` : undefined,
        gpus ? `- GPUs: ${gpus}` : undefined,
        memory ? `- Memory: ${memory}` : undefined,
        state.acceleratorUsagePct !== undefined ? `- Accelerator load: ${Math.round(state.acceleratorUsagePct)}%` : undefined,
      ].filter((l) => l !== undefined).join('\n');
    },
    icon: look.icon, contextValue: hostContextValue(host, spec), collapsible: true, host: host.name,
  };
}

function groupNode(key: string, label: string, description: string | undefined, hosts: HostSpec[], input: ExplorerInput): TreeNodeModel {
  const running = hosts.filter((h) => input.host(h.name).status === 'running').length;
  const failed = hosts.filter((h) => input.host(h.name).status === 'failed').length;
  return {
    kind: 'group', id: `group/${key}`, label,
    description: `${hosts.length} host${hosts.length === 1 ? '' : 's'}${running ? ` · ${running} running` : ''}${failed ? ` · ${failed} failed` : ''}`,
    get tooltip() { return `**${label}**${description ? ` — ${description}` : ''}\n\n${hosts.map((h) => `- ${h.name}: ${input.host(h.name).status}`).join('\n')}`; },
    icon: failed ? { id: 'folder', color: 'charts.red' } : { id: 'folder' },
    contextValue: 'group', collapsible: true, groupHosts: hosts.map((h) => h.name),
  };
}

/** Top level of the Nodes view: source errors, then one group per tag or segment. */
export function nodeRoots(input: ExplorerInput, grouping: Grouping): TreeNodeModel[] {
  const spec = input.spec;
  if (!spec) return [];
  const hosts = (spec.hosts ?? []).filter((h) => h && typeof h.name === 'string');
  const groups: TreeNodeModel[] = [];
  if (grouping === 'tag') {
    const declared = Object.keys(spec.cluster?.tags ?? {});
    const used = hosts.flatMap((h) => h.tags ?? []);
    for (const tag of [...new Set([...declared, ...used])]) {
      const members = hosts.filter((h) => h.tags?.includes(tag));
      if (members.length) groups.push(groupNode(`tag/${tag}`, tag, spec.cluster?.tags?.[tag], members, input));
    }
    const untagged = hosts.filter((h) => !h.tags?.length);
    if (untagged.length) groups.push(groupNode('tag/', 'untagged', 'Hosts without tags', untagged, input));
  } else {
    const declared = (spec.network?.segments ?? []).map((s) => s.name);
    const used = hosts.flatMap(hostSegments);
    for (const segment of [...new Set([...declared, ...used])]) {
      const members = hosts.filter((h) => hostSegments(h).includes(segment));
      const def = spec.network?.segments?.find((s) => s.name === segment);
      if (members.length) groups.push(groupNode(`segment/${segment}`, segment, def ? `${def.subnet}${def.description ? ` — ${def.description}` : ''}` : 'not declared in network.segments', members, input));
    }
    const none = hosts.filter((h) => hostSegments(h).length === 0);
    if (none.length) groups.push(groupNode('segment/', 'no segment', 'Hosts with no interface on a segment', none, input));
  }
  return [...sourceErrorNodes(input), ...groups];
}

export function childrenOf(input: ExplorerInput, node: TreeNodeModel): TreeNodeModel[] {
  const spec = input.spec;
  if (!spec) return [];
  if (node.kind === 'group') {
    const { byName } = indexOf(spec);
    return (node.groupHosts ?? []).flatMap((name) => {
      const host = byName.get(name);
      return host ? [hostNode(input, host, spec, `${node.id}/`)] : [];
    });
  }
  if (node.kind === 'host' && node.host) {
    const host = indexOf(spec).byName.get(node.host);
    return host ? hostChildren(input, host, spec, node.id) : [];
  }
  return [];
}

function hostChildren(input: ExplorerInput, host: HostSpec, spec: ClusterSpec, parentId: string): TreeNodeModel[] {
  const state = input.host(host.name);
  const out: TreeNodeModel[] = [];
  for (const slot of gpuSlots(host)) {
    const live = state.gpus.find((g) => g.index === slot.index);
    out.push({
      kind: 'gpu', id: `${parentId}/gpu/${slot.index}`, label: `GPU ${slot.index}: ${slot.model}`,
      description: gpuMetrics(slot, live).join(' · '), get tooltip() { return gpuTooltip(host.name, slot, live); },
      icon: { id: 'circuit-board', color: live?.utilizationPct !== undefined && live.utilizationPct >= 90 ? 'charts.orange' : undefined },
      contextValue: 'gpu', collapsible: false, host: host.name, gpuIndex: slot.index,
    });
  }
  for (const service of hostServices(host, spec)) {
    const facts = state.services[service] ?? { status: 'unknown' as const };
    const contextValue = service === 'exo' ? `service.exo.${EXO_UP.has(facts.status) ? 'running' : 'stopped'}` : `service.${service}`;
    const status = facts.progressPct === undefined ? facts.status : `${facts.status} ${facts.progressPct}%`;
    out.push({
      kind: 'service', id: `${parentId}/service/${service}`, label: SERVICE_LABEL[service],
      description: [status, facts.detail].filter(Boolean).join(' · '),
      tooltip: `**${SERVICE_LABEL[service]}** on \`${host.name}\`: ${status}${facts.detail ? `\n\n${facts.detail}` : ''}`,
      icon: SERVICE_LOOK[facts.status], contextValue, collapsible: false, host: host.name, service,
    });
  }
  for (const iface of host.interfaces ?? []) {
    const live = state.interfaces.find((i) => i.name === iface.name);
    const link = live?.up === undefined ? undefined : live.up ? 'up' : 'down';
    const detail = [iface.kind, iface.segment, ...(iface.addresses ?? []), iface.members ? `members ${iface.members.join('+')}` : undefined, link].filter(Boolean);
    out.push({
      kind: 'interface', id: `${parentId}/interface/${iface.name}`, label: iface.name, description: detail.join(' · '),
      tooltip: `**${iface.name}** (${iface.kind}) on \`${host.name}\`\n\n- Segment: ${iface.segment ?? 'none'}\n- Addresses: ${iface.addresses?.join(', ') || (iface.dhcp ? 'DHCP' : 'none')}${iface.rdma ? '\n- RDMA capable' : ''}${live?.speedMbps ? `\n- Link speed: ${live.speedMbps} Mb/s` : ''}${link ? `\n- Link: ${link}` : ''}`,
      icon: { id: INTERFACE_ICON[iface.kind] ?? 'plug', color: live?.up === false ? 'charts.red' : undefined },
      contextValue: 'interface', collapsible: false, host: host.name, interfaceName: iface.name,
    });
  }
  for (const cp of state.checkpoints) {
    out.push({
      kind: 'checkpoint', id: `${parentId}/checkpoint/${cp.id}`, label: cp.unit ? `${cp.unit} @ ${cp.createdAt ?? cp.id}` : cp.id,
      description: cp.sizeBytes !== undefined ? `${formatGiB(cp.sizeBytes / 2 ** 20)} GiB` : undefined,
      tooltip: `**Checkpoint** \`${cp.id}\` on \`${host.name}\`${cp.unit ? `\n\n- Unit: ${cp.unit}` : ''}${cp.createdAt ? `\n- Created: ${cp.createdAt}` : ''}`,
      icon: { id: 'save' }, contextValue: 'checkpoint', collapsible: false, host: host.name, checkpointId: cp.id,
    });
  }
  return out;
}

/** The GPUs view: every GPU, most free memory (or least utilised) first; GPUs without live figures last. */
export function gpuRows(input: ExplorerInput, sort: GpuSort): TreeNodeModel[] {
  const spec = input.spec;
  if (!spec) return [];
  const rows: { node: TreeNodeModel; key: number | undefined }[] = [];
  for (const host of spec.hosts.filter((h) => h && typeof h.name === 'string')) {
    const state = input.host(host.name);
    for (const slot of gpuSlots(host)) {
      const live = state.gpus.find((g) => g.index === slot.index);
      const free = gpuFreeMiB(slot, live);
      const metrics = gpuMetrics(slot, live);
      if (free !== undefined) metrics.splice(1, 0, `${formatGiB(free)} GiB free`);
      rows.push({
        key: sort === 'freeMemory' ? free : live?.utilizationPct,
        node: {
          kind: 'gpu', id: `gpu/${host.name}/${slot.index}`, label: slot.model,
          description: `${host.name} #${slot.index} · ${metrics.join(' · ')}`,
          get tooltip() { return gpuTooltip(host.name, slot, live); },
          icon: { id: 'circuit-board', color: HOST_STATUS_LOOK[state.status].icon.color },
          contextValue: 'gpu', collapsible: false, host: host.name, gpuIndex: slot.index,
        },
      });
    }
  }
  const direction = sort === 'freeMemory' ? -1 : 1;
  rows.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) return a.key === b.key ? 0 : a.key === undefined ? 1 : -1;
    return direction * (a.key - b.key);
  });
  return rows.map((r) => r.node);
}
