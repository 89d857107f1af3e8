// Checkpoints of GPU processes without Kubernetes (the Kybernate flow): cuda-checkpoint locks the process's
// CUDA API and moves its GPU state into host memory, CRIU dumps the process tree, a manifest records what was
// taken. Restore runs it backwards. Every step is its own remote command so a failure can be rolled back:
// if the dump fails, the GPU state is restored and the process unlocked, so it keeps running as before.
// For k3s pods the kubelet's checkpoint API does the work instead.

import path from 'node:path/posix';
import type { CheckpointSpec } from '../spec/types';
import { DEFAULTS } from '../spec/types';
import type { ExecResult, SshEndpoint, SshPool } from '../ssh/connection';
import { argv, sh, type ShellCommand } from '../ssh/quote';
import {
  NVIDIA_APP_FIELDS,
  NVIDIA_GPU_FIELDS,
  NVIDIA_MIG_FIELDS,
  parseNvidiaApps,
  parseNvidiaGpus,
  parseNvidiaMig,
  type GpuProcess,
} from './nvidiaSmi';
import { isComplete, parseSections, sectionText } from './sections';

/**
 * The lowest NVIDIA driver branch the checkpoint flow works on. cuda-checkpoint itself runs on 550, but the flow
 * starts with `--action lock --timeout`, and NVIDIA's README (github:NVIDIA/cuda-checkpoint @ 6ec728a, "570
 * Features") lists "a separate lock command which can take a timeout" among the features driver 570 has and 550
 * lacks (with CRIU 4.0 process-tree support and NVML). The same floor applies to both ends of a restore.
 */
export const MIN_DRIVER_MAJOR = 570;

export interface CheckpointSettings {
  /** Folder on the host holding one sub-folder per checkpoint. */
  baseDir: string;
  shellJob: boolean;
  tcpEstablished: boolean;
  leaveRunning: boolean;
  extraArgs: string[];
  lockTimeoutMs: number;
}

export function checkpointSettings(spec: CheckpointSpec | undefined): CheckpointSettings {
  return {
    // local: where checkpoints live; s3 / nats-object-store: where they are staged on the host around a transfer
    baseDir: spec?.storage?.path ?? DEFAULTS.checkpointDir,
    shellJob: spec?.criu?.shellJob ?? false,
    tcpEstablished: spec?.criu?.tcpEstablished ?? false,
    leaveRunning: spec?.criu?.leaveRunning ?? false,
    extraArgs: spec?.criu?.extraArgs ?? [],
    lockTimeoutMs: spec?.lockTimeoutMs ?? 10_000,
  };
}

export interface CheckpointManifest {
  version: 1;
  id: string;
  host: string;
  pid: number;
  processName?: string;
  unit?: string;
  gpu?: { uuid?: string; usedMemoryMiB?: number };
  driverVersion?: string;
  /** For a restore on another host (core/src/checkpoint/migration.ts): the host's GPU models in index order, the */
  /** index of the process's GPU, whether that GPU was in MIG mode and whether the process had NCCL loaded. */
  gpuModels?: string[];
  gpuIndex?: number;
  mig?: boolean;
  usesNccl?: boolean;
  sizeBytes: number;
  createdAt: string;
  imagesDir: string;
  leftRunning: boolean;
  criu: { shellJob: boolean; tcpEstablished: boolean };
}

export class CheckpointError extends Error {
  constructor(
    message: string,
    readonly step: string,
    readonly rolledBack?: boolean,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** What the checkpoint steps need of a transport: SSH from the editor and CLI, a local shell on the host (policies). */
export type CommandRunner = Pick<SshPool, 'exec'>;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkpointId(host: string, pid: number, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${host}-${pid}-${stamp}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function checkId(id: string): void {
  if (!ID_RE.test(id) || id === '.' || id === '..') throw new CheckpointError(`"${id}" is not a checkpoint id.`, 'validate');
}

export function privileged(endpoint: SshEndpoint, args: (string | number)[]): (string | number)[] {
  return endpoint.user === 'root' ? args : ['sudo', '-n', ...args];
}

// ---- prerequisites ----

export interface Prerequisites {
  ok: boolean;
  reasons: string[];
  driverVersion?: string;
}

export function prerequisiteScript(): ShellCommand {
  return sh`echo @@arch; uname -m
echo @@driver; nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -n 1
echo @@criu; command -v criu || echo missing
echo @@cuda-checkpoint; command -v cuda-checkpoint || echo missing
echo @@end`;
}

export function evaluatePrerequisites(output: string): Prerequisites {
  const sections = parseSections(output);
  const block = (name: string) => sectionText(sections, name);
  if (!isComplete(sections)) return { ok: false, reasons: ['the prerequisite check was cut short'] };
  const reasons: string[] = [];
  const arch = block('arch');
  if (arch !== 'x86_64') reasons.push(`cuda-checkpoint needs an x86_64 host; this one is ${arch || 'unknown'}`);
  const driver = block('driver');
  const major = Number(/^(\d+)\./.exec(driver)?.[1] ?? NaN);
  if (!driver) reasons.push('no NVIDIA driver answers (nvidia-smi is missing or failing)');
  else if (!(major >= MIN_DRIVER_MAJOR))
    reasons.push(
      `NVIDIA driver ${driver} is too old: checkpointing needs ${MIN_DRIVER_MAJOR} or newer (cuda-checkpoint's lock with a timeout came with driver 570)`,
    );
  if (block('criu') === 'missing') reasons.push('criu is not installed on the host');
  if (block('cuda-checkpoint') === 'missing') reasons.push('cuda-checkpoint is not installed on the host');
  return { ok: reasons.length === 0, reasons, driverVersion: driver || undefined };
}

export async function checkPrerequisites(pool: CommandRunner, endpoint: SshEndpoint, signal?: AbortSignal): Promise<Prerequisites> {
  const r = await pool.exec(endpoint, prerequisiteScript(), { signal, timeoutMs: 20_000 });
  return evaluatePrerequisites(r.stdout);
}

// ---- GPU processes ----

/** One GPU as nvidia-smi lists it on a host, in index order. */
export interface LiveGpu {
  name: string;
  uuid?: string;
  memoryTotalMiB?: number;
  memoryUsedMiB?: number;
  /** `mig.mode.current` is Enabled. */
  mig?: boolean;
}

/** What a host's GPUs look like now. */
export interface HostGpuFacts {
  host: string;
  driverVersion?: string;
  gpus: LiveGpu[];
}

/** The host's GPUs in index order with their free memory and MIG mode, and its driver (nvidia-smi). */
export async function hostGpuFacts(pool: CommandRunner, endpoint: SshEndpoint, signal?: AbortSignal): Promise<HostGpuFacts> {
  const r = await pool.exec(
    endpoint,
    sh`echo @@gpus && nvidia-smi ${`--query-gpu=${NVIDIA_GPU_FIELDS.join(',')}`} --format=csv,noheader,nounits && echo @@mig && nvidia-smi ${`--query-gpu=${NVIDIA_MIG_FIELDS.join(',')}`} --format=csv,noheader`,
    { signal, timeoutMs: 20_000 },
  );
  if (r.code !== 0)
    throw new Error(`nvidia-smi failed on ${endpoint.name} (exit ${r.code}): ${(r.stdout + r.stderr).trim().split('\n')[0]}`);
  const sections = parseSections(r.stdout);
  const { gpus, driverVersion } = parseNvidiaGpus(sectionText(sections, 'gpus'));
  const mig = parseNvidiaMig(sectionText(sections, 'mig'));
  return {
    host: endpoint.name,
    driverVersion,
    gpus: gpus.map((g) => ({
      name: g.name,
      uuid: g.uuid,
      memoryTotalMiB: g.memoryTotalMiB,
      memoryUsedMiB: g.memoryUsedMiB,
      mig: mig.get(g.index) ?? false,
    })),
  };
}

export async function listGpuProcesses(pool: CommandRunner, endpoint: SshEndpoint, signal?: AbortSignal): Promise<GpuProcess[]> {
  const r = await pool.exec(
    endpoint,
    argv(['nvidia-smi', `--query-compute-apps=${NVIDIA_APP_FIELDS.join(',')}`, '--format=csv,noheader,nounits']),
    { signal, timeoutMs: 20_000 },
  );
  if (r.code !== 0)
    throw new Error(`nvidia-smi failed on ${endpoint.name} (exit ${r.code}): ${(r.stdout + r.stderr).trim().split('\n')[0]}`);
  return parseNvidiaApps(r.stdout);
}

/** The systemd unit a process belongs to, from /proc/PID/cgroup (`…/exo.service`). */
export function unitFromCgroup(cgroup: string): string | undefined {
  const m = /\/([^/\n]+\.service)(\/|$)/m.exec(cgroup);
  return m?.[1];
}

// ---- checkpoint ----

export interface CheckpointRequest {
  host: string;
  pid: number;
  gpu?: GpuProcess;
  driverVersion?: string;
  settings: CheckpointSettings;
  now?: Date;
}

export interface StepReport {
  step: 'lock' | 'checkpoint' | 'dump' | 'manifest' | 'rollback' | 'restore' | 'cuda-restore' | 'unlock';
  ok: boolean;
  detail?: string;
}

export function criuDumpArgs(pid: number, imagesDir: string, s: CheckpointSettings): string[] {
  const args = ['criu', 'dump', '--tree', String(pid), '--images-dir', imagesDir, '--log-file', 'dump.log'];
  if (s.shellJob) args.push('--shell-job');
  if (s.tcpEstablished) args.push('--tcp-established');
  if (s.leaveRunning) args.push('--leave-running');
  return [...args, ...s.extraArgs];
}

export function criuRestoreArgs(m: CheckpointManifest, extraArgs: readonly string[] = []): string[] {
  const args = [
    'criu',
    'restore',
    '--images-dir',
    m.imagesDir,
    '--restore-detached',
    '--pidfile',
    path.join(m.imagesDir, 'restore.pid'),
    '--log-file',
    'restore.log',
  ];
  if (m.criu.shellJob) args.push('--shell-job');
  if (m.criu.tcpEstablished) args.push('--tcp-established');
  return [...args, ...extraArgs];
}

function failure(r: ExecResult): string {
  const text = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ');
  return `exit ${r.code ?? r.signal}${text ? `: ${text}` : ''}`;
}

export async function createCheckpoint(
  pool: CommandRunner,
  endpoint: SshEndpoint,
  req: CheckpointRequest,
  options: { signal?: AbortSignal; onStep?(s: StepReport): void } = {},
): Promise<CheckpointManifest> {
  const s = req.settings;
  const createdAt = req.now ?? new Date();
  const id = checkpointId(req.host, req.pid, createdAt);
  const imagesDir = path.join(s.baseDir, id);
  const run = (args: (string | number)[], timeoutMs = 120_000) =>
    pool.exec(endpoint, argv(privileged(endpoint, args)), { signal: options.signal, timeoutMs });
  const report = (r: StepReport) => options.onStep?.(r);

  const facts = await pool.exec(
    endpoint,
    sh`echo @@comm && cat /proc/${req.pid}/comm && echo @@cgroup && cat /proc/${req.pid}/cgroup && echo @@nccl && { grep -c libnccl /proc/${req.pid}/maps || true; }`,
    { signal: options.signal, timeoutMs: 20_000 },
  );
  if (facts.code !== 0) throw new CheckpointError(`Process ${req.pid} does not exist on ${req.host}.`, 'validate');
  const sections = parseSections(facts.stdout);
  const [comm, cgroup, nccl] = ['comm', 'cgroup', 'nccl'].map((name) => sectionText(sections, name));
  const unit = unitFromCgroup(cgroup);
  // the GPU layout a restore elsewhere must match; a host whose nvidia-smi fails here still checkpoints
  const layout = await hostGpuFacts(pool, endpoint, options.signal).catch(() => undefined);
  const gpuIndex = layout?.gpus.findIndex((g) => g.uuid !== undefined && g.uuid === req.gpu?.gpuUuid);

  const lock = await run(['cuda-checkpoint', '--action', 'lock', '--pid', req.pid, '--timeout', s.lockTimeoutMs], s.lockTimeoutMs + 30_000);
  report({ step: 'lock', ok: lock.code === 0, detail: lock.code === 0 ? undefined : failure(lock) });
  if (lock.code !== 0)
    throw new CheckpointError(`Locking the CUDA API of ${req.pid} failed (${failure(lock)}); nothing was changed.`, 'lock', true);

  const rollback = async (afterCheckpoint: boolean): Promise<string | undefined> => {
    const problems: string[] = [];
    if (afterCheckpoint) {
      const r = await pool.exec(endpoint, argv(privileged(endpoint, ['cuda-checkpoint', '--action', 'restore', '--pid', req.pid])), {
        timeoutMs: 120_000,
      });
      if (r.code !== 0) problems.push(`restoring GPU state: ${failure(r)}`);
    }
    const u = await pool.exec(endpoint, argv(privileged(endpoint, ['cuda-checkpoint', '--action', 'unlock', '--pid', req.pid])), {
      timeoutMs: 60_000,
    });
    if (u.code !== 0) problems.push(`unlocking: ${failure(u)}`);
    report({ step: 'rollback', ok: problems.length === 0, detail: problems.join('; ') || undefined });
    return problems.length ? problems.join('; ') : undefined;
  };

  const ckpt = await run(['cuda-checkpoint', '--action', 'checkpoint', '--pid', req.pid]);
  report({ step: 'checkpoint', ok: ckpt.code === 0, detail: ckpt.code === 0 ? undefined : failure(ckpt) });
  if (ckpt.code !== 0) {
    const problem = await rollback(false);
    throw new CheckpointError(
      `cuda-checkpoint could not checkpoint ${req.pid} (${failure(ckpt)}); ${problem ? `rollback failed: ${problem}` : 'the process was unlocked and keeps running'}.`,
      'checkpoint',
      !problem,
    );
  }

  const mkdir = await run(['mkdir', '-p', imagesDir]);
  const dump = mkdir.code === 0 ? await run(criuDumpArgs(req.pid, imagesDir, s), 30 * 60_000) : mkdir;
  report({ step: 'dump', ok: dump.code === 0, detail: dump.code === 0 ? undefined : failure(dump) });
  if (dump.code !== 0) {
    const log = await pool
      .exec(endpoint, sh`tail -n 5 ${path.join(imagesDir, 'dump.log')} 2>/dev/null`, { timeoutMs: 10_000 })
      .catch(() => undefined);
    const problem = await rollback(true);
    await run(['rm', '-rf', '--', imagesDir]).catch(() => undefined);
    const logText = log?.stdout.trim() ? ` criu's log: ${log.stdout.trim().split('\n').join(' / ')}` : '';
    throw new CheckpointError(
      `criu dump of ${req.pid} failed (${failure(dump)}).${logText} ${problem ? `Rollback failed: ${problem}` : 'The GPU state was restored and the process unlocked; it keeps running.'}`,
      'dump',
      !problem,
    );
  }
  if (s.leaveRunning) {
    // The process was left running, but its GPU state is still parked in host memory: give it back.
    await rollback(true);
  }

  const size = await run(['du', '-sb', imagesDir], 60_000);
  const manifest: CheckpointManifest = {
    version: 1,
    id,
    host: req.host,
    pid: req.pid,
    processName: comm.trim() || undefined,
    unit,
    gpu: req.gpu ? { uuid: req.gpu.gpuUuid, usedMemoryMiB: req.gpu.usedMemoryMiB } : undefined,
    driverVersion: req.driverVersion ?? layout?.driverVersion,
    gpuModels: layout?.gpus.map((g) => g.name),
    gpuIndex: gpuIndex !== undefined && gpuIndex >= 0 ? gpuIndex : undefined,
    mig: gpuIndex !== undefined && gpuIndex >= 0 ? layout!.gpus[gpuIndex].mig : undefined,
    usesNccl: Number(nccl.trim()) > 0,
    sizeBytes: Number(/^(\d+)/.exec(size.stdout)?.[1] ?? 0),
    createdAt: createdAt.toISOString(),
    imagesDir,
    leftRunning: s.leaveRunning,
    criu: { shellJob: s.shellJob, tcpEstablished: s.tcpEstablished },
  };
  const write = await pool.exec(endpoint, sh`printf '%s\n' ${JSON.stringify(manifest)} > ${path.join(imagesDir, 'manifest.json')}`, {
    timeoutMs: 20_000,
  });
  report({ step: 'manifest', ok: write.code === 0, detail: write.code === 0 ? undefined : failure(write) });
  if (write.code !== 0)
    throw new CheckpointError(`The checkpoint was taken but its manifest could not be written (${failure(write)}).`, 'manifest');
  return manifest;
}

// ---- list, restore, delete ----

export function parseManifests(output: string): { manifests: CheckpointManifest[]; unreadable: string[] } {
  const manifests: CheckpointManifest[] = [];
  const unreadable: string[] = [];
  for (const chunk of output.split('\n@@manifest ').slice(1)) {
    const nl = chunk.indexOf('\n');
    const file = chunk.slice(0, nl);
    try {
      const m = JSON.parse(chunk.slice(nl + 1)) as CheckpointManifest;
      if (m.version !== 1 || typeof m.id !== 'string' || typeof m.pid !== 'number') throw new Error('not a manifest');
      manifests.push(m);
    } catch {
      unreadable.push(file);
    }
  }
  manifests.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { manifests, unreadable };
}

export async function listCheckpoints(
  pool: CommandRunner,
  endpoint: SshEndpoint,
  baseDir: string,
  signal?: AbortSignal,
): Promise<CheckpointManifest[]> {
  const r = await pool.exec(
    endpoint,
    sh`echo; for f in ${baseDir}/*/manifest.json; do [ -f "$f" ] || continue; printf '@@manifest %s\n' "$f"; cat "$f"; echo; done`,
    { signal, timeoutMs: 20_000 },
  );
  if (r.code !== 0) throw new Error(`Listing checkpoints on ${endpoint.name} failed: ${failure(r)}`);
  return parseManifests('\n' + r.stdout).manifests;
}

export async function restoreCheckpoint(
  pool: CommandRunner,
  endpoint: SshEndpoint,
  manifest: CheckpointManifest,
  options: { signal?: AbortSignal; extraArgs?: string[]; onStep?(s: StepReport): void } = {},
): Promise<{ pid: number }> {
  checkId(manifest.id);
  const run = (args: (string | number)[]) =>
    pool.exec(endpoint, argv(privileged(endpoint, args)), { signal: options.signal, timeoutMs: 30 * 60_000 });
  const restore = await run(criuRestoreArgs(manifest, options.extraArgs));
  options.onStep?.({ step: 'restore', ok: restore.code === 0, detail: restore.code === 0 ? undefined : failure(restore) });
  if (restore.code !== 0) {
    const log = await pool
      .exec(endpoint, sh`tail -n 5 ${path.join(manifest.imagesDir, 'restore.log')} 2>/dev/null`, { timeoutMs: 10_000 })
      .catch(() => undefined);
    const hint = /(File exists|pid.*(busy|in use))/i.test(`${restore.stderr}${log?.stdout ?? ''}`)
      ? ' Process id ' + manifest.pid + ' is taken: stop the running copy first.'
      : '';
    throw new CheckpointError(
      `criu restore of ${manifest.id} failed (${failure(restore)}).${hint}${log?.stdout.trim() ? ` criu's log: ${log.stdout.trim().split('\n').join(' / ')}` : ''}`,
      'restore',
    );
  }
  const pidFile = await pool.exec(endpoint, argv(privileged(endpoint, ['cat', path.join(manifest.imagesDir, 'restore.pid')])), {
    timeoutMs: 10_000,
  });
  const pid = Number(pidFile.stdout.trim()) || manifest.pid;
  const cuda = await run(['cuda-checkpoint', '--action', 'restore', '--pid', pid]);
  options.onStep?.({ step: 'cuda-restore', ok: cuda.code === 0, detail: cuda.code === 0 ? undefined : failure(cuda) });
  if (cuda.code !== 0)
    throw new CheckpointError(
      `The process was restored as ${pid}, but cuda-checkpoint could not restore its GPU state (${failure(cuda)}).`,
      'cuda-restore',
    );
  const unlock = await run(['cuda-checkpoint', '--action', 'unlock', '--pid', pid]);
  options.onStep?.({ step: 'unlock', ok: unlock.code === 0, detail: unlock.code === 0 ? undefined : failure(unlock) });
  if (unlock.code !== 0)
    throw new CheckpointError(`The process ${pid} was restored but could not be unlocked (${failure(unlock)}).`, 'unlock');
  return { pid };
}

export async function deleteCheckpoint(
  pool: CommandRunner,
  endpoint: SshEndpoint,
  baseDir: string,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  checkId(id);
  const dir = path.join(baseDir, id);
  const r = await pool.exec(endpoint, argv(privileged(endpoint, ['rm', '-rf', '--', dir])), { signal, timeoutMs: 5 * 60_000 });
  if (r.code !== 0) throw new Error(`Deleting ${id} on ${endpoint.name} failed: ${failure(r)}`);
}

// ---- k3s pods: the kubelet checkpoint API ----

export interface KubeletCheckpointTarget {
  namespace: string;
  pod: string;
  container: string;
  /** kubelet port, 10250 by default. */
  port?: number;
}

/** `POST /checkpoint/{namespace}/{pod}/{container}` on the node's kubelet. */
export function kubeletCheckpointPath(t: KubeletCheckpointTarget): string {
  for (const [k, v] of Object.entries({ namespace: t.namespace, pod: t.pod, container: t.container })) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v)) throw new Error(`${k} "${v}" is not a Kubernetes name.`);
  }
  return `/checkpoint/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}/${encodeURIComponent(t.container)}`;
}

/** Run on the node itself: curl against the local kubelet with k3s's admin client certificate. */
export function kubeletCheckpointCommand(t: KubeletCheckpointTarget, endpoint: SshEndpoint): ShellCommand {
  const tls = '/var/lib/rancher/k3s/server/tls';
  const url = `https://127.0.0.1:${t.port ?? 10250}${kubeletCheckpointPath(t)}`;
  return argv(
    privileged(endpoint, [
      'curl',
      '--silent',
      '--show-error',
      '--fail-with-body',
      '-X',
      'POST',
      '--cacert',
      `${tls}/server-ca.crt`,
      '--cert',
      `${tls}/client-admin.crt`,
      '--key',
      `${tls}/client-admin.key`,
      url,
    ]),
  );
}
