// The generated flake against upstream: every host of every example and of generated variants (1 host, 100 hosts, TLS
// and leaf nodes, AMD, the NVIDIA datacenter driver, a facter report, nix-darwin hosts) goes through the generated
// flake.nix's `outputs` into nixpkgs' real lib.evalModules (../shared/upstream/nixpkgs-lib), with the upstream options
// declared from the option facts and disko layouts checked by disko's own types; an unknown option, a value of the
// wrong type or a failed assertion fails the test (test/support/eval-flake.nix says what is stood in for).
// Every NATS configuration the module system produces (services.nats.settings as nixpkgs writes nats.conf, and the
// nix-darwin launchd config) is checked by the real `nats-server -c FILE -t`: where nixpkgs checks it while building
// (validateConfig), in an empty folder as in the build sandbox. Then a hub and two leaf nodes of a TLS cluster
// (certificates made by openssl here, client certificates required, leaf credentials, a named leaf account) run from
// exactly their generated settings: the leaves connect over TLS, every JetStream domain differs, and an event published
// on a leaf lands in the hub's event stream. Only ports and store folders are moved apart, as three servers share this
// machine. One nix-instantiate evaluates all flakes (the 100-host one once).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, nkeys, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { loadSpec } from '#core/validate';
import { generateFlake } from '../../core/src/flake/generate';
import { SUPPORTED_RELEASE } from '../../core/src/flake/pins';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, planWrite } from '#core/flake';
import { createEvent, eventHeaders, EventStore } from '../../core/src/nats/events';
import { Subjects } from '#core/nats';
import type { ClusterSpec } from '#core/spec';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { syntheticCluster } from '../support/flakeClusters';
import { evaluateFlakes, type FlakeReport } from '../support/evalFlake';
import { readOptionFacts } from '../support/optionDeclarations';
import { nixpkgsLib, upstreamSource } from '../support/upstream';
import { freePort } from './nats-harness';

const run = promisify(execFile);
const repo = path.dirname(findTemplatesDir(__dirname));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'flake-eval-'));
const sandbox = path.join(tmp, 'sandbox');
const tls = path.join(tmp, 'tls');
const procs: ChildProcess[] = [];
const connections: NatsConnection[] = [];
const ports = { client: 0, leafnode: 0, monitoring: 0 };
const hostCounts = new Map<string, number>();
let reports: Record<string, FlakeReport>;
let checked = 0;

after(async () => {
  await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
  for (const p of procs) p.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: tls });
}

/** A CA, and one certificate for 127.0.0.1 that every server presents and uses as its client certificate. */
async function makeCertificates(): Promise<void> {
  mkdirSync(tls, { recursive: true });
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=test cluster CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(path.join(tls, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.crt',
  );
}

/** A leaf's .creds file: a user JWT and the user's nkey seed (the hub here has no operator, so the JWT is not checked). */
function writeCreds(file: string): void {
  const user = nkeys.createUser();
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64({ typ: 'JWT', alg: 'ed25519-nkey' })}.${b64({ sub: user.getPublicKey(), nats: { type: 'user' } })}.${Buffer.from('signature').toString('base64url')}`;
  writeFileSync(
    file,
    `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n`,
    { mode: 0o600 },
  );
}

function tlsCluster(): ClusterSpec {
  const host = (name: string, roles: ClusterSpec['hosts'][number]['roles']) => ({
    name,
    addresses: [name === 'hub' ? '127.0.0.1' : `127.0.0.${name === 'leaf-a' ? 2 : 3}`],
    roles,
    hardware: { gpus: [{ vendor: 'nvidia' as const, model: 'RTX 4090', vramGB: 24, count: 1, computeCapability: '8.9' }] },
  });
  return {
    cluster: {
      name: 'natstest',
      domain: 'natstest.internal',
      nixpkgs: 'github:NixOS/nixpkgs/nixos-26.05',
      system: 'x86_64-linux',
      stateVersion: '26.05',
    },
    hosts: [
      host('hub', ['nats-hub', 'exo-worker']),
      host('leaf-a', ['nats-leaf', 'exo-worker']),
      host('leaf-b', ['nats-leaf', 'exo-worker']),
    ],
    nats: {
      url: `tls://127.0.0.1:${ports.client}`,
      ports: { client: ports.client, leafnode: ports.leafnode, monitoring: ports.monitoring },
      leaf: { remotes: [{ url: `tls://127.0.0.1:${ports.leafnode}`, credentials: path.join(tmp, 'leaf.creds'), account: 'CLUSTER' }] },
      jetstream: { domain: 'natstest', storeDir: path.join(tmp, 'js') },
      tls: {
        certFile: path.join(tls, 'server.crt'),
        keyFile: path.join(tls, 'server.key'),
        caFile: path.join(tls, 'ca.crt'),
        verify: true,
      },
    },
  };
}

const tested = new Set<string>();

/**
 * `nats-server -c FILE -t` on a settings object, in `cwd`. Configs that differ only in the server's name and JetStream
 * domain (a hundred leaves) are one check: those two values are plain strings to the parser.
 */
async function natsTest(settings: any, name: string, cwd: string): Promise<void> {
  const shape = JSON.stringify({
    ...settings,
    server_name: '',
    jetstream: settings.jetstream && { ...settings.jetstream, domain: '' },
    cwd,
  });
  if (tested.has(shape)) return;
  tested.add(shape);
  const file = path.join(tmp, 'conf', `${name}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(settings, null, 1));
  const { stderr } = await run('nats-server', ['-c', file, '-t'], { cwd }).catch((err) => {
    throw new Error(`nats-server -t refused the generated config of ${name}: ${err.stderr ?? err}`);
  });
  assert.match(stderr, /is valid/);
  checked++;
}

/** The TLS files of an example's config (host paths such as /var/lib/nats/tls) replaced by this test's certificates. */
function withTestCertificates(settings: any): any {
  return JSON.parse(JSON.stringify(settings), (key, value) => {
    if (key === 'cert_file') return path.join(tls, 'server.crt');
    if (key === 'key_file') return path.join(tls, 'server.key');
    if (key === 'ca_file') return path.join(tls, 'ca.crt');
    return value;
  });
}

async function writeFlake(name: string, spec: ClusterSpec, facterReports?: Map<string, string>): Promise<string> {
  const templates = await readTemplates(findTemplatesDir(repo));
  const dir = path.join(tmp, 'flakes', name);
  await applyPlan(await planWrite(dir, generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN, facterReports }).files));
  hostCounts.set(name, spec.hosts.length);
  return dir;
}

const evaluate = (flakes: Record<string, string>) => evaluateFlakes(flakes, tmp);

async function evaluationError(flakeDir: string): Promise<string> {
  try {
    await evaluate({ bad: flakeDir });
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  return '';
}

before(async () => {
  Object.assign(ports, { client: await freePort(), leafnode: await freePort(), monitoring: await freePort() });
  mkdirSync(sandbox, { recursive: true });
  await makeCertificates();
  writeCreds(path.join(tmp, 'leaf.creds'));
  const flakes: Record<string, string> = {};
  for (const example of ['two-node-nvidia', 'mixed-thunderbolt', 'lab', 'hundred-node']) {
    const loaded = await loadSpec(path.join(repo, 'examples', example));
    flakes[example] = await writeFlake(example, loaded.model.spec);
  }
  flakes['one-host'] = await writeFlake('one-host', syntheticCluster(1));
  const facter = syntheticCluster(2);
  facter.hosts[1].hardware = { ...facter.hosts[1].hardware, facterReport: 'facter/node-0002.json' };
  flakes.facter = await writeFlake('facter', facter, new Map([['node-0002', '{"version":1,"system":"x86_64-linux","hardware":{}}']]));
  // The datacenter driver (Fabric Manager) is a choice for custom.nix; the generated gpu module must stay consistent.
  flakes.datacenter = await writeFlake('datacenter', syntheticCluster(2));
  writeFileSync(path.join(flakes.datacenter, 'hosts/node-0001/custom.nix'), '{ ... }: { gpuCluster.gpu.nvidia.datacenter = true; }\n');
  flakes.tls = await writeFlake('tls', tlsCluster());
  reports = await evaluate(flakes);
});

test('every host of every example and variant evaluates with the real module system: no unknown option, type error or failed assertion', () => {
  let hosts = 0;
  for (const [name, report] of Object.entries(reports)) {
    const all = { ...report.nixos, ...report.darwin };
    assert.equal(Object.keys(all).length, hostCounts.get(name), `${name}: every host evaluated`);
    for (const [host, r] of Object.entries(all)) {
      assert.deepEqual(r.failedAssertions, [], `${name}/${host}`);
      // Enough defined options to be a whole host (networking, users, services, the gpuCluster modules).
      assert.ok(r.forced > 40, `${name}/${host}: ${r.forced} options forced`);
      hosts++;
    }
  }
  console.log(`evaluated ${hosts} hosts in ${Object.keys(reports).length} flakes with lib.evalModules`);
  assert.ok(Object.keys(reports['hundred-node'].nixos).length === 100);
});

test('the evaluation reports an option upstream does not declare and a value of the wrong type', async () => {
  const dir = await writeFlake('bad-option', syntheticCluster(1));
  writeFileSync(path.join(dir, 'hosts/node-0001/custom.nix'), '{ ... }: { services.nats.host = "0.0.0.0"; }\n');
  assert.match(await evaluationError(dir), /The option `services\.nats\.host' does not exist/);
  writeFileSync(path.join(dir, 'hosts/node-0001/custom.nix'), '{ ... }: { services.k3s.role = "master"; }\n');
  assert.match(await evaluationError(dir), /services\.k3s\.role' is not of type `one of "server", "agent"'/);
  writeFileSync(
    path.join(dir, 'hosts/node-0001/custom.nix'),
    '{ ... }: { gpuCluster.checkpoint.storeDir = "/srv/x\\nf+ /etc/sudoers.d/x"; }\n',
  );
  assert.match(await evaluationError(dir), /gpuCluster\.checkpoint\.storeDir' is not of type `string matching the pattern/);
  writeFileSync(
    path.join(dir, 'hosts/node-0001/custom.nix'),
    '{ ... }: { gpuCluster.network.interfaces.eno1.addresses = [ "10.0.0.1/24\\nip link del eno1" ]; }\n',
  );
  assert.match(
    await evaluationError(dir),
    /gpuCluster\.network\.interfaces\.eno1\.addresses\."\[definition \d+-entry 1\]"' is not of type `string matching the pattern/,
  );
});

test("disko layouts go through disko's own types into fileSystems and swap", () => {
  const nv1 = reports['mixed-thunderbolt'].nixos['nv-1'];
  assert.deepEqual([...nv1.fileSystems!].sort(), ['/', '/boot', '/nix', '/var/lib/nats']);
  const gpuB = reports['two-node-nvidia'].nixos['gpu-b'];
  assert.ok(gpuB.fileSystems!.includes('/') && gpuB.fileSystems!.includes('/var/lib/exo'));
});

test('checkpoint policies are a systemd timer and a oneshot service on each checkpoint host, nothing elsewhere', () => {
  for (const host of ['hub-1', 'gpu-2']) {
    const r = reports.lab.nixos[host];
    // nixpkgs' timerOptions (nixos/lib/systemd-unit-options.nix @ 515c8fb5): timerConfig is the [Timer] section
    assert.deepEqual(
      r.timers,
      { 'gpu-checkpoint-exo-hourly': { OnBootSec: '1h', OnUnitActiveSec: '1h', Unit: 'gpu-checkpoint-exo-hourly.service' } },
      host,
    );
    const args = [
      'checkpoint',
      'policy',
      '--dir',
      '/var/lib/gpu-cluster/checkpoints',
      '--retain',
      '3',
      '--lock-timeout',
      '10000',
      '--host',
      host,
      '--unit',
      'exo',
    ];
    const execStart = r.execStart!['gpu-checkpoint-exo-hourly']!;
    assert.match(execStart, /^"\/nix\/store\/[a-z0-9]{32}-gpu-cluster-agent\/bin\/gpu-cluster-agent" /);
    assert.ok(execStart.endsWith(` ${args.map((a) => JSON.stringify(a)).join(' ')}`), execStart);
  }
  for (const [host, r] of Object.entries(reports.lab.nixos)) {
    if (host !== 'hub-1' && host !== 'gpu-2') assert.deepEqual(r.timers, {}, `${host} has no checkpoint-agent role`);
  }
  assert.equal(reports.lab.darwin['mac-studio'].timers, null);
});

test('a policy name or interval that would break the unit file is a type error', async () => {
  const dir = await writeFlake('bad-policy', syntheticCluster(1));
  writeFileSync(
    path.join(dir, 'hosts/node-0001/custom.nix'),
    '{ ... }: { gpuCluster.checkpoint.policies."../x y.timer" = { units = [ "exo" ]; interval = "1h"; }; }\n',
  );
  assert.match(
    await evaluationError(dir),
    /gpuCluster\.checkpoint\.policies\."\.\.\/x y\.timer"\.name' is not of type `string matching the pattern/,
  );
  writeFileSync(
    path.join(dir, 'hosts/node-0001/custom.nix'),
    '{ ... }: { gpuCluster.checkpoint.policies.p = { units = [ "exo" ]; interval = "1h\nOnCalendar=minutely"; }; }\n',
  );
  assert.match(await evaluationError(dir), /gpuCluster\.checkpoint\.policies\.p\.interval' is not of type `string matching the pattern/);
});

test('the rows of the upstream-truth table hold on the evaluated hosts', () => {
  const hub = reports['mixed-thunderbolt'].nixos['nv-1'];
  // services.nats has no `host`; the listen address is settings.host.
  assert.equal(hub.nats!.settings.host, '0.0.0.0');
  // TLS files exist on the host, not in the build sandbox where validateConfig runs nats-server -t.
  assert.equal(hub.nats!.validateConfig, false);
  assert.equal(reports['two-node-nvidia'].nixos['gpu-a'].nats!.validateConfig, true);
  // The leaf defines the account its remote names, verifies the hub with the cluster CA, and has its own domain.
  const leaf = reports['mixed-thunderbolt'].nixos['amd-1'].nats!.settings;
  assert.ok(leaf.accounts.CLUSTER);
  assert.equal(leaf.leafnodes.remotes[0].tls.ca_file, '/var/lib/nats/tls/ca.crt');
  assert.notEqual(leaf.jetstream.domain, hub.nats!.settings.jetstream.domain);
  // The agent's polkit rule needs polkit itself.
  assert.equal(hub.polkit, true);
  // The datacenter driver without X11's nvidia driver (nixpkgs asserts they exclude each other).
  assert.deepEqual(reports.datacenter.nixos['node-0001'].videoDrivers!.includes('nvidia'), false);
  assert.deepEqual(reports.datacenter.nixos['node-0002'].videoDrivers!.includes('nvidia'), true);
});

test("the flake pins the supported release, and nix-darwin's branch matches the nixpkgs it follows", () => {
  const flake = readFileSync(path.join(tmp, 'flakes/mixed-thunderbolt/flake.nix'), 'utf8');
  const darwin = JSON.parse(readFileSync(path.join(upstreamSource('nix-darwin'), 'version.json'), 'utf8')) as {
    release: string;
    isReleaseBranch: boolean;
  };
  assert.equal(darwin.release, SUPPORTED_RELEASE);
  assert.equal(darwin.isReleaseBranch, true);
  assert.match(flake, new RegExp(`nixpkgs\\.url = "github:NixOS/nixpkgs/nixos-${SUPPORTED_RELEASE}";`));
  assert.match(flake, new RegExp(`nixpkgs-darwin\\.url = "github:NixOS/nixpkgs/nixpkgs-${darwin.release}-darwin";`));
  assert.match(flake, new RegExp(`url = "github:nix-darwin/nix-darwin/nix-darwin-${darwin.release}";`));
});

test('nats-server -t accepts every generated NATS config, in an empty folder wherever nixpkgs checks it at build time', async () => {
  let configs = 0;
  for (const [flake, report] of Object.entries(reports)) {
    for (const [host, r] of Object.entries(report.nixos)) {
      if (!r.nats) continue;
      configs++;
      const name = `${flake}-${host}`;
      // nixpkgs' build runs nats-server -t in the sandbox, where the host's files are not.
      if (r.nats.validateConfig) await natsTest(r.nats.settings, `${name}-build`, sandbox);
      else assert.ok(r.nats.settings.tls, `${name}: the build-time check is off only for configs that read TLS files`);
      await natsTest(withTestCertificates(r.nats.settings), name, sandbox);
    }
    for (const [host, r] of Object.entries(report.darwin)) {
      if (!r.gpuClusterNats) continue;
      configs++;
      await natsTest(withTestCertificates(r.gpuClusterNats), `${flake}-${host}-darwin`, sandbox);
    }
  }
  console.log(`nats-server -t: ${configs} generated NATS configs, ${checked} distinct files checked`);
  assert.ok(configs >= 110, `${configs} configs`);
});

async function startServer(name: string, settings: object): Promise<void> {
  const file = path.join(tmp, 'conf', `${name}-run.json`);
  writeFileSync(file, JSON.stringify(settings, null, 1));
  await run('nats-server', ['-c', file, '-t']);
  const proc = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.on('data', (d) => {
    log += d;
  });
  proc.once('exit', (code) => {
    if (code) console.error(`${name} exited ${code}:\n${log}`);
  });
  procs.push(proc);
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const tlsOptions = () => ({
  caFile: path.join(tls, 'ca.crt'),
  certFile: path.join(tls, 'server.crt'),
  keyFile: path.join(tls, 'server.key'),
});

test("a TLS hub and two leaf nodes run from their generated settings; an event published on a leaf reaches the hub's stream", async () => {
  const hosts = reports.tls.nixos;
  const hub = hosts.hub.nats!.settings;
  // The settings as generated: TLS with client certificates, the leaf account, CA-verified tls:// remotes with credentials.
  assert.equal(hosts.hub.nats!.validateConfig, false);
  assert.deepEqual(hub.leafnodes.port, ports.leafnode);
  assert.equal(hub.tls.verify, true);
  const domains = new Set<string>([hub.jetstream.domain]);
  await startServer('hub', hub);
  const leafPorts: number[] = [];
  for (const name of ['leaf-a', 'leaf-b']) {
    const leaf = hosts[name].nats!.settings;
    assert.equal(leaf.leafnodes.remotes[0].url, `tls://127.0.0.1:${ports.leafnode}`);
    assert.equal(leaf.leafnodes.remotes[0].tls.ca_file, path.join(tls, 'ca.crt'));
    assert.equal(leaf.leafnodes.remotes[0].credentials, path.join(tmp, 'leaf.creds'));
    assert.ok(leaf.accounts.CLUSTER, `${name} defines the account its remote binds`);
    domains.add(leaf.jetstream.domain);
    const [client, monitoring] = [await freePort(), await freePort()];
    leafPorts.push(client);
    // Three servers on one machine: each leaf gets its own client and monitoring port and store folder.
    await startServer(name, {
      ...leaf,
      port: client,
      http: `127.0.0.1:${monitoring}`,
      jetstream: { ...leaf.jetstream, store_dir: path.join(tmp, `js-${name}`) },
    });
  }
  assert.equal(domains.size, 3, `every JetStream domain differs: ${[...domains].join(', ')}`);

  await poll('both leaf nodes connect to the hub over TLS', async () => {
    const leafz = await fetch(`http://127.0.0.1:${ports.monitoring}/leafz`).then(
      (r) => r.json() as Promise<{ leafnodes: number; leafs: { name: string }[] }>,
    );
    return leafz.leafnodes === 2 ? leafz : undefined;
  });

  // The extension's event store on the hub; a client of leaf-a publishes an event of host leaf-a.
  const hubConn = await connect({ servers: `tls://127.0.0.1:${ports.client}`, tls: tlsOptions(), name: 'test-hub' });
  connections.push(hubConn);
  const store = new EventStore(hubConn, 'natstest.internal');
  await store.ensureStream();
  const leafConn = await connect({ servers: `tls://127.0.0.1:${leafPorts[0]}`, tls: tlsOptions(), name: 'test-leaf' });
  connections.push(leafConn);
  const event = createEvent({ aggregate: 'leaf-a', action: 'deployed', data: { generation: 1 }, source: 'flake-nats.test' });
  const subject = new Subjects('natstest.internal').event('leaf-a', 'deployed');
  const jsm = await jetstreamManager(hubConn);
  // Until the hub's stream interest has crossed the leaf link, a core publish on the leaf has no one to go to.
  const stored = await poll("the event published on leaf-a lands in the hub's stream", async () => {
    leafConn.publish(subject, JSON.stringify(event), { headers: eventHeaders(event) });
    await leafConn.flush();
    const info = await jsm.streams.info(store.stream);
    return info.state.messages > 0 ? info : undefined;
  });
  const message = await jsm.streams.getMessage(store.stream, { seq: stored.state.first_seq });
  assert.equal(message?.subject, subject);
  assert.equal(message?.json<{ id: string }>().id, event.id);
});

/** A command line as systemd splits it: double-quoted words with C escapes (`%%`, `$$` for literal `%`, `$`), or bare words. */
function systemdWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] === undefined ? m[2] : (JSON.parse(`"${m[1]}"`) as string).replace(/%%/g, '%').replace(/\$\$/g, '$'),
  );
}

test('hostile values stay one argument in unit files and never reach tmpfiles, polkit or shell lines unchecked', async () => {
  const evil = 'x\nExecStartPre=/bin/sh -c "id>/tmp/pwned" %h $HOME ${HOME} \\';
  const spec = syntheticCluster(2);
  spec.exo = { ...spec.exo, namespace: evil };
  spec.nats = { ...spec.nats!, url: `nats://10.100.0.10:4222,${evil}` };
  spec.hosts[1].k3s = { extraFlags: [evil, '--node-label=a b'] };
  const dir = await writeFlake('hostile', spec);
  const report = (await evaluate({ hostile: dir })).hostile.nixos;
  for (const [host, r] of Object.entries(report)) {
    for (const [unit, execStart] of Object.entries(r.execStart!)) {
      if (execStart === null) continue;
      assert.doesNotMatch(execStart, /[\n\r]/, `${host}/${unit}: a newline would start a new unit directive`);
      assert.doesNotMatch(execStart.replace(/%%|%d\/nats\.creds/g, ''), /%/, `${host}/${unit}: no specifier but the credentials directory`);
      assert.doesNotMatch(execStart.replace(/\$\$/g, ''), /\$/, `${host}/${unit}: no variable expansion`);
    }
    const exo = systemdWords(r.execStart!.exo!);
    assert.equal(exo[exo.indexOf('--namespace') + 1], evil, `${host}: exo gets the namespace as one argument`);
    const agent = systemdWords(r.execStart!['gpu-cluster-agent']!);
    assert.equal(agent[agent.indexOf('--nats-url') + 1], spec.nats!.url);
    // The polkit rule is constant text: no option value is spliced into its JavaScript.
    assert.equal(r.polkitRules!.includes(host), false);
    // tmpfiles rules carry only checked paths (types.strMatching in the modules, the same pattern in the schema).
    for (const rule of r.tmpfiles!) assert.match(rule, /^[dL]\+? \/[A-Za-z0-9._@+=,:/-]* /);
  }
  assert.deepEqual(systemdWords(report['node-0002'].k3sExtraFlags as string).slice(-2), [evil, '--node-label=a b']);
  assert.equal(report['node-0001'].polkitRules, report['node-0002'].polkitRules);
});

test("every option fact names its upstream file and commit, and its type is what nixpkgs' lib prints for its type expression", async () => {
  const counts: string[] = [];
  for (const platform of ['nixos', 'darwin'] as const) {
    const entries = Object.entries(readOptionFacts(platform).options);
    let withCommit = 0;
    for (const [name, fact] of entries) {
      const declaration = fact.declarations?.[0];
      assert.ok(declaration?.name && declaration.url, `${name}: upstream file and link`);
      assert.ok(declaration.url!.endsWith(`/${declaration.name}`), `${name}: the link is to the file`);
      const commit = /\/blob\/([0-9a-f]{40})\//.exec(declaration.url!);
      assert.ok(commit || declaration.url!.includes('/blob/master/'), `${name}: ${declaration.url}`);
      if (commit) withCommit++;
    }
    const expr = `let lib = import ${nixpkgsLib()}; inherit (lib) types mkOption; in [ ${entries.map(([, f]) => `(${f.nixType}).description`).join(' ')} ]`;
    const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '-E', expr], { maxBuffer: 16 << 20 });
    const described = JSON.parse(stdout) as string[];
    entries.forEach(([name, fact], i) => assert.equal(fact.type, described[i], name));
    counts.push(`${platform}: ${entries.length} facts, ${withCommit} with a commit`);
  }
  console.log(`option facts: ${counts.join('; ')}`);
});
