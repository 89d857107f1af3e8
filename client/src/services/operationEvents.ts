// Turns what the operations commands report about hosts into cluster events, so that every deploy, update and
// exo launch/stop lands in the event store without each command managing correlation ids: an operation's first
// report opens it (`deploy-started`, `exo-starting`), each further step is chained to the previous event
// (`deploy-phase`), and the final status closes it (`deployed`, `deploy-failed`, `deploy-cancelled`, `exo-started`…).
// Checkpoints are recorded explicitly, with their manifest versioned in the object store.

import { documentKey, type EventAction } from '#core/nats';
import type { HostFacts, ServiceStatus } from '../state/store';
import type { NatsService } from './natsService';

interface OpenOperation {
  correlationId: string;
  lastEventId: string;
  lastDetail?: string;
}

const EXO_ACTIONS: Partial<Record<ServiceStatus, EventAction>> = {
  starting: 'exo-starting',
  running: 'exo-started',
  stopped: 'exo-stopped',
  failed: 'exo-failed',
};

export class OperationEvents {
  private readonly deploys = new Map<string, OpenOperation>();
  private readonly exoRuns = new Map<string, OpenOperation>();

  constructor(private readonly nats: NatsService) {}

  /** Called with every HostFacts an operation reports (OpsContext.report). */
  recordOperationReport(host: string, facts: HostFacts): void {
    const deploys = this.deploys;
    if (facts.status === 'deploying') {
      const op = deploys.get(host);
      if (op?.lastDetail === facts.statusDetail) return;
      this.chain(deploys, host, op ? 'deploy-phase' : 'deploy-started', { phase: facts.statusDetail }, false);
      const opened = deploys.get(host);
      if (opened) opened.lastDetail = facts.statusDetail;
    } else if (facts.status && deploys.has(host)) {
      const action = facts.status === 'failed' ? 'deploy-failed' : facts.status === 'unknown' ? 'deploy-cancelled' : 'deployed';
      this.chain(deploys, host, action, { status: facts.status, detail: facts.statusDetail }, true);
    }
    const exo = facts.services?.exo;
    const exoAction = exo && EXO_ACTIONS[exo.status];
    if (exoAction) this.chain(this.exoRuns, host, exoAction, { detail: exo.detail }, exo.status !== 'starting');
  }

  /** The exo start/stop in progress on a host, for commands sent to its agent as part of it. */
  exoOperation(host: string): { correlationId: string; causationId: string } | undefined {
    const op = this.exoRuns.get(host);
    return op && { correlationId: op.correlationId, causationId: op.lastEventId };
  }

  /** Records a checkpoint taken or restored; a created checkpoint's manifest is also kept in the object store. */
  recordCheckpoint(host: string, action: 'created' | 'restored' | 'uploaded', data: { id: string } & Record<string, unknown>): void {
    const nats = this.nats;
    nats.appendEvent(host, `checkpoint-${action}`, data);
    if (action !== 'created') return;
    const documents = nats.documents;
    if (!documents) return;
    const key = /^[A-Za-z0-9_-]+$/.test(data.id) ? documentKey(host, data.id) : documentKey(host);
    documents
      .put('checkpoints', key, JSON.stringify(data), { host, id: data.id })
      .catch((err: Error) => nats.log(`checkpoint manifest ${data.id} not stored in NATS: ${err.message}`));
  }

  private chain(open: Map<string, OpenOperation>, host: string, action: EventAction, data: unknown, ends: boolean): void {
    const op = open.get(host);
    const event = this.nats.appendEvent(
      host,
      action,
      data,
      op ? { correlationId: op.correlationId, causationId: op.lastEventId } : undefined,
    );
    if (!event) return;
    if (ends) open.delete(host);
    else open.set(host, { correlationId: event.correlationId, lastEventId: event.id, lastDetail: op?.lastDetail });
  }
}
