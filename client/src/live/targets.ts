// Where the live sources of a spec point: NATS (setting or spec) and exo's API. Shown before the user connects
// ("Connecting reaches: ...") and, with each source's state, while connected.
import type { ClusterSpec } from '#core/spec';
import { EXO_SOURCE_ID, exoStateUrl } from '../state/exoSource';
import type { ClusterStateStore } from '../state/store';
import type { NatsService } from '../services/natsService';

export interface LiveTarget {
  source: 'NATS' | 'exo';
  address: string;
  /** How the source is doing, in words ("connected", "not answering: ECONNREFUSED"). */
  status: string;
}

export function liveTargets(
  spec: ClusterSpec | undefined,
  nats: NatsService | undefined,
  store?: Pick<ClusterStateStore, 'sourceHealth'>,
): LiveTarget[] {
  const out: LiveTarget[] = [];
  const natsTarget = nats?.resolveTarget();
  if (nats && natsTarget && typeof natsTarget !== 'string') {
    const s = nats.status;
    out.push({
      source: 'NATS',
      address: natsTarget.servers.join(', '),
      status: `${s.state}${s.reason && s.state !== 'connected' ? ` (${s.reason})` : ''}`,
    });
  }
  const exoUrl = spec ? exoStateUrl(spec) : undefined;
  if (exoUrl) {
    const health = store?.sourceHealth().get(EXO_SOURCE_ID);
    out.push({
      source: 'exo',
      address: exoUrl,
      status: !health ? 'polling' : health.ok ? 'answering' : `not answering (${health.error ?? 'no answer'})`,
    });
  }
  return out;
}
