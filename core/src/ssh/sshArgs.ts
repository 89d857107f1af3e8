// Arguments for the OpenSSH client (an interactive terminal), verifying host keys strictly against the
// given known_hosts files. Passed as an argument vector, never through a shell.

import { expandHome, type SshEndpoint } from './connection';
import { formatPublicKey, knownHostsName, parsePublicKey } from './hostKeys';

/** OpenSSH splits UserKnownHostsFile on whitespace unless a path is double-quoted. */
function configValue(path: string): string {
  if (/["\n]/.test(path)) throw new Error(`A known_hosts path cannot contain quotes or newlines: ${path}`);
  return /\s/.test(path) ? `"${path}"` : path;
}

function hostPart(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

export function sshClientArgs(endpoint: SshEndpoint, knownHostsFiles: readonly string[]): string[] {
  if (endpoint.address.startsWith('-') || endpoint.user.startsWith('-'))
    throw new Error(`Refusing an SSH target that looks like an option: ${endpoint.user}@${endpoint.address}`);
  const args = [
    '-p',
    String(endpoint.port),
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsFiles.map(configValue).join(' ')}`,
  ];
  if (endpoint.identity) args.push('-i', expandHome(endpoint.identity));
  const hops: string[] = [];
  for (let j = endpoint.jump; j; j = j.jump) hops.unshift(`${j.user}@${hostPart(j.address)}:${j.port}`);
  if (hops.length) args.push('-J', hops.join(','));
  args.push('--', `${endpoint.user}@${endpoint.address}`);
  return args;
}

/** known_hosts lines for the keys the spec pins (`ssh.hostKey`) on a host and its jump hosts. */
export function pinnedKnownHostsLines(endpoint: SshEndpoint): string[] {
  const lines: string[] = [];
  for (let e: SshEndpoint | undefined = endpoint; e; e = e.jump) {
    if (e.hostKey) lines.push(`${knownHostsName(e.address, e.port)} ${formatPublicKey(parsePublicKey(e.hostKey))}`);
  }
  return lines;
}
