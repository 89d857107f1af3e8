// Drain a host: checkpoint each of its GPU processes and restore it on a host that can take it — the spec's planned
// moves (`checkpoints.migrations` from this host) first, else any host the spec's GPUs allow (plannedTargets), each
// checked live before the move — then, after the host was updated, move them back. A process no target can take is
// restored where it was, so draining never loses a process; the record says where each one went and why not.

import type { SshEndpoint } from '../ssh/connection';
import {
  checkPrerequisites,
  createCheckpoint,
  listGpuProcesses,
  type CheckpointSettings,
  type CommandRunner,
  type StepReport,
} from '../ops/checkpoint';
import type { ClusterSpec, HostSpec } from '../spec/types';
import { plannedMoveProblems, plannedTargets } from './migration';
import { restoreOnHost, targetCompatibility } from './move';
import { serviceUnit } from './policy';

export interface DrainMove {
  /** The process on the drained host, and the checkpoint that moved it. */
  pid: number;
  unit?: string;
  checkpoint?: string;
  /** Where it runs now (the drained host itself when no target could take it), and as which process. */
  host?: string;
  runningPid?: number;
  /** Why it could not move (each target's reasons), or what failed. */
  problem?: string;
}

export interface DrainRecord {
  host: string;
  drainedAt: string;
  moves: DrainMove[];
}

export interface DrainContext {
  spec: ClusterSpec;
  endpoint(host: string): SshEndpoint;
  settings: CheckpointSettings;
  onStep?(host: string, step: StepReport | { step: string; ok: boolean; detail?: string }): void;
  signal?: AbortSignal;
}

/** The hosts to try for a process of `unit`, in order: the planned moves that cover it, else every spec-compatible host. */
export function drainTargets(spec: ClusterSpec, from: HostSpec, unit: string | undefined): HostSpec[] {
  const planned = (spec.checkpoints?.migrations ?? [])
    .filter((m) => m.from === from.name && (!m.units?.length || (unit !== undefined && m.units.map(serviceUnit).includes(unit))))
    .map((m) => spec.hosts.find((h) => h.name === m.to))
    .filter((h): h is HostSpec => h !== undefined && plannedMoveProblems(spec, from, h).length === 0);
  return planned.length ? planned : plannedTargets(spec, from);
}

async function moveAway(
  runner: CommandRunner,
  ctx: DrainContext,
  from: HostSpec,
  pid: number,
  candidates: (unit: string | undefined) => HostSpec[],
  driverVersion?: string,
): Promise<DrainMove> {
  const source = ctx.endpoint(from.name);
  const processes = await listGpuProcesses(runner, source, ctx.signal);
  const gpu = processes.find((p) => p.pid === pid);
  const settings = { ...ctx.settings, leaveRunning: false };
  const manifest = await createCheckpoint(
    runner,
    source,
    { host: from.name, pid, gpu, driverVersion, settings },
    { signal: ctx.signal, onStep: (s) => ctx.onStep?.(from.name, s) },
  );
  const move: DrainMove = { pid, unit: manifest.unit, checkpoint: manifest.id };
  const refused: string[] = [];
  for (const target of candidates(manifest.unit)) {
    const endpoint = ctx.endpoint(target.name);
    const compat = await targetCompatibility(runner, endpoint, manifest, ctx.signal);
    if (!compat.ok) {
      refused.push(`${target.name}: ${compat.reasons.join('; ')}`);
      continue;
    }
    try {
      const moved = await restoreOnHost(runner, source, endpoint, manifest, ctx.settings.baseDir, {
        signal: ctx.signal,
        onStep: (s) => ctx.onStep?.(target.name, s),
      });
      return { ...move, host: moved.target, runningPid: moved.pid };
    } catch (err) {
      refused.push(`${target.name}: ${(err as Error).message}`);
    }
  }
  // nowhere to go: back where it was, so nothing is lost
  const back = await restoreOnHost(runner, source, source, manifest, ctx.settings.baseDir, {
    signal: ctx.signal,
    onStep: (s) => ctx.onStep?.(from.name, s),
  });
  return {
    ...move,
    host: from.name,
    runningPid: back.pid,
    problem: refused.length
      ? `no host could take it (${refused.join(' | ')})`
      : 'no other host has the same GPUs and a checkpoint-agent role',
  };
}

/** Moves every GPU process of `hostName` away; the record is what `returnDrained` needs afterwards. */
export async function drainHost(runner: CommandRunner, ctx: DrainContext, hostName: string, now = new Date()): Promise<DrainRecord> {
  const from = ctx.spec.hosts.find((h) => h.name === hostName);
  if (!from) throw new Error(`There is no host "${hostName}" in the spec.`);
  const source = ctx.endpoint(hostName);
  const pre = await checkPrerequisites(runner, source, ctx.signal);
  if (!pre.ok) throw new Error(`${hostName} cannot checkpoint: ${pre.reasons.join('; ')}.`);
  const record: DrainRecord = { host: hostName, drainedAt: now.toISOString(), moves: [] };
  for (const p of await listGpuProcesses(runner, source, ctx.signal)) {
    try {
      record.moves.push(await moveAway(runner, ctx, from, p.pid, (unit) => drainTargets(ctx.spec, from, unit), pre.driverVersion));
    } catch (err) {
      record.moves.push({ pid: p.pid, problem: (err as Error).message });
    }
  }
  return record;
}

/** After the update: each process that moved is checkpointed where it runs and restored on the drained host. */
export async function returnDrained(runner: CommandRunner, ctx: DrainContext, record: DrainRecord): Promise<DrainRecord> {
  const home = ctx.spec.hosts.find((h) => h.name === record.host);
  if (!home) throw new Error(`There is no host "${record.host}" in the spec.`);
  const moves: DrainMove[] = [];
  for (const m of record.moves) {
    if (!m.host || m.host === record.host || m.runningPid === undefined) {
      moves.push(m);
      continue;
    }
    const where = ctx.spec.hosts.find((h) => h.name === m.host);
    try {
      if (!where) throw new Error(`There is no host "${m.host}" in the spec any more.`);
      moves.push(await moveAway(runner, ctx, where, m.runningPid, () => [home]));
    } catch (err) {
      moves.push({ ...m, problem: `could not move back: ${(err as Error).message}` });
    }
  }
  return { ...record, moves };
}
