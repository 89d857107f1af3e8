// Cluster events from a short job outside the editor and the agent (the CLI's rollouts): the same durable
// EventOutbox and EventStore they use, on a connection of its own. Every event is in the outbox file before
// record() returns; when NATS cannot be reached the events wait there and the next job that reaches it publishes
// them, in order and each once (the outbox's Nats-Msg-Id). A job never fails because NATS is away.

import { connectOnce, describeNatsError, type NatsCredentials, type NatsTls } from './connection';
import { type ClusterEvent, EventStore, type NewEvent } from './events';
import { EventOutbox } from './outbox';

export interface EventPublisherOptions {
  /** The spec's `nats.url` (comma-separated servers). */
  url: string;
  /** `cluster.domain`: the subject prefix. */
  domain: string;
  credentials?: NatsCredentials;
  tls?: NatsTls;
  /** The outbox file: events wait here until the stream has them. */
  outboxFile: string;
  name: string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  connectTimeoutMs?: number;
}

export interface EventPublisher {
  record<T>(event: NewEvent<T>): ClusterEvent<T>;
  /** Why events only wait in the outbox (NATS not reached), or undefined while connected. */
  readonly offline: string | undefined;
  /** Waits up to `timeoutMs` for the stream to have every event, then closes; resolves with those still waiting. */
  finish(timeoutMs: number): Promise<number>;
}

export async function openEventPublisher(options: EventPublisherOptions): Promise<EventPublisher> {
  const outbox = new EventOutbox({ file: options.outboxFile, log: options.log });
  let offline: string | undefined;
  let store: EventStore | undefined;
  const nc = await connectOnce(options.url, {
    credentials: options.credentials,
    tls: options.tls,
    name: options.name,
    timeoutMs: options.connectTimeoutMs,
  }).catch((err: Error) => {
    offline = err.message;
    return undefined;
  });
  if (nc) {
    // No give-up time: an event the stream has not taken when finish() closes the store stays in the outbox file.
    store = new EventStore(nc, options.domain);
    try {
      await store.ensureStream();
      outbox.attach(store);
    } catch (err) {
      offline = describeNatsError(err);
    }
  }
  return {
    record: (event) => outbox.record(event),
    get offline() {
      return offline;
    },
    async finish(timeoutMs) {
      if (!offline && outbox.backlog) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeoutMs);
          const stopListening = outbox.onBacklog((n) => n === 0 && done());
          function done() {
            clearTimeout(timer);
            stopListening();
            resolve();
          }
          if (outbox.backlog === 0) done();
        });
      }
      const left = outbox.backlog;
      outbox.close();
      store?.close();
      await nc?.close();
      return left;
    },
  };
}
