// What a probe or a checkpoint listing tells the explorer's state store, as the store's HostFacts.
// No vscode imports: unit-tested under node.

import type { CheckpointManifest, ProbeFacts, UnitState } from '#core/ops';
import type { CheckpointFacts, HostFacts, ServiceFacts } from '../state/store';

export const SSH_SOURCE_ID = 'ssh';

const UNIT_STATUS: Record<UnitState, ServiceFacts['status']> = {
  active: 'running',
  reloading: 'running',
  activating: 'starting',
  deactivating: 'stopped',
  inactive: 'stopped',
  failed: 'failed',
  unknown: 'unknown',
};

function describeOs(f: ProbeFacts): string {
  const os = f.isInstaller ? 'NixOS installer' : (f.osName ?? f.kernelName);
  return `${os} · ${f.arch} · kernel ${f.kernelRelease}`;
}

export function probeToHostFacts(f: ProbeFacts): HostFacts {
  const services: HostFacts['services'] = {};
  for (const [key, state] of Object.entries(f.services))
    services[key as keyof typeof f.services] = { status: UNIT_STATUS[state ?? 'unknown'] };
  const anyRunning = Object.values(f.services).some((s) => s === 'active');
  const notes = [
    describeOs(f),
    f.isNixos ? undefined : 'not NixOS yet',
    f.nvidiaDriver ? `NVIDIA driver ${f.nvidiaDriver}` : undefined,
    ...f.gpuProblems,
  ];
  return {
    status: anyRunning ? 'running' : 'reachable',
    statusDetail: notes.filter(Boolean).join('; '),
    services,
    gpus: f.gpus.map((g, i) => ({
      index: i,
      model: g.name,
      memoryUsedMiB: g.memoryUsedMiB,
      memoryTotalMiB: g.memoryTotalMiB,
      utilizationPct: g.utilizationPct,
      temperatureC: g.temperatureC,
    })),
    memory: f.memory ? { totalBytes: f.memory.totalBytes, availableBytes: f.memory.availableBytes ?? f.memory.totalBytes } : undefined,
  };
}

export function unreachableFacts(error: Error): HostFacts {
  return { status: 'unreachable', statusDetail: `ssh: ${error.message}` };
}

export function checkpointFacts(manifests: readonly CheckpointManifest[]): CheckpointFacts[] {
  return manifests.map((m) => ({ id: m.id, unit: m.unit ?? m.processName, createdAt: m.createdAt, sizeBytes: m.sizeBytes }));
}
