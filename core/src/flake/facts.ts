// Effective per-host facts the generator needs (where the spec is silent, the cluster defaults apply).
// TODO(spec-core): replace with core/src/spec/resolve.ts once it lands; these mirror its contract.

import type { ClusterSpec, Exporter, HostSpec, Role, System } from '../spec/types';
import { DEFAULTS } from '../spec/types';
import type { ConcreteAccelerator } from './plan';

export function effectiveSystem(spec: ClusterSpec, host: HostSpec): System {
  return host.system ?? spec.cluster.system ?? DEFAULTS.system;
}

export function effectiveRoles(spec: ClusterSpec, host: HostSpec): Role[] {
  return host.roles ?? spec.defaults?.roles ?? [];
}

export function effectiveExporters(spec: ClusterSpec, host: HostSpec): Exporter[] {
  return host.monitoring?.exporters ?? spec.defaults?.monitoring?.exporters ?? [];
}

/** `auto` resolves from the GPUs: NVIDIA → cuda, AMD → rocm, Intel → intel, Apple (or macOS) → mlx, none → cpu. */
export function effectiveAccelerator(spec: ClusterSpec, host: HostSpec): ConcreteAccelerator {
  const chosen = host.exo?.accelerator ?? spec.exo?.accelerator ?? 'auto';
  if (chosen !== 'auto') return chosen;
  const vendors = new Set((host.hardware?.gpus ?? []).map((g) => g.vendor));
  if (vendors.has('nvidia')) return 'cuda';
  if (vendors.has('amd')) return 'rocm';
  if (vendors.has('intel')) return 'intel';
  if (vendors.has('apple') || effectiveSystem(spec, host).endsWith('-darwin')) return 'mlx';
  return 'cpu';
}
