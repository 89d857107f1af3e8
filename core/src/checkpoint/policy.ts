// One run of a checkpoint policy on a host (the generated systemd timer starts it through the node agent's
// `gpu-cluster-agent checkpoint policy`): every GPU process of the policy's units is checkpointed with the same
// steps as the editor's command (core/src/ops/checkpoint.ts), left running, and the checkpoints of each unit beyond
// `retain` are deleted, oldest first.

import type { SshEndpoint } from '../ssh/connection';
import {
  createCheckpoint,
  deleteCheckpoint,
  evaluatePrerequisites,
  listCheckpoints,
  listGpuProcesses,
  prerequisiteScript,
  unitFromCgroup,
  type CheckpointManifest,
  type CheckpointSettings,
  type CommandRunner,
} from '../ops/checkpoint';
import { sh } from '../ssh/quote';
import { retentionPlan } from './retention';

/** systemd unit names as the policy may name them (`exo` or `exo.service`); nothing a shell or unit file reads specially. */
export const UNIT_NAME = /^[A-Za-z0-9@_.:-]+$/;

export function serviceUnit(unit: string): string {
  if (!UNIT_NAME.test(unit)) throw new Error(`"${unit}" is not a systemd unit name.`);
  return /\.[a-z]+$/.test(unit) ? unit : `${unit}.service`;
}

export interface PolicyRun {
  host: string;
  units: string[];
  retain: number;
  settings: CheckpointSettings;
}

export interface PolicyResult {
  taken: { unit: string; pid: number; id?: string; error?: string }[];
  deleted: string[];
  /** Units with no GPU process right now (nothing to checkpoint). */
  idle: string[];
}

export async function runPolicy(runner: CommandRunner, endpoint: SshEndpoint, run: PolicyRun, signal?: AbortSignal): Promise<PolicyResult> {
  const units = run.units.map(serviceUnit);
  const settings: CheckpointSettings = { ...run.settings, leaveRunning: true };
  const result: PolicyResult = { taken: [], deleted: [], idle: [] };
  // the same refusal as the editor's: x86_64, driver 570+, criu and cuda-checkpoint on the PATH
  const pre = evaluatePrerequisites((await runner.exec(endpoint, prerequisiteScript(), { signal, timeoutMs: 20_000 })).stdout);
  if (!pre.ok) throw new Error(`Checkpoints cannot run on ${run.host}: ${pre.reasons.join('; ')}.`);
  const processes = await listGpuProcesses(runner, endpoint, signal);
  const byUnit = new Map<string, number[]>();
  for (const p of processes) {
    const cg = await runner.exec(endpoint, sh`cat /proc/${p.pid}/cgroup`, { signal, timeoutMs: 10_000 });
    const unit = cg.code === 0 ? unitFromCgroup(cg.stdout) : undefined;
    if (unit && units.includes(unit)) byUnit.set(unit, [...(byUnit.get(unit) ?? []), p.pid]);
  }
  for (const unit of units) {
    const pids = byUnit.get(unit) ?? [];
    if (!pids.length) result.idle.push(unit);
    for (const pid of pids) {
      try {
        const gpu = processes.find((p) => p.pid === pid);
        const m = await createCheckpoint(
          runner,
          endpoint,
          { host: run.host, pid, gpu, driverVersion: pre.driverVersion, settings },
          { signal },
        );
        result.taken.push({ unit, pid, id: m.id });
      } catch (err) {
        result.taken.push({ unit, pid, error: (err as Error).message });
      }
    }
  }
  const all = await listCheckpoints(runner, endpoint, settings.baseDir, signal);
  const plan = retentionPlan(
    all.filter((m) => m.unit !== undefined && units.includes(m.unit)),
    run.retain,
    (m: CheckpointManifest) => m.unit!,
    (m) => m.createdAt,
  );
  for (const m of plan.remove) {
    await deleteCheckpoint(runner, endpoint, settings.baseDir, m.id, signal);
    result.deleted.push(m.id);
  }
  return result;
}
