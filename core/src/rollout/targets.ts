// From the spec to rollout targets (endpoint, services that must come back, checkpoint settings), and the
// health checks beyond units: exo's node back in /state with its runners, the agent's heartbeat on NATS.

import { checkpointSettings } from '../ops/checkpoint';
import { exoBaseUrl, type Fetch } from '../ops/exo';
import { runnerOf, type ExoState } from '../ops/exoState';
import { SERVICE_UNITS, servicesForRoles } from '../ops/units';
import { effectiveRoles } from '../spec/resolve';
import type { ClusterSpec, HostSpec } from '../spec/types';
import type { SshEndpoint } from '../ssh/connection';
import type { HealthCheck, RolloutTarget } from './engine';
import { hostLayout } from './host';

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
 * exo is back: /state answers on the host, the host's node is in the topology, and none of the runners placed
 * on it failed. `nodeId` maps a host to its exo node id (from the explorer's state; skipped when unknown).
 */
export function exoHealthCheck(o: {
  port: number;
  nodeId(host: string): string | undefined;
  fetch?: Fetch;
  hostRunsExo(host: string): boolean;
}): HealthCheck {
  return {
    name: 'exo',
    async check(target, signal) {
      if (!o.hostRunsExo(target.name)) return undefined;
      const url = `${exoBaseUrl(target.endpoint.address, o.port)}/state`;
      const timeout = AbortSignal.timeout(5000);
      let state: ExoState;
      try {
        const res = await (o.fetch ?? fetch)(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
        if (!res.ok) return `${url} answered ${res.status}`;
        state = (await res.json()) as ExoState;
      } catch (err) {
        return `${url}: ${(err as Error).message}`;
      }
      const node = o.nodeId(target.name);
      if (!node) return undefined;
      if (!state.topology?.nodes?.includes(node)) return `node ${node} is not back in exo's topology`;
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

/** The node agent reported on NATS after the switch. `lastSampleAt` is the live session's receive time per host. */
export function heartbeatCheck(
  lastSampleAt: (host: string) => number | undefined,
  since: () => number,
  agentHosts: ReadonlySet<string>,
): HealthCheck {
  return {
    name: 'agent heartbeat',
    async check(target) {
      if (!agentHosts.has(target.name)) return undefined;
      const at = lastSampleAt(target.name);
      return at !== undefined && at >= since() ? undefined : 'no telemetry from the agent since the switch';
    },
  };
}
