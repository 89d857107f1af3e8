// Commands that a host's agent can answer over NATS, with the SSH implementation as the fallback: used by the
// operations commands as `viaAgentOrSsh(host, 'probe', payload, () => sshImplementation())`. Without a NATS
// connection, or when no agent answers for the host, the SSH path runs as before.
import type { AgentCommand } from '../../../core/src/nats/subjects';
import { natsService } from './natsService';

export async function viaAgentOrSsh<T>(host: string, command: AgentCommand, payload: unknown, ssh: () => Promise<T>): Promise<T> {
  const nats = natsService();
  const client = nats?.connection ? nats.commands() : undefined;
  if (!client) return ssh();
  const outcome = await client.run<T>(host, command, payload, ssh);
  nats?.trace(outcome.via === 'nats' ? `${host}: ${command} answered by its agent` : `${host}: ${command} over SSH (${outcome.fallbackReason})`);
  return outcome.result;
}
