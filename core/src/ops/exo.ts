// exo on the hosts: its systemd unit (from the generated module) started/stopped over SSH, its HTTP API
// polled until it answers and the node shows up in `GET /state`, and model placement (`POST /place_instance`)
// followed through download and runner states.

import type { ExoModelSpec } from '../spec/types';
import type { SshEndpoint } from '../ssh/connection';
import { argv, sh, type ShellCommand } from '../ssh/quote';
import { SERVICE_UNITS } from './units';

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
  const res = await fetchFn(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`);
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
  throw new Error(`exo did not come up in time: ${lastError}`);
}

export interface PlaceInstanceBody {
  model_id: string;
  sharding: 'Pipeline' | 'Tensor';
  min_nodes: number;
}

export function placeInstanceBody(model: ExoModelSpec): PlaceInstanceBody {
  return { model_id: model.id, sharding: model.sharding === 'tensor' ? 'Tensor' : 'Pipeline', min_nodes: model.minNodes ?? 1 };
}

export async function placeInstance(baseUrl: string, model: ExoModelSpec, options: { signal?: AbortSignal; fetch?: Fetch } = {}): Promise<unknown> {
  const res = await (options.fetch ?? fetch)(`${baseUrl}/place_instance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(placeInstanceBody(model)),
    signal: options.signal,
  });
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try {
      const parsed = JSON.parse(text) as { detail?: string; error?: { message?: string } };
      detail = parsed.detail ?? parsed.error?.message ?? text;
    } catch {
      // not JSON: show the text as it came
    }
    throw new Error(`exo refused to place ${model.id}: ${res.status} ${detail}`.trim());
  }
  return text ? JSON.parse(text) : {};
}

export interface PlacementProgress {
  /** An instance of the model exists. */
  placed: boolean;
  /** Runner states of the instance's runners, e.g. `RunnerLoading`, `RunnerReady`, `RunnerFailed`. */
  runners: string[];
  /** Bytes downloaded / total across nodes still downloading the model. */
  download?: { doneBytes: number; totalBytes: number };
  failed?: string;
  ready: boolean;
}

type Tagged = Record<string, Record<string, unknown>>;
const untag = (t: unknown): [string, Record<string, unknown>] | undefined => {
  const entry = t && typeof t === 'object' ? Object.entries(t as Tagged)[0] : undefined;
  return entry && entry[1] && typeof entry[1] === 'object' ? entry : undefined;
};

/** Reads the progress of a model's placement from a /state document (camelCase, tagged unions). */
export function placementProgress(state: unknown, modelId: string): PlacementProgress {
  const doc = (state ?? {}) as { instances?: Record<string, unknown>; runners?: Record<string, unknown>; downloads?: Record<string, unknown[]> };
  const runnerIds: string[] = [];
  let placed = false;
  for (const tagged of Object.values(doc.instances ?? {})) {
    const inst = untag(tagged)?.[1] as { shardAssignments?: { modelId?: string; nodeToRunner?: Record<string, string> } } | undefined;
    if (inst?.shardAssignments?.modelId !== modelId) continue;
    placed = true;
    runnerIds.push(...Object.values(inst.shardAssignments.nodeToRunner ?? {}));
  }
  const runners: string[] = [];
  let failed: string | undefined;
  for (const id of runnerIds) {
    const status = untag(doc.runners?.[id]);
    if (!status) continue;
    runners.push(status[0]);
    if (/Failed/.test(status[0])) failed = String(status[1].errorMessage ?? status[0]);
  }
  let doneBytes = 0;
  let totalBytes = 0;
  for (const list of Object.values(doc.downloads ?? {})) {
    for (const tagged of list ?? []) {
      const entry = untag(tagged);
      if (!entry) continue;
      const d = entry[1] as { shardMetadata?: { modelCard?: { modelId?: string }; modelMeta?: { modelId?: string } }; downloadProgress?: { downloadedBytes?: { inBytes?: number }; totalBytes?: { inBytes?: number } }; errorMessage?: string };
      const id = d.shardMetadata?.modelCard?.modelId ?? d.shardMetadata?.modelMeta?.modelId;
      if (id !== modelId) continue;
      if (entry[0] === 'DownloadFailed') failed = d.errorMessage ?? 'download failed';
      if (entry[0] === 'DownloadOngoing') {
        doneBytes += d.downloadProgress?.downloadedBytes?.inBytes ?? 0;
        totalBytes += d.downloadProgress?.totalBytes?.inBytes ?? 0;
      }
    }
  }
  return {
    placed,
    runners,
    download: totalBytes > 0 ? { doneBytes, totalBytes } : undefined,
    failed,
    ready: placed && runners.length > 0 && runners.every((r) => /Ready|Running/.test(r)),
  };
}
