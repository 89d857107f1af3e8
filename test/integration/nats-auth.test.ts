// Authentication and subject permissions against a real nats-server configured with an account and per-agent
// users (core/src/nats/permissions.ts): wrong credentials are refused with a clear message and no retry storm;
// an agent can only publish and answer on its own host's subjects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, nkeys, PermissionViolationError, type NatsConnection } from '@nats-io/transport-node';
import { AgentCommandClient, type ConnectionStatus, NatsConnectionManager, type NatsCredentials, Subjects } from '#core/nats';
import { createEvent, EventStore } from '../../core/src/nats/events';
import { agentUserConfig } from '../../core/src/nats/permissions';
import { NodeAgent } from '../../agent/src/agent';
import { clusterAccountConfig, NatsServer, waitFor } from './nats-harness';

const nkeyUser = nkeys.createUser();
const nkeySeed = new TextDecoder().decode(nkeyUser.getSeed());
const config = clusterAccountConfig(
  agentUserConfig('lab', 'gpu-01', { user: 'agent-gpu-01', password: 'secret-01' }),
  agentUserConfig('lab', 'gpu-02', { user: 'agent-gpu-02', password: 'secret-02' }),
  agentUserConfig('lab', 'gpu-03', { nkey: nkeyUser.getPublicKey() }),
);

describe('NATS credentials and agent permissions', () => {
  const server = new NatsServer(config);
  const s = new Subjects('lab');
  let admin: NatsConnection;
  const managers: NatsConnectionManager[] = [];

  const manager = async (credentials: NatsCredentials, host?: string) => {
    const m = new NatsConnectionManager({
      servers: server.url,
      credentials,
      initialRetryMs: 50,
      inboxPrefix: host ? s.agentInboxPrefix(host) : undefined,
    });
    managers.push(m);
    await m.start();
    return m;
  };

  before(async () => {
    await server.start();
    admin = await connect({ servers: server.url, user: 'admin', pass: 'admin-secret' });
    await new EventStore(admin, 'lab').ensureStream();
  });
  after(async () => {
    for (const m of managers) await m.stop();
    await admin?.close();
    await server.dispose();
  });

  it('refuses a wrong password with a clear message and stops retrying', async () => {
    const m = await manager({ kind: 'userpass', user: 'agent-gpu-01', pass: 'wrong' });
    const statuses: ConnectionStatus[] = [];
    m.onStatus((st) => statuses.push(st));
    await assert.rejects(m.ready(5000), /NATS refused the credentials .*authorization violation/i);
    assert.equal(m.status.authFailed, true);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      statuses.filter((st) => st.state === 'connecting' || st.state === 'reconnecting').length,
      0,
      'no retries after an auth failure',
    );
  });

  it('refuses an unknown nkey and a missing password, accepts the right nkey', async () => {
    const stranger = new TextDecoder().decode(nkeys.createUser().getSeed());
    await assert.rejects((await manager({ kind: 'nkey', seed: stranger })).ready(5000), /refused the credentials/);
    await assert.rejects((await manager({ kind: 'none' })).ready(5000), /refused the credentials/);
    const ok = await manager({ kind: 'nkey', seed: nkeySeed }, 'gpu-03');
    await ok.ready(5000);
    assert.equal(ok.status.state, 'connected');
  });

  it('lets an agent append its own events and publish its own telemetry', async () => {
    const nc = await (await manager({ kind: 'userpass', user: 'agent-gpu-01', pass: 'secret-01' }, 'gpu-01')).ready();
    const store = new EventStore(nc, 'lab', { giveUpAfterMs: 5000 });
    const ack = await store.append(createEvent({ aggregate: 'gpu-01', action: 'agent-started', data: {}, source: 'agent:gpu-01' }));
    assert.ok(ack.seq > 0);
    const got: string[] = [];
    const sub = admin.subscribe(s.telemetry('gpu-01'), {
      callback: (_e, m) => {
        got.push(m.subject);
      },
    });
    await admin.flush();
    nc.publish(s.telemetry('gpu-01'), '{}');
    await waitFor('own telemetry', () => got.length === 1);
    sub.unsubscribe();
  });

  it("refuses an agent publishing to another host's event and telemetry subjects", async () => {
    const nc = await (await manager({ kind: 'userpass', user: 'agent-gpu-01', pass: 'secret-01' }, 'gpu-01')).ready();
    const violations: PermissionViolationError[] = [];
    void (async () => {
      for await (const st of nc.status())
        if (st.type === 'error' && st.error instanceof PermissionViolationError) violations.push(st.error);
    })();
    const seen: string[] = [];
    const spy = admin.subscribe('lab.>', {
      callback: (_e, m) => {
        seen.push(m.subject);
      },
    });
    await admin.flush();

    nc.publish(
      s.event('gpu-02', 'deployed'),
      JSON.stringify(createEvent({ aggregate: 'gpu-02', action: 'deployed', data: {}, source: 'forged' })),
    );
    nc.publish(s.telemetry('gpu-02'), '{}');
    nc.publish(s.command('gpu-02', 'exo.stop'), '{}');
    await waitFor('three permission violations', () => violations.length >= 3);
    assert.deepEqual(violations.map((v) => [v.operation, v.subject]).sort(), [
      ['publish', 'lab.commands.gpu-02.exo.stop'],
      ['publish', 'lab.events.gpu-02.deployed'],
      ['publish', 'lab.events.gpu-02.telemetry'],
    ]);
    await admin.flush();
    assert.deepEqual(seen, [], "nothing reached the other host's subjects");
    spy.unsubscribe();

    // The event store refuses the forged event instead of retrying it forever.
    const store = new EventStore(nc, 'lab', { giveUpAfterMs: 3000, ackTimeoutMs: 500 });
    await assert.rejects(
      store.append(createEvent({ aggregate: 'gpu-02', action: 'deployed', data: {}, source: 'forged' })),
      /not appended: Permissions Violation for Publish to "lab.events.gpu-02.deployed"/,
    );
    const page = await new EventStore(admin, 'lab').page({ aggregate: 'gpu-02' });
    assert.equal(page.events.length, 0);
  });

  it("lets an agent answer only its own host's commands", async () => {
    const nc = await (await manager({ kind: 'userpass', user: 'agent-gpu-01', pass: 'secret-01' }, 'gpu-01')).ready();
    const log: string[] = [];
    const agent = new NodeAgent({
      domain: 'lab',
      host: 'gpu-01',
      intervalMs: 60_000,
      collect: { gpuTool: 'none' },
      exoUnit: 'exo.service',
      checkpointDir: '/nonexistent',
      log: (_l, m) => log.push(m),
    });
    await agent.start(nc);
    const commands = new AgentCommandClient(() => admin, 'lab', 5000);
    const probe = await commands.run<{ host: string }>('gpu-01', 'probe', {}, async (reason) => {
      throw new Error(`should not fall back: ${reason}`);
    });
    assert.equal(probe.via, 'nats');
    assert.equal(probe.result.host, 'gpu-01');

    // The same user trying to serve gpu-02's commands: the server refuses the subscription.
    const violations: PermissionViolationError[] = [];
    void (async () => {
      for await (const st of nc.status())
        if (st.type === 'error' && st.error instanceof PermissionViolationError) violations.push(st.error);
    })();
    const impostor = new NodeAgent({
      domain: 'lab',
      host: 'gpu-02',
      intervalMs: 60_000,
      collect: { gpuTool: 'none' },
      exoUnit: 'exo.service',
      checkpointDir: '/nonexistent',
      log: () => undefined,
    });
    await impostor.start(nc);
    await waitFor('subscription violation', () =>
      violations.some((v) => v.operation === 'subscription' && v.subject.startsWith('lab.commands.gpu-02')),
    );
    const fallback = await commands.run('gpu-02', 'probe', {}, async (reason) => reason);
    assert.equal(fallback.via, 'ssh', 'no agent answers for gpu-02, so the SSH fallback runs');
    assert.match(String(fallback.result), /no agent answers/);
    await impostor.stop();
    await agent.stop();
    await agent.flushEvents();
  });
});
