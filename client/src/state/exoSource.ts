// Live state from exo's HTTP API: polls `GET /state` (the master's global state, as exo serialises it:
// core/src/ops/exoState.ts) with a timeout, backs off while it does not answer, and maps exo's nodes onto the
// spec's hosts by address (falling back to the node's friendly name). Each host's exo row follows exo's
// lifecycle: running (idle), downloading n%, loading, ready, failed with the reason, or stopped when the node is
// not in exo's topology. Errors go into the store's source health, never into popups.

import { type ClusterSpec, exoApiUrl, exoHosts } from '#core/spec';
import {
  describePhase,
  downloadsOf,
  instancesOf,
  matchExoNodes,
  shardPhase,
  topologyNodeIds,
  type ExoDownloadView,
  type ExoInstanceView,
  type ExoPhase,
  type ExoState,
} from '#core/ops';
import type { ClusterStateStore, HostFacts, LiveLink, ServiceFacts, StateSource } from './store';

export type { ExoState } from '#core/ops';

/** What a /state document says about the spec's hosts. */
export interface ExoMapping {
  hosts: Map<string, HostFacts>;
  links: LiveLink[];
  /** exo node ids no spec host matched (reported in the source's health). */
  unmatched: string[];
  /** exo node id → spec host, for the instance's shards in the topology. */
  nodeToHost: Map<string, string>;
}

/** exo's lifecycle on one host, from the instances placed on it (worst first: failed, then in progress). */
function exoServiceFacts(doc: ExoState, nodeId: string, instances: ExoInstanceView[], downloads: ExoDownloadView[]): ServiceFacts {
  const phases: { model: string; phase: ExoPhase; layers: string }[] = [];
  for (const inst of instances) {
    for (const shard of inst.shards) {
      if (shard.nodeId !== nodeId) continue;
      const layers =
        shard.startLayer !== undefined &&
        shard.endLayer !== undefined &&
        shard.nLayers !== undefined &&
        shard.endLayer - shard.startLayer < shard.nLayers
          ? ` layers ${shard.startLayer}–${shard.endLayer}/${shard.nLayers}`
          : '';
      phases.push({ model: inst.modelId, phase: shardPhase(doc, shard, inst.modelId, downloads), layers });
    }
  }
  // The model and this node's shard of it, e.g. `Llama-3.3-70B-Instruct-4bit layers 0–47/80`.
  const short = (model: string) => `${model.split('/').pop() ?? model}${phases.find((p) => p.model === model)?.layers ?? ''}`;
  const failed = phases.find((p) => p.phase.phase === 'failed');
  if (failed?.phase.phase === 'failed') return { status: 'failed', detail: `${short(failed.model)}: ${failed.phase.reason}` };
  const downloading = phases.find((p) => p.phase.phase === 'downloading');
  if (downloading?.phase.phase === 'downloading')
    return { status: 'downloading', progressPct: downloading.phase.pct, detail: short(downloading.model) };
  const loading = phases.find((p) => p.phase.phase === 'loading' || p.phase.phase === 'waiting');
  if (loading) {
    const pct = loading.phase.phase === 'loading' ? loading.phase.pct : undefined;
    return {
      status: 'loading',
      progressPct: pct,
      detail: pct === undefined ? `${short(loading.model)} (${describePhase(loading.phase)})` : short(loading.model),
    };
  }
  if (phases.length) return { status: 'ready', detail: phases.map((p) => short(p.model)).join(', ') };
  return { status: 'running', detail: 'idle (no instance on this node)' };
}

export function mapExoState(doc: ExoState, spec: ClusterSpec): ExoMapping {
  const nodeToHost = matchExoNodes(doc, spec);
  const hosts = new Map<string, HostFacts>();
  const seen = new Set(nodeToHost.values());
  const instances = instancesOf(doc);
  const downloads = downloadsOf(doc);

  for (const [nodeId, hostName] of nodeToHost) {
    const host = spec.hosts.find((h) => h.name === hostName)!;
    const memory = doc.nodeMemory?.[nodeId];
    // Only Macs report nodeSystem (exo reads it from macmon); Linux GPU figures come from probes and telemetry.
    const system = doc.nodeSystem?.[nodeId];
    const usagePct = system?.gpuUsage === undefined ? undefined : system.gpuUsage <= 1 ? system.gpuUsage * 100 : system.gpuUsage;
    const facts: HostFacts = {
      status: 'running',
      statusDetail: `exo node ${nodeId.slice(0, 12)}… is in the cluster`,
      services: { exo: exoServiceFacts(doc, nodeId, instances, downloads) },
      memory: memory ? { totalBytes: memory.ramTotal.inBytes, availableBytes: memory.ramAvailable.inBytes } : undefined,
      acceleratorUsagePct: usagePct,
      temperatureC: system?.temp,
    };
    // Apple Silicon shares RAM with the GPU: exo's memory figures are the GPU's.
    const apple = host.hardware?.gpus?.[0]?.vendor === 'apple';
    if (apple && memory) {
      facts.gpus = [
        {
          index: 0,
          memoryTotalMiB: Math.round(memory.ramTotal.inBytes / 2 ** 20),
          memoryUsedMiB: Math.round((memory.ramTotal.inBytes - memory.ramAvailable.inBytes) / 2 ** 20),
          utilizationPct: usagePct,
          temperatureC: system?.temp,
        },
      ];
    }
    hosts.set(hostName, facts);
  }
  // Hosts that should run exo but are not in its cluster.
  for (const host of exoHosts(spec)) {
    if (seen.has(host.name)) continue;
    hosts.set(host.name, { services: { exo: { status: 'stopped', detail: "not in exo's topology" } } });
  }

  const links: LiveLink[] = [];
  const pairs = new Set<string>();
  for (const [from, sinks] of Object.entries(doc.topology?.connections ?? {})) {
    for (const [to, edges] of Object.entries(sinks)) {
      for (const edge of edges) {
        const a = nodeToHost.get(from),
          b = nodeToHost.get(to);
        if (!a || !b || a === b) continue;
        const kind = 'sourceRdmaIface' in edge ? 'rdma' : 'socket';
        const key = [a, b].sort().join('|') + kind;
        if (pairs.has(key)) continue;
        pairs.add(key);
        const detail = 'sourceRdmaIface' in edge ? `${edge.sourceRdmaIface} ↔ ${edge.sinkRdmaIface}` : edge.sinkMultiaddr?.address;
        links.push({ from: a, to: b, kind, detail });
      }
    }
  }
  const unmatched = topologyNodeIds(doc).filter((id) => !nodeToHost.has(id));
  return { hosts, links, unmatched, nodeToHost };
}

/** The URL of exo's /state: on the API host (core/src/spec/resolve.ts exoApiUrl). */
export function exoStateUrl(spec: ClusterSpec): string | undefined {
  const base = exoApiUrl(spec);
  return base && `${base}/state`;
}

export interface ExoSourceOptions {
  /** Full URL of `/state`; derived from the spec when left out. */
  url?: string;
  intervalMs?: number;
  timeoutMs?: number;
  maxBackoffMs?: number;
  spec: () => ClusterSpec | undefined;
}

export const EXO_SOURCE_ID = 'exo';

export class ExoSource implements StateSource {
  readonly id = EXO_SOURCE_ID;
  private store: ClusterStateStore | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inflight: AbortController | undefined;
  private failures = 0;
  private disposed = false;
  private reportedHosts = new Set<string>();
  private specSubscription: { dispose(): void } | undefined;
  private lastUrl: string | undefined;

  constructor(private readonly options: ExoSourceOptions) {}

  start(store: ClusterStateStore): void {
    this.store = store;
    // A spec edit that moves exo's API (another host, another port) is tried at once, not after the back-off.
    this.specSubscription = store.onDidChange((change) => {
      if (change.specChanged && this.targetUrl() !== this.lastUrl) this.pollNow();
    });
    this.schedule(0);
  }

  /** Poll now (the Refresh command), resetting any back-off. */
  pollNow(): void {
    this.failures = 0;
    this.schedule(0);
  }

  dispose(): void {
    this.disposed = true;
    this.specSubscription?.dispose();
    if (this.timer) clearTimeout(this.timer);
    this.inflight?.abort();
  }

  private targetUrl(): string | undefined {
    const spec = this.options.spec();
    return this.options.url ?? (spec ? exoStateUrl(spec) : undefined);
  }

  /** The delay before the next poll after `failures` failed polls in a row. */
  static backoffDelay(intervalMs: number, failures: number, maxBackoffMs: number): number {
    return failures === 0 ? intervalMs : Math.min(maxBackoffMs, intervalMs * 2 ** failures);
  }

  private schedule(delayMs: number): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.poll();
    }, delayMs);
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    const store = this.store!;
    const spec = this.options.spec();
    const url = this.targetUrl();
    this.lastUrl = url;
    const interval = this.options.intervalMs ?? 2000;
    if (!spec || !url) {
      // Nothing to ask: no spec, or no host runs exo's API. Check again later without calling it an error.
      this.schedule(interval * 5);
      return;
    }
    this.inflight?.abort();
    const controller = new AbortController();
    this.inflight = controller;
    const timeout = setTimeout(
      () => controller.abort(new Error(`no answer within ${this.options.timeoutMs ?? 5000} ms`)),
      this.options.timeoutMs ?? 5000,
    );
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      const doc = (await response.json()) as ExoState;
      if (this.disposed) return;
      this.apply(store, doc, spec);
      this.failures = 0;
      store.setSourceHealth(this.id, {
        ok: true,
        lastSuccessAt: Date.now(),
      });
      this.schedule(interval);
    } catch (err) {
      if (this.disposed) return;
      this.failures++;
      const delay = ExoSource.backoffDelay(interval, this.failures, this.options.maxBackoffMs ?? 60_000);
      // What exo said before is no longer live: drop it rather than show stale numbers as current.
      store.clearSource(this.id);
      this.reportedHosts.clear();
      store.setSourceHealth(this.id, { ok: false, error: `${url}: ${describe(err)}`, retryAt: Date.now() + delay });
      this.schedule(delay);
    } finally {
      clearTimeout(timeout);
      if (this.inflight === controller) this.inflight = undefined;
    }
  }

  private apply(store: ClusterStateStore, doc: ExoState, spec: ClusterSpec): void {
    const mapping = mapExoState(doc, spec);
    for (const host of this.reportedHosts) if (!mapping.hosts.has(host)) store.clearSource(this.id, host);
    for (const [host, facts] of mapping.hosts) store.applyHostFacts(this.id, host, facts, 'replace');
    this.reportedHosts = new Set(mapping.hosts.keys());
    store.setLiveLinks(this.id, mapping.links);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    if (err.name === 'AbortError' || err.name === 'TimeoutError') return err.message || 'timed out';
    if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
    if (err instanceof SyntaxError) return `not JSON: ${err.message}`;
    return err.message;
  }
  return String(err);
}
