// Telemetry end to end with a real nats-server: 100 node agents (in-process, one NATS connection each) publish
// at 1 Hz for a bounded time; the extension's telemetry source feeds the cluster state store, which must hold
// every host's latest sample. A separate agent reads a recorded nvidia-smi output and reports GPU changes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventStore, NatsConnectionManager, type ReceivedSample, Subjects, TelemetrySubscriber } from '#core/nats';
import { NodeAgent } from '../../agent/src/agent';
import { ClusterStateStore } from '../../client/src/state/store';
import { NatsTelemetrySource } from '../../client/src/nats/telemetrySource';
import { NatsServer, natsFixtures, placeFixture, waitFor } from './nats-harness';

const agentOptions = (host: string, intervalMs: number, extra: Partial<ConstructorParameters<typeof NodeAgent>[0]> = {}) => ({
  domain: 'lab',
  host,
  intervalMs,
  collect: { gpuTool: 'none' as const },
  exoUnit: 'exo.service',
  checkpointDir: '/nonexistent',
  log: () => undefined,
  ...extra,
});

describe('NATS telemetry', () => {
  const server = new NatsServer();
  const managers: NatsConnectionManager[] = [];
  const connect = async (name: string) => {
    const m = new NatsConnectionManager({ servers: server.url, name, initialRetryMs: 50 });
    managers.push(m);
    await m.start();
    return m.ready();
  };

  before(async () => {
    await server.start();
    await new EventStore(await connect('setup'), 'lab').ensureStream();
  });
  after(async () => {
    for (const m of managers) await m.stop();
    await server.dispose();
  });

  it('keeps the state store current with 100 agents at 1 Hz', async () => {
    const store = new ClusterStateStore({ batchMs: 100 });
    const source = new NatsTelemetrySource('lab', { flushMs: 250 });
    source.start(store);
    source.attach(await connect('extension'));
    let changeEvents = 0;
    store.onDidChange(() => {
      changeEvents++;
    });

    const hosts = Array.from({ length: 100 }, (_, i) => `node-${String(i).padStart(3, '0')}`);
    const agents: NodeAgent[] = [];
    for (const host of hosts) {
      const agent = new NodeAgent(agentOptions(host, 1000));
      await agent.start(await connect(host));
      agents.push(agent);
    }
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 5000));
    for (const agent of agents) await agent.stop();
    const seconds = (Date.now() - started) / 1000;
    // Let the last samples travel, then deliver the buffers.
    await new Promise((r) => setTimeout(r, 300));
    source.flush();
    store.flush();

    for (const [i, host] of hosts.entries()) {
      const latest = agents[i].latest!;
      assert.ok(latest.seq >= 3, `${host} sampled ${latest.seq} times`);
      assert.equal(source.lastSeq(host), latest.seq, `${host}: the store got the latest sample`);
      const state = store.host(host);
      assert.equal(state.status, 'running');
      assert.deepEqual(state.memory, latest.memory);
    }
    const sent = agents.reduce((n, a) => n + a.latest!.seq, 0);
    assert.equal(source.stats.received, sent, 'no sample lost on the way');
    assert.equal(source.stats.invalid, 0);
    // Coalescing: far fewer store wake-ups than samples.
    assert.ok(changeEvents < sent / 10, `${changeEvents} change events for ${sent} samples`);
    console.log(
      `# 100 agents, ${seconds.toFixed(1)} s: ${sent} samples, ${source.stats.flushes} flushes, ${changeEvents} store change events`,
    );
    source.dispose();
    store.dispose();
    for (const agent of agents) await agent.flushEvents();
  });

  it('hands over only the latest sample per host per flush, and drops malformed or forged ones', async () => {
    const batches: Map<string, ReceivedSample>[] = [];
    const subscriber = new TelemetrySubscriber('lab', (b) => batches.push(b), 60_000);
    const nc = await connect('burst');
    subscriber.start(nc);
    const subjects = new Subjects('lab');
    for (let seq = 1; seq <= 50; seq++) {
      for (const host of ['a', 'b']) nc.publish(subjects.telemetry(host), JSON.stringify({ host, seq, sentAt: Date.now(), gpus: [] }));
    }
    nc.publish(subjects.telemetry('a'), 'not json');
    nc.publish(subjects.telemetry('a'), JSON.stringify({ host: 'b', seq: 99, sentAt: Date.now(), gpus: [] })); // b's sample on a's subject
    await nc.flush();
    await waitFor('all samples received', () => subscriber.stats.received + subscriber.stats.invalid === 102);
    subscriber.flush();
    subscriber.stop();
    assert.equal(batches.length, 1);
    assert.deepEqual([...batches[0].entries()].map(([h, r]) => [h, r.sample.seq]).sort(), [
      ['a', 50],
      ['b', 50],
    ]);
    assert.deepEqual(subscriber.stats, { received: 100, invalid: 2, coalesced: 98, flushes: 1 });
  });

  it('reports GPUs from nvidia-smi and a missing or new GPU as events', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-gpu-'));
    const output = path.join(dir, 'nvidia-smi.csv');
    placeFixture('nvidia-smi-2gpu.csv', output);
    const oldPath = process.env.PATH;
    process.env.PATH = `${path.join(natsFixtures(), 'bin')}${path.delimiter}${oldPath}`;
    process.env.FAKE_NVIDIA_SMI_OUTPUT = output;
    const nc = await connect('gpu-host');
    const events = new EventStore(nc, 'lab');
    const seen: string[] = [];
    const stopFollowing = await events.follow({ aggregate: 'gpu-box' }, (e) =>
      seen.push(`${e.action}:${(e.data as { gpu?: { uuid?: string } }).gpu?.uuid ?? ''}`),
    );
    const telemetry: number[] = [];
    const sub = nc.subscribe(new Subjects('lab').telemetry('gpu-box'), {
      callback: (_e, m) => {
        telemetry.push((m.json() as { gpus: unknown[] }).gpus.length);
      },
    });
    const agent = new NodeAgent(agentOptions('gpu-box', 200, { collect: { gpuTool: 'nvidia' }, stateDir: dir }));
    try {
      await agent.start(nc);
      await waitFor('first samples', () => telemetry.length >= 2);
      assert.equal(agent.latest?.gpus[1].utilizationPct, 98);
      assert.equal(agent.latest?.gpus[1].name, 'NVIDIA GeForce RTX 4090');
      placeFixture('nvidia-smi-1gpu.csv', output);
      await waitFor('gpu-missing event', () => seen.some((s) => s.startsWith('gpu-missing')));
      placeFixture('nvidia-smi-2gpu.csv', output);
      await waitFor('gpu-added event', () => seen.some((s) => s.startsWith('gpu-added')));
      assert.deepEqual(
        seen.filter((s) => !s.startsWith('agent-started')),
        ['gpu-missing:GPU-a1b2c3d4-0e1f-4a5b-8c6d-7e8f9a0b1c2d', 'gpu-added:GPU-a1b2c3d4-0e1f-4a5b-8c6d-7e8f9a0b1c2d'],
      );
      assert.ok(telemetry.includes(1) && telemetry.includes(2));
    } finally {
      await agent.stop();
      await agent.flushEvents();
      sub.unsubscribe();
      await stopFollowing();
      process.env.PATH = oldPath;
      delete process.env.FAKE_NVIDIA_SMI_OUTPUT;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
