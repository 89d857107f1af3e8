// `gpu-cluster drain SPEC HOST --record FILE [--back] [--json]`: Drain Host from the command line. Without --back,
// every GPU process of HOST is checkpointed and restored on the spec's planned target or a host with the same GPUs
// (core/src/checkpoint/drain.ts), and the record of where each went is written to FILE; after the host's update,
// --back reads FILE and moves them home. Exit 1 when a process could not move (it keeps running where it was).

import { readFileSync, writeFileSync } from 'node:fs';
import { drainHost, returnDrained, type DrainRecord } from '#core/checkpoint';
import { checkpointSettings } from '#core/ops';
import { loadCluster, progressLine, splitArgs } from '../common/clusterHost';
import { escapeControl, processIo, type CliIo } from '../common/io';
import { cliSshPool, SSH_HELP } from '../common/ssh';

export const USAGE =
  'usage: gpu-cluster drain SPEC HOST --record FILE [--back] [--json]\n' +
  '  SPEC     cluster.yaml, or the folder holding it\n' +
  '  HOST     the host whose GPU processes move away (checkpoints.migrations first, else hosts with the same GPUs)\n' +
  '  --record FILE  where the drain writes where each process went; --back reads it\n' +
  '  --back   after the update: move the processes of the record back to HOST\n' +
  '  --json   the record as JSON on stdout\n' +
  SSH_HELP;

export async function runDrain(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = splitArgs(args, ['--record', '--known-hosts'], ['--back', '--json']);
  if (typeof parsed === 'string' || parsed.positional.length !== 2 || !parsed.options.get('--record')) {
    io.err(`gpu-cluster drain: ${typeof parsed === 'string' ? parsed : 'SPEC, HOST and --record FILE are needed'}\n${USAGE}`);
    return 2;
  }
  const [specPath, hostName] = parsed.positional;
  const recordFile = parsed.options.get('--record')!;
  const json = parsed.flags.has('--json');
  const cluster = await loadCluster(specPath);
  if (typeof cluster === 'string') {
    io.err(`gpu-cluster drain: ${cluster}\n`);
    return 1;
  }
  const pool = cliSshPool(parsed.options.get('--known-hosts'));
  try {
    const ctx = {
      spec: cluster.spec,
      endpoint: cluster.endpoint,
      settings: checkpointSettings(cluster.spec.checkpoints),
      onStep: (host: string, s: { step: string; ok: boolean; detail?: string }) => progressLine(io, json, host, s),
    };
    let record: DrainRecord;
    if (parsed.flags.has('--back')) {
      const before = JSON.parse(readFileSync(recordFile, 'utf8')) as DrainRecord;
      if (before.host !== hostName) throw new Error(`${recordFile} records a drain of ${before.host}, not ${hostName}.`);
      record = await returnDrained(pool, ctx, before);
    } else {
      record = await drainHost(pool, ctx, hostName);
    }
    writeFileSync(recordFile, `${JSON.stringify(record, null, 1)}\n`);
    if (json) io.out(`${JSON.stringify(record)}\n`);
    else
      for (const m of record.moves)
        io.out(
          `${m.pid}${m.unit ? ` ${m.unit}` : ''} → ${escapeControl(m.host ?? '?')}${m.runningPid ? ` as ${m.runningPid}` : ''}${m.problem ? `: ${escapeControl(m.problem)}` : ''}\n`,
        );
    const home = parsed.flags.has('--back');
    return record.moves.some((m) => m.problem || (home ? m.host !== hostName : m.host === hostName)) ? 1 : 0;
  } catch (err) {
    io.err(`gpu-cluster drain: ${escapeControl((err as Error).message)}\n`);
    return 1;
  } finally {
    pool.closeAll();
  }
}
