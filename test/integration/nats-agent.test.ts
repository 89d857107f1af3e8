// The bundled agent (dist/agent.js) as a real process against a real nats-server with per-agent users: it
// answers probe with the same facts as the SSH probe, publishes telemetry, falls back cleanly, stops on SIGTERM,
// and exits with code 2 and a clear message when its credentials are refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { AgentCommandClient, AgentCommandError, EventStore, Subjects } from '#core/nats';
import { agentUserConfig } from '../../core/src/nats/permissions';
import type { ProbeFacts } from '#core/ops';
import { probeToHostFacts } from '../../client/src/ops/probeFacts';
import { clusterAccountConfig, NatsServer, natsFixtures, repoRoot, waitFor } from './nats-harness';

const config = clusterAccountConfig(agentUserConfig('lab', 'gpu-01', { user: 'agent-gpu-01', password: 'secret-01' }));

describe('gpu-cluster-agent process', () => {
  const server = new NatsServer(config);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-agent-'));
  const children: ChildProcess[] = [];
  let admin: NatsConnection;

  const startAgent = (password: string) => {
    const passwordFile = path.join(dir, `pw-${children.length}`);
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot(), 'dist/agent.js'),
        '--nats-url',
        server.url,
        '--domain',
        'lab',
        '--host',
        'gpu-01',
        '--user',
        'agent-gpu-01',
        '--password-file',
        passwordFile,
        '--interval',
        '300ms',
        '--gpu',
        'nvidia',
        '--exo-url',
        '',
        '--state-dir',
        path.join(dir, 'state'),
      ],
      {
        env: {
          ...process.env,
          PATH: `${path.join(natsFixtures(), 'bin')}${path.delimiter}${process.env.PATH}`,
          FAKE_NVIDIA_SMI_OUTPUT: path.join(natsFixtures(), 'nvidia-smi-2gpu.csv'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stderr?.on('data', (d) => {
      log += d;
    });
    children.push(child);
    return { child, log: () => log, exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
  };

  before(async () => {
    await server.start();
    admin = await connect({ servers: server.url, user: 'admin', pass: 'admin-secret' });
    await new EventStore(admin, 'lab').ensureStream();
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await admin?.close();
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers probe with SSH-probe facts, publishes telemetry and stops on SIGTERM', async () => {
    const agent = startAgent('secret-01');
    const samples: number[] = [];
    const sub = admin.subscribe(new Subjects('lab').telemetry('gpu-01'), {
      callback: (_e, m) => {
        samples.push((m.json() as { seq: number }).seq);
      },
    });
    await waitFor('telemetry from the agent process', () => samples.length >= 2, 15_000);
    const commands = new AgentCommandClient(() => admin, 'lab', 5000);
    const { via, result } = await commands.run<ProbeFacts>('gpu-01', 'probe', { services: ['exo', 'nats'] }, async () => {
      throw new Error('should not fall back');
    });
    assert.equal(via, 'nats');
    assert.equal(result.host, 'gpu-01');
    assert.equal(result.kernelName, 'Linux');
    assert.equal(result.gpus.length, 2);
    assert.equal(result.nvidiaDriver, '550.54.14');
    assert.deepEqual(Object.keys(result.services).sort(), ['exo', 'nats']);
    // The extension maps it exactly like an SSH probe.
    const facts = probeToHostFacts(result);
    assert.equal(facts.gpus?.length, 2);

    // Checkpoints are not configured on this agent: it answers 501 and the caller's SSH path runs.
    const checkpoint = await commands.run('gpu-01', 'checkpoint.create', { unit: 'exo.service' }, async (reason) => `ssh: ${reason}`);
    assert.equal(checkpoint.via, 'ssh');
    assert.match(String(checkpoint.result), /does not handle checkpoint.create/);

    // exo.start on a machine where systemctl cannot start it: the agent answers with the error (no SSH fallback,
    // the agent did try) and records the failure with the caller's correlation id.
    const h = headers();
    h.set('X-Correlation-ID', 'op-exo-1');
    const reply = await admin.request(new Subjects('lab').command('gpu-01', 'exo.start'), '{}', { timeout: 10_000, headers: h });
    assert.match(reply.headers?.get('Nats-Service-Error') ?? '', /systemctl start exo.service/);
    await assert.rejects(
      commands.run('gpu-01', 'exo.start', {}, async () => 'ssh', { correlationId: 'op-exo-2' }),
      AgentCommandError,
    );
    const store = new EventStore(admin, 'lab');
    let failures: string[] = [];
    await waitFor(
      'exo-start-failed events',
      () => failures.length >= 2,
      10_000,
      async () => {
        failures = (await store.page({ aggregate: 'gpu-01', action: 'exo-start-failed' })).events.map((e) => e.correlationId);
      },
    );
    assert.deepEqual(
      failures.filter((c) => c.startsWith('op-exo-')).sort(),
      ['op-exo-1', 'op-exo-2'],
      "each failure carries its request's correlation id",
    );

    const page = await new EventStore(admin, 'lab').page({ aggregate: 'gpu-01', action: 'agent-started' });
    assert.equal(page.events.length, 1);
    assert.equal(page.events[0].source, 'agent:gpu-01');

    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.log());
    sub.unsubscribe();
    const fallback = await commands.run('gpu-01', 'probe', {}, async (reason) => reason);
    assert.equal(fallback.via, 'ssh', 'after the agent stopped nobody answers');
  });

  it('exits with code 2 and says why when NATS refuses its credentials', async () => {
    const agent = startAgent('wrong-password');
    assert.equal(await agent.exited, 2);
    assert.match(agent.log(), /NATS refused the credentials .*authorization violation/);
  });
});
