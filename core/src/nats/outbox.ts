// The durable outbox in front of the event store: every event the extension or an agent records is written to
// a file before record() returns and leaves it only once the stream has acknowledged it, so an outage, a reload or
// a crash loses nothing. Events are handed to the connection's EventStore one at a time, in order; a retry after
// an unacknowledged publish repeats the event's `Nats-Msg-Id`, which the stream's duplicate window drops, so each
// event is stored once. The file is JSON lines: `{"event": …}` when recorded, `{"acked": id}` when stored; it is
// compacted when it is loaded, when the backlog empties, and when acknowledgements pile up.

import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { type ClusterEvent, createEvent, type EventStore, type NewEvent, UnknownEventActionError, validateEvent } from './events';
import { isEventAction } from './subjects';

export interface EventOutboxOptions {
  /** JSON-lines file keeping the backlog across restarts; undefined keeps it in memory only. */
  file?: string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** Acknowledgement lines that trigger a rewrite of the file while events are still waiting. */
const COMPACT_AFTER_ACKS = 4096;

export class EventOutbox {
  private readonly queue: ClusterEvent[] = [];
  private store: EventStore | undefined;
  private pumping = false;
  private closed = false;
  private fd: number | undefined;
  private acksInFile = 0;
  private readonly listeners = new Set<(backlog: number) => void>();

  constructor(private readonly options: EventOutboxOptions) {
    if (options.file) this.load(options.file);
  }

  /** Events recorded but not yet acknowledged by the stream. */
  get backlog(): number {
    return this.queue.length;
  }

  onBacklog(listener: (backlog: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Creates an event and records it; throws on names that cannot be a subject or an action outside the vocabulary. */
  record<T>(e: NewEvent<T>): ClusterEvent<T> {
    const event = createEvent(e);
    this.add(event);
    return event;
  }

  /** Records an event: on disk before this returns, published when a store is attached and reachable. */
  add(event: ClusterEvent): void {
    const problems = validateEvent(event);
    if (problems.length) throw new Error(`invalid event: ${problems.join('; ')}`);
    if (!isEventAction(event.action)) throw new UnknownEventActionError(event.action);
    if (this.closed) throw new Error(`event ${event.type} (${event.id}) not recorded: the outbox is closed`);
    this.write({ event });
    this.queue.push(event);
    this.changed();
    void this.pump();
  }

  /**
   * Publishes through `store` from now on (the store of the current connection; undefined while there is none).
   * A store that is closed later (its connection replaced) leaves the unpublished events here for the next one.
   */
  attach(store: EventStore | undefined): void {
    this.store = store;
    void this.pump();
  }

  /** Stops publishing; the backlog stays in the file for the next start. */
  close(): void {
    this.closed = true;
    this.store = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let store: EventStore | undefined;
    try {
      while (this.queue.length && !this.closed && (store = this.store) && !store.isClosed) {
        const head = this.queue[0];
        try {
          await store.append(head);
        } catch (err) {
          // Its connection was replaced: the next store publishes it (the same Nats-Msg-Id, so at most once).
          if (store.isClosed || store !== this.store || this.closed) break;
          // Refused for good (permissions, size, vocabulary): keeping it would hold back every later event.
          this.options.log('error', `event ${head.type} (${head.id}) dropped: ${(err as Error).message}`);
        }
        if (this.queue[0] === head) {
          this.queue.shift();
          this.acknowledged(head);
        }
      }
    } finally {
      this.pumping = false;
    }
    // A store attached while the loop was leaving with the old one.
    if (this.store && this.store !== store && this.queue.length && !this.closed) void this.pump();
  }

  private acknowledged(event: ClusterEvent): void {
    if (this.options.file && !this.closed) {
      if (this.queue.length === 0) this.truncate();
      else if (++this.acksInFile >= COMPACT_AFTER_ACKS) this.rewrite(this.options.file);
      else this.write({ acked: event.id });
    }
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l(this.queue.length);
      } catch {
        /* a listener's failure must not stop the others */
      }
    }
  }

  private write(entry: { event: ClusterEvent } | { acked: string }): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }

  private truncate(): void {
    if (this.fd === undefined) return;
    ftruncateSync(this.fd, 0);
    this.acksInFile = 0;
  }

  /** Reads the backlog a previous run left; a line cut short by a crash is reported and skipped. */
  private load(file: string): void {
    mkdirSync(path.dirname(file), { recursive: true });
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const acked = new Set<string>();
    const events: ClusterEvent[] = [];
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as { event?: ClusterEvent; acked?: string };
        if (typeof entry.acked === 'string') acked.add(entry.acked);
        else if (entry.event && validateEvent(entry.event).length === 0) events.push(entry.event);
        else unreadable++;
      } catch {
        unreadable++;
      }
    }
    if (unreadable) this.options.log('warn', `${unreadable} unreadable line(s) in the event outbox ${file} skipped`);
    this.queue.push(...events.filter((e) => !acked.has(e.id)));
    if (this.queue.length) this.options.log('info', `${this.queue.length} event(s) from an earlier session are waiting to be published`);
    this.rewrite(file);
  }

  /** Replaces the file with the backlog alone (written beside it, then renamed over it, so a crash leaves one or the other). */
  private rewrite(file: string): void {
    if (this.fd !== undefined) closeSync(this.fd);
    const tmp = `${file}.tmp`;
    rmSync(tmp, { force: true }); // 'wx' below then never writes through whatever was left at that name
    writeFileSync(tmp, this.queue.map((event) => `${JSON.stringify({ event })}\n`).join(''), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
    this.fd = openSync(file, 'a', 0o600);
    this.acksInFile = 0;
  }
}
