// Generated nixos-containers through the real module system: a hub (8 H100s) and a leaf, each with a container, go
// through the generated flake into nixpkgs' real lib.evalModules (test/support/eval-flake.nix), where
// `containers.<name>` is declared from the option facts read from nixos-containers.nix (nixpkgs 00ef614) and each
// container's configuration is evaluated as that module's merge does. Then the host's NATS server runs from exactly its
// generated settings, and the container's nkey user may use its own and its listed subjects and nothing else: not the
// agents' commands, not the event store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, nkeys, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, planWrite } from '#core/flake';
import { Subjects } from '#core/nats';
import type { ClusterSpec } from '#core/spec';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { syntheticCluster } from '../support/flakeClusters';
import { evaluateFlakes, type FlakeReport } from '../support/evalFlake';
import { freePort } from './nats-harness';

const run = promisify(execFile);
const repo = path.dirname(findTemplatesDir(__dirname));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'containers-flake-'));
const user = nkeys.createUser();
const procs: ChildProcess[] = [];
const connections: NatsConnection[] = [];
let report: FlakeReport;

after(async () => {
  await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
  for (const p of procs) p.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function cluster(): ClusterSpec {
  const spec = syntheticCluster(2);
  spec.hosts[0].containers = [
    {
      name: 'infer',
      services: ['openssh'],
      autoStart: true,
      limits: { cpus: 4, memory: '16G' },
      hostAddress: '10.233.1.1',
      localAddress: '10.233.1.2',
      bindMounts: [
        { mountPoint: '/models', hostPath: '/data/models' },
        { mountPoint: '/scratch', readOnly: false },
      ],
      gpu: true,
      nats: {
        nkey: user.getPublicKey(),
        credentials: '/var/lib/gpu-cluster/containers/infer.nk',
        publish: ['jobs.results.>'],
        subscribe: ['jobs.queue.*'],
      },
    },
  ];
  spec.hosts[1].containers = [
    { name: 'web', limits: { cpus: 0.5 } },
    { name: 'db', hostAddress: '10.233.2.1', localAddress: '10.233.2.2' },
  ];
  return spec;
}

async function writeFlake(name: string, spec: ClusterSpec): Promise<string> {
  const templates = await readTemplates(findTemplatesDir(repo));
  const dir = path.join(tmp, name);
  await applyPlan(await planWrite(dir, generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files));
  return dir;
}

async function evaluationError(dir: string): Promise<string> {
  try {
    await evaluateFlakes({ bad: dir }, tmp);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  return '';
}

before(async () => {
  const dir = await writeFlake('containers', cluster());
  report = (await evaluateFlakes({ containers: dir }, tmp)).containers;
});

test('declared containers evaluate with the real module system: nixpkgs options, limits on container@<name>, no failed assertion', () => {
  const hub = report.nixos['node-0001'];
  assert.deepEqual(hub.failedAssertions, []);
  const infer = hub.containers!.infer;
  assert.deepEqual(infer.failedAssertions, []);
  assert.equal(infer.privateNetwork, true);
  assert.equal(infer.autoStart, true);
  assert.equal(infer.hostAddress, '10.233.1.1');
  assert.equal(infer.localAddress, '10.233.1.2');
  assert.deepEqual(infer.unit, { CPUQuota: '400%', MemoryMax: '16G' });
  // The container's own NixOS: its service, the host's state version, its name, and the way to NATS in its environment.
  assert.ok(infer.enabledServices.includes('openssh'));
  assert.equal(infer.stateVersion, '26.05');
  assert.equal(infer.hostName, 'infer');
  assert.deepEqual(infer.environment, {
    NATS_URL: 'nats://10.233.1.1:4222',
    NATS_NKEY_FILE: '/run/nats/credentials',
    NATS_INBOX_PREFIX: '_INBOX_dc_internal_node-0001_infer',
  });
  assert.ok(infer.forced > 20, `${infer.forced} options of the container's configuration forced`);
  // Bind mounts by mount point; the seed read-only; all eight GPUs with the driver, the devices allowed by driver.
  assert.deepEqual(infer.bindMounts['/models'], { mountPoint: '/models', hostPath: '/data/models', isReadOnly: true });
  assert.deepEqual(infer.bindMounts['/scratch'], { mountPoint: '/scratch', hostPath: '/scratch', isReadOnly: false });
  assert.deepEqual(infer.bindMounts['/run/nats/credentials'], {
    mountPoint: '/run/nats/credentials',
    hostPath: '/var/lib/gpu-cluster/containers/infer.nk',
    isReadOnly: true,
  });
  for (let i = 0; i < 8; i++) assert.equal(infer.bindMounts[`/dev/nvidia${i}`]?.isReadOnly, false, `/dev/nvidia${i}`);
  assert.equal(infer.bindMounts['/dev/nvidia8'], undefined);
  assert.deepEqual(
    infer.allowedDevices.map((d) => `${d.node} ${d.modifier}`),
    ['char-nvidia-frontend rw', 'char-nvidia-uvm rw', 'char-nvidia-caps rw'],
  );
  // The only port open to the container is NATS, on its own interface.
  assert.deepEqual(hub.firewallInterfaces, { 've-infer': [4222] });

  const leaf = report.nixos['node-0002'];
  assert.deepEqual(leaf.failedAssertions, []);
  assert.deepEqual(Object.keys(leaf.containers!).sort(), ['db', 'web']);
  assert.deepEqual(leaf.containers!.web.unit, { CPUQuota: '50%' });
  assert.equal(leaf.containers!.web.hostAddress, null);
  assert.deepEqual(leaf.containers!.db.allowedDevices, []);
  assert.deepEqual(leaf.containers!.db.environment, {}, 'no NATS user, no way out');
  assert.deepEqual(leaf.firewallInterfaces, {});
  assert.equal(leaf.gpuClusterNats!.authorization, undefined, 'no container users: the NATS config is unchanged');
});

test('the module refuses what nixos-container would, and values that would break the nspawn flags or the firewall', async () => {
  const dir = await writeFlake('bad', syntheticCluster(1));
  const custom = path.join(dir, 'hosts/node-0001/custom.nix');
  const failed = async () => (await evaluateFlakes({ bad: dir }, tmp)).bad.nixos['node-0001'].failedAssertions.join('\n');
  writeFileSync(custom, '{ ... }: { gpuCluster.containers.my_db = { }; }\n');
  assert.match(await failed(), /gpuCluster\.containers\.my_db: nixos-container accepts/);
  writeFileSync(custom, '{ ... }: { gpuCluster.containers.inference-gpu = { }; }\n');
  assert.match(await failed(), /gpuCluster\.containers\.inference-gpu: .*at most 11 characters/);
  writeFileSync(custom, '{ ... }: { gpuCluster.containers.web.bindMounts."/data".hostPath = "/data --bind=/etc:/x"; }\n');
  assert.match(await evaluationError(dir), /hostPath' is not of type `string matching the pattern/);
  writeFileSync(
    custom,
    '{ ... }: { gpuCluster.containers.web.hostAddress = "10.0.0.1/24"; gpuCluster.containers.web.localAddress = "10.0.0.2"; }\n',
  );
  assert.match(await evaluationError(dir), /hostAddress' is not of type `null or string matching the pattern/);
  writeFileSync(custom, '{ ... }: { gpuCluster.containers.web.nats.subscribe = [ "a b" ]; }\n');
  assert.match(await evaluationError(dir), /subscribe\."\[definition \d+-entry 1\]"' is not of type `string matching the pattern/);
  writeFileSync(custom, '{ ... }: { gpuCluster.containers.web.localAddress = "10.233.9.2"; }\n');
  assert.match(await failed(), /hostAddress and localAddress go together/);
});

test("the host's NATS server runs from its generated settings; the container's nkey user gets its subjects and no agent's", async () => {
  const settings = report.nixos['node-0001'].nats!.settings;
  const users = settings.authorization?.users ?? Object.values<any>(settings.accounts ?? {}).flatMap((a) => a.users ?? []);
  assert.equal(users.filter((u: any) => u.nkey === user.getPublicKey()).length, 1);
  const port = await freePort();
  const file = path.join(tmp, 'hub.json');
  mkdirSync(path.join(tmp, 'js'), { recursive: true });
  // One server on this machine: only the ports and the store folder move.
  writeFileSync(
    file,
    JSON.stringify({
      ...settings,
      host: '127.0.0.1',
      port,
      http: undefined,
      leafnodes: { ...settings.leafnodes, port: await freePort() },
      jetstream: { ...settings.jetstream, store_dir: path.join(tmp, 'js') },
    }),
  );
  const { stderr } = await run('nats-server', ['-c', file, '-t']);
  assert.match(stderr, /is valid/);
  const proc = spawn('nats-server', ['-c', file], { stdio: 'ignore' });
  procs.push(proc);
  const url = `nats://127.0.0.1:${port}`;
  const connectWithRetry = async (opts: Parameters<typeof connect>[0]) => {
    for (let i = 0; ; i++) {
      try {
        return await connect(opts);
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const local = await connectWithRetry({ servers: url, name: 'local' });
  connections.push(local);
  const errors: string[] = [];
  const container = await connectWithRetry({
    servers: url,
    name: 'container',
    authenticator: nkeyAuthenticator(user.getSeed()),
    inboxPrefix: '_INBOX_dc_internal_node-0001_infer',
  });
  connections.push(container);
  void (async () => {
    for await (const s of container.status()) if (s.type === 'error') errors.push(String((s as { error?: unknown }).error ?? s.type));
  })();
  const s = new Subjects('dc.internal');

  // Allowed: its own subjects and the listed ones reach local clients.
  for (const subject of ['dc_internal.containers.node-0001.infer.status', 'jobs.results.7']) {
    const sub = local.subscribe(subject, { max: 1 });
    await local.flush();
    container.publish(subject, 'ok');
    const got = await Promise.race([
      (async () => {
        for await (const m of sub) return m.string();
      })(),
      new Promise((r) => setTimeout(() => r('timeout'), 3000)),
    ]);
    assert.equal(got, 'ok', subject);
  }
  // Refused: an agent command and an event, which the server reports as permission violations and never delivers.
  const command = s.command('node-0001', 'exo.stop');
  const watched = local.subscribe(command);
  const events = local.subscribe(s.hostEvents('node-0001'));
  await local.flush();
  container.publish(command, '{}');
  container.publish(s.event('node-0001', 'deployed'), '{}');
  await container.flush().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(watched.getProcessed() + events.getProcessed(), 0);
  assert.ok(
    errors.some((e) => /permissions violation/i.test(e)),
    errors.join('; '),
  );
});
