// Commands to a host: ask its agent over NATS request/reply when one answers, otherwise run the SSH fallback
// the caller supplies (core/src/ops). "No agent" (not connected, no responders) always falls back; a timeout
// falls back only for commands that are safe to run twice, since the agent may still be working on it.

import { headers, RequestError, type NatsConnection } from '@nats-io/transport-node';
import { ServiceErrorCodeHeader, ServiceErrorHeader } from '@nats-io/services';
import { CAUSATION_HEADER, CORRELATION_HEADER } from './events';
import { Subjects, type AgentCommand } from './subjects';

/** Commands that can be repeated without harm if an agent's reply was merely slow. */
const IDEMPOTENT: ReadonlySet<AgentCommand> = new Set(['probe', 'checkpoint.list', 'exo.stop', 'container.list', 'container.status']);

/** Error code an agent answers with for a command it cannot run on its host; the caller then uses SSH. */
export const NOT_HANDLED_BY_AGENT = 501;

export class AgentCommandError extends Error {
  constructor(
    readonly host: string,
    readonly command: AgentCommand,
    readonly code: number,
    message: string,
  ) {
    super(`${host}: ${command} failed on the agent: ${message}`);
    this.name = 'AgentCommandError';
  }
}

export interface CommandOptions {
  timeoutMs?: number;
  /** The operation this command belongs to (sent as X-Correlation-ID / X-Causation-ID). */
  correlationId?: string;
  causationId?: string;
}

export interface CommandOutcome<T> {
  via: 'nats' | 'ssh';
  result: T;
  /** Why the SSH fallback was used. */
  fallbackReason?: string;
}

export class AgentCommandClient {
  private readonly subjects: Subjects;
  constructor(
    private readonly connection: () => NatsConnection | undefined,
    domain: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.subjects = new Subjects(domain);
  }

  /** Sends `command` to `host`'s agent; on "no agent" runs `fallback` (usually the SSH implementation). */
  async run<T>(
    host: string,
    command: AgentCommand,
    payload: unknown,
    fallback: (reason: string) => Promise<T>,
    options: CommandOptions = {},
  ): Promise<CommandOutcome<T>> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const subject = this.subjects.command(host, command);
    const nc = this.connection();
    if (!nc || nc.isClosed()) {
      const reason = 'not connected to NATS';
      return { via: 'ssh', result: await fallback(reason), fallbackReason: reason };
    }
    let reply;
    try {
      const h = headers();
      // The agent appends its events under the caller's operation.
      if (options.correlationId) h.set(CORRELATION_HEADER, options.correlationId);
      if (options.causationId) h.set(CAUSATION_HEADER, options.causationId);
      reply = await nc.request(subject, JSON.stringify(payload ?? {}), { timeout: timeoutMs, headers: h });
    } catch (err) {
      const reason = noAgentReason(err, command, timeoutMs);
      if (!reason) throw err;
      return { via: 'ssh', result: await fallback(reason), fallbackReason: reason };
    }
    const error = reply.headers?.get(ServiceErrorHeader);
    if (error) {
      const code = Number(reply.headers?.get(ServiceErrorCodeHeader) || 500);
      // 501: the agent does not handle this command on its host (e.g. checkpoints not configured): use SSH.
      if (code === NOT_HANDLED_BY_AGENT) {
        const reason = `the agent does not handle ${command}: ${error}`;
        return { via: 'ssh', result: await fallback(reason), fallbackReason: reason };
      }
      throw new AgentCommandError(host, command, code, error);
    }
    return { via: 'nats', result: (reply.data.length ? reply.json() : undefined) as T };
  }
}

function noAgentReason(err: unknown, command: AgentCommand, timeoutMs: number): string | undefined {
  if (err instanceof RequestError && err.isNoResponders()) return 'no agent answers on NATS';
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  if (/no responders/i.test(text)) return 'no agent answers on NATS';
  if (/closed|draining|disconnect/i.test(text)) return 'the NATS connection dropped';
  if (/timeout/i.test(text) && IDEMPOTENT.has(command)) return `the agent did not answer within ${timeoutMs} ms`;
  return undefined;
}
