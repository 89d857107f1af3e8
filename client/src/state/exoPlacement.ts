// Placement as a choice (no vscode imports, unit-tested against exo's recorded documents): exo's previews
// (`GET /instance/previews`) described with spec host names, the memory each node would take on, and the
// links between the chosen nodes from exo's topology (exo's users ask for placement they can see and steer:
// exo-explore/exo issues #1720, #957); then the progress of a placement per host.
import { describePhase, matchExoNodes, stripCidr, type ExoState, type PlacementPreview, type PlacementProgress } from '#core/ops';
import type { ClusterSpec } from '#core/spec';

export interface PlacementChoice {
  label: string;
  description: string;
  detail: string;
  /** False for combinations exo cannot place (the detail says why). */
  possible: boolean;
  preview: PlacementPreview;
}

const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GB`;

/** The links exo would use between the preview's nodes (its topology edges among them). */
export function placementLinks(state: ExoState, nodeIds: string[], spec: ClusterSpec): string[] {
  const names = matchExoNodes(state, spec);
  const inside = new Set(nodeIds);
  const interfaceOf = new Map<string, string>();
  for (const host of spec.hosts) {
    for (const iface of host.interfaces ?? [])
      for (const a of iface.addresses ?? []) interfaceOf.set(stripCidr(a), `${host.name}:${iface.name}`);
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [from, sinks] of Object.entries(state.topology?.connections ?? {})) {
    if (!inside.has(from)) continue;
    for (const [to, edges] of Object.entries(sinks)) {
      if (!inside.has(to)) continue;
      for (const edge of edges) {
        const a = names.get(from) ?? from.slice(0, 12),
          b = names.get(to) ?? to.slice(0, 12);
        const key = [a, b].sort().join('↔') + ('sourceRdmaIface' in edge ? 'rdma' : '');
        if (seen.has(key)) continue;
        seen.add(key);
        if ('sourceRdmaIface' in edge) out.push(`${a} ↔ ${b} RDMA (${edge.sourceRdmaIface} ↔ ${edge.sinkRdmaIface})`);
        else {
          const ip =
            edge.sinkMultiaddr.ip_address ?? /\/ip[46]\/([^/]+)/.exec(edge.sinkMultiaddr.address)?.[1] ?? edge.sinkMultiaddr.address;
          out.push(`${a} ↔ ${b} via ${interfaceOf.get(ip) ?? ip}`);
        }
      }
    }
  }
  return out;
}

export function placementChoices(previews: PlacementPreview[], state: ExoState, spec: ClusterSpec): PlacementChoice[] {
  const names = matchExoNodes(state, spec);
  const host = (id: string) => names.get(id) ?? `${id.slice(0, 12)}…`;
  return previews.map((preview) => {
    const engine = preview.instanceMeta === 'MlxJaccl' ? 'RDMA (MlxJaccl)' : 'sockets (MlxRing)';
    if (!preview.instance) {
      return {
        label: `$(circle-slash) ${preview.sharding} · ${engine}`,
        description: 'not possible',
        detail: preview.error ?? 'exo cannot place it this way',
        possible: false,
        preview,
      };
    }
    const shards = preview.instance.shards;
    const layers = shards.map(
      (s) =>
        `${host(s.nodeId)} ${s.startLayer !== undefined && s.endLayer !== undefined ? `layers ${s.startLayer}–${s.endLayer}` : s.sharding.toLowerCase()} (${gb(preview.memoryByNode[s.nodeId] ?? 0)})`,
    );
    const links = placementLinks(
      state,
      shards.map((s) => s.nodeId),
      spec,
    );
    return {
      label: `${preview.sharding} · ${shards.length} node${shards.length === 1 ? '' : 's'} · ${engine}`,
      description: layers.join(', '),
      detail: shards.length > 1 ? `links: ${links.length ? links.join('; ') : "none known in exo's topology"}` : 'one node, no links',
      possible: true,
      preview,
    };
  });
}

/** One line per host: where the placement stands there. */
export function progressLines(progress: PlacementProgress, state: ExoState, spec: ClusterSpec): string[] {
  const names = matchExoNodes(state, spec);
  return progress.nodes.map(({ shard, phase }) => `${names.get(shard.nodeId) ?? shard.nodeId.slice(0, 12)} ${describePhase(phase)}`);
}
