// The containers of a host in the Nodes view and the topology: the spec's `containers` joined with what the host's
// agent reports (state, CPU and memory, declarative or not, drift). Pure: no vscode imports.
//
// contextValue `container.<state>.<origin>` is what the manifest's menus key on:
//   state  up | down (on the host) | absent (in the spec, not on the host) | unknown (no report yet)
//   origin declarative (NixOS declares it) | spec (created imperatively, in the spec) | drift (on the host, not in the spec)

import type { ContainerSpec, HostSpec } from '#core/spec';
import type { ContainerFacts, HostState } from '../state/store';

export type ContainerState = 'up' | 'down' | 'absent' | 'unknown';
export type ContainerOrigin = 'declarative' | 'spec' | 'drift';

export interface ContainerView {
  name: string;
  state: ContainerState;
  origin: ContainerOrigin;
  inSpec: boolean;
  live?: ContainerFacts;
}

/** The spec's containers in spec order, then those only the host reports. */
export function containerViews(host: HostSpec, state: HostState): ContainerView[] {
  const spec = (Array.isArray(host.containers) ? host.containers : []).filter((c) => c && typeof c.name === 'string');
  const live = new Map((state.containers ?? []).map((c) => [c.name, c]));
  const views: ContainerView[] = spec.map((c) => {
    const l = live.get(c.name);
    const known = state.containers !== undefined;
    return {
      name: c.name,
      state: l ? l.state : known ? 'absent' : 'unknown',
      origin: l?.declarative ? 'declarative' : 'spec',
      inSpec: true,
      live: l,
    };
  });
  const named = new Set(views.map((v) => v.name));
  for (const l of state.containers ?? []) {
    if (named.has(l.name)) continue;
    views.push({ name: l.name, state: l.state, origin: l.declarative ? 'declarative' : 'drift', inSpec: false, live: l });
  }
  return views;
}

/** How a container's state reads. */
export const CONTAINER_STATE_TEXT: Record<ContainerState, string> = {
  up: 'running',
  down: 'stopped',
  absent: 'not created',
  unknown: 'unknown',
};

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GiB`;
}

/** `running · CPU 12% · 1.0 GiB · not in spec`. */
export function containerSummary(v: ContainerView): string {
  return [
    CONTAINER_STATE_TEXT[v.state],
    v.live?.cpuPercent !== undefined ? `CPU ${Math.round(v.live.cpuPercent)}%` : undefined,
    v.live?.memoryBytes !== undefined ? gib(v.live.memoryBytes) : undefined,
    v.origin === 'drift' ? 'not in spec' : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** What `container.create` takes from a spec container (the agent checks every field again). */
export function createPayload(c: ContainerSpec): {
  name: string;
  services?: string[];
  hostAddress?: string;
  localAddress?: string;
  autoStart?: boolean;
} {
  return {
    name: c.name,
    services: c.services,
    autoStart: c.autoStart,
    hostAddress: c.privateNetwork === false ? undefined : c.hostAddress,
    localAddress: c.privateNetwork === false ? undefined : c.localAddress,
  };
}
