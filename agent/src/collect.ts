// What the agent measures on its host: GPUs (nvidia-smi CSV / rocm-smi JSON, parsed by core/src/ops), memory
// (/proc/meminfo), load, and where this host's exo node stands in exo's /state. Each tool runs without a shell and with a timeout; a
// missing tool means "no such GPU here", any other failure is reported in the sample, never thrown.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { type ExoState, instancesOf, NVIDIA_GPU_FIELDS, parseNvidiaGpus, parseRocmSmi, type ProbedGpu } from '#core/ops';
import type { ExoSample, GpuSample, TelemetrySample } from '#core/nats';

export type GpuTool = 'auto' | 'nvidia' | 'amd' | 'none';

export interface CollectOptions {
  gpuTool: GpuTool;
  /** exo's API, e.g. http://127.0.0.1:52415 (the master's on a --no-api host); empty to skip. */
  exoUrl?: string;
  /** This host's addresses (tests); default: the machine's interfaces. */
  addresses?: () => string[];
  toolTimeoutMs?: number;
  meminfoPath?: string;
}

class ToolMissingError extends Error {}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new ToolMissingError(`${file} not found`));
      const detail = (stderr || stdout || err.message).trim().split('\n')[0];
      reject(new Error(err.killed ? `${file} timed out after ${timeoutMs} ms` : `${file} failed: ${detail}`));
    });
  });
}

/** Queries the GPU tools; a missing tool in auto mode means "no GPU of that vendor", not a problem. */
export async function queryGpus(
  tool: GpuTool,
  timeoutMs = 5000,
): Promise<{ gpus: ProbedGpu[]; driverVersion?: string; problems: string[] }> {
  const gpus: ProbedGpu[] = [];
  const problems: string[] = [];
  let driverVersion: string | undefined;
  const queries: Array<() => Promise<ProbedGpu[]>> = [];
  if (tool === 'auto' || tool === 'nvidia') {
    queries.push(async () => {
      const parsed = parseNvidiaGpus(
        await run('nvidia-smi', [`--query-gpu=${NVIDIA_GPU_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], timeoutMs),
      );
      driverVersion = parsed.driverVersion;
      return parsed.gpus;
    });
  }
  if (tool === 'auto' || tool === 'amd') {
    queries.push(async () =>
      parseRocmSmi(await run('rocm-smi', ['--showproductname', '--showmeminfo', 'vram', '--showuse', '--showtemp', '--json'], timeoutMs)),
    );
  }
  for (const query of queries) {
    try {
      gpus.push(...(await query()));
    } catch (err) {
      if (!(err instanceof ToolMissingError) || tool !== 'auto') problems.push((err as Error).message);
    }
  }
  return { gpus, driverVersion, problems };
}

export async function collectGpus(tool: GpuTool, timeoutMs = 5000): Promise<{ gpus: GpuSample[]; error?: string }> {
  const { gpus, problems } = await queryGpus(tool, timeoutMs);
  return {
    gpus: gpus.map((g, index) => ({
      index,
      vendor: g.vendor,
      name: g.name,
      uuid: g.uuid,
      memoryUsedMiB: g.memoryUsedMiB,
      memoryTotalMiB: g.memoryTotalMiB,
      utilizationPct: g.utilizationPct,
      temperatureC: g.temperatureC,
    })),
    error: problems.length ? problems.join('; ') : undefined,
  };
}

export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } | undefined {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable') ?? kb('MemFree');
  return total !== undefined && available !== undefined ? { totalBytes: total, availableBytes: available } : undefined;
}

/** This host as exo's /state may know it: the spec's host name (friendly name on Linux) and its addresses. */
export interface ExoSelf {
  host: string;
  addresses: string[];
}

/** This machine's addresses (what exo reports in nodeNetwork for it). */
export function ownAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .flatMap((i) => (i && !i.internal ? [i.address] : []));
}

/**
 * Where this host's exo node stands, from exo's /state. On the API host that is its own API; a worker-only host
 * runs exo with --no-api, so it reads the master's /state and finds its node by address, else by friendly name.
 * When the API does not answer nothing is known about this node (`up: false` with `unknown`), which is not
 * "stopped".
 */
export async function collectExo(exoUrl: string | undefined, self: ExoSelf, timeoutMs = 2000): Promise<ExoSample | undefined> {
  if (!exoUrl) return undefined;
  let state: ExoState;
  try {
    const res = await fetch(new URL('/state', exoUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { up: false, unknown: true, error: `exo's API (${exoUrl}) answered HTTP ${res.status}` };
    state = (await res.json()) as ExoState;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      cause?.code === 'ECONNREFUSED'
        ? 'is not listening'
        : `did not answer: ${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
    return { up: false, unknown: true, error: `exo's API (${exoUrl}) ${why}` };
  }
  const node = findOwnNode(state, self);
  if (!node) return { up: false, error: `not in exo's cluster (${exoUrl}/state has no node with this host's addresses or name)` };
  const instances = instancesOf(state).filter((i) => i.shards.some((s) => s.nodeId === node)).length;
  return { up: true, node, instances };
}

export function findOwnNode(state: ExoState, self: ExoSelf): string | undefined {
  const alive = new Set([...(state.topology?.nodes ?? []), ...Object.keys(state.nodeMemory ?? {})]);
  const mine = new Set(self.addresses);
  for (const id of alive) {
    if ((state.nodeNetwork?.[id]?.interfaces ?? []).some((i) => mine.has(i.ipAddress))) return id;
  }
  const name = self.host.toLowerCase();
  return [...alive].find((id) => state.nodeIdentities?.[id]?.friendlyName?.toLowerCase().split('.')[0] === name);
}

export async function collectSample(host: string, seq: number, options: CollectOptions): Promise<TelemetrySample> {
  const [gpu, meminfo, exo] = await Promise.all([
    collectGpus(options.gpuTool, options.toolTimeoutMs),
    readFile(options.meminfoPath ?? '/proc/meminfo', 'utf8').then(parseMeminfo, () => undefined),
    collectExo(options.exoUrl, { host, addresses: options.addresses?.() ?? ownAddresses() }, options.toolTimeoutMs),
  ]);
  const memory = meminfo ?? { totalBytes: os.totalmem(), availableBytes: os.freemem() };
  return {
    host,
    seq,
    sentAt: Date.now(),
    gpus: gpu.gpus,
    gpuError: gpu.error,
    memory,
    loadAverage: os.loadavg() as [number, number, number],
    exo,
  };
}

/** A GPU's identity for change detection: its UUID when the tool reports one, else vendor, slot and model. */
export function gpuIdentity(g: GpuSample): string {
  return g.uuid ? g.uuid : `${g.vendor}:${g.index}:${g.name ?? ''}`;
}

/** GPUs that appeared or disappeared between two samples. */
export function diffGpus(before: readonly GpuSample[], after: readonly GpuSample[]): { added: GpuSample[]; removed: GpuSample[] } {
  const was = new Map(before.map((g) => [gpuIdentity(g), g]));
  const is = new Map(after.map((g) => [gpuIdentity(g), g]));
  return {
    added: [...is].filter(([id]) => !was.has(id)).map(([, g]) => g),
    removed: [...was].filter(([id]) => !is.has(id)).map(([, g]) => g),
  };
}
