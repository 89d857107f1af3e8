// The cytoscape drawing of the cluster: hosts (name, GPUs, live memory with a bar, status border), the network
// segments they are on, links styled by kind, NATS leaf→hub edges and exo's live edges. Spec changes
// add/remove/update elements and lay out only what has no place yet; state changes only touch element data, so
// nothing moves.
//
// Up to LAYERED_LIMIT hosts, a segment is a node of its own and every interface on it is an edge to it (a host on
// mgmt, data and tb has three), laid out by ELK in a worker after a first sketch. Above, hosts are packed in a
// box per segment (their first one) and only their other segments get edges.

import cytoscape from 'cytoscape';
import type { EdgeKind, HostLive, TopologyGraph, TopologyHost, TopologyLink, TopologySegment, TopologyState } from './protocol';
import type { Palette } from './theme';
import { packLayout, sketchLayout } from './packLayout';
import { layered, type Positions } from './elkLayout';

export const HOST_WIDTH = 184;
export const HOST_HEIGHT = 64;
export const SEGMENT_HEIGHT = 30;
/** Up to this many hosts ELK lays them out along their links; above, hosts are packed by segment (packLayout). */
export const LAYERED_LIMIT = 60;
export const MIN_ZOOM = 0.05;

export interface LayoutReport {
  ms: number;
  hosts: number;
}

/** How each kind of edge is drawn; the legend shows the same table. */
export interface EdgeLook {
  label: string;
  width: number;
  line: 'solid' | 'dashed' | 'dotted';
  colour(p: Palette): string;
  arrow?: boolean;
}
export const EDGE_LOOKS: Record<EdgeKind, EdgeLook> = {
  segment: { label: 'interface on a segment', width: 1.5, line: 'solid', colour: (p) => p.muted },
  ethernet: { label: 'Ethernet link', width: 2, line: 'solid', colour: (p) => p.link.ethernet },
  bond: { label: 'bond', width: 5, line: 'solid', colour: (p) => p.link.bond },
  thunderbolt: { label: 'Thunderbolt (RDMA)', width: 4, line: 'solid', colour: (p) => p.link.thunderbolt },
  infiniband: { label: 'InfiniBand', width: 4, line: 'solid', colour: (p) => p.link.infiniband },
  nats: { label: 'NATS leaf → hub', width: 1.5, line: 'dashed', colour: (p) => p.link.nats, arrow: true },
  'exo-socket': { label: 'exo (socket)', width: 2, line: 'dotted', colour: (p) => p.link['exo-socket'] },
  'exo-rdma': { label: 'exo (RDMA)', width: 3, line: 'dotted', colour: (p) => p.link['exo-rdma'] },
};

export function segmentNodeId(segment: string): string {
  return `segment/${segment}`;
}

export function segmentLabel(s: TopologySegment): string {
  return [s.id, s.subnet, s.vlan !== undefined ? `VLAN ${s.vlan}` : undefined].filter(Boolean).join(' · ');
}

/** A segment node is as wide as its label (12 px font). */
export function segmentWidth(label: string): number {
  return Math.max(90, Math.ceil(label.length * 7.2) + 28);
}

function bandwidthLabel(l: TopologyLink): string {
  if (l.bandwidthGbps === undefined) return '';
  return `${l.bandwidthGbps} Gb/s${l.rdma ? ' RDMA' : ''}`;
}

function edgeData(l: TopologyLink, live: boolean) {
  return { id: `e:${l.id}`, source: l.source, target: l.target, kind: l.kind, label: bandwidthLabel(l), detail: l.detail ?? '', live };
}

/** A host's edges to the segments it is on; a large cluster draws its first segment as the box around it instead. */
function attachmentEdges(h: TopologyHost, large: boolean) {
  return h.attachments
    .filter((a) => !large || a.segment !== h.segment)
    .map((a) => ({
      id: `a:${h.id}:${a.iface}`,
      source: h.id,
      target: segmentNodeId(a.segment),
      kind: 'segment' as const,
      label: large ? '' : a.iface,
      detail: `${a.iface} on ${a.segment}${a.addresses.length ? `: ${a.addresses.join(', ')}` : ''}`,
      live: false,
    }));
}

/** The box's lines: name, GPUs, memory (live when a source reports it, else the spec's size), and its containers. */
export function hostLabel(
  id: string,
  badge: string,
  memoryGB: number | undefined,
  live: HostLive | undefined,
  containers: string[],
): string {
  const memory = live?.memoryShort ?? (memoryGB !== undefined ? `${memoryGB} GB RAM` : '');
  // Containers sit inside their host: `▣ infer ▣ web`, the running ones filled.
  const names = live?.containerLines?.map((l) => `${/ running/.test(l) ? '▣' : '□'} ${l.split(' ')[0]}`) ?? containers.map((c) => `□ ${c}`);
  return [id, badge || 'no GPU', memory, names.join(' ')].filter(Boolean).join('\n');
}

function liveData(h: HostLive | undefined, host: { id: string; badge: string; memoryGB?: number; containers: string }) {
  return {
    display: hostLabel(host.id, host.badge, host.memoryGB, h, host.containers ? host.containers.split(',') : []),
    status: h?.status ?? 'unknown',
    statusText: h?.statusText ?? 'unknown',
    memUsed: h?.memoryUsed ?? -1,
    /** The memory bar in 5 % steps (-1: unknown): one static style per step is far cheaper than style functions. */
    memStep: h?.memoryUsed === undefined ? -1 : Math.round(h.memoryUsed * 20),
    memoryText: h?.memoryText ?? '',
    gpuUsage: h?.gpuUsagePct ?? -1,
    exoText: h?.exoText ?? '',
    containersText: (h?.containerLines ?? []).join('\n'),
  };
}

/** Below this zoom a 12 px label is under the 7 px that is drawn at all (min-zoomed-font-size). */
export const LABEL_ZOOM = 7 / 12;

/** `labels`: false for a large cluster zoomed out, whose labels would be too small to draw but still be measured. */
function stylesheet(p: Palette, large: boolean, labels: boolean): unknown[] {
  return [
    {
      selector: 'node[kind = "host"]',
      style: {
        shape: 'round-rectangle',
        width: HOST_WIDTH,
        height: HOST_HEIGHT,
        'z-index-compare': 'manual',
        'z-index': 2,
        label: 'data(display)',
        'text-wrap': 'wrap',
        'text-max-width': `${HOST_WIDTH - 12}px`,
        'text-valign': 'center',
        'text-halign': 'center',
        'font-size': 12,
        'line-height': 1.25,
        'font-family': p.font,
        color: p.foreground,
        // Labels too small to read are not drawn: a 500-host cluster zoomed out stays fluid.
        'min-zoomed-font-size': 7,
        'background-color': p.track,
        'background-opacity': 1,
        'border-width': 3,
        'border-color': p.status.unknown,
      },
    },
    // Status colours and the memory bar (the node's fill up to the fraction of memory in use) as static rules:
    // style functions would be re-evaluated for every host on every update.
    ...(Object.keys(p.status) as (keyof Palette['status'])[]).map((status) => ({
      selector: `node[status = "${status}"]`,
      style: { 'border-color': p.status[status] },
    })),
    ...Array.from({ length: 21 }, (_, step) => ({
      selector: `node[memStep = ${step}]`,
      style: {
        'background-fill': 'linear-gradient',
        'background-gradient-direction': 'to-right',
        'background-gradient-stop-colors': `${p.memoryFill} ${p.memoryFill} ${p.track} ${p.track}`,
        'background-gradient-stop-positions': `0 ${step * 5} ${step * 5} 100`,
      },
    })),
    { selector: 'node[nats = "hub"]', style: { 'border-style': 'double', 'border-width': 6 } },
    // Large clusters draw segments as plain boxes behind their hosts (no compound nodes: restyling compound
    // children re-walks their parents, which dominated the first paint at 500 hosts).
    {
      selector: 'node[kind = "segmentBox"]',
      style: {
        shape: 'round-rectangle',
        width: 'data(w)',
        height: 'data(h)',
        'background-color': p.groupFill,
        'background-opacity': 0.35,
        'border-width': 1,
        'border-style': 'dashed',
        'border-color': p.groupBorder,
        events: 'no',
        label: 'data(label)',
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': 22,
        'font-size': 13,
        'font-family': p.font,
        color: p.muted,
        'min-zoomed-font-size': 7,
        'z-index-compare': 'manual',
        'z-index': 0,
      },
    },
    {
      selector: 'node[kind = "segment"]',
      style: {
        shape: 'round-rectangle',
        width: 'data(w)',
        height: SEGMENT_HEIGHT,
        'background-color': p.groupFill,
        'background-opacity': 1,
        'border-width': 1.5,
        'border-style': 'dashed',
        'border-color': p.muted,
        'z-index-compare': 'manual',
        'z-index': 2,
        label: 'data(label)',
        'text-valign': 'center',
        'text-halign': 'center',
        'font-size': 12,
        'font-family': p.font,
        color: p.foreground,
        'min-zoomed-font-size': 7,
      },
    },
    {
      selector: 'edge',
      style: {
        'z-index-compare': 'manual',
        'z-index': 1,
        width: 2,
        'line-color': p.foreground,
        'curve-style': 'bezier',
        opacity: 0.85,
        label: 'data(label)',
        'font-size': 10,
        'font-family': p.font,
        color: p.muted,
        'min-zoomed-font-size': 7,
        'text-background-color': p.background,
        'text-background-opacity': 0.85,
        'text-background-padding': '2px',
      },
    },
    ...(Object.entries(EDGE_LOOKS) as [EdgeKind, EdgeLook][]).map(([kind, look]) => ({
      selector: `edge[kind = "${kind}"]`,
      style: {
        width: look.width,
        'line-style': look.line,
        'line-color': look.colour(p),
        ...(look.arrow ? { 'target-arrow-shape': 'triangle', 'target-arrow-color': look.colour(p) } : {}),
      },
    })),
    { selector: 'edge[kind = "segment"]', style: { opacity: 0.6, 'font-size': 9, 'curve-style': 'straight' } },
    { selector: 'edge[kind = "nats"]', style: { opacity: 0.6 } },
    // exo's edges bow to either side so they stay visible next to the physical link between the same hosts.
    { selector: 'edge[kind = "exo-socket"]', style: { 'curve-style': 'unbundled-bezier', 'control-point-distances': 30 } },
    { selector: 'edge[kind = "exo-rdma"]', style: { 'curve-style': 'unbundled-bezier', 'control-point-distances': -30 } },
    // A large cluster's hundreds of edges as haystacks: straight, no control points to compute, no dashes to
    // rasterise (dashes are the slowest thing a canvas draws); their kind still shows in width and colour.
    ...(large
      ? [
          {
            selector: 'edge[!live]',
            style: { 'curve-style': 'haystack', 'haystack-radius': 0, 'line-style': 'solid', 'target-arrow-shape': 'none' },
          },
        ]
      : []),
    // Measuring 500 three-line labels (at the first paint and again whenever live memory changes them) is a
    // good part of the work when none of them is drawn.
    ...(labels ? [] : [{ selector: 'node[kind = "host"], edge', style: { label: '' } }]),
    { selector: '.faded', style: { opacity: 0.12 } },
    { selector: 'node:selected', style: { 'overlay-color': p.selection, 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
  ];
}

/** Whether no movable node of the graph has a saved place (then it is packed or sketched at once). */
export function isFresh(graph: TopologyGraph, saved: Positions): boolean {
  const large = graph.hosts.length > LAYERED_LIMIT;
  const movableIds = [...graph.hosts.map((h) => h.id), ...(large ? [] : graph.segments.map((s) => segmentNodeId(s.id)))];
  return movableIds.length > 0 && movableIds.every((id) => !saved[id]);
}

/** The first places of a graph's movable nodes: packed by segment (large) or sketched (small). */
export function initialPositions(graph: TopologyGraph): Positions {
  return graph.hosts.length > LAYERED_LIMIT
    ? packLayout({
        hosts: graph.hosts.map((h) => ({ id: h.id, segment: h.segment ?? '' })),
        hostWidth: HOST_WIDTH,
        hostHeight: HOST_HEIGHT,
        header: 46,
        padding: 24,
      })
    : sketchLayout({
        segments: graph.segments.map((s) => ({ id: segmentNodeId(s.id), width: segmentWidth(segmentLabel(s)) })),
        hosts: graph.hosts.map((h) => ({ id: h.id, segments: h.attachments.map((a) => segmentNodeId(a.segment)) })),
        hostWidth: HOST_WIDTH,
        hostHeight: HOST_HEIGHT,
      });
}

/** A large cluster's segment box around its hosts' centres: centre and size, with room for its label on top. */
export function segmentBoxAround(hosts: { x: number; y: number }[]): { x: number; y: number; w: number; h: number } {
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  for (const p of hosts) {
    x1 = Math.min(x1, p.x - HOST_WIDTH / 2);
    x2 = Math.max(x2, p.x + HOST_WIDTH / 2);
    y1 = Math.min(y1, p.y - HOST_HEIGHT / 2);
    y2 = Math.max(y2, p.y + HOST_HEIGHT / 2);
  }
  const pad = 14,
    header = 26;
  return { x: (x1 + x2) / 2, y: (y1 - header + y2) / 2, w: x2 - x1 + 2 * pad, h: y2 - y1 + header + 2 * pad };
}

export class GraphView {
  readonly cy: cytoscape.Core;
  private palette: Palette;
  private layoutRunning: Promise<LayoutReport> | undefined;
  /** Above LAYERED_LIMIT hosts: packed layout, segments as boxes behind the hosts. */
  private large = false;
  /** Whether labels are in the style (always for a small cluster; for a large one from LABEL_ZOOM on). */
  private labels = true;
  /** A large cluster's NATS leaf → hub links: drawn only for the selected hosts. */
  private natsLinks: TopologyLink[] = [];

  /** `elkWorkerUrl`: the webview URI of dist/elk-worker.js, fetched the first time a layered layout runs. */
  constructor(
    container: HTMLElement,
    palette: Palette,
    private readonly elkWorkerUrl: string,
  ) {
    this.palette = palette;
    this.cy = cytoscape({
      container,
      style: stylesheet(palette, false, true) as cytoscape.StylesheetJson,
      wheelSensitivity: 0.3,
      minZoom: MIN_ZOOM,
      maxZoom: 4,
      boxSelectionEnabled: false,
      // Many hosts: skip label and edge detail while panning/zooming to stay fluid.
      hideEdgesOnViewport: false,
      textureOnViewport: true,
      motionBlur: false,
      pixelRatio: 'auto',
    });
    this.cy.on('zoom', () => {
      const labels = !this.large || this.cy.zoom() >= LABEL_ZOOM;
      if (labels !== this.labels) this.restyle(labels);
    });
    // Every leaf's line to the hub would be hundreds of lines across the whole picture and most of its elements: a
    // large cluster draws them for the selected host only (all of them for the hub).
    this.cy.on('select unselect', 'node[kind = "host"]', () => {
      if (this.large) this.cy.batch(() => this.syncEdges(this.cy.edges('[kind = "nats"]'), this.selectedNatsEdges()));
    });
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.restyle(this.labels);
  }

  private restyle(labels: boolean): void {
    this.labels = labels;
    this.cy.style(stylesheet(this.palette, this.large, labels) as cytoscape.StylesheetJson);
  }

  get colours(): Palette {
    return this.palette;
  }

  /** Whether the drawing packs hosts into segment boxes (large) or lays them out along their links. */
  get packed(): boolean {
    return this.large;
  }

  /**
   * Makes the drawing match the graph: removes what is gone, updates what exists, adds what is new. New nodes
   * take `positions` when known; a drawing with no positions at all is sketched (small) or packed (large) at
   * once, before its first paint. Returns the ids of nodes added without a position to an existing drawing.
   */
  setGraph(graph: TopologyGraph, state: TopologyState, saved: Positions = {}): { unplaced: string[]; sketched: boolean } {
    const live = new Map(state.hosts.map((h) => [h.id, h]));
    const large = graph.hosts.length > LAYERED_LIMIT;
    // Crossing the limit changes how segments are drawn: start the drawing over (positions are kept).
    if (large !== this.large) {
      this.cy.elements().remove();
      this.large = large;
      // A large cluster starts zoomed out: no labels until the user zooms in (the zoom handler adds them).
      this.restyle(!large);
    }
    // A drawing seen for the first time with no saved places is packed (large) or sketched (small) now, from the
    // graph itself, so every node is added once, in place, before the first paint: both layouts are linear.
    const fresh = this.cy.elements().empty() && isFresh(graph, saved);
    const positions = fresh ? initialPositions(graph) : saved;
    const wanted = new Set<string>();
    const unplaced: string[] = [];
    // New elements are added in one call: one at a time costs a collection and events each.
    const added: cytoscape.ElementDefinition[] = [];
    const place = (id: string) => {
      const at = positions[id];
      if (!at) unplaced.push(id);
      return at ?? { x: 0, y: 0 };
    };
    this.cy.batch(() => {
      for (const s of graph.segments) {
        const id = segmentNodeId(s.id);
        wanted.add(id);
        const label = segmentLabel(s);
        const data = {
          id,
          kind: large ? 'segmentBox' : 'segment',
          segment: s.id,
          label,
          description: s.description ?? '',
          w: segmentWidth(label),
        };
        const existing = this.cy.getElementById(id);
        if (existing.nonempty()) existing.data(large ? { ...data, w: existing.data('w') } : data);
        else if (large) added.push({ group: 'nodes', data: { ...data, h: SEGMENT_HEIGHT }, grabbable: false, selectable: false });
        else added.push({ group: 'nodes', data, position: place(id) });
      }
      for (const h of graph.hosts) {
        wanted.add(h.id);
        const data = {
          id: h.id,
          kind: 'host',
          segment: h.segment ?? '',
          segments: h.attachments.map((a) => a.segment),
          badge: h.gpuBadge,
          system: h.system,
          roles: h.roles.join(', '),
          tags: h.tags.join(', '),
          memoryGB: h.memoryGB,
          addresses: h.addresses.join(', '),
          nats: h.nats ?? '',
          gpuCount: h.gpuCount,
          search: [h.id, h.gpuBadge, h.system, ...h.tags, ...h.roles, ...h.addresses, ...h.attachments.map((a) => a.segment)]
            .join(' ')
            .toLowerCase(),
          specContainers: (h.containers ?? []).join(','),
          ...liveData(live.get(h.id), { id: h.id, badge: h.gpuBadge, memoryGB: h.memoryGB, containers: (h.containers ?? []).join(',') }),
        };
        const existing = this.cy.getElementById(h.id);
        if (existing.nonempty()) existing.data(data);
        else added.push({ group: 'nodes', data, position: place(h.id) });
      }
      this.natsLinks = large ? graph.links.filter((l) => l.kind === 'nats') : [];
      const edges = [
        ...graph.hosts.flatMap((h) => attachmentEdges(h, large)),
        ...graph.links.filter((l) => !large || l.kind !== 'nats').map((l) => edgeData(l, false)),
        ...(large ? this.selectedNatsEdges() : []),
        ...state.liveLinks.map((l) => edgeData(l, true)),
      ];
      for (const e of edges) {
        if (!wanted.has(e.source) || !wanted.has(e.target) || wanted.has(e.id)) continue;
        wanted.add(e.id);
        const existing = this.cy.getElementById(e.id);
        if (existing.nonempty() && existing.data('source') === e.source && existing.data('target') === e.target) existing.data(e);
        else {
          existing.remove();
          added.push({ group: 'edges', data: e });
        }
      }
      const gone = this.cy.elements().filter((el) => !wanted.has(el.id()));
      if (gone.nonempty()) gone.remove();
      if (added.length) this.cy.add(added);
      if (large) this.fitSegmentBoxes();
    });
    return { unplaced, sketched: fresh && !large };
  }

  /** Places nodes added to an already laid-out drawing (a host under its segment's hosts, a segment after the others), moving nobody else. */
  placeNew(ids: string[]): void {
    const added = new Set(ids);
    this.cy.batch(() => {
      const rows = new Map<string, number>();
      for (const id of ids) {
        const node = this.cy.getElementById(id);
        if (node.data('kind') === 'segment') {
          const others = this.cy.nodes('[kind = "segment"]').filter((n) => !added.has(n.id()));
          const bb = others.nonempty() ? others.boundingBox({}) : { x2: 0, y1: 0, y2: SEGMENT_HEIGHT };
          node.position({ x: bb.x2 + 40 + Number(node.data('w')) / 2, y: (bb.y1 + bb.y2) / 2 });
          added.delete(id);
          continue;
        }
        const segment = String(node.data('segment') ?? '');
        const others = this.cy.nodes('[kind = "host"]').filter((n) => !added.has(n.id()) && (!segment || n.data('segment') === segment));
        const bb = others.nonempty() ? others.boundingBox({}) : { x1: 0, y2: 0 };
        const slot = rows.get(segment) ?? 0;
        rows.set(segment, slot + 1);
        node.position({ x: bb.x1 + HOST_WIDTH / 2 + slot * (HOST_WIDTH + 20), y: bb.y2 + 20 + HOST_HEIGHT / 2 });
      }
      if (this.large) this.fitSegmentBoxes();
    });
  }

  /**
   * Large clusters: size each segment box around its hosts (after packing, placing or dragging). A segment that
   * is no host's first keeps its place as a small box that its hosts' edges point to.
   */
  fitSegmentBoxes(): void {
    if (!this.large) return;
    const members = new Map<string, cytoscape.NodeSingular[]>();
    this.cy.nodes('[kind = "host"]').forEach((n) => {
      const seg = String(n.data('segment'));
      const list = members.get(seg);
      if (!seg) return;
      if (list) list.push(n);
      else members.set(seg, [n]);
    });
    const hosts = this.cy.nodes('[kind = "host"]');
    const bottom = hosts.nonempty() ? hosts.boundingBox({ includeLabels: false }).y2 : 0;
    let emptyX = 0;
    this.cy.batch(() =>
      this.cy.nodes('[kind = "segmentBox"]').forEach((box) => {
        const hosts = members.get(String(box.data('segment'))) ?? [];
        if (!hosts.length) {
          // No host's first segment: a small box in a row under everything, which its hosts' edges point to.
          const w = segmentWidth(String(box.data('label')));
          box.position({ x: emptyX + w / 2, y: bottom + 90 });
          box.data({ w, h: SEGMENT_HEIGHT + 26 });
          emptyX += w + 40;
          return;
        }
        const { x, y, w, h } = segmentBoxAround(hosts.map((n) => n.position()));
        box.position({ x, y });
        box.data({ w, h });
      }),
    );
  }

  private pack(): void {
    const hostNodes = this.cy.nodes('[kind = "host"]');
    const positions = packLayout({
      hosts: hostNodes.map((n) => ({ id: n.id(), segment: String(n.data('segment') ?? '') })),
      hostWidth: HOST_WIDTH,
      hostHeight: HOST_HEIGHT,
      header: 46,
      padding: 24,
    });
    hostNodes.forEach((n) => {
      n.position(positions[n.id()]);
    });
    this.fitSegmentBoxes();
  }

  private selectedNatsEdges(): ReturnType<typeof edgeData>[] {
    const selected = new Set(this.cy.nodes(':selected').map((n) => n.id()));
    return selected.size
      ? this.natsLinks.filter((l) => selected.has(l.source) || selected.has(l.target)).map((l) => edgeData(l, false))
      : [];
  }

  /** Makes `current` (edges of one kind) exactly `wanted`: adds the missing ones, removes the others. */
  private syncEdges(current: cytoscape.EdgeCollection, wanted: ReturnType<typeof edgeData>[]): void {
    const ids = new Set(wanted.map((e) => e.id));
    current.filter((e) => !ids.has(e.id())).remove();
    const missing = wanted.filter((e) => this.cy.getElementById(e.id).empty());
    if (missing.length) this.cy.add(missing.map((data) => ({ group: 'edges' as const, data })));
  }

  /** Live state: data only, so no node moves. Live links are added or removed (edges need no layout). */
  setState(state: TopologyState): void {
    this.cy.batch(() => {
      for (const h of state.hosts) {
        const node = this.cy.getElementById(h.id);
        if (node.empty()) continue;
        // Most hosts are unchanged in any one update: touching their data would restyle and redraw them for nothing.
        const current = node.data() as Record<string, unknown>;
        const next = liveData(h, {
          id: h.id,
          badge: String(current.badge ?? ''),
          memoryGB: current.memoryGB as number | undefined,
          containers: String(current.specContainers ?? ''),
        });
        if ((Object.keys(next) as (keyof typeof next)[]).some((k) => current[k] !== next[k])) node.data(next);
      }
      const ids = new Set<string>();
      for (const l of state.liveLinks) {
        const data = edgeData(l, true);
        if (this.cy.getElementById(l.source).empty() || this.cy.getElementById(l.target).empty()) continue;
        ids.add(data.id);
        const existing = this.cy.getElementById(data.id);
        if (existing.nonempty()) existing.data(data);
        else this.cy.add({ group: 'edges', data });
      }
      this.cy
        .edges('[?live]')
        .filter((e) => !ids.has(e.id()))
        .remove();
    });
  }

  /**
   * Lays the whole drawing out again: packs a large cluster; runs ELK (in its worker) on a small one and moves the
   * nodes to their new places in a short animation.
   */
  layout(): Promise<LayoutReport> {
    if (this.layoutRunning) return this.layoutRunning;
    const hostNodes = this.cy.nodes('[kind = "host"]');
    const started = performance.now();
    if (this.large) {
      this.cy.batch(() => this.pack());
      return Promise.resolve({ ms: performance.now() - started, hosts: hostNodes.length });
    }
    const nodes = this.cy.nodes('[kind = "host"], [kind = "segment"]');
    const attached = new Set(this.cy.edges('[kind = "segment"]').map((e) => String(e.data('source'))));
    // Segments in a row above their hosts (the edge runs from the segment down to the host), hosts in rows
    // below, ordered so few attachments cross. Links between hosts that are both on segments stay out of the
    // layering, or each link would push one end a row down, under its segment's lines; NATS's star to the hub
    // and exo's live edges would pull every host next to the hub.
    const edges = this.cy
      .edges()
      .not('[kind = "nats"], [?live]')
      .filter((e) => e.data('kind') === 'segment' || !attached.has(String(e.data('source'))) || !attached.has(String(e.data('target'))));
    const running = layered(
      this.elkWorkerUrl,
      nodes.map((n) => ({
        id: n.id(),
        width: n.data('kind') === 'host' ? HOST_WIDTH : Number(n.data('w')),
        height: n.data('kind') === 'host' ? HOST_HEIGHT : SEGMENT_HEIGHT,
      })),
      edges.map((e) =>
        e.data('kind') === 'segment'
          ? { id: e.id(), source: String(e.data('target')), target: String(e.data('source')) }
          : { id: e.id(), source: String(e.data('source')), target: String(e.data('target')) },
      ),
      // At most about twice as many hosts side by side as there are rows.
      Math.max(4, Math.ceil(Math.sqrt(hostNodes.length * 2))),
    ).then(
      (positions) =>
        new Promise<LayoutReport>((resolve) => {
          const layout = nodes.layout({
            name: 'preset',
            positions: (n: cytoscape.NodeSingular) => positions[n.id()] ?? n.position(),
            fit: false,
            animate: true,
            animationDuration: 250,
          } as cytoscape.LayoutOptions);
          layout.one('layoutstop', () => resolve({ ms: performance.now() - started, hosts: hostNodes.length }));
          layout.run();
        }),
    );
    this.layoutRunning = running.finally(() => {
      this.layoutRunning = undefined;
    });
    return this.layoutRunning;
  }

  /**
   * The area `nodes` (all by default) cover, from their positions and the sizes this drawing gives them. Asking
   * cytoscape for a bounding box would compute every element's rendered style and geometry first, which at 500
   * hosts costs more than the first paint.
   */
  extent(nodes: cytoscape.NodeCollection = this.cy.nodes()): { x1: number; y1: number; x2: number; y2: number } | undefined {
    let x1 = Infinity,
      y1 = Infinity,
      x2 = -Infinity,
      y2 = -Infinity;
    nodes.forEach((n) => {
      const kind = n.data('kind');
      const w = kind === 'host' ? HOST_WIDTH : Number(n.data('w')) || 0;
      const h = kind === 'host' ? HOST_HEIGHT : kind === 'segment' ? SEGMENT_HEIGHT : Number(n.data('h')) || 0;
      const p = n.position();
      x1 = Math.min(x1, p.x - w / 2);
      x2 = Math.max(x2, p.x + w / 2);
      y1 = Math.min(y1, p.y - h / 2);
      y2 = Math.max(y2, p.y + h / 2);
    });
    return x1 <= x2 ? { x1, y1, x2, y2 } : undefined;
  }

  /** Where every movable node is (hosts, and segments of a small cluster). */
  positions(): Positions {
    const out: Positions = {};
    this.cy.nodes('[kind = "host"], [kind = "segment"]').forEach((n) => {
      const p = n.position();
      out[n.id()] = { x: Math.round(p.x), y: Math.round(p.y) };
    });
    return out;
  }

  /** Fades hosts (and their edges) that do not match; returns the matches. */
  filter(query: string): cytoscape.NodeCollection {
    const q = query.trim().toLowerCase();
    const hosts = this.cy.nodes('[kind = "host"]');
    const matches = q ? hosts.filter((n) => String(n.data('search')).includes(q)) : hosts;
    const faded = this.cy.elements('.faded');
    // Nothing to fade and nothing faded: touching every element's classes would restyle all of them.
    if (!q && faded.empty()) return matches;
    this.cy.batch(() => {
      faded.removeClass('faded');
      if (!q) return;
      hosts.difference(matches).addClass('faded');
      this.cy
        .edges()
        .filter((e) => e.source().hasClass('faded') || e.target().hasClass('faded'))
        .addClass('faded');
    });
    return matches;
  }
}
