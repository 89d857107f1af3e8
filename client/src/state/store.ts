// The cluster state store: one place every view reads. Sources (the spec, exo's HTTP API, SSH probes, NATS
// telemetry) push partial facts about hosts into it; the store merges them and tells listeners what changed,
// coalescing bursts of updates into one change event per batch window so that 100 hosts reporting at 1 Hz
// re-render the trees a few times a second at most. No vscode imports: unit-tested under node.

import type { ContainerSample } from '#core/nats';
import type { ClusterSpec } from '#core/spec';

/** What we know about a host, from unknown (nobody has said anything) to running. */
export type HostStatus = 'unknown' | 'reachable' | 'unreachable' | 'deploying' | 'running' | 'failed';
export const HOST_STATUSES: readonly HostStatus[] = ['unknown', 'reachable', 'unreachable', 'deploying', 'running', 'failed'];

export type ServiceName = 'exo' | 'nats' | 'k3s' | 'checkpoint-agent';
export const SERVICE_NAMES: readonly ServiceName[] = ['exo', 'nats', 'k3s', 'checkpoint-agent'];
/** `downloading`, `loading` and `ready` are exo's lifecycle of a placed model on a node (exoSource.ts). */
export type ServiceStatus = 'unknown' | 'starting' | 'running' | 'downloading' | 'loading' | 'ready' | 'stopped' | 'failed';

export interface ServiceFacts {
  status: ServiceStatus;
  /** One line for the description, e.g. `2 instances` or `leaf → hub-1`. */
  detail?: string;
  /** Progress of a transient status (download, loading layers), 0–100. */
  progressPct?: number;
}

/** Live metrics of one GPU; `index` is its position in the host's expanded GPU list (spec order). */
export interface GpuFacts {
  index: number;
  model?: string;
  memoryUsedMiB?: number;
  memoryTotalMiB?: number;
  utilizationPct?: number;
  temperatureC?: number;
}

export interface InterfaceFacts {
  name: string;
  up?: boolean;
  addresses?: string[];
  speedMbps?: number;
}

export interface CheckpointFacts {
  id: string;
  unit?: string;
  createdAt?: string;
  sizeBytes?: number;
}

/** A nixos-container on the host, as its agent last reported it (telemetry or a container command's answer). */
export type ContainerFacts = ContainerSample;

/** Partial facts a source reports about a host; fields left out keep what other sources said. */
export interface HostFacts {
  status?: HostStatus;
  /** Why the host has this status (shown in tooltips), e.g. `ssh: connection refused`. */
  statusDetail?: string;
  services?: Partial<Record<ServiceName, ServiceFacts>>;
  gpus?: GpuFacts[];
  interfaces?: InterfaceFacts[];
  checkpoints?: CheckpointFacts[];
  /** Every container of the host: a source reports the whole list, and the latest list wins. */
  containers?: ContainerFacts[];
  memory?: { totalBytes: number; availableBytes: number };
  /** Node-level accelerator load where per-GPU figures are not known (exo reports one per node). */
  acceleratorUsagePct?: number;
  temperatureC?: number;
}

/** A live connection between two hosts seen by a source (exo's topology), as opposed to a link in the spec. */
export interface LiveLink {
  from: string;
  to: string;
  kind: 'socket' | 'rdma';
  detail?: string;
}

export interface SourceHealth {
  ok: boolean;
  /** Last error, shown in the views as such (never as a popup). */
  error?: string;
  /** When the source last heard from its target (ms since epoch). */
  lastSuccessAt?: number;
  /** When the next attempt is due, while backing off. */
  retryAt?: number;
}

/** The merged view of one host. */
export interface HostState {
  name: string;
  status: HostStatus;
  statusDetail?: string;
  /** The source whose status won (the latest to report one). */
  statusSource?: string;
  services: Partial<Record<ServiceName, ServiceFacts>>;
  gpus: GpuFacts[];
  interfaces: InterfaceFacts[];
  checkpoints: CheckpointFacts[];
  /** Containers on the host; undefined while no source has reported them. */
  containers?: ContainerFacts[];
  memory?: { totalBytes: number; availableBytes: number };
  acceleratorUsagePct?: number;
  temperatureC?: number;
  updatedAt?: number;
}

export interface StateChange {
  /** Hosts whose merged state changed. */
  hosts: Set<string>;
  specChanged: boolean;
  sourcesChanged: boolean;
  linksChanged: boolean;
}

/**
 * A pluggable feed of facts. `start` is called once with the store; the source then calls
 * `store.applyHostFacts(this.id, host, facts)` (and `setSourceHealth`, `setLiveLinks`) whenever it learns something,
 * until `dispose`. A source never shows UI: errors go into the store with `setSourceHealth`.
 */
export interface StateSource {
  readonly id: string;
  start(store: ClusterStateStore): void;
  dispose(): void;
}

export interface StoreOptions {
  /** Updates within this window are delivered as one change event. */
  batchMs?: number;
  now?: () => number;
}

interface Reported {
  facts: HostFacts;
  at: number;
  seq: number;
}

export class ClusterStateStore {
  private specValue: ClusterSpec | undefined;
  private readonly reports = new Map<string, Map<string, Reported>>(); // host → source → facts
  private readonly merged = new Map<string, HostState>();
  private readonly health = new Map<string, SourceHealth>();
  private readonly links = new Map<string, LiveLink[]>(); // source → links
  private readonly listeners = new Set<(change: StateChange) => void>();
  private pending: StateChange | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;
  private disposed = false;
  private readonly batchMs: number;
  private readonly now: () => number;

  constructor(options: StoreOptions = {}) {
    this.batchMs = options.batchMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  get spec(): ClusterSpec | undefined {
    return this.specValue;
  }

  setSpec(spec: ClusterSpec | undefined): void {
    this.specValue = spec;
    this.merged.clear();
    this.queue((c) => {
      c.specChanged = true;
    });
  }

  /** Names of hosts in the spec, then of hosts only sources know about. */
  hostNames(): string[] {
    const names = (this.specValue?.hosts ?? []).map((h) => h.name);
    const inSpec = new Set(names);
    for (const name of this.reports.keys()) if (!inSpec.has(name)) names.push(name);
    return names;
  }

  /**
   * Record what a source says about a host. `merge` (the default) adds to what the source said before (arrays such
   * as gpus replace that source's previous ones); `replace` makes these facts the source's whole picture of the host.
   * Reports identical to the previous one change nothing and wake nobody.
   */
  applyHostFacts(source: string, host: string, facts: HostFacts, mode: 'merge' | 'replace' = 'merge'): void {
    let bySource = this.reports.get(host);
    if (!bySource) this.reports.set(host, (bySource = new Map()));
    const previous = bySource.get(source)?.facts;
    const base = mode === 'merge' ? (previous ?? {}) : {};
    const next: HostFacts = { ...base, ...stripUndefined(facts) };
    if (facts.services) next.services = { ...base.services, ...facts.services };
    if (previous && JSON.stringify(previous) === JSON.stringify(next)) return;
    bySource.set(source, { facts: next, at: this.now(), seq: ++this.seq });
    this.merged.delete(host);
    this.queue((c) => {
      c.hosts.add(host);
    });
  }

  /** Forget everything a source said (about one host, or about all hosts when `host` is left out). */
  clearSource(source: string, host?: string): void {
    const hosts = host === undefined ? [...this.reports.keys()] : [host];
    const touched: string[] = [];
    for (const h of hosts) {
      const bySource = this.reports.get(h);
      if (bySource?.delete(source)) {
        touched.push(h);
        if (bySource.size === 0) this.reports.delete(h);
        this.merged.delete(h);
      }
    }
    const hadLinks = this.links.delete(source) && host === undefined;
    // A source cleared as a whole is gone (stopped or replaced): its health no longer describes anything.
    const hadHealth = host === undefined && this.health.delete(source);
    if (touched.length || hadLinks || hadHealth) {
      this.queue((c) => {
        for (const h of touched) c.hosts.add(h);
        if (hadLinks) c.linksChanged = true;
        if (hadHealth) c.sourcesChanged = true;
      });
    }
  }

  /** When a source last reported about a host (undefined: never, or forgotten since). */
  reportedAt(host: string, source: string): number | undefined {
    return this.reports.get(host)?.get(source)?.at;
  }

  /** Sources that have reported about a host. */
  sourcesOf(host: string): string[] {
    return [...(this.reports.get(host)?.keys() ?? [])];
  }

  host(name: string): HostState {
    let state = this.merged.get(name);
    if (!state) {
      state = mergeReports(name, this.reports.get(name));
      this.merged.set(name, state);
    }
    return state;
  }

  setSourceHealth(source: string, health: SourceHealth): void {
    const previous = this.health.get(source);
    if (previous && previous.ok === health.ok && previous.error === health.error) {
      // Timestamps alone change on every poll; keep them current without waking the views.
      this.health.set(source, health);
      return;
    }
    this.health.set(source, health);
    this.queue((c) => {
      c.sourcesChanged = true;
    });
  }

  sourceHealth(): ReadonlyMap<string, SourceHealth> {
    return this.health;
  }

  setLiveLinks(source: string, links: LiveLink[]): void {
    const key = (l: LiveLink) => `${l.from}|${l.to}|${l.kind}|${l.detail ?? ''}`;
    const before = (this.links.get(source) ?? []).map(key).sort().join('\n');
    const after = links.map(key).sort().join('\n');
    this.links.set(source, links);
    if (before !== after)
      this.queue((c) => {
        c.linksChanged = true;
      });
  }

  liveLinks(): LiveLink[] {
    return [...this.links.values()].flat();
  }

  onDidChange(listener: (change: StateChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return {
      dispose: () => {
        this.listeners.delete(listener);
      },
    };
  }

  /** Deliver the pending batch now (tests, and views that must be current before a command). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const change = this.pending;
    this.pending = undefined;
    if (!change || this.disposed) return;
    for (const listener of [...this.listeners]) listener(change);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private queue(mark: (change: StateChange) => void): void {
    if (this.disposed) return;
    this.pending ??= { hosts: new Set(), specChanged: false, sourcesChanged: false, linksChanged: false };
    mark(this.pending);
    this.timer ??= setTimeout(() => this.flush(), this.batchMs);
  }
}

function stripUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Older reports first, so the latest source to say something about a field wins it. */
function mergeReports(name: string, bySource: Map<string, Reported> | undefined): HostState {
  const state: HostState = { name, status: 'unknown', services: {}, gpus: [], interfaces: [], checkpoints: [] };
  if (!bySource) return state;
  const ordered = [...bySource.entries()].sort((a, b) => a[1].seq - b[1].seq);
  const gpus = new Map<number, GpuFacts>();
  const interfaces = new Map<string, InterfaceFacts>();
  const checkpoints = new Map<string, CheckpointFacts>();
  for (const [source, { facts, at }] of ordered) {
    if (facts.status) {
      state.status = facts.status;
      state.statusDetail = facts.statusDetail;
      state.statusSource = source;
    }
    if (facts.services) state.services = { ...state.services, ...facts.services };
    for (const g of facts.gpus ?? []) gpus.set(g.index, { ...gpus.get(g.index), ...stripUndefined(g) });
    for (const i of facts.interfaces ?? []) interfaces.set(i.name, { ...interfaces.get(i.name), ...i });
    for (const c of facts.checkpoints ?? []) checkpoints.set(c.id, c);
    if (facts.containers) state.containers = facts.containers;
    if (facts.memory) state.memory = facts.memory;
    if (facts.acceleratorUsagePct !== undefined) state.acceleratorUsagePct = facts.acceleratorUsagePct;
    if (facts.temperatureC !== undefined) state.temperatureC = facts.temperatureC;
    state.updatedAt = Math.max(state.updatedAt ?? 0, at);
  }
  state.gpus = [...gpus.values()].sort((a, b) => a.index - b.index);
  state.interfaces = [...interfaces.values()];
  state.checkpoints = [...checkpoints.values()];
  return state;
}
