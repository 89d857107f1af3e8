// Which hosts a rollout touches and how: chosen by name, tag or network segment; at most `concurrency` at once;
// stop on the first failure (hosts not yet started are skipped) or continue with the rest.

import type { ClusterSpec, HostSpec } from '../spec/types';

export interface HostSelector {
  hosts?: readonly string[];
  tags?: readonly string[];
  segments?: readonly string[];
}

export type FailurePolicy = 'stop' | 'continue';

export interface RolloutOptions {
  concurrency: number;
  onFailure: FailurePolicy;
  /** Checkpoint the GPU processes the switch interrupts (where the host supports it). */
  checkpoint: boolean;
  /** Seconds the host waits for the confirmation before it switches back by itself. */
  confirmTimeoutSec: number;
  /** How long the health checks may take to pass. */
  healthTimeoutSec: number;
}

export const DEFAULT_ROLLOUT_OPTIONS: RolloutOptions = {
  concurrency: 4,
  onFailure: 'stop',
  checkpoint: true,
  confirmTimeoutSec: 120,
  healthTimeoutSec: 60,
};

/** The plan as it is journaled (enough to show and resume the rollout without the spec). */
export interface RolloutPlanRecord {
  rolloutId: string;
  createdAt: string;
  hosts: string[];
  options: RolloutOptions;
  /** 'update' switches to a new system, 'rollback' to each host's previous generation. */
  kind: 'update' | 'rollback';
}

function segmentsOf(host: HostSpec): Set<string> {
  return new Set(
    (Array.isArray(host.interfaces) ? host.interfaces : []).flatMap((i) => (typeof i.segment === 'string' ? [i.segment] : [])),
  );
}

/**
 * The spec's hosts matched by the selector (any of its names, tags or segments), in spec order. An empty
 * selector means every host. A name, tag or segment that matches nothing is an error: a typo must not
 * silently roll out less than asked.
 */
export function selectHosts(spec: ClusterSpec, selector: HostSelector): HostSpec[] {
  const all = Array.isArray(spec.hosts) ? spec.hosts : [];
  const names = selector.hosts ?? [];
  const tags = selector.tags ?? [];
  const segments = selector.segments ?? [];
  const unknown = [
    ...names.filter((n) => !all.some((h) => h.name === n)).map((n) => `host "${n}"`),
    ...tags.filter((t) => !all.some((h) => h.tags?.includes(t))).map((t) => `tag "${t}"`),
    ...segments.filter((s) => !all.some((h) => segmentsOf(h).has(s))).map((s) => `segment "${s}"`),
  ];
  if (unknown.length) throw new Error(`No host matches ${unknown.join(', ')}.`);
  if (!names.length && !tags.length && !segments.length) return [...all];
  return all.filter(
    (h) => names.includes(h.name) || (h.tags ?? []).some((t) => tags.includes(t)) || [...segmentsOf(h)].some((s) => segments.includes(s)),
  );
}

export function checkOptions(o: RolloutOptions): RolloutOptions {
  const int = (v: number, what: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${what} must be a whole number ≥ ${min} (got ${v}).`);
  };
  int(o.concurrency, 'concurrency', 1);
  int(o.confirmTimeoutSec, 'the confirmation timeout', 5);
  int(o.healthTimeoutSec, 'the health-check timeout', 1);
  if (o.onFailure !== 'stop' && o.onFailure !== 'continue')
    throw new Error(`on failure must be "stop" or "continue" (got ${String(o.onFailure)}).`);
  return o;
}
