// Public face of core/src/ssh: SSH transport, host-key verification, argv quoting.
// Code outside core imports this module only through `#core/ssh` (checked by scripts/check-imports.mjs).

export {
  type ExecResult,
  expandHome,
  type HostKeyPolicy,
  type SshEndpoint,
  SshError,
  SshPool,
  type SshPoolOptions,
  type UnknownHostKey,
} from './connection';
export { hostEndpoint } from './endpoint';
export { appendKnownHost, knownHostsName } from './hostKeys';
export { sh } from './quote';
export { pinnedKnownHostsLines, sshClientArgs } from './sshArgs';
