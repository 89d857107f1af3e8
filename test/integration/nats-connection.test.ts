// The connection manager against a real nats-server that goes away and comes back: status goes
// connected → reconnecting (with the reason) → connected, the retries back off, and a server that is not
// there at start is waited for rather than reported as an exception.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ConnectionStatus, EventStore, NatsConnectionManager } from '#core/nats';
import { freePort, NatsServer, waitFor } from './nats-harness';

describe('NATS connection manager', () => {
  const server = new NatsServer();
  const managers: NatsConnectionManager[] = [];
  after(async () => {
    for (const m of managers) await m.stop();
    await server.dispose();
  });

  it('waits for a server that is not up yet, with growing delays, then connects', async () => {
    server.port = await freePort();
    const m = new NatsConnectionManager({ servers: server.url, initialRetryMs: 100, maxRetryMs: 800, connectTimeoutMs: 1000 });
    managers.push(m);
    const statuses: ConnectionStatus[] = [];
    const delays: number[] = [];
    m.onStatus((s) => {
      statuses.push(s);
      if (s.retryAt) delays.push(s.retryAt - Date.now());
    });
    await m.start();
    await waitFor('three failed attempts', () => statuses.filter((s) => s.retryAt).length >= 3);
    const retries = statuses.filter((s) => s.retryAt);
    assert.match(retries[0].reason ?? '', /not reachable .*connection refused/);
    assert.equal(m.connection, undefined);
    assert.ok(delays[0] < delays[1] && delays[1] < delays[2], `backoff grows: ${delays.join(', ')} ms`);
    await server.start();
    await m.ready(10_000);
    assert.equal(m.status.state, 'connected');
    assert.ok(
      statuses.every((s) => s.state !== 'disconnected'),
      'an absent server is retried, not given up on',
    );
  });

  it('reports a lost connection and reconnects when the server returns', async () => {
    const m = managers[0];
    const statuses: ConnectionStatus[] = [];
    const off = m.onStatus((s) => statuses.push(s));
    let connects = 0;
    m.onConnected(() => {
      connects++;
    });
    await server.stop();
    await waitFor('reconnecting', () => m.status.state === 'reconnecting');
    assert.match(m.status.reason ?? '', /lost the connection|not reachable/);
    await new Promise((r) => setTimeout(r, 1500));
    await server.start();
    await waitFor('connected again', () => m.status.state === 'connected', 15_000);
    assert.equal(connects, 1, 'listeners hear about the reconnection once');
    // One status per change, not a flood: a handful of transitions for a 1.5 s outage.
    assert.ok(statuses.length < 20, `${statuses.length} status changes`);
    off();
  });

  it('switches to another server while the old one is gone (a new URL takes effect at once)', async () => {
    const m = new NatsConnectionManager({ servers: server.url, initialRetryMs: 100, maxRetryMs: 500 });
    managers.push(m);
    await m.start();
    // Subscriptions as the extension has them (telemetry, live events): draining them needs the server.
    const nc = await m.ready(10_000);
    nc.subscribe('lab.events.*.telemetry');
    const events = new EventStore(nc, 'lab');
    await events.ensureStream();
    await events.follow({}, () => undefined);
    await server.stop();
    await waitFor('reconnecting', () => m.status.state === 'reconnecting');
    const other = new NatsServer();
    try {
      await other.start();
      const started = Date.now();
      await m.start({ servers: other.url, initialRetryMs: 100, maxRetryMs: 500 });
      await m.ready(5000);
      assert.equal(m.status.server, `127.0.0.1:${other.port}`);
      console.log(`# switched servers ${Date.now() - started} ms after the old one went away`);
      await m.stop();
    } finally {
      await other.dispose();
      await server.start();
    }
  });
});
