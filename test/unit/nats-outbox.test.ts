// The event outbox's file (what survives a reload or a crash) and the reconnect delay policy, without a server.
// The outbox's publishing against a real nats-server is in test/integration/nats-outages.test.ts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reconnectDelay } from '../../core/src/nats/connection';
import {
  AppendAbortedError,
  createEvent,
  type AppendResult,
  type ClusterEvent,
  type EventStore,
  UnknownEventActionError,
} from '../../core/src/nats/events';
import { type EventAction, EventOutbox } from '#core/nats';

const dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Stands in for a connection's EventStore at the outbox's edge: acknowledges what `accept` lets through, refuses
 * the rest for good, and can be closed as when its connection is replaced.
 */
class RecordingStore {
  readonly stored: ClusterEvent[] = [];
  isClosed = false;
  private pending: (() => void)[] = [];
  constructor(
    private readonly accept: (e: ClusterEvent) => boolean = () => true,
    private readonly hold = false,
  ) {}
  append(event: ClusterEvent): Promise<AppendResult> {
    if (this.isClosed) return Promise.reject(new AppendAbortedError(event, 'closed'));
    return new Promise((resolve, reject) => {
      const settle = () => {
        if (this.isClosed) return reject(new AppendAbortedError(event, 'closed'));
        if (!this.accept(event)) return reject(new AppendAbortedError(event, 'Permissions Violation'));
        this.stored.push(event);
        resolve({ seq: this.stored.length, duplicate: false, attempts: 1 });
      };
      if (this.hold) this.pending.push(settle);
      else setImmediate(settle);
    });
  }
  close(): void {
    this.isClosed = true;
    for (const p of this.pending.splice(0)) p();
  }
}
const asStore = (s: RecordingStore) => s as unknown as EventStore;
const event = (n: number, action: EventAction = 'deploy-phase') =>
  createEvent({ aggregate: 'gpu-01', action, data: { n }, source: 'extension' });
/** Waits (at most 5 s) until `done` holds; the outbox publishes asynchronously. */
async function settled(done: () => boolean): Promise<void> {
  for (const end = Date.now() + 5000; !done() && Date.now() < end;) await new Promise((r) => setTimeout(r, 5));
}

describe('event outbox', () => {
  it('keeps unpublished events in its file across a restart, in order, and empties the file once they are stored', async () => {
    const file = path.join(dir, 'a', 'outbox.jsonl');
    const logs: string[] = [];
    const first = new EventOutbox({ file, log: (_l, m) => logs.push(m) });
    const recorded = [event(1), event(2), event(3)];
    for (const e of recorded) first.add(e);
    assert.equal(first.backlog, 3);
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 3, 'on disk before add() returns');
    first.close();

    const second = new EventOutbox({ file, log: (_l, m) => logs.push(m) });
    assert.equal(second.backlog, 3);
    assert.ok(logs.some((m) => /3 event\(s\) from an earlier session/.test(m)));
    const backlogs: number[] = [];
    second.onBacklog((n) => backlogs.push(n));
    const store = new RecordingStore();
    second.attach(asStore(store));
    await settled(() => second.backlog === 0);
    assert.deepEqual(
      store.stored.map((e) => e.id),
      recorded.map((e) => e.id),
    );
    assert.deepEqual(backlogs, [2, 1, 0]);
    assert.equal(readFileSync(file, 'utf8'), '');
    second.close();
  });

  it('drops acknowledged events from the file, skips a line cut short by a crash, and reports it', () => {
    const file = path.join(dir, 'b.jsonl');
    const [a, b, c] = [event(1), event(2), event(3)];
    writeFileSync(file, [a, b, c].map((e) => JSON.stringify({ event: e })).join('\n') + '\n' + JSON.stringify({ acked: a.id }) + '\n');
    appendFileSync(file, '{"event": {"id": "cut'); // a crash in the middle of a write
    const logs: string[] = [];
    const outbox = new EventOutbox({ file, log: (level, m) => logs.push(`${level} ${m}`) });
    assert.equal(outbox.backlog, 2);
    assert.ok(
      logs.some((m) => /^warn 1 unreadable line/.test(m)),
      logs.join('\n'),
    );
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: ClusterEvent });
    assert.deepEqual(
      lines.map((l) => l.event.id),
      [b.id, c.id],
      'compacted on load',
    );
    outbox.close();
  });

  it('refuses what the stream would never store, and drops an event the server refuses for good with an error', async () => {
    const outbox = new EventOutbox({ log: () => undefined });
    assert.throws(() => outbox.add({ ...event(1), action: 'not-an-action', type: 'host.not-an-action' }), UnknownEventActionError);
    assert.throws(() => outbox.add({ ...event(1), aggregate: 'a.b' }), /invalid event/);
    assert.equal(outbox.backlog, 0);
    const errors: string[] = [];
    const refusing = new EventOutbox({
      log: (level, m) => {
        if (level === 'error') errors.push(m);
      },
    });
    const bad = event(1, 'deployed');
    refusing.add(bad);
    refusing.add(event(2));
    const store = new RecordingStore((e) => e.id !== bad.id);
    refusing.attach(asStore(store));
    await settled(() => refusing.backlog === 0);
    assert.equal(store.stored.length, 1, 'the later event is not held back');
    assert.match(errors.join('\n'), new RegExp(`event host.deployed \\(${bad.id}\\) dropped: .*Permissions Violation`));
  });

  it("hands the event in flight to the next connection's store when the old one closes", async () => {
    const outbox = new EventOutbox({ log: () => undefined });
    const old = new RecordingStore(() => true, true);
    outbox.attach(asStore(old));
    const events = [event(1), event(2)];
    for (const e of events) outbox.add(e);
    await new Promise((r) => setImmediate(r)); // the first event is now in flight on the old store
    const next = new RecordingStore();
    old.close();
    outbox.attach(asStore(next));
    await settled(() => outbox.backlog === 0);
    assert.deepEqual(
      next.stored.map((e) => e.id),
      events.map((e) => e.id),
    );
    assert.equal(outbox.backlog, 0);
  });
});

describe('reconnect delay', () => {
  it('starts short, grows with the outage, never exceeds the cap, and jitter only shortens it', () => {
    assert.equal(reconnectDelay(0, 0), 100);
    assert.equal(reconnectDelay(0, 1), 50);
    assert.ok(reconnectDelay(2000, 0) > reconnectDelay(500, 0));
    for (const elapsed of [0, 1000, 60_000, 3600_000, 7 * 24 * 3600_000]) {
      for (const jitter of [0, 0.3, 0.999]) {
        const d = reconnectDelay(elapsed, jitter);
        assert.ok(d >= 50 && d <= 1000, `${d} ms after ${elapsed} ms with jitter ${jitter}`);
      }
    }
    assert.equal(reconnectDelay(3600_000, 0), 1000, 'an hour-long outage is still retried every second');
    assert.equal(reconnectDelay(3600_000, 0.5, 100, 400), 300);
  });
});
