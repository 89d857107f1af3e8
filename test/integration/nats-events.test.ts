// The event store against a real nats-server with JetStream: a restart in the middle of a burst loses,
// duplicates and reorders nothing; duplicate publishes are dropped; paging, filters and live follow work.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { DocumentStore, NatsConnectionManager, syncFacterReports } from '#core/nats';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  createEvent,
  CORRELATION_HEADER,
  CAUSATION_HEADER,
  EventStore,
  UnknownEventActionError,
  type StoredEvent,
} from '../../core/src/nats/events';
import { EVENT_ACTIONS } from '../../core/src/nats/subjects';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
      const event = createEvent({ aggregate: 'gpu-01', action: 'deploy-phase', data: { i }, source: 'test', correlationId });
      acks.push(
        store.append(event).then((r) => {
          // Restart once a third of the burst is acknowledged: the rest is in flight or queued.
          if (i === Math.floor(total / 3)) restarted = server.restart(300);
          return r;
        }),
      );
    }
    const results = (await Promise.all(acks)) as { seq: number; duplicate: boolean; attempts: number }[];
    await restarted;
    assert.ok(
      results.some((r) => r.attempts > 1),
      'some appends had to be retried, so the restart really hit the burst',
    );

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
    console.log(
      `# burst of ${total}: restart after #${Math.floor(total / 3)} acked; ${retried} appends retried (max ${Math.max(...results.map((r) => r.attempts))} attempts), ${results.filter((r) => r.duplicate).length} acked as duplicates; stream holds ${seen.length}, in order`,
    );
  });

  it('drops a duplicate publish of the same event id', async () => {
    const event = createEvent({ aggregate: 'gpu-02', action: 'deployed', data: { n: 1 }, source: 'test' });
    const first = await store.append(event);
    const second = await store.append(event);
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
    // A raw publish with the same Nats-Msg-Id is dropped by the stream too.
    const raw = await jetstream(manager.connection!).publish(store.subjects.event('gpu-02', 'deployed'), JSON.stringify(event), {
      msgID: event.id,
    });
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
    const cause = createEvent({ aggregate: 'cluster', action: 'flake-generated', data: {}, source: 'test' });
    const effect = createEvent({
      aggregate: 'gpu-03',
      action: 'deployed',
      data: {},
      source: 'test',
      correlationId: cause.correlationId,
      causationId: cause.id,
    });
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
    assert.equal((await store.get(seq - 1))?.type, 'cluster.flake-generated');
  });

  it('pages newest first with aggregate, action and time filters', async () => {
    for (let i = 0; i < 30; i++) {
      await store.append(
        createEvent({ aggregate: i % 2 ? 'node-a' : 'node-b', action: i % 3 ? 'deploy-phase' : 'deployed', data: { i }, source: 'test' }),
      );
    }
    const page = await store.page({ aggregate: 'node-a' }, { limit: 10 });
    assert.equal(page.events.length, 10);
    assert.ok(page.events.every((e) => e.aggregate === 'node-a'));
    assert.ok(
      page.events.every((e, k) => k === 0 || e.seq < page.events[k - 1].seq),
      'newest first',
    );
    const next = await store.page({ aggregate: 'node-a' }, { limit: 10, before: page.nextBefore });
    assert.equal(next.events.length, 5);
    assert.equal(next.nextBefore, undefined);
    const rebootedA = await store.page({ aggregate: 'node-a', action: 'deployed' }, { limit: 50 });
    assert.deepEqual(
      rebootedA.events.map((e) => (e.data as { i: number }).i),
      [27, 21, 15, 9, 3],
    );
    const future = await store.page({ since: Date.now() + 60_000 });
    assert.equal(future.events.length, 0);
  });

  it('stores events published on lab.events.{host}.{action} but not telemetry on lab.events.{host}.telemetry', async () => {
    const nc = manager.connection!;
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info(store.stream)).state.last_seq;
    // Core-NATS subscribers under events.> still see both: telemetry is live, just not durable.
    const live: string[] = [];
    const sub = nc.subscribe('lab.events.tele-host.>', {
      callback: (_e, m) => {
        live.push(m.subject);
      },
    });
    for (let i = 0; i < 20; i++)
      nc.publish(store.subjects.telemetry('tele-host'), JSON.stringify({ host: 'tele-host', seq: i, sentAt: Date.now(), gpus: [] }));
    await store.append(createEvent({ aggregate: 'tele-host', action: 'agent-started', data: {}, source: 'test' }));
    for (let i = 20; i < 40; i++)
      nc.publish(store.subjects.telemetry('tele-host'), JSON.stringify({ host: 'tele-host', seq: i, sentAt: Date.now(), gpus: [] }));
    await store.append(createEvent({ aggregate: 'tele-host', action: 'gpu-added', data: {}, source: 'test' }));
    await nc.flush();
    await waitFor('all live messages', () => live.length === 42);
    sub.unsubscribe();
    const info = await jsm.streams.info(store.stream, { subjects_filter: 'lab.events.tele-host.>' });
    assert.equal(info.state.last_seq - before, 2, 'only the two events were stored');
    assert.deepEqual(info.state.subjects, { 'lab.events.tele-host.agent-started': 1, 'lab.events.tele-host.gpu-added': 1 });
    assert.ok(!info.config.subjects?.some((x) => x.includes('telemetry') || x.endsWith('>')), 'no catch-all in the stream');
    const page = await store.page({ aggregate: 'tele-host' });
    assert.deepEqual(
      page.events.map((e) => e.action),
      ['gpu-added', 'agent-started'],
    );
  });

  it('refuses an action outside the vocabulary (and telemetry) with a clear error, storing nothing', async () => {
    const jsm = await jetstreamManager(manager.connection!);
    const before = (await jsm.streams.info(store.stream)).state.last_seq;
    for (const action of ['rebooted', 'telemetry']) {
      const event = createEvent({ aggregate: 'gpu-05', action: action as never, data: {}, source: 'test' });
      await assert.rejects(
        store.append(event),
        (err: Error) =>
          err instanceof UnknownEventActionError &&
          err.message.includes(`"${action}" is not in the event vocabulary`) &&
          err.message.includes('EVENT_ACTIONS'),
      );
    }
    assert.equal(store.pending, 0, 'nothing left queued to retry');
    assert.equal((await jsm.streams.info(store.stream)).state.last_seq, before);
  });

  it('brings an older stream to the vocabulary: adds missing actions, keeps newer ones, drops a catch-all', async () => {
    const nc = manager.connection!;
    const jsm = await jetstreamManager(nc);
    // As an older release left it: catch-all (which stored telemetry) plus an action a newer release added.
    await jsm.streams.add({ name: 'OLD_EVENTS', subjects: ['old.events.>'] });
    await jsm.streams.update('OLD_EVENTS', {
      subjects: ['old.events.*.deployed', 'old.events.*.from-the-future', 'old.events.*.telemetry'],
    });
    const old = new EventStore(nc, 'old', { ackTimeoutMs: 1000 });
    try {
      await old.ensureStream();
      const subjects = (await jsm.streams.info('OLD_EVENTS')).config.subjects ?? [];
      assert.deepEqual([...subjects].sort(), [...EVENT_ACTIONS.map((a) => `old.events.*.${a}`), 'old.events.*.from-the-future'].sort());
      const ack = await old.append(createEvent({ aggregate: 'gpu-01', action: 'deploy-started', data: {}, source: 'test' }));
      assert.equal(ack.seq, 1);
      nc.publish(old.subjects.telemetry('gpu-01'), '{}');
      await nc.flush();
      assert.equal((await jsm.streams.info('OLD_EVENTS')).state.messages, 1, 'telemetry is no longer stored');
      await old.ensureStream();
      assert.equal((await jsm.streams.info('OLD_EVENTS')).config.subjects?.length, EVENT_ACTIONS.length + 1, 'idempotent');
    } finally {
      old.close();
    }
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
      assert.deepEqual(
        got.map((e) => e.action),
        ['deploy-started', 'deployed'],
      );
    } finally {
      await stop();
    }
  });

  it('keeps versions of facter reports in the object store', async () => {
    const docs = new DocumentStore(manager.connection!, 'lab', 3);
    for (let n = 1; n <= 4; n++) await docs.put('facter', 'gpu-01', JSON.stringify({ version: n }), { source: 'test' });
    await docs.put('checkpoints', 'gpu-01/exo', '{"files":[]}');
    const versions = await docs.versions('facter', 'gpu-01');
    assert.deepEqual(
      versions.map((v) => v.revision),
      [2, 3, 4],
      'keeps the newest three',
    );
    const latest = await docs.get('facter', 'gpu-01');
    assert.equal(latest?.version.revision, 4);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(latest!.content)), { version: 4 });
    const old = await docs.get('facter', 'gpu-01', 2);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(old!.content)), { version: 2 });
    assert.deepEqual(await docs.keys('checkpoints'), ['gpu-01/exo']);
    assert.equal(versions[0].metadata.source, 'test');
  });

  it("versions a host's facter report only when it changes", async () => {
    const docs = new DocumentStore(manager.connection!, 'lab');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-facter-'));
    try {
      const specDir = path.join(dir, 'spec');
      mkdirSync(specDir);
      writeFileSync(path.join(specDir, 'gpu-09.json'), JSON.stringify({ version: 1, system: 'x86_64-linux', hardware: { cpu: [] } }));
      writeFileSync(path.join(specDir, 'broken.json'), '{ not json');
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { 'registry.example': { auth: 'c2VjcmV0' } } }));
      const hosts = [
        { name: 'gpu-09', addresses: ['10.0.0.9'], hardware: { facterReport: 'gpu-09.json' } },
        { name: 'gpu-10', addresses: ['10.0.0.10'], hardware: { facterReport: 'broken.json' } },
        { name: 'gpu-11', addresses: ['10.0.0.11'] },
        { name: 'gpu-12', addresses: ['10.0.0.12'], hardware: { facterReport: '../config.json' } },
      ];
      const first = await syncFacterReports(docs, hosts, specDir);
      assert.deepEqual(
        first.map((r) => [r.host, r.revision, r.stored]),
        [
          ['gpu-09', 1, true],
          ['gpu-10', undefined, undefined],
          ['gpu-12', undefined, undefined],
        ],
      );
      assert.match(first[1].error ?? '', /JSON/);
      assert.match(first[2].error ?? '', /inside the spec folder/, 'a file outside the spec folder is never stored');
      const again = await syncFacterReports(docs, hosts, specDir);
      assert.deepEqual([again[0].revision, again[0].stored], [1, false], 'unchanged report: no new version');
      writeFileSync(path.join(specDir, 'gpu-09.json'), JSON.stringify({ version: 2, system: 'x86_64-linux', hardware: { cpu: [] } }));
      const changed = await syncFacterReports(docs, hosts, specDir);
      assert.deepEqual([changed[0].revision, changed[0].stored], [2, true]);
      const stored = await docs.get('facter', 'gpu-09');
      assert.equal(JSON.parse(new TextDecoder().decode(stored!.content)).version, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
