// The event store against a real nats-server with JetStream: a restart in the middle of a burst loses,
// duplicates and reorders nothing; duplicate publishes are dropped; paging, filters and live follow work.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { NatsConnectionManager } from '../../core/src/nats/connection';
import { createEvent, CORRELATION_HEADER, CAUSATION_HEADER, EventStore, type StoredEvent } from '../../core/src/nats/events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DocumentStore, syncFacterReports } from '../../core/src/nats/objects';
import { NatsServer, waitFor } from './nats-harness';

describe('NATS event store', () => {
  const server = new NatsServer();
  let manager: NatsConnectionManager;
  let store: EventStore;

  before(async () => {
    await server.start();
    manager = new NatsConnectionManager({ servers: server.url, initialRetryMs: 50, maxRetryMs: 500 });
    await manager.start();
    store = new EventStore(await manager.ready(), 'lab', { ackTimeoutMs: 1000 });
    await store.ensureStream();
  });
  after(async () => {
    store?.close();
    await manager?.stop();
    await server.dispose();
  });

  it('keeps every event of a burst, in order, across a server restart in the middle', async () => {
    const total = 400;
    const correlationId = `burst-${Date.now()}`;
    const acks: Promise<unknown>[] = [];
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      const event = createEvent({ aggregate: 'gpu-01', action: 'burst', data: { i }, source: 'test', correlationId });
      acks.push(store.append(event).then((r) => {
        // Restart once a third of the burst is acknowledged: the rest is in flight or queued.
        if (i === Math.floor(total / 3)) restarted = server.restart(300);
        return r;
      }));
    }
    const results = await Promise.all(acks) as { seq: number; duplicate: boolean; attempts: number }[];
    await restarted;
    assert.ok(results.some((r) => r.attempts > 1), 'some appends had to be retried, so the restart really hit the burst');

    const seen: number[] = [];
    let before: number | undefined;
    do {
      const page = await store.page({ correlationId }, { before, limit: 50 });
      seen.push(...page.events.map((e) => (e.data as { i: number }).i));
      before = page.nextBefore;
    } while (before !== undefined);
    assert.equal(seen.length, total, 'count');
    assert.deepEqual(seen.reverse(), [...Array(total).keys()], 'order');
    const retried = results.filter((r) => r.attempts > 1).length;
    console.log(`# burst of ${total}: restart after #${Math.floor(total / 3)} acked; ${retried} appends retried (max ${Math.max(...results.map((r) => r.attempts))} attempts), ${results.filter((r) => r.duplicate).length} acked as duplicates; stream holds ${seen.length}, in order`);
  });

  it('drops a duplicate publish of the same event id', async () => {
    const event = createEvent({ aggregate: 'gpu-02', action: 'deployed', data: { n: 1 }, source: 'test' });
    const first = await store.append(event);
    const second = await store.append(event);
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
    // A raw publish with the same Nats-Msg-Id is dropped by the stream too.
    const raw = await jetstream(manager.connection!).publish(store.subjects.event('gpu-02', 'deployed'), JSON.stringify(event), { msgID: event.id });
    assert.equal(raw.duplicate, true);
    const page = await store.page({ aggregate: 'gpu-02', action: 'deployed' });
    assert.equal(page.events.filter((e) => e.id === event.id).length, 1);
  });

  it('still drops the duplicate after a server restart (an ack lost in the restart is retried safely)', async () => {
    // The stream stored the event but the publisher never saw the ack: it publishes again after the restart.
    const event = createEvent({ aggregate: 'gpu-04', action: 'deployed', data: {}, source: 'test' });
    await jetstream(manager.connection!).publish(store.subjects.event('gpu-04', 'deployed'), JSON.stringify(event), { msgID: event.id });
    await server.restart(100);
    const retried = await store.append(event);
    assert.equal(retried.duplicate, true);
    const page = await store.page({ aggregate: 'gpu-04' });
    assert.equal(page.events.length, 1);
  });

  it('stores correlation and causation ids in the envelope and as headers', async () => {
    const cause = createEvent({ aggregate: 'cluster', action: 'deploy-requested', data: {}, source: 'test' });
    const effect = createEvent({ aggregate: 'gpu-03', action: 'deployed', data: {}, source: 'test', correlationId: cause.correlationId, causationId: cause.id });
    await store.append(cause);
    const { seq } = await store.append(effect);
    const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(manager.connection!);
    const raw = await jsm.streams.getMessage(store.stream, { seq });
    assert.equal(raw?.header.get(CORRELATION_HEADER), cause.id);
    assert.equal(raw?.header.get(CAUSATION_HEADER), cause.id);
    assert.equal(raw?.subject, 'lab.events.gpu-03.deployed');
    const read = await store.get(seq);
    assert.equal(read?.type, 'host.deployed');
    assert.equal(read?.causationId, cause.id);
    assert.equal((await store.get(seq - 1))?.type, 'cluster.deploy-requested');
  });

  it('pages newest first with aggregate, action and time filters', async () => {
    for (let i = 0; i < 30; i++) {
      await store.append(createEvent({ aggregate: i % 2 ? 'node-a' : 'node-b', action: i % 3 ? 'probed' : 'rebooted', data: { i }, source: 'test' }));
    }
    const page = await store.page({ aggregate: 'node-a' }, { limit: 10 });
    assert.equal(page.events.length, 10);
    assert.ok(page.events.every((e) => e.aggregate === 'node-a'));
    assert.ok(page.events.every((e, k) => k === 0 || e.seq < page.events[k - 1].seq), 'newest first');
    const next = await store.page({ aggregate: 'node-a' }, { limit: 10, before: page.nextBefore });
    assert.equal(next.events.length, 5);
    assert.equal(next.nextBefore, undefined);
    const rebootedA = await store.page({ aggregate: 'node-a', action: 'rebooted' }, { limit: 50 });
    assert.deepEqual(rebootedA.events.map((e) => (e.data as { i: number }).i), [27, 21, 15, 9, 3]);
    const future = await store.page({ since: Date.now() + 60_000 });
    assert.equal(future.events.length, 0);
  });

  it('follows new events live, through a reconnect', async () => {
    const got: StoredEvent[] = [];
    const stop = await store.follow({ aggregate: 'live-host' }, (e) => got.push(e));
    try {
      await store.append(createEvent({ aggregate: 'live-host', action: 'deploy-started', data: {}, source: 'test' }));
      await store.append(createEvent({ aggregate: 'other', action: 'deploy-started', data: {}, source: 'test' }));
      await waitFor('first live event', () => got.length === 1);
      await server.restart(100);
      await store.append(createEvent({ aggregate: 'live-host', action: 'deployed', data: {}, source: 'test' }));
      await waitFor('live event after the restart', () => got.length === 2, 20_000);
      assert.deepEqual(got.map((e) => e.action), ['deploy-started', 'deployed']);
    } finally {
      await stop();
    }
  });

  it('keeps versions of facter reports in the object store', async () => {
    const docs = new DocumentStore(manager.connection!, 'lab', 3);
    for (let n = 1; n <= 4; n++) await docs.put('facter', 'gpu-01', JSON.stringify({ version: n }), { source: 'test' });
    await docs.put('checkpoints', 'gpu-01/exo', '{"files":[]}');
    const versions = await docs.versions('facter', 'gpu-01');
    assert.deepEqual(versions.map((v) => v.revision), [2, 3, 4], 'keeps the newest three');
    const latest = await docs.get('facter', 'gpu-01');
    assert.equal(latest?.version.revision, 4);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(latest!.content)), { version: 4 });
    const old = await docs.get('facter', 'gpu-01', 2);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(old!.content)), { version: 2 });
    assert.deepEqual(await docs.keys('checkpoints'), ['gpu-01/exo']);
    assert.equal(versions[0].metadata.source, 'test');
  });

  it('versions a host\'s facter report only when it changes', async () => {
    const docs = new DocumentStore(manager.connection!, 'lab');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-facter-'));
    try {
      writeFileSync(path.join(dir, 'gpu-09.json'), JSON.stringify({ version: 1, hardware: { cpu: [] } }));
      writeFileSync(path.join(dir, 'broken.json'), '{ not json');
      const hosts = [
        { name: 'gpu-09', addresses: ['10.0.0.9'], hardware: { facterReport: 'gpu-09.json' } },
        { name: 'gpu-10', addresses: ['10.0.0.10'], hardware: { facterReport: 'broken.json' } },
        { name: 'gpu-11', addresses: ['10.0.0.11'] },
      ];
      const first = await syncFacterReports(docs, hosts, dir);
      assert.deepEqual(first.map((r) => [r.host, r.revision, r.stored]), [['gpu-09', 1, true], ['gpu-10', undefined, undefined]]);
      assert.match(first[1].error ?? '', /JSON/);
      const again = await syncFacterReports(docs, hosts, dir);
      assert.deepEqual([again[0].revision, again[0].stored], [1, false], 'unchanged report: no new version');
      writeFileSync(path.join(dir, 'gpu-09.json'), JSON.stringify({ version: 2, hardware: { cpu: [] } }));
      const changed = await syncFacterReports(docs, hosts, dir);
      assert.deepEqual([changed[0].revision, changed[0].stored], [2, true]);
      const stored = await docs.get('facter', 'gpu-09');
      assert.equal(JSON.parse(new TextDecoder().decode(stored!.content)).version, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
