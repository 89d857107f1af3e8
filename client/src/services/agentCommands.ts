// Commands that a host's agent can answer over NATS, with the SSH implementation as the fallback: used by the
// operations commands as `viaAgentOrSsh(host, 'probe', payload, () => sshImplementation())`. Without a NATS
// connection, or when no agent answers for the host, the SSH path runs as before.
import { type AgentCommand, AgentCommandError, type CommandOptions } from '#core/nats';
import type { ExecResult } from '#core/ssh';
import type { NatsService } from './natsService';
import type { OperationEvents } from './operationEvents';

export async function viaAgentOrSsh<T>(
  nats: NatsService,
  host: string,
  command: AgentCommand,
  payload: unknown,
  ssh: () => Promise<T>,
  options?: CommandOptions,
): Promise<T> {
  const client = nats.connection ? nats.commands() : undefined;
  if (!client) return ssh();
  const outcome = await client.run<T>(host, command, payload, ssh, options);
  nats.trace(
    outcome.via === 'nats' ? `${host}: ${command} answered by its agent` : `${host}: ${command} over SSH (${outcome.fallbackReason})`,
  );
  return outcome.result;
}

/**
 * Starts or stops exo's service through the host's agent (`exo.start` / `exo.stop`), or over SSH. The answer has
 * the shape of the SSH command's result, so the caller handles both alike; restart has no agent command.
 */
export async function exoServiceViaAgentOrSsh(
  services: { nats: NatsService; operations: OperationEvents },
  host: string,
  action: 'start' | 'stop' | 'restart',
  ssh: () => Promise<ExecResult>,
): Promise<ExecResult> {
  if (action === 'restart') return ssh();
  try {
    return await viaAgentOrSsh<ExecResult | { unit: string; state: string }>(
      services.nats,
      host,
      action === 'start' ? 'exo.start' : 'exo.stop',
      {},
      ssh,
      services.operations.exoOperation(host),
    ).then((r) => ('code' in r ? r : { code: 0, signal: null, stdout: `${r.unit} ${r.state}`, stderr: '' }));
  } catch (err) {
    if (!(err instanceof AgentCommandError)) throw err;
    return { code: 1, signal: null, stdout: '', stderr: err.message };
  }
}
