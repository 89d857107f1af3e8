// Live telemetry from the node agents: the sample format agents publish on `{domain}.events.{host}.telemetry`, and a
// subscriber that keeps only each host's latest sample and hands them over in one batch per flush interval.
// With 1,000 hosts at 1 Hz that is one batch of ≤1,000 entries per interval instead of 1,000 UI updates a second.

import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { Subjects } from './subjects';

export interface GpuSample {
  index: number;
  vendor: 'nvidia' | 'amd';
  name?: string;
  /** Stable identity across reboots (NVIDIA UUID, AMD unique id or PCI bus id). */
  uuid?: string;
  memoryUsedMiB?: number;
  memoryTotalMiB?: number;
  utilizationPct?: number;
  temperatureC?: number;
  powerW?: number;
}

export interface ExoSample {
  /** True when this host's exo node is in exo's cluster (its /state, read from the API host). */
  up: boolean;
  /** exo's API did not answer, so nothing is known about this node (not the same as stopped). */
  unknown?: boolean;
  /** This host's exo node id. */
  node?: string;
  /** Instances with a shard on this node. */
  instances?: number;
  error?: string;
}

export interface TelemetrySample {
  host: string;
  /** When the agent took the sample (ms since epoch, agent clock). */
  sentAt: number;
  /** Increments per sample; a gap means dropped samples. */
  seq: number;
  gpus: GpuSample[];
  /** Errors from GPU tools (missing nvidia-smi is not an error: the host has no such GPU). */
  gpuError?: string;
  memory?: { totalBytes: number; availableBytes: number };
  loadAverage?: [number, number, number];
  exo?: ExoSample;
  /** nixos-containers on the host (absent when the agent does not manage containers). */
  containers?: ContainerSample[];
  agentVersion?: string;
}

export interface ContainerSample {
  name: string;
  /** `up` while its `container@<name>` unit runs (its cgroup in machine.slice exists), as `nixos-container status` says. */
  state: 'up' | 'down';
  /** Declared by the host's NixOS configuration (its .conf is not writable), not created with `nixos-container create`. */
  declarative: boolean;
  /** Neither declarative nor in the spec the host was deployed with: drift from the spec. */
  drift: boolean;
  cpuPercent?: number;
  memoryBytes?: number;
}

export function validateSample(value: unknown): value is TelemetrySample {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<TelemetrySample>;
  return typeof v.host === 'string' && typeof v.sentAt === 'number' && typeof v.seq === 'number' && Array.isArray(v.gpus);
}

export interface ReceivedSample {
  sample: TelemetrySample;
  /** Local receive time (ms since epoch). */
  receivedAt: number;
}

export interface TelemetryStats {
  received: number;
  invalid: number;
  /** Samples replaced by a newer one of the same host before a flush. */
  coalesced: number;
  flushes: number;
}

/** Subscribes to every host's telemetry and delivers the latest sample per host once per `flushMs`. */
export class TelemetrySubscriber {
  private readonly latest = new Map<string, ReceivedSample>();
  private timer: NodeJS.Timeout | undefined;
  private sub: Subscription | undefined;
  readonly stats: TelemetryStats = { received: 0, invalid: 0, coalesced: 0, flushes: 0 };

  constructor(
    private readonly domain: string,
    private readonly onBatch: (batch: Map<string, ReceivedSample>) => void,
    private readonly flushMs = 250,
  ) {}

  /** Subscribes on a connection; call again after switching connections (the old subscription is dropped). */
  start(nc: NatsConnection): void {
    this.stop();
    const subjects = new Subjects(this.domain);
    this.sub = nc.subscribe(subjects.allTelemetry(), {
      callback: (err, msg) => {
        if (err) return;
        const host = subjects.parseTelemetry(msg.subject);
        let sample: unknown;
        try {
          sample = msg.json();
        } catch {
          sample = undefined;
        }
        // The host in the subject is authoritative: permissions guarantee an agent can publish only its own.
        if (!host || !validateSample(sample) || sample.host !== host) {
          this.stats.invalid++;
          return;
        }
        this.stats.received++;
        if (this.latest.has(host)) this.stats.coalesced++;
        this.latest.set(host, { sample, receivedAt: Date.now() });
      },
    });
    this.timer = setInterval(() => this.flush(), this.flushMs);
  }

  flush(): void {
    if (this.latest.size === 0) return;
    const batch = new Map(this.latest);
    this.latest.clear();
    this.stats.flushes++;
    this.onBatch(batch);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sub?.unsubscribe();
    this.sub = undefined;
  }
}
