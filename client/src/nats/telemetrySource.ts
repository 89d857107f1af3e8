// Feeds agent telemetry from NATS into the cluster state store. The core subscriber already coalesces samples to
// the latest per host per flush interval; this maps them onto HostFacts, and forgets a host's live facts when its
// agent falls silent. No vscode imports: the integration tests drive it with a real nats-server.

import type { NatsConnection } from '@nats-io/transport-node';
import { TelemetrySubscriber, type ReceivedSample, type TelemetrySample } from '#core/nats';
import type { ClusterStateStore, HostFacts, StateSource } from '../state/store';

export const TELEMETRY_SOURCE_ID = 'nats';

export function factsFromSample(sample: TelemetrySample): HostFacts {
  const facts: HostFacts = {
    status: 'running',
    statusDetail: [sample.agentVersion ? `agent ${sample.agentVersion} reporting` : 'agent reporting', sample.gpuError]
      .filter(Boolean)
      .join('; '),
    gpus: sample.gpus.map((g) => ({
      index: g.index,
      model: g.name,
      memoryUsedMiB: g.memoryUsedMiB,
      memoryTotalMiB: g.memoryTotalMiB,
      utilizationPct: g.utilizationPct,
      temperatureC: g.temperatureC,
    })),
    memory: sample.memory,
  };
  if (sample.containers) facts.containers = sample.containers;
  if (sample.exo) {
    facts.services = {
      exo: sample.exo.up
        ? {
            status: 'running',
            detail: sample.exo.instances ? `${sample.exo.instances} instance${sample.exo.instances === 1 ? '' : 's'}` : undefined,
          }
        : { status: sample.exo.unknown ? 'unknown' : 'stopped', detail: sample.exo.error },
    };
  }
  return facts;
}

export class NatsTelemetrySource implements StateSource {
  readonly id = TELEMETRY_SOURCE_ID;
  private store: ClusterStateStore | undefined;
  private readonly subscriber: TelemetrySubscriber;
  private readonly lastSeen = new Map<string, number>();
  private readonly seqs = new Map<string, number>();
  private staleTimer: NodeJS.Timeout | undefined;

  constructor(
    domain: string,
    private readonly options: { flushMs?: number; staleMs?: number; onBatch?: (batch: Map<string, ReceivedSample>) => void } = {},
  ) {
    this.subscriber = new TelemetrySubscriber(domain, (batch) => this.apply(batch), options.flushMs ?? 250);
  }

  start(store: ClusterStateStore): void {
    this.store = store;
    const staleMs = this.options.staleMs ?? 15_000;
    this.staleTimer = setInterval(() => this.dropStale(staleMs), Math.min(staleMs, 5000));
  }

  /** (Re)subscribes on a connection; call after every new connection (not after reconnects). */
  attach(nc: NatsConnection): void {
    this.subscriber.start(nc);
    this.store?.setSourceHealth(this.id, { ok: true, lastSuccessAt: Date.now() });
  }

  detach(reason: string): void {
    this.subscriber.stop();
    this.store?.setSourceHealth(this.id, { ok: false, error: reason });
  }

  /** Sequence number of the last sample applied for a host. */
  lastSeq(host: string): number | undefined {
    return this.seqs.get(host);
  }

  get stats() {
    return this.subscriber.stats;
  }

  /** Delivers what is buffered now (tests). */
  flush(): void {
    this.subscriber.flush();
  }

  private apply(batch: Map<string, ReceivedSample>): void {
    const store = this.store;
    if (!store) return;
    const now = Date.now();
    for (const [host, { sample, receivedAt }] of batch) {
      store.applyHostFacts(this.id, host, factsFromSample(sample), 'replace');
      this.lastSeen.set(host, receivedAt);
      this.seqs.set(host, sample.seq);
    }
    this.options.onBatch?.(batch);
    store.setSourceHealth(this.id, { ok: true, lastSuccessAt: now });
  }

  private dropStale(staleMs: number): void {
    const cutoff = Date.now() - staleMs;
    for (const [host, at] of this.lastSeen) {
      if (at >= cutoff) continue;
      this.lastSeen.delete(host);
      this.store?.clearSource(this.id, host);
    }
  }

  dispose(): void {
    clearInterval(this.staleTimer);
    this.subscriber.stop();
    this.store?.clearSource(this.id);
  }
}
