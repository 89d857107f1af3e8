// `gpu-cluster restore SPEC HOST ID [--to TARGET] [--targets] [--json]`: restores checkpoint ID taken on HOST, on
// HOST or on TARGET (core/src/checkpoint/move.ts: the target's live GPUs are checked first, then the images are
// copied and restored there). --targets says for every other host of the spec whether it could take the
// checkpoint, and why not. Progress on a terminal, --json for CI. Exit 1 when the target is impossible or a step fails.

import { locateCheckpoint, plannedMoveProblems, restoreFromStore, restoreOnHost, targetCompatibility } from '#core/checkpoint';
import { checkpointSettings } from '#core/ops';
import { loadCluster, progressLine, splitArgs } from '../common/clusterHost';
import { escapeControl, processIo, type CliIo } from '../common/io';
import { cliSshPool, SSH_HELP } from '../common/ssh';
import { openCheckpointStore, STORE_HELP } from '../common/checkpointStore';

export const USAGE =
  'usage: gpu-cluster restore SPEC HOST ID [--to TARGET | --targets] [--json]\n' +
  '  SPEC     cluster.yaml, or the folder holding it\n' +
  '  HOST ID  the host the checkpoint was taken on, and its id (gpu-cluster checkpoint prints it)\n' +
  '  --to TARGET  restore on another host: same GPU models in the same order, NVIDIA driver 570+, the memory free, no MIG or NCCL\n' +
  '  --targets    say for every other host whether it could take the checkpoint, and why not\n' +
  '  --json   JSON on stdout\n' +
  '  With s3 or nats-object-store storage, a checkpoint no longer on HOST is taken from there.\n' +
  SSH_HELP +
  STORE_HELP;

export async function runRestore(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = splitArgs(args, ['--to', '--known-hosts', '--nats-url', '--s3-credentials'], ['--targets', '--json']);
  if (typeof parsed === 'string' || parsed.positional.length !== 3) {
    io.err(`gpu-cluster restore: ${typeof parsed === 'string' ? parsed : 'SPEC, HOST and ID are needed'}\n${USAGE}`);
    return 2;
  }
  const [specPath, hostName, id] = parsed.positional;
  const json = parsed.flags.has('--json');
  const cluster = await loadCluster(specPath);
  if (typeof cluster === 'string') {
    io.err(`gpu-cluster restore: ${cluster}\n`);
    return 1;
  }
  const pool = cliSshPool(parsed.options.get('--known-hosts'));
  let opened;
  try {
    opened = await openCheckpointStore(cluster.spec, {
      natsUrl: parsed.options.get('--nats-url'),
      s3Credentials: parsed.options.get('--s3-credentials'),
    });
    const source = cluster.endpoint(hostName);
    const settings = checkpointSettings(cluster.spec.checkpoints);
    const store = opened;
    const { manifest, opened: fromStore, onHost: all } = await locateCheckpoint(pool, source, id, settings.baseDir, async () => store);
    if (!manifest) {
      io.err(
        `${escapeControl(hostName)} has no checkpoint ${escapeControl(id)}${all.length ? `; it has:\n${all.map((m) => `  ${m.id}\n`).join('')}` : ' (it has none)\n'}`,
      );
      return 1;
    }
    if (parsed.flags.has('--targets')) {
      const from = cluster.host(hostName);
      const verdicts = [];
      for (const h of cluster.spec.hosts.filter((x) => x.name !== hostName)) {
        const planned = plannedMoveProblems(cluster.spec, from, h).map((p) => p.reason);
        const live = planned.length ? { ok: false, reasons: [] } : await targetCompatibility(pool, cluster.endpoint(h.name), manifest);
        verdicts.push({ host: h.name, ok: planned.length === 0 && live.ok, reasons: [...planned, ...live.reasons] });
      }
      if (json) io.out(`${JSON.stringify({ checkpoint: id, targets: verdicts })}\n`);
      else
        for (const v of verdicts)
          io.out(`${escapeControl(v.host)}: ${v.ok ? 'possible' : `impossible: ${escapeControl(v.reasons.join('; '))}`}\n`);
      return 0;
    }
    const targetName = parsed.options.get('--to') ?? hostName;
    const target = cluster.endpoint(targetName);
    try {
      const onStep = (s: { step: string; ok: boolean; detail?: string }) => progressLine(io, json, targetName, s);
      const moved = fromStore
        ? await restoreFromStore(pool, target, manifest, fromStore.store, settings.baseDir, { onStep })
        : await restoreOnHost(pool, source, target, manifest, settings.baseDir, { onStep });
      if (json) io.out(`${JSON.stringify({ checkpoint: id, host: moved.target, pid: moved.pid })}\n`);
      else io.out(`${id} restored on ${escapeControl(moved.target)} as process ${moved.pid}\n`);
      return 0;
    } catch (err) {
      if (json) io.out(`${JSON.stringify({ checkpoint: id, host: targetName, error: (err as Error).message })}\n`);
      io.err(`${escapeControl((err as Error).message)}\n`);
      return 1;
    }
  } catch (err) {
    io.err(`gpu-cluster restore: ${escapeControl((err as Error).message)}\n`);
    return 1;
  } finally {
    pool.closeAll();
    await opened?.close();
  }
}
