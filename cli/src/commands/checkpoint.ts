// `gpu-cluster checkpoint SPEC HOST [--pid PID | --unit UNIT | --all] [--json]`: the editor's Checkpoint GPU Process
// (core/src/ops/checkpoint.ts) from the command line. Without a choice and more than one GPU process, lists them
// and exits 2. Progress on a terminal; --json prints {"checkpoints":[manifest…]} for CI. Exit 1 when the host
// cannot checkpoint (the reasons are printed) or a checkpoint fails.

import { serviceUnit, uploadCheckpoint } from '#core/checkpoint';
import {
  checkPrerequisites,
  checkpointSettings,
  createCheckpoint,
  listGpuProcesses,
  unitFromCgroup,
  type CheckpointManifest,
} from '#core/ops';
import { sh } from '#core/ssh';
import { loadCluster, progressLine, splitArgs } from '../common/clusterHost';
import { escapeControl, processIo, type CliIo } from '../common/io';
import { cliSshPool, SSH_HELP } from '../common/ssh';
import { openCheckpointStore, STORE_HELP } from '../common/checkpointStore';

export const USAGE =
  'usage: gpu-cluster checkpoint SPEC HOST [--pid PID | --unit UNIT | --all] [--leave-running] [--retain N] [--json]\n' +
  '  SPEC     cluster.yaml, or the folder holding it\n' +
  '  HOST     the host whose GPU process is checkpointed (cuda-checkpoint + CRIU)\n' +
  '  --pid PID / --unit UNIT / --all  which GPU processes (needed when there are several)\n' +
  '  --leave-running  keep the processes running (default: checkpoints.criu.leaveRunning)\n' +
  '  --retain N  with s3 or nats-object-store storage: keep the newest N per host and unit there, delete the rest\n' +
  '  --json   print the manifests as JSON on stdout\n' +
  '  With s3 or nats-object-store storage each checkpoint is uploaded there after it is taken.\n' +
  SSH_HELP +
  STORE_HELP;

export async function runCheckpoint(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = splitArgs(
    args,
    ['--pid', '--unit', '--known-hosts', '--retain', '--nats-url', '--s3-credentials'],
    ['--all', '--json', '--leave-running'],
  );
  if (typeof parsed === 'string' || parsed.positional.length !== 2) {
    io.err(`gpu-cluster checkpoint: ${typeof parsed === 'string' ? parsed : 'SPEC and HOST are needed'}\n${USAGE}`);
    return 2;
  }
  const [specPath, hostName] = parsed.positional;
  const json = parsed.flags.has('--json');
  const cluster = await loadCluster(specPath);
  if (typeof cluster === 'string') {
    io.err(`gpu-cluster checkpoint: ${cluster}\n`);
    return 1;
  }
  const retain = parsed.options.has('--retain') ? Number(parsed.options.get('--retain')) : undefined;
  if (retain !== undefined && !(Number.isInteger(retain) && retain >= 1)) {
    io.err(`gpu-cluster checkpoint: --retain needs a whole number of at least 1\n${USAGE}`);
    return 2;
  }
  const pool = cliSshPool(parsed.options.get('--known-hosts'));
  let opened;
  try {
    opened = await openCheckpointStore(cluster.spec, {
      natsUrl: parsed.options.get('--nats-url'),
      s3Credentials: parsed.options.get('--s3-credentials'),
    });
    const ep = cluster.endpoint(hostName);
    const pre = await checkPrerequisites(pool, ep);
    if (!pre.ok) {
      io.err(`${escapeControl(hostName)} cannot checkpoint:\n${pre.reasons.map((r) => `  ${escapeControl(r)}\n`).join('')}`);
      return 1;
    }
    const processes = await listGpuProcesses(pool, ep);
    const pid = parsed.options.get('--pid');
    const unit = parsed.options.get('--unit');
    let chosen = processes;
    if (pid !== undefined) chosen = processes.filter((p) => String(p.pid) === pid);
    else if (unit !== undefined) {
      const wanted = serviceUnit(unit);
      const units = await Promise.all(
        processes.map(async (p) => unitFromCgroup((await pool.exec(ep, sh`cat /proc/${p.pid}/cgroup`, { timeoutMs: 10_000 })).stdout)),
      );
      chosen = processes.filter((_, i) => units[i] === wanted);
    } else if (processes.length > 1 && !parsed.flags.has('--all')) {
      io.err(
        `${escapeControl(hostName)} has ${processes.length} GPU processes; choose with --pid, --unit or --all:\n` +
          processes.map((p) => `  ${p.pid}  ${escapeControl(p.processName)}  ${p.usedMemoryMiB ?? '?'} MiB\n`).join(''),
      );
      return 2;
    }
    if (!chosen.length) {
      io.err(`No GPU process on ${escapeControl(hostName)} matches${pid ? ` pid ${pid}` : unit ? ` unit ${escapeControl(unit)}` : ''}.\n`);
      return 1;
    }
    const base = checkpointSettings(cluster.spec.checkpoints);
    const settings = parsed.flags.has('--leave-running') ? { ...base, leaveRunning: true } : base;
    const taken: CheckpointManifest[] = [];
    let failed = 0;
    for (const gpu of chosen) {
      try {
        const m = await createCheckpoint(
          pool,
          ep,
          { host: hostName, pid: gpu.pid, gpu, driverVersion: pre.driverVersion, settings },
          { onStep: (s) => progressLine(io, json, hostName, s) },
        );
        taken.push(m);
        if (opened) {
          const { deleted } = await uploadCheckpoint(pool, ep, m, opened.store, retain);
          progressLine(io, json, hostName, {
            step: 'upload',
            ok: true,
            detail: `${opened.store.bucket.description}${deleted.length ? `; deleted ${deleted.join(', ')}` : ''}`,
          });
        }
        if (!json)
          io.out(`${m.id}  ${m.processName ?? ''}  ${m.sizeBytes} bytes  ${opened ? opened.store.bucket.description : m.imagesDir}\n`);
      } catch (err) {
        failed++;
        io.err(`checkpoint of ${gpu.pid} on ${escapeControl(hostName)} failed: ${escapeControl((err as Error).message)}\n`);
      }
    }
    if (json) io.out(`${JSON.stringify({ checkpoints: taken })}\n`);
    return failed ? 1 : 0;
  } catch (err) {
    io.err(`gpu-cluster checkpoint: ${escapeControl((err as Error).message)}\n`);
    return 1;
  } finally {
    pool.closeAll();
    await opened?.close();
  }
}
