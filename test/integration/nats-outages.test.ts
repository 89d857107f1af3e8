// Fault tests of the NATS path against a real nats-server that is killed with SIGKILL, comes back after outages
// of different lengths, or comes back with an empty store:
// - 2,000 operation events through the extension's event path (the on-disk EventOutbox feeding the connection's
//   EventStore, as NatsService.appendEvent and onConnected do), across two kill -9 outages, one of them with the
//   extension reloaded meanwhile: all 2,000 stored once each, in order;
// - reconnection after 0.5 s, 3 s and 10 s outages, measured from the moment the server listens again;
// - a wiped store: the stream is created again and nothing recorded after the wipe is lost;
// - the agent process: answers again soon after the server returns, and a GPU change it saw during the outage
//   (kept in its outbox file) is stored, in a stream it had to create itself with its restricted permissions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { EventOutbox, EventStore, NatsConnectionManager, type StoredEvent, Subjects } from '#core/nats';
import { agentUserConfig } from '../../core/src/nats/permissions';
import { SERVICE_NAME } from '../../agent/src/agent';
import { clusterAccountConfig, NatsServer, natsFixtures, placeFixture, repoRoot, waitFor } from './nats-harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The extension's event path without VS Code: what NatsService.appendEvent and NatsService.onConnected do. */
class ExtensionEvents {
  readonly manager: NatsConnectionManager;
  readonly outbox: EventOutbox;
  readonly logs: string[] = [];
  private store: EventStore | undefined;
  private storeConnection: NatsConnection | undefined;
  /** Times (ms since epoch) at which the manager reported 'connected'. */
  readonly connectedAt: number[] = [];

  constructor(url: string, outboxFile: string) {
    const log = (level: string, message: string) => {
      this.logs.push(`${level}: ${message}`);
    };
    this.outbox = new EventOutbox({ file: outboxFile, log });
    // The extension's connection options: no retry tuning (NatsService.connect passes none).
    this.manager = new NatsConnectionManager({ servers: url, name: 'test extension' });
    this.manager.onStatus((s) => {
      if (s.state === 'connected') this.connectedAt.push(Date.now());
    });
    this.manager.onConnected((nc) => void this.onConnected(nc));
  }

  private async onConnected(nc: NatsConnection): Promise<void> {
    if (!this.store || this.storeConnection !== nc) {
      this.store?.close();
      this.storeConnection = nc;
      this.store = new EventStore(nc, 'lab', {
        onRetry: (e, attempt, err) => {
          if (attempt === 1) this.logs.push(`warn: event ${e.type} not acknowledged yet, retrying: ${(err as Error).message}`);
        },
        onStreamCreated: (stream) => this.logs.push(`warn: created ${stream}`),
      });
    }
    await this.store.ensureStream().catch((err: Error) => this.logs.push(`error: ${err.message}`));
    this.outbox.attach(this.store);
  }

  append(n: number): string {
    return this.outbox.record({ aggregate: 'gpu-01', action: 'deploy-phase', data: { n }, source: 'extension' }).id;
  }

  /** A window reload: the outbox file stays, everything in memory goes. */
  close(): Promise<void> {
    this.outbox.close();
    this.store?.close();
    return this.manager.stop();
  }
}

async function readStream(nc: NatsConnection): Promise<StoredEvent[]> {
  const store = new EventStore(nc, 'lab');
  const jsm = await jetstreamManager(nc);
  const { first_seq: first, last_seq: last, messages } = (await jsm.streams.info(store.stream)).state;
  const events: StoredEvent[] = [];
  for (let seq = first; messages > 0 && seq <= last; seq++) {
    const e = await store.get(seq);
    if (e) events.push(e);
  }
  store.close();
  return events;
}

/**
 * The first 'connected' report after the server was killed, as ms after it listened again (noticed by polling its
 * port every 50 ms, so a client can be back a little before: then the figure is negative).
 */
const reconnectedAfter = (connectedAt: number[], killed: number, listening: number) => {
  const t = connectedAt.find((c) => c >= killed);
  return t === undefined ? undefined : t - listening;
};

describe('NATS under outages (kill -9, wiped store)', () => {
  const server = new NatsServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-outages-'));
  const cleanups: (() => Promise<void> | void)[] = [];
  before(() => server.start());
  const connectedExtension = async (outboxFile: string) => {
    const ext = new ExtensionEvents(server.url, outboxFile);
    cleanups.push(() => ext.close());
    await ext.manager.start();
    await ext.manager.ready(10_000);
    return ext;
  };
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores 2,000 events of the extension once each and in order across two kill -9 outages and a reload', async () => {
    const file = path.join(dir, 'extension-outbox.jsonl');
    let ext = await connectedExtension(file);
    const ids: string[] = [];
    const reconnects: number[] = [];
    let maxBacklog = 0;
    const outage = async (reload: boolean) => {
      const down = Date.now();
      await server.kill();
      if (reload) {
        // The window reloads while NATS is away: a new extension instance picks the backlog up from the file.
        const old = ext;
        const backlogBefore = old.outbox.backlog;
        old.outbox.close();
        const reloaded = (ext = new ExtensionEvents(server.url, file));
        cleanups.push(() => reloaded.close());
        assert.equal(ext.outbox.backlog, backlogBefore, 'the reloaded extension finds every waiting event in its outbox file');
        await old.close();
        await ext.manager.start();
      }
      await sleep(Math.max(0, 2000 - (Date.now() - down)));
      await server.start();
      const back = Date.now();
      await waitFor('the extension reconnected', () => reconnectedAfter(ext.connectedAt, down, back) !== undefined, 15_000);
      reconnects.push(reconnectedAfter(ext.connectedAt, down, back)!);
    };
    const outages: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) {
      ids.push(ext.append(i));
      maxBacklog = Math.max(maxBacklog, ext.outbox.backlog);
      if (i === 400) outages.push(outage(false));
      if (i === 1200) outages.push(outage(true));
      await sleep(5); // about 150 events a second on this machine
    }
    await Promise.all(outages);
    await waitFor('the outbox drained', () => ext.outbox.backlog === 0, 60_000);
    const nc = await connect({ servers: server.url });
    try {
      const stored = await readStream(nc);
      const storedIds = stored.map((e) => e.id);
      console.log(
        `# 2,000 events, two 2 s kill -9 outages (one with a reload): ${stored.length} stored, ` +
          `${stored.length - new Set(storedIds).size} duplicated, largest backlog ${maxBacklog}, ` +
          `reconnected ${reconnects.join(' ms and ')} ms after the server listened again`,
      );
      assert.equal(new Set(storedIds).size, stored.length, 'no event stored twice');
      assert.equal(stored.length, 2000);
      assert.deepEqual(storedIds, ids, 'stored in the order they were recorded');
      assert.ok(maxBacklog > 100, `events waited in the outbox during the outages (largest backlog ${maxBacklog})`);
      assert.equal(readFileSync(file, 'utf8'), '', 'an empty backlog leaves an empty outbox file');
      for (const ms of reconnects) assert.ok(ms < 2000, `reconnected ${ms} ms after the server returned`);
    } finally {
      await nc.close();
      await ext.close(); // it would otherwise create the stream again during the wiped-store test
    }
  });

  it("reconnects within 2 s of the server's return after outages of 0.5 s, 3 s and 10 s", async () => {
    const m = new NatsConnectionManager({ servers: server.url, name: 'test reconnect' });
    cleanups.push(() => m.stop());
    const connectedAt: number[] = [];
    m.onStatus((s) => {
      if (s.state === 'connected') connectedAt.push(Date.now());
    });
    await m.start();
    await m.ready(10_000);
    const figures: string[] = [];
    for (const outageMs of [500, 3000, 10_000]) {
      await server.kill();
      await waitFor('the client noticed', () => m.status.state === 'reconnecting', 10_000);
      const killed = Date.now();
      await sleep(outageMs);
      const spawned = Date.now();
      await server.start();
      const listening = Date.now();
      await waitFor(
        `reconnected after a ${outageMs} ms outage`,
        () => reconnectedAfter(connectedAt, killed, listening) !== undefined,
        15_000,
      );
      const ms = reconnectedAfter(connectedAt, killed, listening)!;
      figures.push(
        `${outageMs / 1000} s outage → ${ms} ms after the server listened (${ms + listening - spawned} ms after it was started)`,
      );
      assert.ok(ms < 2000, `reconnected ${ms} ms after the server returned from a ${outageMs} ms outage`);
    }
    console.log(`# reconnect: ${figures.join('; ')}`);
    await m.stop();
  });

  it('creates the stream again on a server that lost its store, and loses nothing recorded after the wipe', async () => {
    const ext = await connectedExtension(path.join(dir, 'wipe-outbox.jsonl'));
    for (let i = 0; i < 50; i++) ext.append(i);
    await waitFor('the first 50 stored', () => ext.outbox.backlog === 0, 20_000);
    await server.kill();
    server.wipeStore();
    ext.logs.length = 0; // the stream's first creation is not what this test is about
    const afterWipe: string[] = [];
    for (let i = 50; i < 80; i++) afterWipe.push(ext.append(i)); // while the server is down
    await server.start();
    for (let i = 80; i < 130; i++) {
      afterWipe.push(ext.append(i));
      await sleep(2);
    } // while it comes back
    await waitFor('the outbox drained after the wipe', () => ext.outbox.backlog === 0, 30_000);
    const nc = await connect({ servers: server.url });
    try {
      const stored = await readStream(nc);
      console.log(
        `# wiped store: stream created again (${ext.logs.filter((l) => /created/.test(l)).length} creation message(s)), ` +
          `${stored.length} of ${afterWipe.length} events recorded after the wipe stored`,
      );
      assert.ok(
        ext.logs.some((l) => /created LAB_EVENTS/.test(l)),
        `a message says the stream was created: ${ext.logs.join(' | ')}`,
      );
      assert.ok(!ext.logs.some((l) => /jetstream is not enabled/i.test(l)), ext.logs.join(' | '));
      assert.deepEqual(
        stored.map((e) => e.id),
        afterWipe,
        'every event recorded after the wipe, once, in order',
      );
    } finally {
      await nc.close();
      await ext.close();
    }
  });
});

describe('gpu-cluster-agent under outages', () => {
  const server = new NatsServer(clusterAccountConfig(agentUserConfig('lab', 'gpu-01', { user: 'agent-gpu-01', password: 'secret-01' })));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-agent-outage-'));
  let child: ChildProcess | undefined;
  let log = '';
  before(() => server.start());
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Time from `since` (or from when the asking client got its own connection, if later: the agent's part is what is
   * measured) until the agent's service answers again (`$SRV.PING`, asked every 50 ms); then a probe command must
   * be answered too (untimed: a probe runs programs on the host, which says nothing about reconnecting).
   */
  async function answersAfter(since: number, timeoutMs: number): Promise<number> {
    const nc = await connect({ servers: server.url, user: 'admin', pass: 'admin-secret' });
    since = Math.max(since, Date.now());
    try {
      const deadline = Date.now() + timeoutMs;
      let answeredAfter: number | undefined;
      while (answeredAfter === undefined) {
        if (
          await nc.request(`$SRV.PING.${SERVICE_NAME}`, '', { timeout: 500 }).then(
            () => true,
            () => false,
          )
        )
          answeredAfter = Date.now() - since;
        else if (Date.now() > deadline) throw new Error(`the agent did not answer within ${timeoutMs} ms:\n${log}`);
        else await sleep(50);
      }
      await nc.request(new Subjects('lab').command('gpu-01', 'probe'), '{}', { timeout: 15_000 });
      return answeredAfter;
    } finally {
      await nc.close();
    }
  }

  it("answers within 2 s of the server's return and stores what it saw meanwhile, creating the lost stream itself", async () => {
    const gpuFile = path.join(dir, 'nvidia-smi.csv');
    placeFixture('nvidia-smi-2gpu.csv', gpuFile);
    const passwordFile = path.join(dir, 'password');
    writeFileSync(passwordFile, 'secret-01\n', { mode: 0o600 });
    const stateDir = path.join(dir, 'state');
    child = spawn(
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
        '200ms',
        '--gpu',
        'nvidia',
        '--exo-url',
        '',
        '--state-dir',
        stateDir,
      ],
      {
        env: {
          ...process.env,
          PATH: `${path.join(natsFixtures(), 'bin')}${path.delimiter}${process.env.PATH}`,
          FAKE_NVIDIA_SMI_OUTPUT: gpuFile,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr?.on('data', (d) => {
      log += d;
    });
    await answersAfter(Date.now(), 15_000);
    // The agent created the stream for its agent-started event (nobody else did).
    await waitFor('agent-started stored', () => /created/.test(log), 10_000);

    const figures: string[] = [];
    // A plain outage, then one where the server comes back without its store and a GPU vanished meanwhile.
    await server.kill();
    await sleep(2000);
    await server.start();
    figures.push(`${await answersAfter(Date.now(), 10_000)} ms after a 2 s outage`);

    await server.kill();
    server.wipeStore();
    placeFixture('nvidia-smi-1gpu.csv', gpuFile);
    const outbox = path.join(stateDir, 'outbox.jsonl');
    await waitFor(
      "gpu-missing kept in the agent's outbox file",
      () => existsSync(outbox) && readFileSync(outbox, 'utf8').includes('"gpu-missing"'),
      10_000,
    );
    await server.start();
    figures.push(`${await answersAfter(Date.now(), 10_000)} ms after a wiped-store restart`);
    console.log(`# agent answered ${figures.join('; ')}`);
    for (const f of figures) assert.ok(Number.parseInt(f, 10) < 2000, f);

    const nc = await connect({ servers: server.url, user: 'admin', pass: 'admin-secret' });
    try {
      let stored: StoredEvent[] = [];
      await waitFor(
        'gpu-missing stored',
        () => stored.some((e) => e.action === 'gpu-missing'),
        10_000,
        async () => {
          stored = await readStream(nc).catch(() => []);
        },
      );
      assert.equal(stored.filter((e) => e.action === 'gpu-missing').length, 1, 'stored once');
      assert.equal(stored[0].source, 'agent:gpu-01');
      assert.match(log, /LAB_EVENTS did not exist on the server \(a new or wiped store\); created it/);
      assert.doesNotMatch(log, /jetstream is not enabled/i);
      await waitFor("the agent's outbox emptied", () => readFileSync(outbox, 'utf8') === '', 5000);
    } finally {
      await nc.close();
    }
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  });
});
