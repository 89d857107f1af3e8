// exo on the hosts: its systemd unit (from the generated module) started/stopped over SSH, its HTTP API
// polled until it answers and the node shows up in `GET /state`, and model placement (`POST /place_instance`)
// followed through download and runner states.

import type { ExoModelSpec } from '../spec/types';
import type { SshEndpoint } from '../ssh/connection';
import { argv, sh, type ShellCommand } from '../ssh/quote';
import { SERVICE_UNITS } from './units';
import {
  downloadsOf,
  instancesOf,
  readInstance,
  shardPhase,
  type ExoInstance,
  type ExoInstanceView,
  type ExoPhase,
  type ExoShard,
  type ExoState,
  type Tagged,
} from './exoState';

export type ExoAction = 'start' | 'stop' | 'restart';

/** The launchd daemon nix-darwin's exo module defines (nix-templates/modules/darwin/exo.nix). */
export const EXO_LAUNCHD_LABEL = 'org.exo.node';

/**
 * Linux: `systemctl <action> exo.service`. macOS: launchctl on the daemon (bootstrap + kickstart to start,
 * bootout to stop, kickstart -k to restart). Through `sudo -n` when the SSH user is not root.
 */
export function exoServiceCommand(action: ExoAction, endpoint: SshEndpoint, darwin = false): ShellCommand {
  const sudo = (cmd: string[]) => (endpoint.user === 'root' ? cmd : ['sudo', '-n', ...cmd]);
  if (!darwin) return argv(sudo(['systemctl', action, SERVICE_UNITS.exo]));
  const target = `system/${EXO_LAUNCHD_LABEL}`;
  if (action === 'stop') return argv(sudo(['launchctl', 'bootout', target]));
  if (action === 'restart') return argv(sudo(['launchctl', 'kickstart', '-k', target]));
  const plist = `/Library/LaunchDaemons/${EXO_LAUNCHD_LABEL}.plist`;
  return sh`${argv(sudo(['launchctl', 'bootstrap', 'system', plist]))} 2>/dev/null; ${argv(sudo(['launchctl', 'kickstart', target]))}`;
}

export function exoBaseUrl(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export type Fetch = typeof fetch;

async function getJson(fetchFn: Fetch, url: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<unknown> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await fetchFn(url, {
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    headers: { accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  return res.json();
}

export interface WaitForExoOptions {
  baseUrl: string;
  /** True once the launched node is part of the cluster in this /state document. */
  nodePresent(state: unknown): boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  intervalMs?: number;
  fetch?: Fetch;
  onAttempt?(attempt: { answered: boolean; error?: string }): void;
}

/** Polls /state until exo answers and the node is present; rejects with the last error on timeout. */
export async function waitForExo(opts: WaitForExoOptions): Promise<unknown> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const fetchFn = opts.fetch ?? fetch;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (opts.signal?.aborted) throw new Error('Cancelled while waiting for exo.');
    try {
      const state = await getJson(fetchFn, `${opts.baseUrl}/state`, opts.signal, 5000);
      if (opts.nodePresent(state)) return state;
      lastError = 'exo answers, but this node is not in its cluster yet';
      opts.onAttempt?.({ answered: true, error: lastError });
    } catch (err) {
      if (opts.signal?.aborted) throw new Error('Cancelled while waiting for exo.');
      lastError = (err as Error).message;
      opts.onAttempt?.({ answered: false, error: lastError });
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
  throw new Error(`exo did not come up: timed out after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s (${lastError})`);
}

export interface PlaceInstanceBody {
  model_id: string;
  sharding: 'Pipeline' | 'Tensor';
  min_nodes: number;
  /** exo's engine: MlxRing (sockets, the default) or MlxJaccl (RDMA over Thunderbolt). */
  instance_meta?: 'MlxRing' | 'MlxJaccl';
}

/** exo's PlaceInstanceParams (api/types/api.py): snake_case; a camelCase body is refused with 422. */
export function placeInstanceBody(model: ExoModelSpec, instanceMeta?: PlaceInstanceBody['instance_meta']): PlaceInstanceBody {
  const body: PlaceInstanceBody = {
    model_id: model.id,
    sharding: model.sharding === 'tensor' ? 'Tensor' : 'Pipeline',
    min_nodes: model.minNodes ?? 1,
  };
  if (instanceMeta) body.instance_meta = instanceMeta;
  return body;
}

/** What exo's API says went wrong, from any of the error bodies it sends. */
export async function exoError(res: Response, what: string): Promise<Error> {
  const text = await res.text().catch(() => '');
  let detail = text.trim();
  try {
    const parsed = JSON.parse(text) as { detail?: unknown; error?: { message?: string } };
    if (parsed.error?.message)
      detail = parsed.error.message; // exo's ErrorResponse (HTTPException handler)
    else if (Array.isArray(parsed.detail)) {
      // FastAPI's validation error: [{loc: ["body", "model_id"], msg: "Field required"}, ...]
      detail = parsed.detail
        .map((e: { loc?: unknown[]; msg?: string }) => `${(e.loc ?? []).slice(1).join('.')}: ${e.msg ?? 'invalid'}`)
        .join('; ');
    } else if (typeof parsed.detail === 'string') detail = parsed.detail;
  } catch {
    // plain text, e.g. Starlette's "Internal Server Error" for an exception exo did not handle
  }
  const hint =
    res.status === 500 && /^Internal Server Error$/i.test(detail)
      ? ' (exo failed while handling it; for a model id without a model card exo tries to fetch one from Hugging Face, which fails for a short id or without internet)'
      : '';
  return new Error(`${what}: exo answered ${res.status} ${detail || res.statusText}${hint}`);
}

export async function placeInstance(
  baseUrl: string,
  model: ExoModelSpec,
  options: { signal?: AbortSignal; fetch?: Fetch; instanceMeta?: PlaceInstanceBody['instance_meta'] } = {},
): Promise<unknown> {
  const res = await (options.fetch ?? fetch)(`${baseUrl}/place_instance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(placeInstanceBody(model, options.instanceMeta)),
    signal: options.signal,
  });
  if (!res.ok) throw await exoError(res, `exo refused to place ${model.id}`);
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

/** `DELETE /instance/{id}`: stops an instance (and its runners) on every node. */
export async function deleteInstance(
  baseUrl: string,
  instanceId: string,
  options: { signal?: AbortSignal; fetch?: Fetch } = {},
): Promise<void> {
  const res = await (options.fetch ?? fetch)(`${baseUrl}/instance/${encodeURIComponent(instanceId)}`, {
    method: 'DELETE',
    headers: { accept: 'application/json' },
    signal: options.signal,
  });
  if (!res.ok) throw await exoError(res, `exo did not delete instance ${instanceId}`);
}

export interface PlacementPreview {
  sharding: 'Pipeline' | 'Tensor';
  instanceMeta: 'MlxRing' | 'MlxJaccl';
  /** The instance exo would create, or undefined when this combination cannot be placed (see `error`). */
  instance?: ExoInstanceView;
  /** Bytes each node would take on. */
  memoryByNode: Record<string, number>;
  error?: string;
}

/** `GET /instance/previews?model_id=…`: every sharding × engine × node count exo could place (api/main.py). */
export async function placementPreviews(
  baseUrl: string,
  modelId: string,
  options: { signal?: AbortSignal; fetch?: Fetch } = {},
): Promise<PlacementPreview[]> {
  const res = await (options.fetch ?? fetch)(`${baseUrl}/instance/previews?model_id=${encodeURIComponent(modelId)}`, {
    headers: { accept: 'application/json' },
    signal: options.signal,
  });
  if (!res.ok) throw await exoError(res, `exo could not preview ${modelId}`);
  return readPreviews(await res.json());
}

export function readPreviews(doc: unknown): PlacementPreview[] {
  const list = (doc as { previews?: unknown[] } | null)?.previews ?? [];
  return list.map((raw) => {
    const p = raw as {
      sharding?: string;
      instance_meta?: string;
      instance?: Tagged<ExoInstance> | null;
      memory_delta_by_node?: Record<string, number> | null;
      error?: string | null;
    };
    return {
      sharding: p.sharding === 'Tensor' ? 'Tensor' : 'Pipeline',
      instanceMeta: p.instance_meta === 'MlxJaccl' ? 'MlxJaccl' : 'MlxRing',
      instance: readInstance(p.instance ?? undefined),
      memoryByNode: p.memory_delta_by_node ?? {},
      error: p.error ?? undefined,
    };
  });
}

export interface PlacementProgress {
  /** An instance of the model exists. */
  placed: boolean;
  instanceId?: string;
  /** Each shard's node and where it stands (downloading, loading, ready, failed). */
  nodes: { shard: ExoShard; phase: ExoPhase }[];
  /** Bytes downloaded / total across the instance's nodes still downloading. */
  download?: { doneBytes: number; totalBytes: number };
  failed?: string;
  ready: boolean;
}

/** Reads the progress of a model's placement from a /state document. */
export function placementProgress(state: unknown, modelId: string): PlacementProgress {
  const doc = (state ?? {}) as ExoState;
  const instance = instancesOf(doc).find((i) => i.modelId === modelId);
  if (!instance) return { placed: false, nodes: [], ready: false };
  const downloads = downloadsOf(doc);
  const nodes = instance.shards.map((shard) => ({ shard, phase: shardPhase(doc, shard, modelId, downloads) }));
  let doneBytes = 0;
  let totalBytes = 0;
  for (const { phase } of nodes) {
    if (phase.phase !== 'downloading') continue;
    doneBytes += phase.doneBytes;
    totalBytes += phase.totalBytes;
  }
  const failed = nodes.find((n) => n.phase.phase === 'failed')?.phase as { reason: string } | undefined;
  return {
    placed: true,
    instanceId: instance.instanceId,
    nodes,
    download: totalBytes > 0 ? { doneBytes, totalBytes } : undefined,
    failed: failed?.reason,
    ready: nodes.length > 0 && nodes.every((n) => n.phase.phase === 'ready'),
  };
}
