// systemd units of the services the generated NixOS modules define (nix-templates/), by role.

import type { Role } from '../spec/types';

// The checkpoint-agent role installs tools (cuda-checkpoint, criu), not a long-running unit.
export type ServiceKey = 'exo' | 'nats' | 'k3s';

export const SERVICE_UNITS: Record<ServiceKey, string> = {
  exo: 'exo.service',
  nats: 'nats.service',
  k3s: 'k3s.service',
};

/** The services a host runs, from its roles. */
export function servicesForRoles(roles: readonly Role[] | undefined): ServiceKey[] {
  const keys = new Set<ServiceKey>();
  for (const role of roles ?? []) {
    if (role.startsWith('exo-')) keys.add('exo');
    else if (role.startsWith('nats-')) keys.add('nats');
    else if (role.startsWith('k3s-')) keys.add('k3s');
  }
  return [...keys];
}
