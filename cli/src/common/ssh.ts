// SSH for the command line: host keys only from the spec's `ssh.hostKey` or a known_hosts file (an unknown key is
// refused: there is nobody to ask in CI), the SSH agent, and an identity's passphrase from a file named by
// GPU_CLUSTER_SSH_PASSPHRASE_FILE (never from the spec or the command line).

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SshPool, type HostKeyPolicy } from '#core/ssh';

export const SSH_HELP =
  '  --known-hosts FILE  known_hosts file for hosts without ssh.hostKey (default ~/.ssh/known_hosts)\n' +
  "  SSH: the agent (SSH_AUTH_SOCK) and the spec's identity; its passphrase from the file GPU_CLUSTER_SSH_PASSPHRASE_FILE names.\n";

export function cliSshPool(knownHosts: string | undefined, env: NodeJS.ProcessEnv = process.env): SshPool {
  const files = [knownHosts ?? path.join(os.homedir(), '.ssh', 'known_hosts')];
  const policy: HostKeyPolicy = {
    knownHostsFiles: () => files,
    // refusing makes the pool fail with its host-key error, which says which key and where to pin it
    confirmUnknownKey: async () => false,
  };
  const passphraseFile = env.GPU_CLUSTER_SSH_PASSPHRASE_FILE;
  return new SshPool({
    policy,
    auth: {
      agent: env.SSH_AUTH_SOCK ?? '',
      passphrase: async () => (passphraseFile ? readFileSync(passphraseFile, 'utf8').replace(/\r?\n$/, '') : undefined),
    },
  });
}
