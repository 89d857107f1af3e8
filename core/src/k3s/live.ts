// What the Kubernetes API says about exo inside K3s, as the explorer shows it: the endpoints of exo's Service and
// the pods that hold GPUs, per node. Pure: the inputs are the JSON documents the API server returns (the shapes of
// the Kubernetes API reference, kubernetes.io/docs/reference/kubernetes-api/: EndpointSlice v1 in service-resources,
// Pod v1 in workload-resources, lists as `{ kind: "…List", metadata, items }`), the outputs plain view models.

import { kubeletCheckpointPath, type KubeletCheckpointTarget } from '../ops/checkpoint';
import { LABEL_PREFIX } from './nodes';

// --- The fields of the API documents that are read. ---

export interface KubeMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
}
export interface KubeList<T> {
  items?: T[];
}
export interface EndpointSliceDoc {
  metadata?: KubeMeta;
  addressType?: string;
  endpoints?: {
    addresses?: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
    hostname?: string;
  }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}
export interface ServiceDoc {
  metadata?: KubeMeta;
  spec?: { clusterIP?: string; ports?: { name?: string; port?: number }[] };
}
type Quantities = Record<string, string | number>;
export interface PodDoc {
  metadata?: KubeMeta;
  spec?: { nodeName?: string; containers?: { name?: string; resources?: { requests?: Quantities; limits?: Quantities } }[] };
  status?: { phase?: string; containerStatuses?: { name?: string; ready?: boolean; restartCount?: number }[] };
}

// --- The views. ---

export interface ExoEndpointView {
  address: string;
  port?: number;
  ready: boolean;
  node?: string;
  hostname?: string;
}

export interface ExoServiceView {
  name: string;
  namespace: string;
  /** `<name>.<namespace>.svc`, what pods resolve. */
  dns: string;
  clusterIP?: string;
  /** False when the API server has no such Service (not deployed yet, or removed). */
  exists: boolean;
  endpoints: ExoEndpointView[];
}

export interface GpuContainerView {
  name: string;
  gpus: number;
  ready?: boolean;
}

export interface GpuPodView {
  namespace: string;
  name: string;
  node: string;
  phase: string;
  /** GPUs the pod requests, by extended resource (`nvidia.com/gpu`: 2). */
  gpus: Record<string, number>;
  containers: GpuContainerView[];
  /** One of the generated reservation pods that hold exo's GPUs. */
  exoReservation: boolean;
}

/** The extended resources GPU device plugins advertise: NVIDIA, AMD, and Intel's `gpu.intel.com/*`. */
export function isGpuResource(name: string): boolean {
  return name === 'nvidia.com/gpu' || name === 'amd.com/gpu' || name.startsWith('gpu.intel.com/');
}

/** A whole-number quantity (`"2"`, 2); device plugins count devices, so anything else counts as 0. */
function count(q: string | number | undefined): number {
  const n = typeof q === 'number' ? q : typeof q === 'string' && /^\d+$/.test(q) ? Number(q) : 0;
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** Endpoints of exo's Service from the EndpointSlices labelled `kubernetes.io/service-name: <service>`. */
export function exoService(
  name: string,
  namespace: string,
  service: ServiceDoc | undefined,
  slices: KubeList<EndpointSliceDoc>,
): ExoServiceView {
  const endpoints: ExoEndpointView[] = [];
  for (const slice of slices.items ?? []) {
    if (slice.metadata?.labels?.['kubernetes.io/service-name'] !== name) continue;
    const port = (slice.ports ?? []).find((p) => p.name === 'api')?.port ?? slice.ports?.[0]?.port;
    for (const e of slice.endpoints ?? []) {
      // ready unset means ready (EndpointConditions in the API reference)
      const ready = e.conditions?.ready !== false;
      for (const address of e.addresses ?? []) endpoints.push({ address, port, ready, node: e.nodeName, hostname: e.hostname });
    }
  }
  endpoints.sort((a, b) => a.address.localeCompare(b.address));
  return {
    name,
    namespace,
    dns: `${name}.${namespace}.svc`,
    clusterIP: service?.spec?.clusterIP,
    exists: service !== undefined,
    endpoints,
  };
}

/** Pods that request GPUs and are bound to a node, grouped by node name (nodes sorted, pods by namespace/name). */
export function gpuPodsByNode(pods: KubeList<PodDoc>): Map<string, GpuPodView[]> {
  const byNode = new Map<string, GpuPodView[]>();
  for (const pod of pods.items ?? []) {
    const node = pod.spec?.nodeName;
    const phase = pod.status?.phase ?? 'Unknown';
    if (!node || phase === 'Succeeded' || phase === 'Failed') continue;
    const gpus: Record<string, number> = {};
    const containers: GpuContainerView[] = [];
    for (const c of pod.spec?.containers ?? []) {
      // a device plugin's resource is set in limits (requests, if given, must equal them)
      const wanted = { ...(c.resources?.requests ?? {}), ...(c.resources?.limits ?? {}) };
      let own = 0;
      for (const [resource, q] of Object.entries(wanted)) {
        if (!isGpuResource(resource) || !count(q)) continue;
        gpus[resource] = (gpus[resource] ?? 0) + count(q);
        own += count(q);
      }
      const status = pod.status?.containerStatuses?.find((s) => s.name === c.name);
      if (c.name) containers.push({ name: c.name, gpus: own, ready: status?.ready });
    }
    if (!Object.keys(gpus).length) continue;
    const view: GpuPodView = {
      namespace: pod.metadata?.namespace ?? 'default',
      name: pod.metadata?.name ?? '?',
      node,
      phase,
      gpus,
      containers,
      exoReservation:
        pod.metadata?.labels?.['app.kubernetes.io/name'] === 'exo-gpu-reservation' &&
        pod.metadata.labels[`${LABEL_PREFIX}/hold`] !== undefined,
    };
    byNode.set(node, [...(byNode.get(node) ?? []), view]);
  }
  for (const list of byNode.values()) list.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return new Map([...byNode].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The API server's path that forwards to the node's kubelet checkpoint API (`/api/v1/nodes/{node}/proxy` then the
 * kubelet path), so a kubeconfig with `nodes/proxy` rights reaches any node's kubelet without SSH.
 */
export function nodeProxyCheckpointPath(node: string, target: KubeletCheckpointTarget, timeoutSeconds?: number): string {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node)) throw new Error(`node "${node}" is not a Kubernetes name.`);
  const query = timeoutSeconds !== undefined && Number.isInteger(timeoutSeconds) && timeoutSeconds > 0 ? `?timeout=${timeoutSeconds}` : '';
  return `/api/v1/nodes/${node}/proxy${kubeletCheckpointPath(target)}${query}`;
}

/** The archives a kubelet checkpoint answer names: `{ "items": ["/var/lib/kubelet/checkpoints/checkpoint-….tar"] }`. */
export function checkpointArchives(body: unknown): string[] {
  const items = typeof body === 'object' && body !== null ? (body as { items?: unknown }).items : undefined;
  return Array.isArray(items) ? items.filter((i): i is string => typeof i === 'string') : [];
}

/** The message of an API error body (a `Status` object: `{ kind: "Status", message, reason, code }`), if it is one. */
export function statusMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const s = body as { kind?: unknown; message?: unknown; reason?: unknown };
  return s.kind === 'Status' && typeof s.message === 'string'
    ? `${s.message}${typeof s.reason === 'string' ? ` (${s.reason})` : ''}`
    : undefined;
}
