// `checkpoints.migrations`: planned moves of checkpointed GPU processes from one host to another. Each move names
// two hosts of the spec, and cuda-checkpoint must be able to bring the processes back on the target (the rules and
// their sources are in core/src/checkpoint/migration.ts). The reason is reported on the key that makes it impossible.

import { plannedMoveProblems } from '../../checkpoint/migration';
import type { HostSpec } from '../../spec/types';
import { isRecord } from '../../spec/workspace';
import { didYouMean, type Rule } from './rule';

export const migrations: Rule = {
  name: 'migrations.checkpoint-moves',
  needs: 'complete',
  codes: ['checkpoint.migration-unknown-host', 'checkpoint.migration-impossible'],
  check({ clusterFile, spec, hosts, report: r }) {
    const file = clusterFile!;
    const moves = isRecord(spec.checkpoints) && Array.isArray(spec.checkpoints.migrations) ? spec.checkpoints.migrations : [];
    moves.forEach((move, i) => {
      if (!isRecord(move)) return;
      const ends: Partial<Record<'from' | 'to', HostSpec>> = {};
      for (const key of ['from', 'to'] as const) {
        const name = move[key];
        if (typeof name !== 'string') continue;
        const host = hosts.get(name)?.entry.host;
        if (host) {
          ends[key] = host;
          continue;
        }
        const s = r.suggest(name, () => hosts.keys());
        r.report(
          file,
          ['checkpoints', 'migrations', i, key],
          'value',
          'checkpoint.migration-unknown-host',
          `No host '${name}' in the spec${didYouMean(s)}`,
          {
            replacement: s,
          },
        );
      }
      if (!ends.from || !ends.to) return;
      for (const p of plannedMoveProblems(spec, ends.from, ends.to)) {
        r.report(
          file,
          ['checkpoints', 'migrations', i, p.on],
          'value',
          'checkpoint.migration-impossible',
          `This move cannot work: ${p.reason}.`,
        );
      }
    });
  },
};
