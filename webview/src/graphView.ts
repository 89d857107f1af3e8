// The cytoscape drawing of the cluster: hosts (GPU badge, memory bar, status border) grouped by segment, links
// styled by kind, NATS leaf→hub edges and exo's live edges. Spec changes add/remove/update elements and lay out
// only when hosts were added; state changes only touch element data, so nothing moves.

import cytoscape from 'cytoscape';
import elk from 'cytoscape-elk';
import type { HostLive, TopologyGraph, TopologyLink, TopologyState } from './protocol';
import type { Palette } from './theme';
import { packLayout } from './packLayout';

cytoscape.use(elk);

export const HOST_WIDTH = 176;
export const HOST_HEIGHT = 52;
/** Up to this many hosts ELK lays them out along their links; above, hosts are packed by segment (packLayout). */
const LAYERED_LIMIT = 60;

type Positions = Record<string, { x: number; y: number }>;

export interface LayoutReport { ms: number; hosts: number }

export function segmentNodeId(segment: string): string { return `segment/${segment}`; }

function bandwidthLabel(l: TopologyLink): string {
  if (l.bandwidthGbps === undefined) return '';
  return `${l.bandwidthGbps} Gb/s${l.rdma ? ' RDMA' : ''}`;
}

function edgeData(l: TopologyLink, live: boolean) {
  return { id: `e:${l.id}`, source: l.source, target: l.target, kind: l.kind, label: bandwidthLabel(l), detail: l.detail ?? '', live };
}

function liveData(h: HostLive | undefined) {
  return {
    status: h?.status ?? 'unknown',
    statusText: h?.statusText ?? 'unknown',
    memUsed: h?.memoryUsed ?? -1,
    /** The memory bar in 5 % steps (-1: unknown): one static style per step is far cheaper than style functions. */
    memStep: h?.memoryUsed === undefined ? -1 : Math.round(h.memoryUsed * 20),
    memoryText: h?.memoryText ?? '',
    gpuUsage: h?.gpuUsagePct ?? -1,
    exoText: h?.exoText ?? '',
  };
}

function stylesheet(p: Palette): unknown[] {
  return [
    {
      selector: 'node[kind = "host"]',
      style: {
        shape: 'round-rectangle', width: HOST_WIDTH, height: HOST_HEIGHT, 'z-index-compare': 'manual', 'z-index': 2,
        label: 'data(display)', 'text-wrap': 'wrap', 'text-valign': 'center', 'text-halign': 'center',
        'font-size': 12, 'font-family': p.font, color: p.foreground,
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
    ...(Object.keys(p.status) as (keyof Palette['status'])[]).map((status) => ({ selector: `node[status = "${status}"]`, style: { 'border-color': p.status[status] } })),
    ...Array.from({ length: 21 }, (_, step) => ({
      selector: `node[memStep = ${step}]`,
      style: {
        'background-fill': 'linear-gradient', 'background-gradient-direction': 'to-right',
        'background-gradient-stop-colors': `${p.memoryFill} ${p.memoryFill} ${p.track} ${p.track}`,
        'background-gradient-stop-positions': `0 ${step * 5} ${step * 5} 100`,
      },
    })),
    { selector: 'node[nats = "hub"]', style: { 'border-style': 'double', 'border-width': 6 } },
    // Large clusters draw segments as plain boxes behind their hosts (no compound nodes: restyling compound
    // children re-walks their parents, which dominated the first paint at 500 hosts).
    { selector: 'node[kind = "segmentBox"]', style: {
      shape: 'round-rectangle', width: 'data(w)', height: 'data(h)', 'background-color': p.groupFill, 'background-opacity': 0.35,
      'border-width': 1, 'border-style': 'dashed', 'border-color': p.groupBorder, events: 'no',
      label: 'data(label)', 'text-valign': 'top', 'text-halign': 'center', 'text-margin-y': 22, 'font-size': 13, 'font-family': p.font, color: p.muted,
      'min-zoomed-font-size': 7, 'z-index-compare': 'manual', 'z-index': 0,
    } },
    { selector: 'node[kind = "segment"]', style: {
      shape: 'round-rectangle', 'background-color': p.groupFill, 'background-opacity': 0.35,
      'border-width': 1, 'border-style': 'dashed', 'border-color': p.groupBorder,
      label: 'data(label)', 'text-valign': 'top', 'text-halign': 'center', 'font-size': 13, 'font-family': p.font, color: p.muted,
      padding: '18px',
    } },
    { selector: 'edge', style: {
      'z-index-compare': 'manual', 'z-index': 1,
      width: 2, 'line-color': p.foreground, 'curve-style': 'bezier', opacity: 0.85,
      label: 'data(label)', 'font-size': 10, 'font-family': p.font, color: p.muted, 'min-zoomed-font-size': 7,
      'text-background-color': p.background, 'text-background-opacity': 0.85, 'text-background-padding': '2px',
    } },
    { selector: 'edge[kind = "bond"]', style: { width: 5 } },
    { selector: 'edge[kind = "thunderbolt"]', style: { width: 4, 'line-color': p.link.thunderbolt } },
    { selector: 'edge[kind = "infiniband"]', style: { width: 4, 'line-color': p.link.infiniband } },
    { selector: 'edge[kind = "nats"]', style: {
      width: 1.5, 'line-style': 'dashed', 'line-color': p.link.nats, 'target-arrow-shape': 'triangle',
      'target-arrow-color': p.link.nats, opacity: 0.6,
    } },
    { selector: 'edge[kind = "exo-socket"]', style: { width: 2, 'line-style': 'dotted', 'line-color': p.link['exo-socket'], 'curve-style': 'unbundled-bezier', 'control-point-distances': 30 } },
    { selector: 'edge[kind = "exo-rdma"]', style: { width: 3, 'line-style': 'dotted', 'line-color': p.link['exo-rdma'], 'curve-style': 'unbundled-bezier', 'control-point-distances': -30 } },
    { selector: '.faded', style: { opacity: 0.12 } },
    { selector: 'node:selected', style: { 'overlay-color': p.selection, 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
  ];
}

export class GraphView {
  readonly cy: cytoscape.Core;
  private palette: Palette;
  private layoutRunning: Promise<LayoutReport> | undefined;
  /** Above LAYERED_LIMIT hosts: packed layout, segments as boxes behind the hosts instead of compound parents. */
  private large = false;

  constructor(container: HTMLElement, palette: Palette) {
    this.palette = palette;
    this.cy = cytoscape({
      container,
      style: stylesheet(palette) as cytoscape.StylesheetJson,
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 4,
      boxSelectionEnabled: false,
      // Many hosts: skip label and edge detail while panning/zooming to stay fluid.
      hideEdgesOnViewport: false,
      textureOnViewport: true,
      motionBlur: false,
      pixelRatio: 'auto',
    });
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.cy.style(stylesheet(palette) as cytoscape.StylesheetJson);
  }

  get colours(): Palette { return this.palette; }

  /**
   * Makes the drawing match the graph: removes what is gone, updates what exists, adds what is new. New hosts
   * take `positions` when known; returns the ids of hosts that have no position yet.
   */
  setGraph(graph: TopologyGraph, state: TopologyState, positions: Positions = {}): string[] {
    const live = new Map(state.hosts.map((h) => [h.id, h]));
    const large = graph.hosts.length > LAYERED_LIMIT;
    // Crossing the limit changes how segments are drawn: start the drawing over (positions are kept).
    if (large !== this.large) { this.cy.elements().remove(); this.large = large; }
    const wanted = new Set<string>();
    const unplaced: string[] = [];
    this.cy.batch(() => {
      for (const s of graph.segments) {
        const id = segmentNodeId(s.id);
        wanted.add(id);
        const data = { id, kind: large ? 'segmentBox' : 'segment', segment: s.id, label: `${s.id}${s.subnet ? `  ${s.subnet}` : ''}` };
        const existing = this.cy.getElementById(id);
        if (existing.nonempty()) existing.data(data);
        else this.cy.add({ group: 'nodes', data: large ? { ...data, w: 1, h: 1 } : data, grabbable: !large, selectable: !large });
      }
      let fresh = 0;
      for (const h of graph.hosts) {
        wanted.add(h.id);
        const parent = h.segment && !large ? segmentNodeId(h.segment) : undefined;
        const data = {
          id: h.id, kind: 'host', display: h.gpuBadge ? `${h.id}\n${h.gpuBadge}` : h.id, segment: h.segment ?? '',
          badge: h.gpuBadge, system: h.system, roles: h.roles.join(', '), tags: h.tags.join(', '),
          addresses: h.addresses.join(', '), nats: h.nats ?? '', gpuCount: h.gpuCount,
          search: [h.id, h.gpuBadge, h.system, ...h.tags, ...h.roles, ...h.addresses, h.segment ?? ''].join(' ').toLowerCase(),
          ...liveData(live.get(h.id)),
        };
        const existing = this.cy.getElementById(h.id);
        if (existing.nonempty()) {
          if ((existing.data('parent') ?? undefined) !== parent) existing.move({ parent: parent ?? null });
          existing.data(data);
        } else {
          const saved = positions[h.id];
          // Unknown hosts start on a grid so the first frame already shows them; the layout then arranges them.
          const position = saved ?? { x: (fresh % 20) * (HOST_WIDTH + 20), y: Math.floor(fresh / 20) * (HOST_HEIGHT + 20) };
          if (!saved) { unplaced.push(h.id); fresh++; }
          this.cy.add({ group: 'nodes', data: { ...data, parent }, position });
        }
      }
      const edges = [...graph.links.map((l) => edgeData(l, false)), ...state.liveLinks.map((l) => edgeData(l, true))];
      for (const e of edges) {
        if (!wanted.has(e.source) || !wanted.has(e.target)) continue;
        wanted.add(e.id);
        const existing = this.cy.getElementById(e.id);
        if (existing.nonempty() && (existing.data('source') !== e.source || existing.data('target') !== e.target)) existing.remove();
        if (this.cy.getElementById(e.id).nonempty()) this.cy.getElementById(e.id).data(e); else this.cy.add({ group: 'edges', data: e });
      }
      this.cy.elements().filter((el) => !wanted.has(el.id())).remove();
      // A large cluster seen for the first time is packed now, before its first paint: packing is linear.
      if (large && unplaced.length === graph.hosts.length && unplaced.length > 0) {
        this.pack();
        unplaced.length = 0;
      }
      if (large) this.fitSegmentBoxes();
    });
    return unplaced;
  }

  /** Places hosts added to an already laid-out drawing in a row under their segment (or everything), moving nobody else. */
  placeNew(ids: string[]): void {
    const added = new Set(ids);
    this.cy.batch(() => {
      const rows = new Map<string, number>();
      for (const id of ids) {
        const node = this.cy.getElementById(id);
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

  /** Large clusters: size each segment box around its hosts (after packing, placing or dragging). */
  fitSegmentBoxes(): void {
    if (!this.large) return;
    const members = new Map<string, cytoscape.NodeSingular[]>();
    this.cy.nodes('[kind = "host"]').forEach((n) => {
      const seg = String(n.data('segment'));
      if (seg) members.set(seg, [...members.get(seg) ?? [], n]);
    });
    this.cy.batch(() => this.cy.nodes('[kind = "segmentBox"]').forEach((box) => {
      const hosts = members.get(String(box.data('segment'))) ?? [];
      if (!hosts.length) return;
      let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
      for (const h of hosts) {
        const p = h.position();
        x1 = Math.min(x1, p.x - HOST_WIDTH / 2); x2 = Math.max(x2, p.x + HOST_WIDTH / 2);
        y1 = Math.min(y1, p.y - HOST_HEIGHT / 2); y2 = Math.max(y2, p.y + HOST_HEIGHT / 2);
      }
      const pad = 14, header = 26;
      box.position({ x: (x1 + x2) / 2, y: (y1 - header + y2) / 2 });
      box.data({ w: x2 - x1 + 2 * pad, h: y2 - y1 + header + 2 * pad });
    }));
  }

  private pack(): void {
    const hostNodes = this.cy.nodes('[kind = "host"]');
    const positions = packLayout({
      hosts: hostNodes.map((n) => ({ id: n.id(), segment: String(n.data('segment') ?? '') })),
      hostWidth: HOST_WIDTH, hostHeight: HOST_HEIGHT, header: 46, padding: 24,
    });
    hostNodes.forEach((n) => { n.position(positions[n.id()]); });
    this.fitSegmentBoxes();
  }

  /** Live state: data only, so no node moves. Live links are added or removed (edges need no layout). */
  setState(state: TopologyState): void {
    this.cy.batch(() => {
      for (const h of state.hosts) {
        const node = this.cy.getElementById(h.id);
        if (node.empty()) continue;
        // Most hosts are unchanged in any one update: touching their data would restyle and redraw them for nothing.
        const next = liveData(h);
        const current = node.data() as Record<string, unknown>;
        if ((Object.keys(next) as (keyof typeof next)[]).some((k) => current[k] !== next[k])) node.data(next);
      }
      const ids = new Set<string>();
      for (const l of state.liveLinks) {
        const data = edgeData(l, true);
        if (this.cy.getElementById(l.source).empty() || this.cy.getElementById(l.target).empty()) continue;
        ids.add(data.id);
        const existing = this.cy.getElementById(data.id);
        if (existing.nonempty()) existing.data(data); else this.cy.add({ group: 'edges', data });
      }
      this.cy.edges('[?live]').filter((e) => !ids.has(e.id())).remove();
    });
  }

  layout(): Promise<LayoutReport> {
    if (this.layoutRunning) return this.layoutRunning;
    const hostNodes = this.cy.nodes('[kind = "host"]');
    const started = performance.now();
    if (this.large) {
      this.cy.batch(() => this.pack());
      this.cy.fit(undefined, 30);
      return Promise.resolve({ ms: performance.now() - started, hosts: hostNodes.length });
    }
    const elkOptions = {
      algorithm: 'layered', 'elk.direction': 'RIGHT', 'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.spacing.nodeNode': 50, 'elk.layered.spacing.nodeNodeBetweenLayers': 140, 'elk.padding': '[top=36,left=20,bottom=20,right=20]',
    };
    this.layoutRunning = new Promise<LayoutReport>((resolve) => {
      // The physical links shape the picture; NATS's star to the hub and exo's live edges would crowd every host
      // into one layer next to the hub.
      const layout = this.cy.elements().not('edge[kind = "nats"], edge[?live]').layout({
        name: 'elk', fit: true, padding: 30, animate: false, nodeDimensionsIncludeLabels: false,
        elk: elkOptions,
        // ELK reads spacing from the graph that holds the nodes: a segment box is one, so it gets the same options.
        nodeLayoutOptions: (n: cytoscape.NodeSingular) => n.isParent() ? elkOptions : undefined,
      } as unknown as cytoscape.LayoutOptions);
      layout.one('layoutstop', () => {
        this.layoutRunning = undefined;
        resolve({ ms: performance.now() - started, hosts: hostNodes.length });
      });
      layout.run();
    });
    return this.layoutRunning;
  }

  positions(): Positions {
    const out: Positions = {};
    this.cy.nodes('[kind = "host"]').forEach((n) => { const p = n.position(); out[n.id()] = { x: Math.round(p.x), y: Math.round(p.y) }; });
    return out;
  }

  /** Fades hosts (and their edges) that do not match; returns the matches. */
  filter(query: string): cytoscape.NodeCollection {
    const q = query.trim().toLowerCase();
    const hosts = this.cy.nodes('[kind = "host"]');
    const matches = q ? hosts.filter((n) => String(n.data('search')).includes(q)) : hosts;
    this.cy.batch(() => {
      this.cy.elements().removeClass('faded');
      if (!q) return;
      hosts.difference(matches).addClass('faded');
      this.cy.edges().filter((e) => e.source().hasClass('faded') || e.target().hasClass('faded')).addClass('faded');
    });
    return matches;
  }
}
