// From the spec to rollout targets (endpoint, services that must come back, checkpoint settings), and the
// health checks beyond units: exo's node back in /state with its runners, the agent's heartbeat on NATS, and the
// spec's own checks (rollout.healthChecks) run on the host over SSH.

import { checkpointSettings } from '../ops/checkpoint';
import { exoBaseUrl, type Fetch } from '../ops/exo';
import { matchExoNodes, runnerOf, type ExoState } from '../ops/exoState';
import { SERVICE_UNITS, servicesForRoles } from '../ops/units';
import { effectiveRoles, exoPorts, runsExo } from '../spec/resolve';
import type { ClusterSpec, HostSpec } from '../spec/types';
import type { SshEndpoint, SshPool } from '../ssh/connection';
import { argv } from '../ssh/quote';
import type { HealthCheck, RolloutTarget } from './engine';
import { hostLayout } from './host';
import { planCluster } from '../flake/plan';

export interface TargetOptions {
  endpoint(host: HostSpec): SshEndpoint;
  /** New toplevel per host (absent for a rollback). */
  newSystems?: ReadonlyMap<string, string>;
  /** Host filesystem root (tests); `/` by default. */
  root?(host: HostSpec): string;
}

export function rolloutTargets(spec: ClusterSpec, hosts: readonly HostSpec[], o: TargetOptions): RolloutTarget[] {
  return hosts.map((h) => ({
    name: h.name,
    endpoint: o.endpoint(h),
    layout: hostLayout(o.root?.(h) ?? '/'),
    newSystem: o.newSystems?.get(h.name),
    units: servicesForRoles(effectiveRoles(spec, h)).map((k) => SERVICE_UNITS[k]),
    checkpoint: checkpointSettings(spec.checkpoints),
  }));
}

/**
 * exo is back: /state answers on the host, one of its nodes is the host (matched by address or name, as the
 * explorer matches them) and none of the runners placed on that node failed. Hosts that do not run exo pass.
 */
export function exoHealthCheck(spec: ClusterSpec, o: { fetch?: Fetch } = {}): HealthCheck {
  const port = exoPorts(spec).api;
  return {
    name: 'exo',
    async check(target, signal) {
      const host = spec.hosts.find((h) => h.name === target.name);
      if (!host || !runsExo(spec, host)) return undefined;
      const url = `${exoBaseUrl(target.endpoint.address, port)}/state`;
      const timeout = AbortSignal.timeout(5000);
      let state: ExoState;
      try {
        const res = await (o.fetch ?? fetch)(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
        if (!res.ok) return `${url} answered ${res.status}`;
        state = (await res.json()) as ExoState;
      } catch (err) {
        return `${url}: ${(err as Error).message}`;
      }
      const node = [...matchExoNodes(state, spec)].find(([, name]) => name === target.name)?.[0];
      if (!node) return `no exo node of ${target.name} is back in exo's topology`;
      for (const inst of Object.values(state.instances ?? {})) {
        const a = Object.values(inst)[0]?.shardAssignments;
        const runner = a?.nodeToRunner?.[node];
        const view = runner ? runnerOf(state, runner) : undefined;
        if (runner && (!view || view.status === 'Failed'))
          return `runner ${runner} on node ${node} is ${view ? `failed: ${view.error}` : 'missing'}`;
      }
      return undefined;
    },
  };
}

/** The spec's own checks (rollout.healthChecks), each run on the hosts it names or tags (all when it names none). */
export function specHealthChecks(spec: ClusterSpec, pool: SshPool): HealthCheck[] {
  return (spec.rollout?.healthChecks ?? []).map((c) => ({
    name: c.name,
    async check(target, signal) {
      const host = spec.hosts.find((h) => h.name === target.name);
      const selected =
        (!c.hosts?.length && !c.tags?.length) || c.hosts?.includes(target.name) || (host?.tags ?? []).some((t) => c.tags?.includes(t));
      if (!selected) return undefined;
      const r = await pool.exec(target.endpoint, argv(c.command), { signal, timeoutMs: (c.timeoutSec ?? 10) * 1000 });
      if (r.code === 0) return undefined;
      const said = (r.stderr.trim() || r.stdout.trim()).split('\n').pop()?.slice(0, 200);
      return `exit ${r.code}${said ? `: ${said}` : ''}`;
    },
  }));
}

/**
 * The node agent reported on NATS after the switch: a telemetry sample received after the host's health checks
 * began (they begin when its switch has finished). `lastSampleAt` is the live session's receive time per host;
 * only hosts the flake gives an agent (NixOS hosts of a cluster with `nats.url`) are asked.
 */
export function heartbeatCheck(
  spec: ClusterSpec,
  lastSampleAt: (host: string) => number | undefined,
  now: () => number = Date.now,
): HealthCheck {
  const agentHosts = new Set(
    planCluster(spec)
      .hosts.filter((h) => h.agent)
      .map((h) => h.name),
  );
  const checkingSince = new Map<string, number>();
  return {
    name: 'agent heartbeat',
    async check(target) {
      if (!agentHosts.has(target.name)) return undefined;
      if (!checkingSince.has(target.name)) checkingSince.set(target.name, now());
      const at = lastSampleAt(target.name);
      return at !== undefined && at >= checkingSince.get(target.name)! ? undefined : 'no telemetry from the agent since the switch';
    },
  };
}
