// The Kubernetes API of the k3s cluster, through @kubernetes/client-node and the kubeconfig the user chose: exo's
// Service and EndpointSlices, the pods that hold GPUs, and the kubelet checkpoint API reached through the API
// server's node proxy. No vscode imports: the tests drive it against recorded API responses on loopback.
import * as https from 'node:https';
import {
  checkpointArchives,
  exoService,
  gpuPodsByNode,
  nodeProxyCheckpointPath,
  statusMessage,
  type EndpointSliceDoc,
  type ExoServiceView,
  type GpuPodView,
  type KubeList,
  type PodDoc,
  type ServiceDoc,
} from '#core/k3s';
import type { KubeletCheckpointTarget } from '#core/ops';
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

export interface KubeApi {
  /** The API server URL of the kubeconfig's current context. */
  readonly server: string;
  exoService(name: string, namespace: string): Promise<ExoServiceView>;
  gpuPods(): Promise<Map<string, GpuPodView[]>>;
  /** Checkpoints a container with the kubelet of its node; resolves to the archive paths the kubelet wrote. */
  checkpoint(node: string, target: KubeletCheckpointTarget, timeoutSeconds?: number): Promise<string[]>;
}

export class KubeApiError extends Error {}

/** Every API call gives up after this long; the live view polls again later. */
const REQUEST_TIMEOUT_MS = 10_000;
/** A checkpoint dumps the container's memory, which can take minutes for a GPU job. */
const CHECKPOINT_TIMEOUT_MS = 10 * 60_000;

function withTimeout<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KubeApiError(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A client-node error as one sentence: the API's Status message when it sent one. */
function explain(what: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const e = err as { code?: unknown; body?: unknown; message?: string };
  let body: unknown = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* plain text */
    }
  }
  const status = statusMessage(body);
  const code = typeof e.code === 'number' ? `HTTP ${e.code}` : typeof e.code === 'string' ? e.code : undefined;
  return new KubeApiError(`${what}: ${status ?? e.message ?? String(err)}${code && !status?.includes(code) ? ` [${code}]` : ''}`);
}

/** Opens the kubeconfig (its current context). Throws a KubeApiError when it cannot be read. */
export async function openKubeApi(kubeconfigPath: string): Promise<KubeApi> {
  // ESM-only package: loaded when the live view starts, never in a workspace that does not use it
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (err) {
    throw new KubeApiError(`Cannot read the kubeconfig ${kubeconfigPath}: ${(err as Error).message}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeApiError(`The kubeconfig ${kubeconfigPath} has no current context with a cluster.`);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);

  const call = async <T>(what: string, ms: number, run: () => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(what, ms, run());
    } catch (err) {
      throw explain(what, err);
    }
  };

  return {
    server: cluster.server,
    async exoService(name, namespace) {
      const service = await call(`Reading Service ${namespace}/${name}`, REQUEST_TIMEOUT_MS, async () => {
        try {
          return (await core.readNamespacedService({ name, namespace })) as ServiceDoc;
        } catch (err) {
          if ((err as { code?: unknown }).code === 404) return undefined;
          throw err;
        }
      });
      const slices = await call(
        `Listing the EndpointSlices of ${namespace}/${name}`,
        REQUEST_TIMEOUT_MS,
        () =>
          discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name}` }) as Promise<
            KubeList<EndpointSliceDoc>
          >,
      );
      return exoService(name, namespace, service, slices);
    },
    async gpuPods() {
      const pods = await call(
        'Listing pods',
        REQUEST_TIMEOUT_MS,
        () => core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }) as Promise<KubeList<PodDoc>>,
      );
      return gpuPodsByNode(pods);
    },
    async checkpoint(node, target, timeoutSeconds) {
      const url = new URL(nodeProxyCheckpointPath(node, target, timeoutSeconds), cluster.server.replace(/\/+$/, '') + '/');
      const what = `Checkpointing ${target.namespace}/${target.pod}/${target.container} on ${node}`;
      const answer = await call(what, CHECKPOINT_TIMEOUT_MS, () => post(kc, url));
      if (answer.status < 200 || answer.status >= 300) {
        throw new KubeApiError(`${what}: ${statusMessage(answer.json) ?? answer.text.trim().slice(0, 500)} [HTTP ${answer.status}]`);
      }
      return checkpointArchives(answer.json);
    },
  };
}

/** A POST with the kubeconfig's TLS settings and credentials (the node proxy has no typed client call). */
async function post(kc: KubeConfig, url: URL): Promise<{ status: number; text: string; json: unknown }> {
  if (url.protocol !== 'https:') throw new KubeApiError(`the API server ${url.origin} is not https`);
  const options: https.RequestOptions = { method: 'POST', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 1 << 20) {
          req.destroy(new KubeApiError('the answer is larger than 1 MiB'));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
