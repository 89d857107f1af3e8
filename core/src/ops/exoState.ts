// Reading exo's API documents as exo serialises them (recorded by exo's own code in test/fixtures/exo/recorded,
// exo commit b5375f8). Facts a reader must get right:
// - /state keys are camelCase (pydantic alias to_camel); the topology snapshot's own keys (`nodes`,
//   `connections`) and the API's request/response models (place_instance, previews) are snake_case, with
//   exo's camelCase models nested inside them.
// - Unions are tagged by class name at every level: `{"MlxRingInstance": {...}}`, `{"RunnerReady": {}}`,
//   `{"DownloadOngoing": {...}}`, `{"PipelineShardMetadata": {...}}`; topology edges are not tagged
//   (`{"sinkMultiaddr": ...}` or `{"sourceRdmaIface", "sinkRdmaIface"}`).
// - Memory is `{"inBytes": n}`; download progress is `downloadProgress.total` / `.downloaded`.
// - Linux nodes report no `nodeSystem` (macmon is macOS only) and identify as "Unknown Model".

import type { ClusterSpec, HostSpec } from '../spec/types';

export interface ExoMemory {
  inBytes: number;
}
export type Tagged<T> = Record<string, T>;

export interface ExoShardMetadata {
  modelCard?: { modelId?: string; storageSize?: ExoMemory; nLayers?: number };
  deviceRank?: number;
  worldSize?: number;
  startLayer?: number;
  endLayer?: number;
  nLayers?: number;
}
export interface ExoShardAssignments {
  modelId?: string;
  runnerToShard?: Record<string, Tagged<ExoShardMetadata>>;
  nodeToRunner?: Record<string, string>;
}
export interface ExoInstance {
  instanceId?: string;
  shardAssignments?: ExoShardAssignments;
}
export interface ExoRunnerStatus {
  layersLoaded?: number;
  totalLayers?: number;
  errorMessage?: string | null;
}
export interface ExoDownloadEntry {
  nodeId?: string;
  shardMetadata?: Tagged<ExoShardMetadata>;
  /** DownloadOngoing */
  downloadProgress?: {
    total?: ExoMemory;
    downloaded?: ExoMemory;
    speed?: number;
    etaMs?: number;
    completedFiles?: number;
    totalFiles?: number;
  };
  /** DownloadPending (downloaded, total), DownloadCompleted (total) */
  downloaded?: ExoMemory;
  total?: ExoMemory;
  /** DownloadFailed */
  errorMessage?: string;
}
export type ExoEdge =
  { sinkMultiaddr: { address: string; ip_address?: string; port?: number } } | { sourceRdmaIface: string; sinkRdmaIface: string };
export interface ExoState {
  instances?: Record<string, Tagged<ExoInstance>>;
  runners?: Record<string, Tagged<ExoRunnerStatus>>;
  downloads?: Record<string, Tagged<ExoDownloadEntry>[]>;
  topology?: { nodes?: string[]; connections?: Record<string, Record<string, ExoEdge[]>> };
  nodeIdentities?: Record<string, { modelId?: string; chipId?: string; friendlyName?: string; osVersion?: string }>;
  nodeMemory?: Record<string, { ramTotal: ExoMemory; ramAvailable: ExoMemory; swapTotal?: ExoMemory; swapAvailable?: ExoMemory }>;
  nodeSystem?: Record<string, { gpuUsage?: number; temp?: number; sysPower?: number; pcpuUsage?: number; ecpuUsage?: number }>;
  nodeNetwork?: Record<string, { interfaces?: { name: string; ipAddress: string; interfaceType?: string }[] }>;
}

/** `{"Tag": body}` → `[tag, body]`. */
export function untag<T>(tagged: Tagged<T> | undefined | null): [string, T] | undefined {
  if (!tagged || typeof tagged !== 'object') return undefined;
  const entry = Object.entries(tagged)[0];
  return entry && entry[1] && typeof entry[1] === 'object' ? entry : undefined;
}

export type ShardingKind = 'Pipeline' | 'Tensor' | 'Cfg';

export interface ExoShard {
  nodeId: string;
  runnerId: string;
  sharding: ShardingKind;
  startLayer?: number;
  endLayer?: number;
  nLayers?: number;
}

export interface ExoInstanceView {
  instanceId: string;
  /** e.g. MlxRingInstance, MlxJacclInstance */
  kind: string;
  modelId: string;
  shards: ExoShard[];
}

function shardOf(nodeId: string, runnerId: string, tagged: Tagged<ExoShardMetadata> | undefined): ExoShard {
  const [tag, meta] = untag(tagged) ?? ['', {} as ExoShardMetadata];
  const sharding: ShardingKind = tag.startsWith('Tensor') ? 'Tensor' : tag.startsWith('Cfg') ? 'Cfg' : 'Pipeline';
  return { nodeId, runnerId, sharding, startLayer: meta.startLayer, endLayer: meta.endLayer, nLayers: meta.nLayers };
}

/** An instance (from /state's `instances` or a preview's `instance`), with its shards per node. */
export function readInstance(tagged: Tagged<ExoInstance> | undefined | null, fallbackId = ''): ExoInstanceView | undefined {
  const entry = untag(tagged);
  if (!entry) return undefined;
  const [kind, inst] = entry;
  const a = inst.shardAssignments ?? {};
  const shards = Object.entries(a.nodeToRunner ?? {}).map(([node, runner]) => shardOf(node, runner, a.runnerToShard?.[runner]));
  return { instanceId: inst.instanceId ?? fallbackId, kind, modelId: a.modelId ?? '', shards };
}

export function instancesOf(state: ExoState): ExoInstanceView[] {
  return Object.entries(state.instances ?? {}).flatMap(([id, t]) => readInstance(t, id) ?? []);
}

export type DownloadKind = 'pending' | 'ongoing' | 'completed' | 'failed';

export interface ExoDownloadView {
  nodeId: string;
  modelId: string;
  kind: DownloadKind;
  doneBytes: number;
  totalBytes: number;
  /** Bytes per second (ongoing). */
  speed?: number;
  etaMs?: number;
  error?: string;
}

const DOWNLOAD_KINDS: Record<string, DownloadKind> = {
  DownloadPending: 'pending',
  DownloadOngoing: 'ongoing',
  DownloadCompleted: 'completed',
  DownloadFailed: 'failed',
};

export function downloadsOf(state: ExoState): ExoDownloadView[] {
  const out: ExoDownloadView[] = [];
  for (const [nodeId, list] of Object.entries(state.downloads ?? {})) {
    for (const tagged of list ?? []) {
      const entry = untag(tagged);
      if (!entry || !DOWNLOAD_KINDS[entry[0]]) continue;
      const [tag, d] = entry;
      const kind = DOWNLOAD_KINDS[tag];
      const modelId = untag(d.shardMetadata)?.[1].modelCard?.modelId ?? '';
      const p = d.downloadProgress;
      const totalBytes = p?.total?.inBytes ?? d.total?.inBytes ?? 0;
      const doneBytes = kind === 'completed' ? totalBytes : (p?.downloaded?.inBytes ?? d.downloaded?.inBytes ?? 0);
      out.push({
        nodeId: d.nodeId ?? nodeId,
        modelId,
        kind,
        doneBytes,
        totalBytes,
        speed: p?.speed,
        etaMs: p?.etaMs,
        error: d.errorMessage,
      });
    }
  }
  return out;
}

export interface ExoRunnerView {
  /** Tag without the `Runner` prefix: Idle, Connecting, Connected, Loading, Loaded, WarmingUp, Ready, Running, ShuttingDown, Shutdown, Failed. */
  status: string;
  layersLoaded?: number;
  totalLayers?: number;
  error?: string;
}

export function runnerOf(state: ExoState, runnerId: string): ExoRunnerView | undefined {
  const entry = untag(state.runners?.[runnerId]);
  if (!entry) return undefined;
  const [tag, r] = entry;
  const status = tag.replace(/^Runner/, '');
  return {
    status,
    layersLoaded: r.layersLoaded,
    totalLayers: r.totalLayers,
    error: status === 'Failed' ? (r.errorMessage ?? 'the runner failed') : undefined,
  };
}

/** Where one node stands with one model: exo's lifecycle after placement. */
export type ExoPhase =
  | { phase: 'downloading'; pct: number; doneBytes: number; totalBytes: number }
  | { phase: 'loading'; pct?: number; runner: string }
  | { phase: 'ready'; runner: string }
  | { phase: 'failed'; reason: string }
  | { phase: 'waiting'; runner?: string };

// Rounded, but 100% only once it is all there.
const pct = (done: number, total: number) => (total > 0 ? Math.min(done < total ? 99 : 100, Math.round((100 * done) / total)) : 0);

export function shardPhase(state: ExoState, shard: ExoShard, modelId: string, downloads = downloadsOf(state)): ExoPhase {
  const runner = runnerOf(state, shard.runnerId);
  if (runner?.status === 'Failed') return { phase: 'failed', reason: runner.error ?? 'the runner failed' };
  const dl = downloads.find((d) => d.nodeId === shard.nodeId && d.modelId === modelId);
  if (dl?.kind === 'failed') return { phase: 'failed', reason: `download failed: ${dl.error ?? 'unknown error'}` };
  if (runner && (runner.status === 'Ready' || runner.status === 'Running')) return { phase: 'ready', runner: runner.status };
  if (runner && ['Loading', 'Loaded', 'WarmingUp'].includes(runner.status)) {
    return {
      phase: 'loading',
      runner: runner.status,
      pct: runner.status === 'Loading' && runner.totalLayers ? pct(runner.layersLoaded ?? 0, runner.totalLayers) : undefined,
    };
  }
  if (dl && (dl.kind === 'ongoing' || dl.kind === 'pending'))
    return { phase: 'downloading', pct: pct(dl.doneBytes, dl.totalBytes), doneBytes: dl.doneBytes, totalBytes: dl.totalBytes };
  return { phase: 'waiting', runner: runner?.status };
}

export function describePhase(p: ExoPhase): string {
  switch (p.phase) {
    case 'downloading':
      return `downloading ${p.pct}%`;
    case 'loading':
      return p.pct === undefined ? (p.runner === 'WarmingUp' ? 'warming up' : 'loading') : `loading ${p.pct}%`;
    case 'ready':
      return 'ready';
    case 'failed':
      return `failed: ${p.reason}`;
    case 'waiting':
      return p.runner ? `runner ${p.runner.toLowerCase()}` : 'waiting for its runner';
  }
}

export function stripCidr(address: string): string {
  return address.replace(/\/\d+$/, '');
}

function hostAddresses(host: HostSpec): Set<string> {
  const all = [...host.addresses, ...(host.ssh?.address ? [host.ssh.address] : [])];
  for (const iface of host.interfaces ?? []) all.push(...(iface.addresses ?? []));
  return new Set(all.map(stripCidr));
}

export function topologyNodeIds(doc: ExoState): string[] {
  const ids = new Set<string>(doc.topology?.nodes ?? []);
  // Nodes that report memory are alive even if the topology snapshot lags behind.
  for (const id of Object.keys(doc.nodeMemory ?? {})) ids.add(id);
  return [...ids];
}

/**
 * Which spec host an exo node is: by any address in its `nodeNetwork`, else by its friendly name (the hostname
 * on Linux, the Computer Name on a Mac). One /state from the master describes every node, worker-only hosts
 * (started with --no-api) included.
 */
export function matchExoNodes(doc: ExoState, spec: ClusterSpec): Map<string, string> {
  const byAddress = new Map<string, string>();
  for (const host of spec.hosts) for (const a of hostAddresses(host)) byAddress.set(a, host.name);
  const byName = new Map(spec.hosts.map((h) => [h.name.toLowerCase(), h.name]));
  const result = new Map<string, string>();
  for (const nodeId of topologyNodeIds(doc)) {
    const ifaces = doc.nodeNetwork?.[nodeId]?.interfaces ?? [];
    const viaAddress = ifaces.map((i) => byAddress.get(stripCidr(i.ipAddress))).find((h) => h !== undefined);
    const friendly = doc.nodeIdentities?.[nodeId]?.friendlyName?.toLowerCase();
    const host = viaAddress ?? (friendly ? (byName.get(friendly) ?? byName.get(friendly.split('.')[0])) : undefined);
    if (host) result.set(nodeId, host);
  }
  return result;
}
