// The agent's container service (dist/agent.js as a real process) over a real nats-server, driving a nixos-container
// stand-in (test/fixtures/containers/nixos-container: the commands, messages and files of nixpkgs' nixos-container.pl
// 1b87194, under a temporary root). Lifecycle create → list → start → status → stop → destroy over request/reply, every
// change an event in the stream; declarative containers, imperative drift; an agent killed in the middle of a create
// (with its tool, as systemd stops the unit's cgroup, or alone) and a NATS outage lose no event; an agent's NATS user
// cannot reach another host's container commands.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { AgentCommandClient, AgentCommandError, EventStore, type StoredEvent, Subjects, type TelemetrySample } from '#core/nats';
import { agentUserConfig } from '../../core/src/nats/permissions';
import { containerCommands, LIFECYCLE_STORY, storyLine } from '../support/containerAgent';
import { clusterAccountConfig, NatsServer, repoRoot, waitFor } from './nats-harness';

const config = clusterAccountConfig(
  agentUserConfig('lab', 'gpu-01', { user: 'agent-gpu-01', password: 'secret-01' }),
  agentUserConfig('lab', 'gpu-02', { user: 'agent-gpu-02', password: 'secret-02' }),
);
const tool = () => path.join(repoRoot(), 'test/fixtures/containers/nixos-container');

describe('container service of the agent', () => {
  const server = new NatsServer(config);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'containers-agent-'));
  const root = path.join(dir, 'root');
  const store = path.join(dir, 'store');
  const hold = path.join(dir, 'build-done');
  const children: ChildProcess[] = [];
  let admin: NatsConnection;
  let events: EventStore;
  let commands: AgentCommandClient;

  const startAgent = () => {
    const passwordFile = path.join(dir, 'pw');
    writeFileSync(passwordFile, 'secret-01\n', { mode: 0o600 });
    // detached: its own process group, so "kill the unit" can take the tool along as systemd does.
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
        '200ms',
        '--gpu',
        'none',
        '--exo-url',
        '',
        '--state-dir',
        path.join(dir, 'state'),
        '--container-tool',
        tool(),
        '--container-root',
        root,
        '--declared-container',
        'infer',
      ],
      {
        env: { ...process.env, NIXOS_CONTAINER_ROOT: root, NIXOS_CONTAINER_STORE: store, NIXOS_CONTAINER_HOLD: hold },
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      },
    );
    let log = '';
    child.stderr?.on('data', (d) => {
      log += d;
    });
    children.push(child);
    return { child, log: () => log };
  };

  const containerEvents = async (): Promise<StoredEvent[]> => {
    const page = await events.page({ aggregate: 'gpu-01' }, { limit: 500 });
    return page.events.filter((e) => e.action.startsWith('container-')).reverse();
  };
  const waitForEvents = async (what: string, check: (e: StoredEvent[]) => boolean, timeoutMs = 15_000) => {
    let latest: StoredEvent[] = [];
    // While the server is coming back a read may time out: the next poll tries again.
    await waitFor(
      what,
      () => check(latest),
      timeoutMs,
      async () => {
        latest = await containerEvents().catch(() => latest);
      },
    );
    return latest;
  };
  let commandsTo: ReturnType<typeof containerCommands>;
  const run: ReturnType<typeof containerCommands>['run'] = (...args) => commandsTo.run(...args);
  const agentUp = () => commandsTo.agentUp();
  const killGroup = async (child: ChildProcess) => {
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  };

  before(async () => {
    await server.start();
    admin = await connect({ servers: server.url, user: 'admin', pass: 'admin-secret' });
    events = new EventStore(admin, 'lab');
    await events.ensureStream();
    commands = new AgentCommandClient(() => admin, 'lab', 10_000);
    commandsTo = containerCommands(commands, 'gpu-01');
    // A declarative container as NixOS puts it there: its .conf a link into the (read-only) store.
    mkdirSync(path.join(root, 'etc/nixos-containers'), { recursive: true });
    mkdirSync(store, { recursive: true });
    writeFileSync(path.join(store, 'infer.conf'), 'PRIVATE_NETWORK=1\nHOST_ADDRESS=10.233.1.1\nLOCAL_ADDRESS=10.233.1.2\nAUTO_START=1\n');
    symlinkSync(path.join(store, 'infer.conf'), path.join(root, 'etc/nixos-containers/infer.conf'));
    writeFileSync(hold, '');
  });
  after(async () => {
    for (const c of children)
      if (c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(-c.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    await admin?.close();
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates, lists, starts, stops and destroys over NATS, each change an event with the caller's correlation id", async () => {
    startAgent();
    await agentUp();
    const created = await run<{ name: string; hostAddress: string; localAddress: string; state: string; declarative: boolean }>(
      'container.create',
      { name: 'web', services: ['nginx'] },
      'op-create',
    );
    assert.equal(created.via, 'nats');
    // The tool's address allocation: 10.233.1.x is taken by the declarative container, so the next pair.
    assert.deepEqual(
      { ...created.result },
      { name: 'web', hostAddress: '10.233.2.1', localAddress: '10.233.2.2', state: 'down', declarative: false, drift: true },
    );
    // What nixos-container create wrote: the .conf lines and the configuration with the checked service names.
    assert.equal(
      readFileSync(path.join(root, 'etc/nixos-containers/web.conf'), 'utf8'),
      'PRIVATE_NETWORK=1\nHOST_ADDRESS=10.233.2.1\nLOCAL_ADDRESS=10.233.2.2\nHOST_BRIDGE=\nHOST_PORT=\nAUTO_START=0\n',
    );
    assert.match(
      readFileSync(path.join(root, 'var/lib/nixos-containers/web/etc/nixos/configuration.nix'), 'utf8'),
      /^  services\.nginx\.enable = true;$/m,
    );

    const list = await run<{ containers: { name: string; declarative: boolean; drift: boolean; state: string }[]; missing: string[] }>(
      'container.list',
      {},
    );
    assert.deepEqual(
      list.result.containers.map(
        (c) => `${c.name}:${c.state}:${c.declarative ? 'declarative' : 'imperative'}:${c.drift ? 'drift' : 'spec'}`,
      ),
      ['infer:down:declarative:spec', 'web:down:imperative:drift'],
    );
    assert.deepEqual(list.result.missing, []);

    assert.equal((await run<{ state: string }>('container.start', { name: 'web' }, 'op-start')).result.state, 'up');
    const status = await run<{ state: string; memoryBytes: number }>('container.status', { name: 'web' });
    assert.equal(status.result.state, 'up');
    assert.equal(status.result.memoryBytes, 104857600);
    assert.equal((await run<{ state: string }>('container.status', { name: 'nothere' })).result.state, 'gone');
    assert.equal((await run<{ state: string }>('container.stop', { name: 'web' }, 'op-stop')).result.state, 'down');

    // Refused: a declarative container cannot be destroyed (the tool says so), a bad name never reaches the tool.
    await assert.rejects(
      run('container.destroy', { name: 'infer' }, 'op-bad'),
      (err: unknown) => err instanceof AgentCommandError && err.code === 500 && /cannot destroy declarative container/.test(err.message),
    );
    await assert.rejects(
      run('container.create', { name: 'my_db' }),
      (err: unknown) => err instanceof AgentCommandError && err.code === 400 && /'_'/.test(err.message),
    );
    await assert.rejects(
      run('container.create', { name: 'inference-gpu' }),
      (err: unknown) => err instanceof AgentCommandError && err.code === 400 && /at most 11/.test(err.message),
    );
    await assert.rejects(
      run('container.create', { name: 'x', services: ['nginx; rm -rf /'] }),
      (err: unknown) => err instanceof AgentCommandError && err.code === 400,
    );
    await assert.rejects(
      run('container.create', { name: 'x', hostAddress: '10.0.0.1' }),
      (err: unknown) => err instanceof AgentCommandError && /go together/.test(err.message),
    );
    assert.equal(existsSync(path.join(root, 'etc/nixos-containers/x.conf')), false);

    await run('container.destroy', { name: 'web' }, 'op-destroy');
    assert.equal(existsSync(path.join(root, 'etc/nixos-containers/web.conf')), false);

    const all = await waitForEvents('the lifecycle events', (e) => e.some((x) => x.action === 'container-destroyed'));
    const story = all.map(storyLine);
    assert.deepEqual(story, LIFECYCLE_STORY);
    for (const e of all) assert.equal(e.source, 'agent:gpu-01');
  });

  it("telemetry carries each container's state and resource use", async () => {
    await run('container.create', { name: 'tel', hostAddress: '10.233.9.1', localAddress: '10.233.9.2' });
    await run('container.start', { name: 'tel' });
    const cpu = path.join(root, 'sys/fs/cgroup/machine.slice/container@tel.service/cpu.stat');
    let sample: TelemetrySample | undefined;
    const sub = admin.subscribe(new Subjects('lab').telemetry('gpu-01'), {
      callback: (_e, m) => {
        sample = m.json<TelemetrySample>();
      },
    });
    // The cgroup's CPU time grows by 0.2 s per 0.2 s sample: one full CPU.
    let usec = 1_000_000;
    const timer = setInterval(() => {
      usec += 100_000;
      writeFileSync(cpu, `usage_usec ${usec}\n`);
    }, 100);
    try {
      await waitFor(
        "a sample with the container's CPU use",
        () => (sample?.containers?.find((c) => c.name === 'tel')?.cpuPercent ?? 0) > 0,
        10_000,
      );
    } finally {
      clearInterval(timer);
      sub.unsubscribe();
    }
    const tel = sample!.containers!.find((c) => c.name === 'tel')!;
    assert.equal(tel.state, 'up');
    assert.equal(tel.memoryBytes, 104857600);
    assert.ok(tel.cpuPercent! > 20 && tel.cpuPercent! < 400, `cpu ${tel.cpuPercent}%`);
    assert.equal(sample!.containers!.find((c) => c.name === 'infer')?.declarative, true);
    await run('container.stop', { name: 'tel' });
    await run('container.destroy', { name: 'tel' });
  });

  it('an agent killed with its tool in the middle of a create records the failure when it comes back; killed after the tool finished, the creation', async () => {
    const before = (await containerEvents()).length;
    rmSync(hold);
    const first = children.at(-1)!;
    const pending = run('container.create', { name: 'slow' }, 'op-slow').catch(() => undefined);
    await waitFor('the tool writing slow.conf', () => existsSync(path.join(root, 'etc/nixos-containers/slow.conf')), 10_000);
    await waitForEvents('container-creating recorded', (e) =>
      e.some((x) => x.action === 'container-creating' && x.correlationId === 'op-slow'),
    );
    await killGroup(first); // the unit's cgroup: agent and tool
    await pending;
    writeFileSync(hold, '');
    startAgent();
    let all = await waitForEvents("the interrupted create's outcome", (e) =>
      e.some((x) => x.action === 'container-failed' && x.correlationId === 'op-slow'),
    );
    const failed = all.find((x) => x.action === 'container-failed' && x.correlationId === 'op-slow')!;
    assert.equal((failed.data as { recovered: boolean }).recovered, true);
    assert.match((failed.data as { leftBehind: string }).leftBehind, /without a built system/);
    await agentUp();
    await run('container.destroy', { name: 'slow' });

    // Killed after the tool had finished but before the outcome was recorded: the journal still names the create,
    // and the tool left a built container (made here by the tool itself, while no agent runs).
    const second = children.at(-1)!;
    await killGroup(second);
    writeFileSync(
      path.join(dir, 'state/container-operation.json'),
      JSON.stringify({ verb: 'create', name: 'slow2', correlationId: 'op-slow2', startedAt: new Date().toISOString() }),
    );
    await new Promise<void>((resolve, reject) =>
      execFile(tool(), ['create', 'slow2'], { env: { ...process.env, NIXOS_CONTAINER_ROOT: root } }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    startAgent();
    all = await waitForEvents('the recovered creation', (e) =>
      e.some((x) => x.action === 'container-created' && x.correlationId === 'op-slow2'),
    );
    const ops = all
      .slice(before)
      .filter((e) => e.correlationId === 'op-slow' || e.correlationId === 'op-slow2')
      .map((e) => `${e.action}:${e.correlationId}`);
    assert.deepEqual(ops, ['container-creating:op-slow', 'container-failed:op-slow', 'container-created:op-slow2']);
    await agentUp();
    await run('container.destroy', { name: 'slow2' });
  });

  it('a NATS outage during a create loses no event: the outcome reaches the stream once the server is back', async () => {
    rmSync(hold);
    const pending = run('container.create', { name: 'outage' }, 'op-outage').catch(() => undefined);
    await waitForEvents('container-creating recorded', (e) =>
      e.some((x) => x.action === 'container-creating' && x.correlationId === 'op-outage'),
    );
    await server.kill();
    writeFileSync(hold, '');
    await pending;
    await waitFor(
      'the build finishing during the outage',
      () => existsSync(path.join(root, 'nix/var/nix/profiles/per-container/outage/system')),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    await server.start();
    await waitFor('the admin connection back', () => !admin.isClosed(), 10_000);
    const all = await waitForEvents(
      'container-created after the outage',
      (e) => e.some((x) => x.action === 'container-created' && x.correlationId === 'op-outage'),
      30_000,
    );
    assert.equal(
      all
        .filter((x) => x.correlationId === 'op-outage')
        .map((x) => x.action)
        .join(','),
      'container-creating,container-created',
    );
  });

  it("an agent's NATS user reaches only its own host's container commands", async () => {
    const other = await connect({ servers: server.url, user: 'agent-gpu-02', pass: 'secret-02' });
    const errors: string[] = [];
    void (async () => {
      for await (const s of other.status()) if (s.type === 'error') errors.push(String((s as { error?: unknown }).error));
    })();
    const h = headers();
    h.set('X-Correlation-ID', 'op-intruder');
    other.subscribe(new Subjects('lab').command('gpu-01', 'container.destroy'));
    other.publish(new Subjects('lab').command('gpu-01', 'container.destroy'), JSON.stringify({ name: 'outage' }), { headers: h });
    await other.flush().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(errors.filter((e) => /permissions violation/i.test(e)).length >= 2, errors.join('; '));
    assert.ok(existsSync(path.join(root, 'etc/nixos-containers/outage.conf')), 'nothing was destroyed');
    await other.close();
  });
});
