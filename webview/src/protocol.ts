// Messages between the extension and the topology webview, and the data they carry. Imported by both sides
// (client/src/topology/panel.ts and webview/src/main.ts) so a change here is checked on both.

/** A host's state as the store reports it (mirrors HostStatus in client/src/state/store.ts). */
export type TopologyStatus = 'unknown' | 'reachable' | 'unreachable' | 'deploying' | 'running' | 'failed';

/** One interface of a host on a network segment. */
export interface TopologyAttachment {
  segment: string;
  iface: string;
  addresses: string[];
}

export interface TopologyHost {
  /** The host name; unique. */
  id: string;
  /** The segment of its first interface that has one: large clusters draw the host inside that segment's box. */
  segment?: string;
  /** Every interface on a segment (a host on mgmt, data and tb has three): each is drawn as a link to its segment. */
  attachments: TopologyAttachment[];
  system: string;
  tags: string[];
  roles: string[];
  addresses: string[];
  /** `2× RTX 4090`; empty when the host has no GPU. */
  gpuBadge: string;
  gpuCount: number;
  /** `hardware.memoryGB` from the spec: shown until a live source reports memory. */
  memoryGB?: number;
  nats?: 'hub' | 'leaf';
  /** The spec's nixos-containers on the host, drawn inside its box. */
  containers: string[];
}

export type LinkKind = 'ethernet' | 'bond' | 'thunderbolt' | 'infiniband' | 'nats' | 'exo-socket' | 'exo-rdma';
/** What the drawing shows as edges: the links above, and a host's interface on a segment. */
export type EdgeKind = LinkKind | 'segment';

export interface TopologyLink {
  id: string;
  source: string;
  target: string;
  kind: LinkKind;
  bandwidthGbps?: number;
  rdma?: boolean;
  /** `bond0 ↔ eth1`, shown on hover. */
  detail?: string;
}

export interface TopologySegment {
  id: string;
  subnet?: string;
  vlan?: number;
  description?: string;
}

/** What the spec says: changes only when the spec does. */
export interface TopologyGraph {
  cluster: string;
  hosts: TopologyHost[];
  links: TopologyLink[];
  segments: TopologySegment[];
}

export interface HostLive {
  id: string;
  status: TopologyStatus;
  /** One line for the hover card, e.g. `running — exo node 12D3KooW… is in the cluster`. */
  statusText: string;
  /** 0..1 of memory in use (RAM, or unified memory), when known. */
  memoryUsed?: number;
  memoryText?: string;
  /** The same, short enough for the host's box: `RAM 34 / 256 GiB`, `VRAM 20 / 48 GiB`. */
  memoryShort?: string;
  gpuUsagePct?: number;
  /** exo on this host: lifecycle and the shard of a placed instance, e.g. `ready · Llama-3.3-70B-Instruct-4bit layers 0–47/80`. */
  exoText?: string;
  /** The host's containers as its agent reports them (and the spec's not on the host), e.g. `infer running · CPU 12% · 1.0 GiB`. */
  containerLines?: string[];
}

/** What the live sources say: changes often, never moves a node. */
export interface TopologyState {
  hosts: HostLive[];
  /** exo's live topology edges (kind `exo-socket` / `exo-rdma`). */
  liveLinks: TopologyLink[];
}

export type ToWebview =
  /** The spec changed (or first load): add/remove/update elements; only new hosts get laid out. */
  | { type: 'graph'; graph: TopologyGraph; state: TopologyState }
  | { type: 'state'; state: TopologyState }
  /** Select and centre a host (e.g. after a tree selection). */
  | { type: 'focus'; host: string };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'revealHost'; host: string }
  /** png: a `data:image/png;base64,…` URI; svg: the document text. */
  | { type: 'export'; format: 'png' | 'svg'; data: string }
  /** Once, when the first graph is drawn and laid out; times in ms since the page started loading. */
  | { type: 'rendered'; hosts: number; links: number; firstPaintMs: number; layoutDoneMs: number }
  | { type: 'error'; message: string };

/** What the webview keeps across reloads (vscode.setState), and what the serializer revives it from. */
export interface PersistedTopology {
  graph?: TopologyGraph;
  state?: TopologyState;
  positions: Record<string, { x: number; y: number }>;
  zoom?: number;
  pan?: { x: number; y: number };
  filter: string;
  /** false once the user has hidden the legend. */
  legend?: boolean;
}
