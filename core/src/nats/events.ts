// The cluster's event store: one JetStream stream, `{DOMAIN}_EVENTS`, holding `{domain}.events.{aggregate}.{action}`
// for the actions of the closed vocabulary (EVENT_ACTIONS) only, so telemetry on `{domain}.events.{host}.telemetry`
// never enters it. An action outside the vocabulary is refused at append, rather than retried against a stream
// that would never acknowledge it.
// Appends go through an ordered outbox: each event is published with `Nats-Msg-Id` = its id and retried until
// the stream acknowledges it, so a server restart in the middle of a burst neither loses nor duplicates nor
// reorders events. A retry waiting out a disconnect is woken when the client reconnects, and a stream that has
// gone missing (a server restarted with an empty store) is created again (createStream) before the next try.
// The durable, on-disk outbox in front of this one is EventOutbox (./outbox). History is read in pages (newest first) with short-lived filtered consumers; live events
// arrive through an ordered consumer that survives reconnects.

import { headers, nuid, type MsgHdrs, type NatsConnection, type Status } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { CLUSTER_AGGREGATE, EVENT_ACTIONS, type EventAction, isEventAction, streamName, Subjects, token } from './subjects';

export type AggregateType = 'host' | 'cluster';

export interface ClusterEvent<T = unknown> {
  /** Unique id (NUID); also the `Nats-Msg-Id` that de-duplicates retried publishes. */
  id: string;
  /** `{aggregateType}.{action}`, e.g. `host.deployed`. */
  type: string;
  aggregateType: AggregateType;
  /** Subject token of the aggregate: a host name, or `cluster`. */
  aggregate: string;
  action: string;
  /** ISO-8601 UTC. */
  timestamp: string;
  /** The operation this event belongs to (all events of one deploy share it). */
  correlationId: string;
  /** The event or command that caused this one. */
  causationId: string;
  /** Who appended it: `extension`, `agent:<host>`, `cli`. */
  source: string;
  data: T;
}

/** An event read back from the stream, with its stream sequence. */
export interface StoredEvent<T = unknown> extends ClusterEvent<T> {
  seq: number;
}

export const CORRELATION_HEADER = 'X-Correlation-ID';
export const CAUSATION_HEADER = 'X-Causation-ID';
export const EVENT_TYPE_HEADER = 'X-Event-Type';

export interface NewEvent<T = unknown> {
  aggregate: string;
  action: EventAction;
  data: T;
  source: string;
  /** Defaults to the new event's own id (it starts a chain). */
  correlationId?: string;
  /** Defaults to the correlation id. */
  causationId?: string;
  aggregateType?: AggregateType;
}

export function createEvent<T>(e: NewEvent<T>): ClusterEvent<T> {
  const id = nuid.next();
  const aggregate = token('aggregate', e.aggregate);
  const action = token('action', e.action);
  const aggregateType = e.aggregateType ?? (aggregate === CLUSTER_AGGREGATE ? 'cluster' : 'host');
  const correlationId = e.correlationId ?? id;
  return {
    id,
    type: `${aggregateType}.${action}`,
    aggregateType,
    aggregate,
    action,
    timestamp: new Date().toISOString(),
    correlationId,
    causationId: e.causationId ?? correlationId,
    source: e.source,
    data: e.data,
  };
}

/** Checks an event's shape; returns the problems (empty when valid). */
export function validateEvent(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['event is not an object'];
  const v = value as Record<string, unknown>;
  for (const key of ['id', 'type', 'aggregate', 'action', 'timestamp', 'correlationId', 'causationId', 'source'] as const) {
    if (typeof v[key] !== 'string' || v[key] === '') problems.push(`${key} must be a non-empty string`);
  }
  if (v.aggregateType !== 'host' && v.aggregateType !== 'cluster') problems.push('aggregateType must be "host" or "cluster"');
  if (!('data' in v)) problems.push('data is missing');
  if (typeof v.timestamp === 'string' && Number.isNaN(Date.parse(v.timestamp))) problems.push('timestamp is not a date');
  for (const key of ['aggregate', 'action'] as const) {
    if (typeof v[key] === 'string' && v[key] !== '') {
      try {
        token(key, v[key] as string);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
  }
  if (
    typeof v.type === 'string' &&
    typeof v.action === 'string' &&
    typeof v.aggregateType === 'string' &&
    v.type !== `${v.aggregateType}.${v.action}`
  )
    problems.push('type must be "{aggregateType}.{action}"');
  return problems;
}

export function eventHeaders(event: ClusterEvent): MsgHdrs {
  const h = headers();
  h.set(CORRELATION_HEADER, event.correlationId);
  h.set(CAUSATION_HEADER, event.causationId);
  h.set(EVENT_TYPE_HEADER, event.type);
  return h;
}

export interface EventStreamLimits {
  maxAgeMs: number;
  maxBytes: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped; must exceed the longest server outage we retry through. */
  duplicateWindowMs: number;
  maxMsgSize: number;
}

export const DEFAULT_EVENT_LIMITS: EventStreamLimits = {
  maxAgeMs: 90 * 24 * 3600_000,
  maxBytes: 1024 ** 3,
  duplicateWindowMs: 10 * 60_000,
  maxMsgSize: 1024 ** 2,
};

export interface EventFilter {
  aggregate?: string;
  action?: string;
  /** ISO time or ms since epoch. */
  since?: string | number;
  until?: string | number;
  /** Matches correlationId. */
  correlationId?: string;
}

export interface EventPage {
  events: StoredEvent[];
  /** Pass as `before` to get the next (older) page; undefined when this was the oldest. */
  nextBefore?: number;
}

export interface AppendResult {
  seq: number;
  duplicate: boolean;
  attempts: number;
}

export class UnknownEventActionError extends Error {
  constructor(readonly action: string) {
    super(
      `event action ${JSON.stringify(action)} is not in the event vocabulary, so the event stream would not store it ` +
        `(known actions: ${EVENT_ACTIONS.join(', ')}; add new ones to EVENT_ACTIONS in core/src/nats/subjects.ts)`,
    );
    this.name = 'UnknownEventActionError';
  }
}

export class AppendAbortedError extends Error {
  constructor(
    readonly event: ClusterEvent,
    reason: string,
  ) {
    super(`event ${event.type} (${event.id}) not appended: ${reason}`);
    this.name = 'AppendAbortedError';
  }
}

const nanos = (ms: number) => ms * 1_000_000;
const timeOf = (t: string | number | undefined) => (t === undefined ? undefined : typeof t === 'number' ? t : Date.parse(t));
/** JetStream API error code of "stream not found" and of "stream name already in use". */
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
/**
 * nats.js's error when nobody answered a JetStream request or publish: JetStreamNotEnabled, "jetstream is not
 * enabled" (@nats-io/jetstream 3.x lib/jserrors.js; the class is not exported by the package's main entry).
 */
const noJetStreamAnswer = (err: unknown): err is Error => err instanceof Error && err.name === 'JetStreamNotEnabled';

interface Pending {
  event: ClusterEvent;
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
}

export class EventStore {
  readonly subjects: Subjects;
  readonly stream: string;
  private readonly js: JetStreamClient;
  private jsmPromise: Promise<JetStreamManager> | undefined;
  private readonly outbox: Pending[] = [];
  private pumping = false;
  private closed = false;
  /** Ends the wait of a retry early (on reconnect, on close). */
  private wakeRetry: (() => void) | undefined;
  private readonly statuses: AsyncIterable<Status> & { stop?(): void };

  constructor(
    private readonly nc: NatsConnection,
    domain: string,
    private readonly options: {
      limits?: Partial<EventStreamLimits>;
      /** Per-attempt ack timeout. */
      ackTimeoutMs?: number;
      /** Give up on an event after this long (default: never, only on close()). */
      giveUpAfterMs?: number;
      onRetry?: (event: ClusterEvent, attempt: number, error: unknown) => void;
      /** The stream did not exist (a new server, or one that lost its store) and this store created it. */
      onStreamCreated?: (stream: string) => void;
    } = {},
  ) {
    this.subjects = new Subjects(domain);
    this.stream = streamName(domain);
    this.js = jetstream(nc, { timeout: options.ackTimeoutMs ?? 2000 });
    this.statuses = nc.status();
    void this.wakeOnReconnect();
  }

  /** True once close() was called: append() refuses, and events it held were rejected. */
  get isClosed(): boolean {
    return this.closed;
  }

  private async wakeOnReconnect(): Promise<void> {
    try {
      for await (const s of this.statuses) if (s.type === 'reconnect') this.wakeRetry?.();
    } catch {
      /* the connection closed */
    }
  }

  /** Waits `ms` before the next publish attempt, or less if the client reconnects (or the store closes) meanwhile. */
  private waitBeforeRetry(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeRetry = done;
    });
  }

  private jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= jetstreamManager(this.nc, { checkAPI: false });
    return this.jsmPromise;
  }

  /**
   * Creates the stream, or brings an existing one to the configured limits and adds the subjects of actions it
   * lacks. Action subjects it already has are kept (a newer extension or agent may know more actions than this
   * one); a catch-all such as `{domain}.events.>` is replaced, since it would store telemetry.
   */
  async ensureStream(): Promise<void> {
    const config = this.streamConfig();
    const jsm = await this.jsm();
    try {
      const existing = (await jsm.streams.info(this.stream)).config.subjects ?? [];
      const kept = existing.filter((subject) => this.subjects.isEventStreamSubject(subject) && !config.subjects!.includes(subject));
      config.subjects = [...config.subjects!, ...kept];
      await jsm.streams.update(this.stream, config);
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== STREAM_NOT_FOUND) throw err;
      await jsm.streams.add(config);
      this.options.onStreamCreated?.(this.stream);
    }
  }

  /**
   * Creates the stream if it does not exist (and leaves an existing one alone). Needs only the permission to
   * create this one stream, which agents have (permissions.ts); returns true when it created it.
   */
  async createStream(): Promise<boolean> {
    try {
      await (await this.jsm()).streams.add(this.streamConfig());
      return true;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE) return false;
      throw err;
    }
  }

  private streamConfig(): Partial<StreamConfig> & { name: string } {
    const limits = { ...DEFAULT_EVENT_LIMITS, ...this.options.limits };
    return {
      name: this.stream,
      subjects: this.subjects.eventStreamSubjects(),
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(limits.maxAgeMs),
      max_bytes: limits.maxBytes,
      max_msg_size: limits.maxMsgSize,
      duplicate_window: nanos(limits.duplicateWindowMs),
      allow_direct: true,
      // An event log is append-only: nobody deletes or purges single events (limits still expire old ones).
      deny_delete: true,
      deny_purge: true,
    };
  }

  /** Appends an event; resolves once the stream has it (retrying through disconnects), in call order. */
  append(event: ClusterEvent): Promise<AppendResult> {
    const problems = validateEvent(event);
    if (problems.length) return Promise.reject(new Error(`invalid event: ${problems.join('; ')}`));
    if (!isEventAction(event.action)) return Promise.reject(new UnknownEventActionError(event.action));
    if (this.closed) return Promise.reject(new AppendAbortedError(event, 'the event store is closed'));
    return new Promise((resolve, reject) => {
      this.outbox.push({ event, resolve, reject });
      void this.pump();
    });
  }

  /** Events not yet acknowledged. */
  get pending(): number {
    return this.outbox.length;
  }

  /** Stops appending; events still in the outbox are rejected. */
  close(): void {
    this.closed = true;
    this.statuses.stop?.();
    this.wakeRetry?.();
    for (const p of this.outbox.splice(0))
      p.reject(new AppendAbortedError(p.event, 'the event store was closed before the server acknowledged it'));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.outbox.length && !this.closed) {
        const head = this.outbox[0];
        try {
          const result = await this.publishUntilAcked(head.event);
          if (this.outbox[0] === head) this.outbox.shift();
          head.resolve(result);
        } catch (err) {
          if (this.outbox[0] === head) this.outbox.shift();
          head.reject(err as Error);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async publishUntilAcked(event: ClusterEvent): Promise<AppendResult> {
    const subject = this.subjects.event(event.aggregate, event.action);
    const body = new TextEncoder().encode(JSON.stringify(event));
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new AppendAbortedError(event, 'the event store was closed');
      try {
        const ack = await this.js.publish(subject, body, { msgID: event.id, headers: eventHeaders(event), retries: 1 });
        return { seq: ack.seq, duplicate: ack.duplicate, attempts: attempt };
      } catch (err) {
        if (isPermanentPublishError(err)) throw new AppendAbortedError(event, (err as Error).message);
        let error = err;
        // nats.js says "jetstream is not enabled" when nobody answers a publish; with JetStream on, that means no
        // stream captures the subject: the server lost its store, or someone deleted the stream.
        if (noJetStreamAnswer(err)) {
          try {
            if (await this.createStream()) {
              this.options.onStreamCreated?.(this.stream);
              continue;
            }
            error = new Error(`the event stream ${this.stream} exists but did not answer (is the server still starting?)`);
          } catch (createErr) {
            error = noJetStreamAnswer(createErr)
              ? new Error(`JetStream is not enabled on the server (or not for this account): ${createErr.message}`)
              : new Error(`the event stream ${this.stream} is missing and could not be created: ${(createErr as Error).message}`);
          }
        }
        const giveUp = this.options.giveUpAfterMs;
        if (giveUp !== undefined && Date.now() - started > giveUp)
          throw new AppendAbortedError(event, `no acknowledgement after ${giveUp} ms: ${(error as Error).message}`);
        this.options.onRetry?.(event, attempt, error);
        await this.waitBeforeRetry(Math.min(5000, 50 * 2 ** Math.min(attempt, 7)));
      }
    }
  }

  /** Newest-first page of events matching the filter, strictly older than `before` (a stream sequence). */
  async page(filter: EventFilter = {}, options: { before?: number; limit?: number } = {}): Promise<EventPage> {
    const limit = Math.max(1, options.limit ?? 50);
    const jsm = await this.jsm();
    const state = (await jsm.streams.info(this.stream)).state;
    if (state.messages === 0) return { events: [] };
    let end = Math.min(state.last_seq, (options.before ?? Infinity) - 1);
    const since = timeOf(filter.since);
    const collected: StoredEvent[] = [];
    let window = limit * 4;
    let reachedStart = false;
    while (collected.length < limit && end >= state.first_seq) {
      const start = Math.max(state.first_seq, end - window + 1);
      const chunk = await this.readRange(jsm, filter, start, end);
      collected.unshift(...chunk.events);
      if (start === state.first_seq || (since !== undefined && chunk.oldestTime !== undefined && chunk.oldestTime < since)) {
        reachedStart = true;
        break;
      }
      end = start - 1;
      // Sparse matches: read further back in bigger steps, but never hold more than a few thousand at once.
      window = Math.min(window * 2, 4096);
    }
    const events = collected.slice(-limit).reverse();
    const oldest = events[events.length - 1];
    const more = !reachedStart || collected.length > limit;
    return { events, nextBefore: more && oldest ? oldest.seq : undefined };
  }

  /** Reads stream sequences [start, end] that match the subject filter, then applies the other filters. */
  private async readRange(
    jsm: JetStreamManager,
    filter: EventFilter,
    start: number,
    end: number,
  ): Promise<{ events: StoredEvent[]; oldestTime?: number }> {
    const info = await jsm.consumers.add(this.stream, {
      filter_subject: this.subjects.eventFilter(filter.aggregate, filter.action),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
      ack_policy: AckPolicy.None,
      inactive_threshold: nanos(30_000),
      mem_storage: true,
      num_replicas: 1,
    });
    const events: StoredEvent[] = [];
    let oldestTime: number | undefined;
    try {
      const wanted = Math.min(info.num_pending, end - start + 1);
      if (wanted > 0) {
        const consumer = await this.js.consumers.get(this.stream, info.name);
        const messages = await consumer.fetch({ max_messages: wanted, expires: 5000 });
        for await (const m of messages) {
          if (m.seq > end) break;
          const event = decodeEvent(m.data, m.seq);
          if (!event) continue;
          const t = Date.parse(event.timestamp);
          oldestTime = oldestTime === undefined ? t : Math.min(oldestTime, t);
          if (matches(event, filter)) events.push(event);
          if (m.seq === end) break;
        }
      }
    } finally {
      await jsm.consumers.delete(this.stream, info.name).catch(() => undefined);
    }
    return { events, oldestTime };
  }

  /**
   * Follows new events (those after `afterSeq`, default: from now) until the returned stop() is called.
   * Reconnects are handled by the ordered consumer, which resumes after the last delivered sequence.
   */
  async follow(filter: EventFilter, onEvent: (e: StoredEvent) => void, afterSeq?: number): Promise<() => Promise<void>> {
    const startSeq = afterSeq !== undefined ? afterSeq + 1 : (await (await this.jsm()).streams.info(this.stream)).state.last_seq + 1;
    const consumer = await this.js.consumers.get(this.stream, {
      filter_subjects: this.subjects.eventFilter(filter.aggregate, filter.action),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: startSeq,
    });
    const messages: ConsumerMessages = await consumer.consume({ max_messages: 256 });
    const loop = (async () => {
      for await (const m of messages) {
        const event = decodeEvent(m.data, m.seq);
        if (event && matches(event, filter)) {
          try {
            onEvent(event);
          } catch {
            /* the listener's problem; keep following */
          }
        }
      }
    })();
    return async () => {
      await messages.close().catch(() => undefined);
      await loop.catch(() => undefined);
    };
  }

  /** The event at a stream sequence (direct get), or undefined. */
  async get(seq: number): Promise<StoredEvent | undefined> {
    const jsm = await this.jsm();
    const m = await jsm.direct.getMessage(this.stream, { seq }).catch(() => null);
    return m ? decodeEvent(m.data, m.seq) : undefined;
  }
}

function isPermanentPublishError(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /permissions violation|maximum payload|message size exceeds|invalid json|wrong last/i.test(text);
}

export function decodeEvent(data: Uint8Array, seq: number): StoredEvent | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as unknown;
    return validateEvent(parsed).length === 0 ? { ...(parsed as ClusterEvent), seq } : undefined;
  } catch {
    return undefined;
  }
}

export function matches(event: ClusterEvent, filter: EventFilter): boolean {
  if (filter.aggregate && event.aggregate !== filter.aggregate) return false;
  if (filter.action && event.action !== filter.action) return false;
  if (filter.correlationId && event.correlationId !== filter.correlationId) return false;
  const t = Date.parse(event.timestamp);
  const since = timeOf(filter.since);
  const until = timeOf(filter.until);
  if (since !== undefined && t < since) return false;
  if (until !== undefined && t > until) return false;
  return true;
}
