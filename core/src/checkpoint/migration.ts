// Whether a checkpoint taken on one host can be restored on another. The constraints are cuda-checkpoint's, as
// NVIDIA states them (github:NVIDIA/cuda-checkpoint):
//  - README @ 6ec728a ("Functionality"): x64 only, "does not support GPU migration"; "570 Features": the lock with
//    a timeout the checkpoint flow starts with needs driver 570 (MIN_DRIVER_MAJOR), on both ends.
//  - issue #18 (maintainer): "on the restore end it's required that the GPU type and order be the same as the
//    checkpoint side … if you checkpoint on a 4 GPU A100 system it's required to restore on a 4 GPU A100 system";
//    an 8-GPU A100 host or a host with other GPUs fails.
//  - issues #23 and #35: restoring onto a different GPU is not possible (CUDA_VISIBLE_DEVICES is ignored; the
//    `--device-map` of driver 580 fails with "invalid argument" between two L4s), so the process comes back on the
//    GPU with the same index, which must have the memory free.
//  - issue #30 (maintainer): "checkpointing applications that use NCCL is not supported yet"; issue #42
//    (maintainer): "MIG isn't supported right now".
// Two levels use the same rules: the spec (planned moves, checked as you type, from the GPUs the spec declares) and
// the live hosts (nvidia-smi's GPUs, driver and free memory, and what the checkpoint recorded).

import { MIN_DRIVER_MAJOR, type HostGpuFacts, type LiveGpu } from '../ops/checkpoint';
import { checkpointUnsupportedReason, effectiveGpus, effectiveRoles } from '../spec/resolve';
import type { ClusterSpec, HostSpec } from '../spec/types';

// What the live checks read from a host is the operations' (ops/checkpoint.ts reads it over SSH).
export type { HostGpuFacts, LiveGpu };

/** What a checkpoint needs from the host it comes back on (recorded when it was taken). */
export interface CheckpointNeeds {
  host: string;
  driverVersion?: string;
  /** The source host's GPU models in index order (unknown in a manifest written before they were recorded). */
  gpuModels?: string[];
  /** Index of the GPU the process used, and how much memory it held there. */
  gpuIndex?: number;
  usedMemoryMiB?: number;
  usesNccl?: boolean;
  mig?: boolean;
}

export interface Compatibility {
  ok: boolean;
  reasons: string[];
}

const verdict = (reasons: string[]): Compatibility => ({ ok: reasons.length === 0, reasons });

export function driverMajor(version: string | undefined): number | undefined {
  const m = /^(\d+)\./.exec(version ?? '');
  return m ? Number(m[1]) : undefined;
}

function driverReason(host: string, version: string | undefined): string | undefined {
  const major = driverMajor(version);
  if (major === undefined) return `the NVIDIA driver of '${host}' is unknown (nvidia-smi did not answer)`;
  if (major < MIN_DRIVER_MAJOR)
    return `'${host}' runs NVIDIA driver ${version}; checkpoints need ${MIN_DRIVER_MAJOR} or newer on both hosts`;
  return undefined;
}

/**
 * Why two GPU layouts (models in index order) differ in a way cuda-checkpoint refuses: a different count, or a
 * different model at some index. Undefined when they match.
 */
export function layoutDifference(
  source: { host: string; models: readonly string[] },
  target: { host: string; models: readonly string[] },
): string | undefined {
  const a = source.models.map(normalizeModel);
  const b = target.models.map(normalizeModel);
  if (a.length !== b.length) {
    return `'${target.host}' has ${describeLayout(target.models)}, '${source.host}' has ${describeLayout(source.models)}: a checkpoint comes back only on the same GPU models in the same number and order`;
  }
  const i = a.findIndex((m, k) => m !== b[k]);
  if (i >= 0)
    return `GPU ${i} of '${target.host}' is ${target.models[i]}, on '${source.host}' it is ${source.models[i]}: a checkpoint comes back only on the same GPU models in the same order`;
  return undefined;
}

/** `NVIDIA A100 80GB PCIe` and `A100 80GB PCIe` are the same model: nvidia-smi prefixes the vendor, specs often do not. */
function normalizeModel(model: string): string {
  return model
    .trim()
    .toLowerCase()
    .replace(/^nvidia\s+/, '')
    .replace(/\s+/g, ' ');
}

function describeLayout(models: readonly string[]): string {
  if (models.length === 0) return 'no NVIDIA GPU';
  const counts = new Map<string, number>();
  for (const m of models) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].map(([m, n]) => `${n} × ${m}`).join(' + ');
}

/** Live check: can a checkpoint with these needs be restored on a host whose GPUs look like this now? */
export function restoreCompatibility(needs: CheckpointNeeds, target: HostGpuFacts): Compatibility {
  const reasons: string[] = [];
  for (const [host, version] of [
    [needs.host, needs.driverVersion],
    [target.host, target.driverVersion],
  ] as const) {
    const r = driverReason(host, version);
    if (r && !reasons.includes(r)) reasons.push(r);
  }
  const layout = needs.gpuModels
    ? layoutDifference({ host: needs.host, models: needs.gpuModels }, { host: target.host, models: target.gpus.map((g) => g.name) })
    : `the checkpoint does not record the GPUs of '${needs.host}', so a host with the same ones cannot be told apart: restore it on '${needs.host}'`;
  if (layout) reasons.push(layout);
  if (needs.mig) reasons.push(`the process ran on a MIG instance on '${needs.host}': cuda-checkpoint does not support MIG`);
  const migTarget = target.gpus.findIndex((g) => g.mig);
  if (migTarget >= 0) reasons.push(`GPU ${migTarget} of '${target.host}' is in MIG mode: cuda-checkpoint does not support MIG`);
  if (needs.usesNccl) reasons.push('the process uses NCCL, which cuda-checkpoint cannot checkpoint and restore yet');
  if (!layout && needs.gpuIndex !== undefined && needs.usedMemoryMiB !== undefined) {
    const gpu = target.gpus[needs.gpuIndex];
    const free = gpu?.memoryTotalMiB !== undefined ? gpu.memoryTotalMiB - (gpu.memoryUsedMiB ?? 0) : undefined;
    if (free === undefined) reasons.push(`the free memory of GPU ${needs.gpuIndex} on '${target.host}' is unknown`);
    else if (free < needs.usedMemoryMiB) {
      reasons.push(
        `GPU ${needs.gpuIndex} of '${target.host}' has ${free} MiB free, the process needs ${needs.usedMemoryMiB} MiB there (it comes back on the same GPU index)`,
      );
    }
  }
  return verdict(reasons);
}

/** The NVIDIA GPUs a host declares in the spec, one entry per GPU in the order listed. */
export function declaredNvidiaLayout(host: HostSpec): string[] {
  return effectiveGpus(host)
    .filter((g) => g.vendor === 'nvidia')
    .flatMap((g) => Array.from({ length: g.count }, () => g.model));
}

/**
 * Spec check of a planned move: both hosts can checkpoint (x86_64 Linux, NVIDIA GPU, checkpoint-agent role) and
 * declare the same GPU layout. Driver, MIG, NCCL and free memory are facts of the live hosts, checked when the
 * move runs.
 */
export function plannedMoveProblems(spec: ClusterSpec, from: HostSpec, to: HostSpec): { on: 'from' | 'to'; reason: string }[] {
  if (from.name === to.name) return [{ on: 'to', reason: `'${to.name}' is the host the processes move away from` }];
  const problems: { on: 'from' | 'to'; reason: string }[] = [];
  for (const [on, host] of [
    ['from', from],
    ['to', to],
  ] as const) {
    const unsupported = checkpointUnsupportedReason(spec, host);
    if (unsupported) problems.push({ on, reason: unsupported });
    else if (!effectiveRoles(spec, host).includes('checkpoint-agent'))
      problems.push({ on, reason: `'${host.name}' has no checkpoint-agent role, so it gets no CRIU or cuda-checkpoint` });
  }
  const layout = layoutDifference(
    { host: from.name, models: declaredNvidiaLayout(from) },
    { host: to.name, models: declaredNvidiaLayout(to) },
  );
  if (layout && !problems.some((p) => p.on === 'to')) problems.push({ on: 'to', reason: layout });
  return problems;
}

/** Hosts of the spec a host's checkpoints could move to, by the spec alone. */
export function plannedTargets(spec: ClusterSpec, from: HostSpec): HostSpec[] {
  return spec.hosts.filter((h) => h.name !== from.name && plannedMoveProblems(spec, from, h).length === 0);
}
