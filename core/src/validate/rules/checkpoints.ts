// Checkpoints: hosts where cuda-checkpoint can work, and storage with what its kind needs.

import { checkpointUnsupportedReason } from '../../spec/resolve';
import { isRecord } from '../../spec/workspace';
import { rolePath, withRole, type Rule } from './rule';

export const checkpoints: Rule = {
  name: 'checkpoints.hosts-and-storage',
  needs: 'cluster',
  codes: ['checkpoint.unsupported-host', 'checkpoint.storage-incomplete'],
  check({ clusterFile, spec, entries, report: r }) {
    const file = clusterFile!;
    for (const e of withRole(spec, entries, 'checkpoint-agent')) {
      const reason = checkpointUnsupportedReason(spec, e.host);
      if (!reason) continue;
      const at = rolePath(e, 'checkpoint-agent', file, spec);
      r.report(at.file, at.path, 'value', 'checkpoint.unsupported-host', `Checkpoints cannot work here: ${reason}.`);
    }
    const storage = spec.checkpoints?.storage;
    if (isRecord(storage) && (storage.kind === 's3' || storage.kind === 'nats-object-store') && !storage.bucket) {
      r.report(
        file,
        ['checkpoints', 'storage', 'kind'],
        'value',
        'checkpoint.storage-incomplete',
        `Storage kind '${storage.kind}' needs a 'bucket'.`,
      );
    }
    if (isRecord(storage) && storage.kind === 's3' && !storage.credentialsFile) {
      r.report(
        file,
        ['checkpoints', 'storage', 'kind'],
        'value',
        'checkpoint.storage-incomplete',
        "S3 storage without 'credentialsFile' relies on credentials already on each host.",
        { severity: 'warning' },
      );
    }
  },
};
