// Where and how to reach a host of the spec: its effective SSH settings, an identity relative to the spec's folder,
// jump hosts resolved by name (a loop is an error). One answer for the editor's operations and the CLI.

import path from 'node:path';
import { effectiveSsh } from '../spec/resolve';
import type { ClusterSpec, HostSpec } from '../spec/types';
import type { SshEndpoint } from './connection';

export function hostEndpoint(spec: ClusterSpec, specFile: string, host: HostSpec, seen: string[] = []): SshEndpoint {
  if (seen.includes(host.name)) throw new Error(`The jump hosts of ${seen[0]} loop: ${[...seen, host.name].join(' → ')}.`);
  const ssh = effectiveSsh(spec, host);
  if (!ssh.address) throw new Error(`${host.name} has no address to connect to (addresses or ssh.address).`);
  const identity =
    ssh.identity && !ssh.identity.startsWith('~') && !path.isAbsolute(ssh.identity)
      ? path.resolve(path.dirname(specFile), ssh.identity)
      : ssh.identity;
  let jump: SshEndpoint | undefined;
  if (ssh.jump) {
    const via = spec.hosts.find((h) => h.name === ssh.jump);
    if (!via) throw new Error(`There is no host "${ssh.jump}" in the spec.`);
    jump = hostEndpoint(spec, specFile, via, [...seen, host.name]);
  }
  return { name: host.name, address: ssh.address, port: ssh.port, user: ssh.user, identity, hostKey: ssh.hostKey, jump };
}
