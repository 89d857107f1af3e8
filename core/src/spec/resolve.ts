// Effective values: what a host actually gets once cluster defaults, `defaults:` and the GPU catalogue
// fill in what its entry leaves out. The one place the generator, the validator, the explorer and the
// operations code ask for these facts, so they always agree.

import { findGpu } from '../catalog/gpus';
import { DEFAULTS, SYSTEMS } from './types';
import { isRecord } from './workspace';
import type { Accelerator, ClusterSpec, Exporter, GpuSpec, GpuVendor, HostSpec, Role, SshSpec, System } from './types';

export type ConcreteAccelerator = Exclude<Accelerator, 'auto'>;

/** `system` of a host: its own, else `cluster.system`, else x86_64-linux. */
export function effectiveSystem(spec: ClusterSpec, host: HostSpec): System {
  if (SYSTEMS.includes(host.system as System)) return host.system!;
  const clusterSystem = isRecord(spec.cluster) ? spec.cluster.system : undefined;
  return SYSTEMS.includes(clusterSystem as System) ? clusterSystem! : DEFAULTS.system;
}

export function isDarwin(system: System): boolean {
  return system.endsWith('-darwin');
}

export interface EffectiveSsh {
  user: string;
  port: number;
  /** Where to connect: `ssh.address`, else the first of `addresses`. */
  address: string | undefined;
  identity?: string;
  hostKey?: string;
  jump?: string;
}

/** SSH settings of a host: its own over `defaults.ssh` over the built-in defaults (root, port 22). */
export function effectiveSsh(spec: ClusterSpec, host: HostSpec): EffectiveSsh {
  const own: SshSpec = isRecord(host.ssh) ? host.ssh : {};
  const merged: SshSpec = { ...(isRecord(spec.defaults) && isRecord(spec.defaults.ssh) ? spec.defaults.ssh : {}), ...own };
  return {
    user: merged.user ?? DEFAULTS.sshUser,
    port: merged.port ?? DEFAULTS.sshPort,
    address: own.address ?? (Array.isArray(host.addresses) ? host.addresses[0] : undefined),
    identity: merged.identity,
    // a host key and a jump host belong to one host: never inherited from defaults
    hostKey: own.hostKey,
    jump: own.jump,
  };
}

export function effectiveRoles(spec: ClusterSpec, host: HostSpec): Role[] {
  if (host.roles !== undefined) return Array.isArray(host.roles) ? host.roles : [];
  const defaults = isRecord(spec.defaults) ? spec.defaults.roles : undefined;
  return Array.isArray(defaults) ? defaults : [];
}

export function hasRole(spec: ClusterSpec, host: HostSpec, role: Role): boolean {
  return effectiveRoles(spec, host).includes(role);
}

export function effectiveExporters(spec: ClusterSpec, host: HostSpec): Exporter[] {
  const own = isRecord(host.monitoring) ? host.monitoring.exporters : undefined;
  if (own !== undefined) return Array.isArray(own) ? own : [];
  const defaults = isRecord(spec.defaults) && isRecord(spec.defaults.monitoring) ? spec.defaults.monitoring.exporters : undefined;
  return Array.isArray(defaults) ? defaults : [];
}

/** A GPU entry with catalogue defaults filled in. */
export interface EffectiveGpu {
  vendor: GpuVendor;
  model: string;
  count: number;
  /** Per GPU; undefined when neither the entry nor the catalogue knows. */
  vramGB: number | undefined;
  computeCapability: string | undefined;
  unified: boolean;
  /** The model is in the catalogue. */
  known: boolean;
}

// Host objects are immutable once parsed (and reused across edits), so their GPUs are worked out once.
const gpuCache = new WeakMap<HostSpec, EffectiveGpu[]>();

export function effectiveGpus(host: HostSpec): EffectiveGpu[] {
  let cached = gpuCache.get(host);
  if (!cached) gpuCache.set(host, (cached = computeGpus(host)));
  return cached;
}

function computeGpus(host: HostSpec): EffectiveGpu[] {
  const hardware = isRecord(host.hardware) ? host.hardware : {};
  const gpus = Array.isArray(hardware.gpus) ? hardware.gpus : [];
  const memoryGB = typeof hardware.memoryGB === 'number' ? hardware.memoryGB : undefined;
  return gpus
    .filter((g): g is GpuSpec => isRecord(g))
    .map((g) => {
      const info = typeof g.model === 'string' ? findGpu(g.model) : undefined;
      const unified = g.vendor === 'apple' || info?.unified === true;
      return {
        vendor: g.vendor,
        model: g.model,
        count: typeof g.count === 'number' && g.count > 0 ? g.count : 1,
        // Apple: the GPU can use the host's unified memory, which the host states better than the catalogue
        vramGB: typeof g.vramGB === 'number' ? g.vramGB : unified ? (memoryGB ?? info?.vramGB) : info?.vramGB,
        computeCapability: typeof g.computeCapability === 'string' ? g.computeCapability : info?.computeCapability,
        unified,
        known: info !== undefined,
      };
    });
}

const VENDOR_ACCELERATOR: Record<GpuVendor, ConcreteAccelerator> = { nvidia: 'cuda', amd: 'rocm', intel: 'intel', apple: 'mlx' };

/** The accelerator written for the host (host `exo.accelerator`, else cluster `exo.accelerator`, else auto). */
export function declaredAccelerator(spec: ClusterSpec, host: HostSpec): Accelerator {
  const own = isRecord(host.exo) ? host.exo.accelerator : undefined;
  const cluster = isRecord(spec.exo) ? spec.exo.accelerator : undefined;
  const chosen = (own ?? cluster ?? 'auto') as Accelerator;
  return ACCELERATORS.includes(chosen) ? chosen : 'auto';
}

const ACCELERATORS: readonly Accelerator[] = ['auto', 'cuda', 'rocm', 'intel', 'mlx', 'cpu'];

/**
 * The accelerator exo runs with on a host: the declared one, or for `auto` the first GPU vendor's
 * (NVIDIA → cuda, AMD → rocm, Intel → intel, Apple → mlx), mlx on any aarch64-darwin host, else cpu.
 */
export function effectiveAccelerator(spec: ClusterSpec, host: HostSpec): ConcreteAccelerator {
  const declared = declaredAccelerator(spec, host);
  if (declared !== 'auto') return declared;
  if (isDarwin(effectiveSystem(spec, host))) return 'mlx';
  if (gpuOwner(spec) === 'k3s' && isK3sHost(spec, host)) return 'cpu';
  for (const vendor of ['nvidia', 'amd', 'intel', 'apple'] as const) {
    if (effectiveGpus(host).some((g) => g.vendor === vendor)) return VENDOR_ACCELERATOR[vendor];
  }
  return 'cpu';
}

/** The host runs k3s: a k3s role, k3s not disabled, Linux. */
export function isK3sHost(spec: ClusterSpec, host: HostSpec): boolean {
  if (isRecord(spec.k3s) && spec.k3s.enable === false) return false;
  return effectiveRoles(spec, host).some((r) => r === 'k3s-server' || r === 'k3s-agent') && !isDarwin(effectiveSystem(spec, host));
}

/**
 * Who gets the GPUs of hosts that run both exo and k3s (`k3s.gpus.owner`): `exo` (the default) holds them and K3s
 * schedules no GPU pod onto them; with `k3s`, exo runs on the CPU on k3s hosts (unless a host declares otherwise).
 */
export function gpuOwner(spec: ClusterSpec): 'exo' | 'k3s' {
  return isRecord(spec.k3s) && isRecord(spec.k3s.gpus) && spec.k3s.gpus.owner === 'k3s' ? 'k3s' : 'exo';
}

/** Whether a system can run an accelerator at all: MLX only on macOS, CUDA/ROCm/Intel only on Linux. */
export function acceleratorRunsOn(accelerator: ConcreteAccelerator, system: System): boolean {
  if (accelerator === 'cpu') return true;
  if (accelerator === 'mlx') return system === 'aarch64-darwin';
  if (accelerator === 'rocm' || accelerator === 'intel') return system === 'x86_64-linux';
  return !isDarwin(system); // cuda: x86_64-linux and aarch64-linux (Grace, Jetson)
}

/**
 * Memory exo can place model layers in on a host, in GB: the VRAM of the GPUs its accelerator uses, the
 * unified memory on Apple Silicon, the system memory for cpu. 0 when unknown.
 */
export function inferenceMemoryGB(spec: ClusterSpec, host: HostSpec): number {
  const accelerator = effectiveAccelerator(spec, host);
  const gpus = effectiveGpus(host);
  const memoryGB = isRecord(host.hardware) && typeof host.hardware.memoryGB === 'number' ? host.hardware.memoryGB : 0;
  if (accelerator === 'cpu') return memoryGB;
  if (accelerator === 'mlx') {
    const apple = gpus.find((g) => g.vendor === 'apple');
    return apple?.vramGB ?? memoryGB;
  }
  const vendor = (Object.keys(VENDOR_ACCELERATOR) as GpuVendor[]).find((v) => VENDOR_ACCELERATOR[v] === accelerator);
  return gpus.filter((g) => g.vendor === vendor).reduce((sum, g) => sum + (g.vramGB ?? 0) * g.count, 0);
}

/** Total GPU memory of a host (every GPU, whatever the accelerator), in GB. */
export function totalVramGB(host: HostSpec): number {
  return effectiveGpus(host).reduce((sum, g) => sum + (g.vramGB ?? 0) * g.count, 0);
}

const EXO_ROLES: readonly Role[] = ['exo-master', 'exo-worker', 'exo-api'];

/** Hosts exo runs on: an exo role, exo not disabled for the cluster or the host. */
export function exoHosts(spec: ClusterSpec): HostSpec[] {
  return (Array.isArray(spec.hosts) ? spec.hosts : []).filter((h) => runsExo(spec, h));
}

/** exo runs on the host: an exo role, exo not disabled for the cluster or the host. */
export function runsExo(spec: ClusterSpec, host: HostSpec): boolean {
  if (isRecord(spec.exo) && spec.exo.enable === false) return false;
  return !(isRecord(host.exo) && host.exo.enable === false) && effectiveRoles(spec, host).some((r) => EXO_ROLES.includes(r));
}

/** Memory exo can use across the cluster, in GB, and per host. */
export function clusterInferenceMemory(spec: ClusterSpec): { totalGB: number; perHost: Map<string, number> } {
  const perHost = new Map<string, number>();
  let totalGB = 0;
  for (const host of exoHosts(spec)) {
    const gb = inferenceMemoryGB(spec, host);
    perHost.set(String(host.name), gb);
    totalGB += gb;
  }
  return { totalGB, perHost };
}

/**
 * Where exo's HTTP API is: the host with the `exo-api` role, else the `exo-master` (its first address, the spec's
 * API port). Only those hosts serve it; the others run exo with `--no-api`, and the master's /state describes
 * every node.
 */
export function exoApiUrl(spec: ClusterSpec): string | undefined {
  const hosts = Array.isArray(spec.hosts) ? spec.hosts : [];
  const api = hosts.find((h) => h.roles?.includes('exo-api')) ?? hosts.find((h) => h.roles?.includes('exo-master'));
  const address = api?.addresses?.[0];
  if (typeof address !== 'string' || !address) return undefined;
  const hostPart = address.includes(':') ? `[${address}]` : address;
  return `http://${hostPart}:${exoPorts(spec).api}`;
}

export function exoPorts(spec: ClusterSpec): { api: number; zenoh: number; discovery: number } {
  return { ...DEFAULTS.exoPorts, ...(isRecord(spec.exo) && isRecord(spec.exo.ports) ? spec.exo.ports : {}) };
}

export function natsPorts(spec: ClusterSpec): { client: number; leafnode: number; monitoring: number; cluster: number } {
  return { ...DEFAULTS.natsPorts, ...(isRecord(spec.nats) && isRecord(spec.nats.ports) ? spec.nats.ports : {}) };
}

/** Why cuda-checkpoint cannot work on a host, or undefined when it can (x86_64 Linux with an NVIDIA GPU). */
export function checkpointUnsupportedReason(spec: ClusterSpec, host: HostSpec): string | undefined {
  const system = effectiveSystem(spec, host);
  if (system !== 'x86_64-linux') return `cuda-checkpoint runs only on x86_64-linux, and '${host.name}' is ${system}`;
  if (!effectiveGpus(host).some((g) => g.vendor === 'nvidia')) return `cuda-checkpoint needs an NVIDIA GPU, and '${host.name}' has none`;
  return undefined;
}
