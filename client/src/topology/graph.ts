// Turns the spec and the live state into what the topology webview draws. Pure (no vscode): the panel, the
// unit tests and the benchmark's synthetic clusters all use it.

import { type ClusterSpec, effectiveRoles, effectiveSystem, type HostSpec } from '#core/spec';
import type {
  HostLive,
  TopologyAttachment,
  TopologyGraph,
  TopologyHost,
  TopologyLink,
  TopologySegment,
  TopologyState,
  TopologyStatus,
} from '../../../webview/src/protocol';
import type { HostStatus, LiveLink, ServiceFacts } from '../state/store';
import { formatGiB, gpuSlots, HOST_STATUS_LOOK, hostSegments, type ExplorerInput } from '../explorer/look';
import { containerSummary, containerViews } from '../containers/model';

// The wire type and the store's type must stay the same set of states.
const sameStatuses: [TopologyStatus, HostStatus] extends [HostStatus, TopologyStatus] ? true : never = true;
void sameStatuses;

function gpuBadge(host: HostSpec): string {
  return (host.hardware?.gpus ?? []).map((g) => `${(g.count ?? 1) > 1 ? `${g.count}× ` : ''}${g.model}`).join(' + ');
}

function attachments(host: HostSpec): TopologyAttachment[] {
  return (host.interfaces ?? [])
    .filter((i) => typeof i.segment === 'string' && i.segment && typeof i.name === 'string')
    .map((i) => ({ segment: i.segment!, iface: i.name, addresses: i.addresses ?? [] }));
}

/** `host:iface` → [host, iface]; a bare host name has no interface. */
function endpoint(ref: string): [string, string | undefined] {
  const i = ref.indexOf(':');
  return i < 0 ? [ref, undefined] : [ref.slice(0, i), ref.slice(i + 1)];
}

export function buildTopologyGraph(spec: ClusterSpec): TopologyGraph {
  const hostsSpec = (spec.hosts ?? []).filter((h) => h && typeof h.name === 'string');
  const names = new Set(hostsSpec.map((h) => h.name));
  const hubs = hostsSpec.filter((h) => effectiveRoles(spec, h).includes('nats-hub')).map((h) => h.name);
  const hosts: TopologyHost[] = hostsSpec.map((h) => {
    const roles = effectiveRoles(spec, h);
    return {
      id: h.name,
      segment: hostSegments(h)[0],
      attachments: attachments(h),
      system: effectiveSystem(spec, h),
      tags: h.tags ?? [],
      roles,
      addresses: h.addresses ?? [],
      gpuBadge: gpuBadge(h),
      gpuCount: gpuSlots(h).length,
      memoryGB: h.hardware?.memoryGB,
      nats: roles.includes('nats-hub') ? 'hub' : roles.includes('nats-leaf') ? 'leaf' : undefined,
      containers: (Array.isArray(h.containers) ? h.containers : []).filter((c) => c && typeof c.name === 'string').map((c) => c.name),
    };
  });
  const links: TopologyLink[] = [];
  (spec.network?.links ?? []).forEach((l, i) => {
    const [source, sIface] = endpoint(l.from ?? '');
    const [target, tIface] = endpoint(l.to ?? '');
    if (!names.has(source) || !names.has(target)) return; // the validator reports dangling links
    links.push({
      id: `link/${i}`,
      source,
      target,
      kind: l.kind,
      bandwidthGbps: l.bandwidthGbps,
      rdma: l.rdma,
      detail: `${sIface ?? source} ↔ ${tIface ?? target}`,
    });
  });
  // Leaves connect to the hub (the first, if several); this is how NATS traffic flows.
  const hub = hubs[0];
  if (hub) {
    for (const h of hosts)
      if (h.nats === 'leaf') links.push({ id: `nats/${h.id}`, source: h.id, target: hub, kind: 'nats', detail: 'NATS leaf → hub' });
  }
  const declared: TopologySegment[] = (spec.network?.segments ?? []).map((s) => ({
    id: s.name,
    subnet: s.subnet,
    vlan: s.vlan,
    description: s.description,
  }));
  // Every segment some interface is on, not only the hosts' first ones.
  const used = new Set(hosts.flatMap((h) => h.attachments.map((a) => a.segment)));
  const segments = declared.filter((s) => used.has(s.id));
  for (const s of used)
    if (!segments.some((d) => d.id === s)) segments.push({ id: s, subnet: undefined, description: 'not declared in network.segments' });
  return { cluster: spec.cluster?.name ?? 'cluster', hosts, links, segments };
}

function liveLink(l: LiveLink): TopologyLink {
  return {
    id: `exo/${l.kind}/${[l.from, l.to].sort().join('|')}`,
    source: l.from,
    target: l.to,
    kind: l.kind === 'rdma' ? 'exo-rdma' : 'exo-socket',
    rdma: l.kind === 'rdma',
    detail: l.detail,
  };
}

/** exo on the host: its lifecycle and the instance's shard placed there, e.g. `downloading 35% · Llama… layers 0–47/80`. */
function exoLine(exo: ServiceFacts | undefined): string | undefined {
  if (!exo || exo.status === 'unknown') return undefined;
  return [exo.progressPct === undefined ? exo.status : `${exo.status} ${exo.progressPct}%`, exo.detail].filter(Boolean).join(' · ');
}

export function buildTopologyState(input: ExplorerInput & { liveLinks(): LiveLink[] }): TopologyState {
  const hosts: HostLive[] = (input.spec?.hosts ?? [])
    .filter((h) => h && typeof h.name === 'string')
    .map((h) => {
      const s = input.host(h.name);
      const mem = s.memory;
      // GPU memory summed over the GPUs that report it (a source reports VRAM per GPU), else RAM / unified memory.
      const gpus = s.gpus.filter((g) => g.memoryTotalMiB !== undefined && g.memoryUsedMiB !== undefined);
      const vram = gpus.length
        ? { used: gpus.reduce((t, g) => t + g.memoryUsedMiB!, 0), total: gpus.reduce((t, g) => t + g.memoryTotalMiB!, 0) }
        : undefined;
      const ram = mem ? { used: (mem.totalBytes - mem.availableBytes) / 2 ** 20, total: mem.totalBytes / 2 ** 20 } : undefined;
      const shown = vram ?? ram;
      const used = shown ? shown.used / shown.total : undefined;
      const amount = shown ? `${formatGiB(shown.used)} / ${formatGiB(shown.total)} GiB` : undefined;
      const memoryText = amount && (vram ? `${amount} GPU memory${gpus.length > 1 ? ` (${gpus.length} GPUs)` : ''}` : `${amount} RAM`);
      const loads = s.gpus.map((g) => g.utilizationPct).filter((v): v is number => v !== undefined);
      const gpuUsagePct = loads.length ? loads.reduce((t, v) => t + v, 0) / loads.length : s.acceleratorUsagePct;
      return {
        id: h.name,
        status: s.status,
        statusText: `${HOST_STATUS_LOOK[s.status].text}${s.statusDetail ? ` — ${s.statusDetail}` : ''}`,
        memoryUsed: used === undefined || !Number.isFinite(used) ? undefined : Math.min(1, Math.max(0, used)),
        memoryText,
        memoryShort: amount && `${vram ? 'VRAM' : 'RAM'} ${amount}`,
        gpuUsagePct,
        exoText: exoLine(s.services.exo),
        containerLines:
          s.containers || h.containers?.length ? containerViews(h, s).map((v) => `${v.name} ${containerSummary(v)}`) : undefined,
      };
    });
  const seen = new Set<string>();
  const liveLinks = input
    .liveLinks()
    .map(liveLink)
    .filter((l) => !seen.has(l.id) && !!seen.add(l.id));
  return { hosts, liveLinks };
}
