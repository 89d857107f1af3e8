// The NATS subject hierarchy of a cluster, in one place. Every token that comes from the spec (domain, host
// names) or from a caller (aggregate, action) is validated, so a value such as `gpu-01.>` or `*` can never
// widen a subscription or a permission.
//
//   {domain}.events.{aggregate}.{action}        durable cluster events (JetStream stream {DOMAIN}_EVENTS)
//   {domain}.events.{host}.telemetry            live agent samples (core NATS, never stored)
//   {domain}.commands.{host}.{command}          request/reply to a host's agent (command may hold dots)
//   {domain}.containers.{host}.{name}.>         a container's own subjects (its NATS user's; docs/nats.md)
//
// `{aggregate}` is the id of the aggregate the event is about: a host name for host events, or `cluster`
// for cluster-wide ones (flake generation, multi-host exo launches).
//
// Telemetry shares the `events` branch, so the stream cannot capture `{domain}.events.>` (NATS 2.9 has no
// exclusions): it captures one subject per action of the closed vocabulary below, and `telemetry` is never one.

export const CLUSTER_AGGREGATE = 'cluster';

/** Every event action the cluster knows; the event stream stores exactly these. Add new actions here. */
export const EVENT_ACTIONS = [
  'flake-generated',
  'deploy-started',
  'deploy-phase',
  'deployed',
  'deploy-failed',
  'deploy-cancelled',
  'exo-starting',
  'exo-started',
  'exo-stopped',
  'exo-failed',
  'exo-start-failed',
  'exo-stop-failed',
  'checkpoint-created',
  'checkpoint-restored',
  'checkpoint-create-failed',
  'checkpoint-restore-failed',
  'checkpoint-uploaded',
  'facter-report-stored',
  'agent-started',
  'gpu-added',
  'gpu-missing',
  'container-creating',
  'container-created',
  'container-started',
  'container-stopped',
  'container-destroyed',
  'container-failed',
  'container-drift',
  'rollout-started',
  'rollout-step',
  'rollout-finished',
] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

/** The last token of a host's telemetry subject; reserved, so it can never be an event action. */
export const TELEMETRY_TOKEN = 'telemetry';

export function isEventAction(action: string): action is EventAction {
  return (EVENT_ACTIONS as readonly string[]).includes(action);
}

export const AGENT_COMMANDS = [
  'probe',
  'exo.start',
  'exo.stop',
  'checkpoint.create',
  'checkpoint.restore',
  'checkpoint.list',
  'container.create',
  'container.start',
  'container.stop',
  'container.destroy',
  'container.list',
  'container.status',
] as const;
export type AgentCommand = (typeof AGENT_COMMANDS)[number];

export class SubjectTokenError extends Error {
  constructor(
    readonly what: string,
    readonly value: string,
    reason: string,
  ) {
    super(`invalid ${what} ${JSON.stringify(value)} for a NATS subject: ${reason}`);
    this.name = 'SubjectTokenError';
  }
}

// NATS tokens may not hold whitespace, `.`, `*` or `>`; we also keep them printable ASCII so they survive
// permissions files and JetStream API names.
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Returns `value` if it is a single safe subject token, throws a SubjectTokenError otherwise. */
export function token(what: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new SubjectTokenError(what, String(value), 'it is empty');
  if (value.length > 64) throw new SubjectTokenError(what, value, 'it is longer than 64 characters');
  if (value.includes('*') || value.includes('>')) throw new SubjectTokenError(what, value, 'wildcards `*` and `>` are not allowed');
  if (value.includes('.')) throw new SubjectTokenError(what, value, 'a dot would split it into several tokens');
  if (!TOKEN.test(value)) throw new SubjectTokenError(what, value, 'only letters, digits, `-` and `_` are allowed');
  return value;
}

/** A dotted domain (`lab`, `lab.example`) becomes one token: `lab_example`. */
export function domainToken(domain: string): string {
  if (typeof domain !== 'string' || domain.trim() === '') throw new SubjectTokenError('domain', String(domain), 'it is empty');
  return token('domain', domain.trim().toLowerCase().replace(/\./g, '_'));
}

/** JetStream names (streams, buckets) are upper-cased domain tokens: `LAB_EVENTS`. */
export function streamName(domain: string): string {
  return `${domainToken(domain).toUpperCase()}_EVENTS`;
}

export function bucketName(domain: string, kind: 'facter' | 'checkpoints'): string {
  return `${domainToken(domain)}_${kind}`;
}

export class Subjects {
  readonly prefix: string;
  constructor(domain: string) {
    this.prefix = domainToken(domain);
  }

  event(aggregate: string, action: string): string {
    return `${this.prefix}.events.${token('aggregate', aggregate)}.${token('action', action)}`;
  }
  /** What the event stream stores: one subject per known action, any aggregate (never telemetry). */
  eventStreamSubjects(): string[] {
    return EVENT_ACTIONS.map((action) => `${this.prefix}.events.*.${action}`);
  }
  /** True for a stream subject of this domain's shape `{domain}.events.*.{action}` (telemetry excluded). */
  isEventStreamSubject(subject: string): boolean {
    const parts = subject.split('.');
    return (
      parts.length === 4 &&
      parts[0] === this.prefix &&
      parts[1] === 'events' &&
      parts[2] === '*' &&
      parts[3] !== TELEMETRY_TOKEN &&
      TOKEN.test(parts[3])
    );
  }
  /**
   * The consumer filter subject for an aggregate and action, or undefined for the whole stream. NATS 2.9 accepts a
   * filter only if it is a subset of one stream subject (`{domain}.events.*.{action}`), so a filter needs a known
   * action; without one, callers filter by aggregate client-side.
   */
  eventFilter(aggregate?: string, action?: string): string | undefined {
    if (!action || !isEventAction(action)) return undefined;
    return `${this.prefix}.events.${aggregate ? token('aggregate', aggregate) : '*'}.${action}`;
  }
  /** What a host (or its agent) may publish: the host's own aggregate, its events and its telemetry. */
  hostEvents(host: string): string {
    return `${this.prefix}.events.${token('host', host)}.>`;
  }
  telemetry(host: string): string {
    return `${this.prefix}.events.${token('host', host)}.${TELEMETRY_TOKEN}`;
  }
  allTelemetry(): string {
    return `${this.prefix}.events.*.${TELEMETRY_TOKEN}`;
  }
  command(host: string, command: AgentCommand): string {
    if (!AGENT_COMMANDS.includes(command)) throw new SubjectTokenError('command', command, `expected one of ${AGENT_COMMANDS.join(', ')}`);
    return `${this.prefix}.commands.${token('host', host)}.${command}`;
  }
  hostCommands(host: string): string {
    return `${this.prefix}.commands.${token('host', host)}.>`;
  }
  /** Inbox prefix of a host's agent, so its permission to receive replies covers only its own inboxes. */
  agentInboxPrefix(host: string): string {
    return `_INBOX_${this.prefix}_${token('host', host)}`;
  }

  /** A container's own subjects (`{domain}.containers.{host}.{name}.>`): what it may always publish and subscribe to. */
  containerSubjects(host: string, name: string): string {
    return `${this.prefix}.containers.${token('host', host)}.${token('container', name)}.>`;
  }
  /** Inbox prefix of a container's requests, so it reads replies only on its own inboxes. */
  containerInboxPrefix(host: string, name: string): string {
    return `_INBOX_${this.prefix}_${token('host', host)}_${token('container', name)}`;
  }

  /** Splits an event subject back into its aggregate and action; undefined for other subjects and telemetry. */
  parseEvent(subject: string): { aggregate: string; action: string } | undefined {
    const parts = subject.split('.');
    if (parts.length !== 4 || parts[0] !== this.prefix || parts[1] !== 'events' || parts[3] === TELEMETRY_TOKEN) return undefined;
    return { aggregate: parts[2], action: parts[3] };
  }
  /** The host of a telemetry subject, or undefined. */
  parseTelemetry(subject: string): string | undefined {
    const parts = subject.split('.');
    return parts.length === 4 && parts[0] === this.prefix && parts[1] === 'events' && parts[3] === TELEMETRY_TOKEN ? parts[2] : undefined;
  }
}
