// The agent's privileged path to nixos-container (nix-templates/modules/gpu-cluster-agent.nix, agent/src/containerHelper.ts):
// the agent runs unprivileged and starts the root template unit gpu-cluster-container@<verb>-<name>.service, which a
// polkit rule lets its user start and nothing else.
//   1. A generated flake through the real module system (test/support/eval-flake.nix): a host with containers in the
//      spec gets the unit, the results directory, the rule and an agent that uses them; a host without gets none.
//   2. That rule's JavaScript under a polkit stand-in that follows polkit(8): the agent's user may start exactly the
//      container units; other users, units, verbs and escaped names are refused.
//   3. The unit's program as root with hostile instances and requests: refused before nixos-container runs.
//   4. The agent (as another user than root, as DynamicUser runs it) over a real nats-server, through a systemctl
//      stand-in and a stand-in for systemd's start of a oneshot template instance (test/support/systemdStandIn.ts),
//      running the unit's ExecStart from the evaluated flake with the nixos-container stand-in: create, list, start,
//      status, stop and destroy work, with the same events as the direct path; a user the rule does not name is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, planWrite } from '#core/flake';
import { AgentCommandClient, AgentCommandError, EventStore, type StoredEvent } from '#core/nats';
import { agentUserConfig } from '../../core/src/nats/permissions';
import { containerNameProblem } from '../../core/src/spec/containers';
import { AGENT_FLAGS } from '../../agent/src/main';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { syntheticCluster } from '../support/flakeClusters';
import { evaluateFlakes, type HostReport } from '../support/evalFlake';
import { polkitRules } from '../support/polkitStandIn';
import { execArgv, SystemdStandIn } from '../support/systemdStandIn';
import { containerCommands, LIFECYCLE_STORY, storyLine } from '../support/containerAgent';
import { clusterAccountConfig, NatsServer, repoRoot, waitFor } from './nats-harness';

const runFile = promisify(execFile);
const repo = path.dirname(findTemplatesDir(__dirname));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'containers-privileged-'));
// The agent's user reads below it (the containers' root, its state): as on a host, / is readable to all.
chmodSync(tmp, 0o755);
/** The agent's user: not root, as systemd's DynamicUser allocates one (here: nobody's uid). */
const AGENT_UID = 65534;
const fixtures = () => path.join(repoRoot(), 'test/fixtures/containers');
const UNIT = 'gpu-cluster-container';
let hub: HostReport;
let leaf: HostReport;

before(async () => {
  const spec = syntheticCluster(2);
  spec.hosts[0].containers = [{ name: 'infer', hostAddress: '10.233.1.1', localAddress: '10.233.1.2' }];
  const templates = await readTemplates(findTemplatesDir(repo));
  const dir = path.join(tmp, 'flake');
  await applyPlan(await planWrite(dir, generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files));
  const report = (await evaluateFlakes({ flake: dir }, tmp)).flake;
  hub = report.nixos['node-0001'];
  leaf = report.nixos['node-0002'];
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const agentArgv = (host: HostReport) => {
  const argv = execArgv(host.execStart!['gpu-cluster-agent']!);
  return { program: argv[0], values: parseArgs({ args: argv.slice(1), options: AGENT_FLAGS, strict: true }).values };
};

test('a host with containers in the spec gets the root unit, its results directory, the polkit rule and an agent that uses them', () => {
  assert.deepEqual(hub.failedAssertions, []);
  const unit = hub.containerUnit!;
  assert.equal(unit.serviceConfig.Type, 'oneshot');
  assert.equal(unit.serviceConfig.TimeoutStartSec, '1h');
  assert.equal(unit.startLimitIntervalSec, 0, 'every call is a start: no start rate limit');
  assert.equal(unit.serviceConfig.User, undefined, 'root');
  const execStart = hub.execStart!['gpu-cluster-container@']!;
  // `%i` is a word of its own that systemd expands; every other word is quoted with its specifiers doubled.
  assert.match(execStart, / %i$/);
  const argv = execArgv(execStart);
  assert.match(argv[0], /^\/nix\/store\/[a-z0-9]{32}-gpu-cluster-agent\/bin\/gpu-cluster-agent$/);
  assert.deepEqual(argv.slice(1), [
    'container-helper',
    '--requests',
    '/var/lib/gpu-cluster-agent/container-requests',
    '--results',
    '/run/gpu-cluster-container',
    '--tool',
    '/run/current-system/sw/bin/nixos-container',
    '--',
    '%i',
  ]);
  assert.ok(hub.tmpfiles!.includes('d /run/gpu-cluster-container 0755 root root -'));
  assert.equal(hub.polkit, true);
  assert.match(hub.polkitRules!, /subject\.user == "gpu-cluster-agent"/);

  // The agent: systemctl as its tool, the unit and both directories, the spec's containers; its own sandbox unchanged.
  const { values } = agentArgv(hub);
  assert.equal(values['container-tool']!.length, 1);
  assert.match(values['container-tool']![0], /^\/nix\/store\/[a-z0-9]{32}-systemd\/bin\/systemctl$/);
  assert.equal(values['container-unit'], UNIT);
  assert.equal(values['container-requests'], '/var/lib/gpu-cluster-agent/container-requests');
  assert.equal(values['container-results'], '/run/gpu-cluster-container');
  assert.deepEqual(values['declared-container'], ['infer']);
  // The requests lie in the agent's StateDirectory, the one directory it may write.
  assert.ok(values['container-requests']!.startsWith('/var/lib/gpu-cluster-agent/'));

  // A host without containers: none of it, and the agent answers the container commands with "not handled here".
  assert.equal(leaf.containerUnit, null);
  assert.equal(leaf.execStart!['gpu-cluster-container@'], undefined);
  assert.ok(!leaf.tmpfiles!.some((r) => r.includes('gpu-cluster-container')));
  assert.doesNotMatch(leaf.polkitRules ?? '', /gpu-cluster-container/);
  assert.equal(agentArgv(leaf).values['container-tool'], undefined);
});

test('the polkit rule: the agent user may start the container units, and nothing else', () => {
  const decide = polkitRules(hub.polkitRules!);
  const start = (unit: string, user = 'gpu-cluster-agent', verb = 'start') =>
    decide({ action: 'org.freedesktop.systemd1.manage-units', details: { unit, verb }, user });
  for (const unit of [
    'gpu-cluster-container@list.service',
    'gpu-cluster-container@create-web.service',
    'gpu-cluster-container@start-infer.service',
    'gpu-cluster-container@stop-my-db.service',
    'gpu-cluster-container@destroy-abcdefghijk.service',
    'gpu-cluster-container@status-a.service',
  ])
    assert.equal(start(unit), 'yes', unit);
  const refused: [string, string?, string?][] = [
    // other users
    ['gpu-cluster-container@start-web.service', 'alice'],
    ['gpu-cluster-container@start-web.service', 'root'],
    ['gpu-cluster-container@start-web.service', 'gpu-cluster-agent2'],
    // other units
    ['container@web.service'],
    ['gpu-cluster-container@.service'],
    ['gpu-cluster-container@create-x.service.evil'],
    ['xgpu-cluster-container@create-x.service'],
    ['gpu-cluster-container@restart-web.service'],
    ['gpu-cluster-container@list-web.service'],
    ['gpu-cluster-container@create-my_db.service'],
    ['gpu-cluster-container@create-inference-gpu.service'],
    ['gpu-cluster-container@create--web.service'],
    ['gpu-cluster-container@create-web.timer'],
    ['gpu-cluster-container@create-web.socket'],
    // escaped instance names (systemd-escape turns '/' into '-' and other bytes into \xNN)
    ['gpu-cluster-container@create-\\x2e\\x2e.service'],
    ['gpu-cluster-container@create-a\\x2fb.service'],
    ['gpu-cluster-container@start-web\\x0a.service'],
    // other verbs
    ['gpu-cluster-container@start-web.service', undefined, 'stop'],
    ['gpu-cluster-container@start-web.service', undefined, 'restart'],
    ['gpu-cluster-container@start-web.service', undefined, 'reload-or-restart'],
    ['gpu-cluster-container@start-web.service', undefined, 'kill'],
    ['gpu-cluster-container@start-web.service', undefined, 'set-property'],
    ['gpu-cluster-container@start-web.service', undefined, 'enable'],
  ];
  for (const [unit, user, verb] of refused)
    assert.equal(start(unit, user ?? 'gpu-cluster-agent', verb ?? 'start'), undefined, `${user ?? ''} ${verb ?? 'start'} ${unit}`);
  // Other actions are not the rule's: enabling unit files, reloading systemd.
  for (const action of ['org.freedesktop.systemd1.manage-unit-files', 'org.freedesktop.systemd1.reload-daemon'])
    assert.equal(
      decide({ action, details: { unit: 'gpu-cluster-container@start-web.service', verb: 'start' }, user: 'gpu-cluster-agent' }),
      undefined,
    );
  // A detail missing altogether (lookup gives undefined) is no match either.
  assert.equal(
    decide({ action: 'org.freedesktop.systemd1.manage-units', details: { verb: 'start' }, user: 'gpu-cluster-agent' }),
    undefined,
  );
  // The exo rule beside it still holds.
  assert.equal(start('exo.service', 'gpu-cluster-agent', 'restart'), 'yes');
});

test('the unit pattern of the rule and the checks of the unit program take the same names (one definition each side)', async () => {
  const names = ['web', 'my-db', 'a', 'abcdefghijk', '0x', 'my_db', '-web', 'abcdefghijkl', 'a.b', 'a/b', 'a b', '', 'ä'];
  // nix-templates/lib/container-name.nix, as builtins.match reads it (the polkit rule embeds the same text).
  const { stdout } = await runFile('nix-instantiate', [
    '--eval',
    '--strict',
    '--json',
    '--expr',
    `map (n: builtins.match (import ${path.join(repo, 'nix-templates/lib/container-name.nix')}) n != null) (builtins.fromJSON ${JSON.stringify(JSON.stringify(names))})`,
  ]);
  const nix = JSON.parse(stdout) as boolean[];
  const core = names.map((n) => containerNameProblem(n) === undefined);
  assert.deepEqual(nix, core);
  assert.deepEqual(
    core,
    names.map((n) => ['web', 'my-db', 'a', 'abcdefghijk', '0x'].includes(n)),
  );
  // And the rule's unit pattern admits exactly the instances the unit program accepts.
  const decide = polkitRules(hub.polkitRules!);
  for (const n of names) {
    const allowed =
      decide({
        action: 'org.freedesktop.systemd1.manage-units',
        details: { unit: `${UNIT}@start-${n}.service`, verb: 'start' },
        user: 'gpu-cluster-agent',
      }) === 'yes';
    assert.equal(allowed, core[names.indexOf(n)], n);
  }
});

/** A nixos-container stand-in that only records that it ran, and how. */
function recordingTool(dir: string): { path: string; calls: () => string[][] } {
  const file = path.join(dir, 'tool-calls.jsonl');
  const tool = path.join(dir, 'recording-nixos-container');
  writeFileSync(
    tool,
    `#!${process.execPath}\nrequire('node:fs').appendFileSync(${JSON.stringify(file)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
    {
      mode: 0o755,
    },
  );
  return {
    path: tool,
    calls: () =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}

test('the root program refuses hostile instances and requests before nixos-container runs, and answers only the requester', async () => {
  const dir = mkdtempSync(path.join(tmp, 'helper-'));
  const requests = path.join(dir, 'requests');
  const results = path.join(dir, 'results');
  mkdirSync(requests, { mode: 0o700 });
  chownSync(requests, AGENT_UID, AGENT_UID);
  mkdirSync(results, { mode: 0o755 });
  const tool = recordingTool(dir);
  const helper = async (instance: string) => {
    try {
      const { stderr } = await runFile(process.execPath, [
        path.join(repoRoot(), 'dist/agent.js'),
        'container-helper',
        '--requests',
        requests,
        '--results',
        results,
        '--tool',
        tool.path,
        '--',
        instance,
      ]);
      return { code: 0, stderr };
    } catch (err) {
      return { code: (err as { code: number }).code, stderr: (err as { stderr: string }).stderr };
    }
  };
  const request = (instance: string, content: unknown, owner = AGENT_UID) => {
    const file = path.join(requests, `${instance}.json`);
    rmSync(file, { force: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    chownSync(file, owner, owner);
    return file;
  };
  const result = (instance: string) => {
    const file = path.join(results, `${instance}.json`);
    return existsSync(file)
      ? { ...(JSON.parse(readFileSync(file, 'utf8')) as { nonce: string; exitCode: number; stderr: string }), stat: statSync(file) }
      : undefined;
  };
  const nonce = 'a6f3c9e0-0000-4000-8000-000000000001';

  // Instances that are no call: refused, nothing written, nothing run.
  for (const instance of [
    'create-my_db',
    'start-inference-gpu',
    'start-web.service',
    'restart-web',
    'terminate-web',
    'start-',
    '-web',
    'start--web',
    'list-web',
    'start-web/../../etc',
    'start-\\x2fetc',
    'create-web\n',
    'create-web x',
    '',
  ]) {
    const out = await helper(instance);
    assert.equal(out.code, 2, JSON.stringify(instance));
    assert.match(out.stderr, /refused instance/, JSON.stringify(instance));
  }
  assert.deepEqual(readdirSync(results), []);

  // Requests that are no request: refused; where the nonce could be read, the refusal is the requester's result.
  const refusedRequest = async (instance: string, expected: RegExp, answered: boolean) => {
    const out = await helper(instance);
    assert.equal(out.code, 2, instance);
    assert.match(out.stderr, expected);
    assert.equal(result(instance) !== undefined, answered, `${instance}: ${out.stderr}`);
  };
  await refusedRequest('create-web', /no request file/, false);
  writeFileSync(path.join(dir, 'elsewhere.json'), JSON.stringify({ nonce, create: { name: 'web' } }));
  symlinkSync(path.join(dir, 'elsewhere.json'), path.join(requests, 'create-web.json'));
  await refusedRequest('create-web', /symbolic link/, false);
  rmSync(path.join(requests, 'create-web.json'));
  await runFile('mkfifo', [path.join(requests, 'create-web.json')]);
  await refusedRequest('create-web', /not a regular file/, false);
  rmSync(path.join(requests, 'create-web.json'));
  request('create-web', { nonce, create: { name: 'web' } }, 0);
  await refusedRequest('create-web', /belongs to root/, false);
  request('create-web', `{"nonce":"${nonce}","create":{"name":"web","services":["${'x'.repeat(70_000)}"]}}`);
  await refusedRequest('create-web', /larger than 65536 bytes/, false);
  request('create-web', 'services.nginx.enable = true;');
  await refusedRequest('create-web', /not JSON/, false);
  request('create-web', { create: { name: 'web' } });
  await refusedRequest('create-web', /needs a nonce/, false);
  request('create-web', { nonce: 'x"; rm -rf /', create: { name: 'web' } });
  await refusedRequest('create-web', /needs a nonce/, false);
  for (const [instance, body, expected] of [
    ['create-web', { nonce, create: { name: 'other' } }, /another container/],
    ['create-web', { nonce, create: { name: 'web', services: ['nginx; rm -rf /'] } }, /NixOS service names/],
    ['create-web', { nonce, create: { name: 'web', services: ['nginx.enable = true; imports = [ /etc/x ]'] } }, /NixOS service names/],
    ['create-web', { nonce, create: { name: 'web', hostAddress: '10.0.0.1; x', localAddress: '10.0.0.2' } }, /IPv4/],
    ['create-web', { nonce, create: { name: 'web', hostAddress: '10.0.0.1' } }, /go together/],
    ['create-web', { nonce, create: { name: 'web' }, tool: '/bin/sh' }, /unknown fields/],
    ['start-web', { nonce, create: { name: 'web' } }, /carries no create fields/],
  ] as const) {
    request(instance, body);
    await refusedRequest(instance, expected, true);
    const answer = result(instance)!;
    assert.equal(answer.nonce, nonce);
    assert.equal(answer.exitCode, 2);
    assert.match(answer.stderr, expected);
    assert.equal(answer.stat.uid, AGENT_UID, 'the result belongs to the requester');
    assert.equal(answer.stat.mode & 0o777, 0o600, 'and only the requester reads it');
  }
  assert.deepEqual(tool.calls(), [], 'nixos-container never ran for a refused call');

  // A results directory others could write, or that is not root's, is refused: root writes nowhere it does not own.
  for (const f of readdirSync(results)) rmSync(path.join(results, f));
  request('start-web', { nonce });
  chmodSync(results, 0o775);
  await refusedRequest('start-web', /may be written by others/, false);
  chmodSync(results, 0o755);
  chownSync(results, AGENT_UID, AGENT_UID);
  await refusedRequest('start-web', /does not belong/, false);
  chownSync(results, 0, 0);
  assert.deepEqual(tool.calls(), []);

  // A good create: the tool gets exactly the checked arguments, the requester its answer; no shell anywhere.
  request('create-web', {
    nonce,
    create: { name: 'web', services: ['nginx', 'postgresql'], hostAddress: '10.233.7.1', localAddress: '10.233.7.2', autoStart: true },
  });
  assert.equal((await helper('create-web')).code, 0);
  assert.deepEqual(tool.calls(), [
    [
      'create',
      'web',
      '--config',
      'services.nginx.enable = true; services.postgresql.enable = true;',
      '--host-address',
      '10.233.7.1',
      '--local-address',
      '10.233.7.2',
      '--auto-start',
    ],
  ]);
  const answer = result('create-web')!;
  assert.deepEqual({ nonce: answer.nonce, exitCode: answer.exitCode }, { nonce, exitCode: 0 });
  assert.equal(answer.stat.uid, AGENT_UID);
  request('list', { nonce });
  assert.equal((await helper('list')).code, 0);
  assert.deepEqual(tool.calls().at(-1), ['list']);
});

test('the agent, unprivileged, runs the container lifecycle over NATS through the root unit', async (t) => {
  assert.equal(
    process.getuid?.(),
    0,
    'this test runs the unit as root and the agent as another user: run the suite as root (npm test does, sealed)',
  );
  const dir = mkdtempSync(path.join(tmp, 'lifecycle-'));
  chmodSync(dir, 0o755);
  const root = path.join(dir, 'root');
  const store = path.join(dir, 'store');
  const state = path.join(dir, 'state');
  const results = path.join(dir, 'run-gpu-cluster-container');
  // While this file is missing, the nixos-container stand-in's build of a new container does not finish.
  const hold = path.join(dir, 'build-done');
  mkdirSync(path.join(root, 'etc/nixos-containers'), { recursive: true });
  mkdirSync(store);
  mkdirSync(state, { mode: 0o700 });
  chownSync(state, AGENT_UID, AGENT_UID);
  mkdirSync(results, { mode: 0o755 });
  // The spec's container, declared: its .conf a link into the store, as NixOS puts it there.
  writeFileSync(path.join(store, 'infer.conf'), 'PRIVATE_NETWORK=1\nHOST_ADDRESS=10.233.1.1\nLOCAL_ADDRESS=10.233.1.2\n');
  symlinkSync(path.join(store, 'infer.conf'), path.join(root, 'etc/nixos-containers/infer.conf'));
  // The agent package's bin/gpu-cluster-agent: Node running the bundle (nix-templates/pkgs/gpu-cluster-agent.nix).
  const agentBin = path.join(dir, 'gpu-cluster-agent');
  writeFileSync(agentBin, `#!/bin/sh\nexec ${process.execPath} ${path.join(repoRoot(), 'dist/agent.js')} "$@"\n`, { mode: 0o755 });

  const generated = agentArgv(hub);
  const helperArgv = execArgv(hub.execStart!['gpu-cluster-container@']!);
  const users: Record<number, string> = { [AGENT_UID]: 'gpu-cluster-agent' };
  const systemd = new SystemdStandIn({
    socket: path.join(dir, 'systemd.sock'),
    templates: { [`${UNIT}@.service`]: { execStart: hub.execStart!['gpu-cluster-container@']! } },
    polkitRules: hub.polkitRules!,
    users,
    // The host's paths, as they are on this machine.
    paths: {
      [helperArgv[0]]: agentBin,
      [generated.values['container-requests']!]: path.join(state, 'container-requests'),
      [generated.values['container-results']!]: results,
      '/run/current-system/sw/bin/nixos-container': path.join(fixtures(), 'nixos-container'),
    },
    env: { PATH: process.env.PATH, NIXOS_CONTAINER_ROOT: root, NIXOS_CONTAINER_STORE: store, NIXOS_CONTAINER_HOLD: hold },
  });
  await systemd.listen();
  t.after(() => systemd.close());

  const server = new NatsServer(
    clusterAccountConfig(agentUserConfig('dc.internal', 'node-0001', { user: 'agent', password: 'agent-secret' })),
  );
  await server.start();
  t.after(() => server.dispose());
  const admin: NatsConnection = await connect({ servers: server.url, user: 'admin', pass: 'admin-secret' });
  t.after(() => admin.close());
  const events = new EventStore(admin, 'dc.internal');
  await events.ensureStream();
  const commands = new AgentCommandClient(() => admin, 'dc.internal', 10_000);

  const passwordFile = path.join(dir, 'password');
  writeFileSync(passwordFile, 'agent-secret\n', { mode: 0o600 });
  chownSync(passwordFile, AGENT_UID, AGENT_UID);
  // The generated agent's container flags, its paths as they are here; the rest as the other agent tests start it.
  const containerFlags = [
    '--container-tool',
    path.join(fixtures(), 'systemctl'),
    '--container-unit',
    generated.values['container-unit']!,
    '--container-requests',
    path.join(state, 'container-requests'),
    '--container-results',
    results,
    ...generated.values['declared-container']!.flatMap((n) => ['--declared-container', n]),
  ];
  const agents: ChildProcess[] = [];
  let log = '';
  const startAgent = () => {
    const agent = spawn(
      process.execPath,
      [
        path.join(repoRoot(), 'dist/agent.js'),
        ...['--nats-url', server.url, '--domain', 'dc.internal', '--host', 'node-0001', '--user', 'agent', '--password-file', passwordFile],
        ...['--interval', '200ms', '--gpu', 'none', '--exo-url', '', '--state-dir', state, '--container-root', root],
        ...containerFlags,
      ],
      {
        uid: AGENT_UID,
        gid: AGENT_UID,
        env: { PATH: process.env.PATH, SYSTEMCTL_MANAGER_SOCKET: path.join(dir, 'systemd.sock') },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    agent.stderr?.on('data', (d) => (log += d));
    agents.push(agent);
    return agent;
  };
  t.after(() => agents.forEach((a) => a.kill('SIGKILL')));

  const { run, agentUp: answers } = containerCommands(commands, 'node-0001');
  const agentUp = (agent: ChildProcess) => answers(() => (agent.exitCode !== null ? `the agent exited: ${log}` : undefined));
  const containerEvents = async () =>
    (await events.page({ aggregate: 'node-0001' }, { limit: 200 })).events
      .filter((e: StoredEvent) => e.action.startsWith('container-'))
      .reverse();
  writeFileSync(hold, '');
  await agentUp(startAgent());

  const created = await run<Record<string, unknown>>('container.create', { name: 'web', services: ['nginx'] }, 'op-create');
  assert.deepEqual(
    { ...created.result },
    { name: 'web', hostAddress: '10.233.2.1', localAddress: '10.233.2.2', state: 'down', declarative: false, drift: true },
  );
  // nixos-container ran as root and wrote what it writes; the agent's user could not have.
  assert.equal(statSync(path.join(root, 'etc/nixos-containers/web.conf')).uid, 0);
  assert.match(
    readFileSync(path.join(root, 'var/lib/nixos-containers/web/etc/nixos/configuration.nix'), 'utf8'),
    /^  services\.nginx\.enable = true;$/m,
  );
  const list = await run<{ containers: { name: string; declarative: boolean; drift: boolean }[] }>('container.list', {});
  assert.deepEqual(
    list.result.containers.map((c) => `${c.name}:${c.declarative ? 'declarative' : 'imperative'}:${c.drift ? 'drift' : 'spec'}`),
    ['infer:declarative:spec', 'web:imperative:drift'],
  );
  assert.equal((await run<{ state: string }>('container.start', { name: 'web' }, 'op-start')).result.state, 'up');
  assert.equal((await run<{ state: string }>('container.status', { name: 'web' })).result.state, 'up');
  assert.equal((await run<{ state: string }>('container.status', { name: 'nothere' })).result.state, 'gone');
  assert.equal((await run<{ state: string }>('container.stop', { name: 'web' }, 'op-stop')).result.state, 'down');
  await assert.rejects(
    run('container.destroy', { name: 'infer' }, 'op-bad'),
    (err: unknown) => err instanceof AgentCommandError && err.code === 500 && /cannot destroy declarative container/.test(err.message),
  );
  const startsBefore = systemd.starts.length;
  await assert.rejects(run('container.create', { name: 'my_db' }), (err: unknown) => err instanceof AgentCommandError && err.code === 400);
  assert.equal(systemd.starts.length, startsBefore, 'a bad name never reaches systemd');
  await run('container.destroy', { name: 'web' }, 'op-destroy');
  assert.equal(existsSync(path.join(root, 'etc/nixos-containers/web.conf')), false);

  // Every call was a start of the unit by the agent's user, allowed by the rule; nothing else was started.
  assert.deepEqual(
    systemd.starts.map((s) => `${s.user} ${s.unit} ${s.outcome}`),
    [
      `gpu-cluster-agent ${UNIT}@list.service done`,
      `gpu-cluster-agent ${UNIT}@create-web.service done`,
      `gpu-cluster-agent ${UNIT}@list.service done`,
      `gpu-cluster-agent ${UNIT}@start-web.service done`,
      `gpu-cluster-agent ${UNIT}@status-web.service done`,
      `gpu-cluster-agent ${UNIT}@status-nothere.service failed`,
      `gpu-cluster-agent ${UNIT}@stop-web.service done`,
      `gpu-cluster-agent ${UNIT}@destroy-infer.service failed`,
      `gpu-cluster-agent ${UNIT}@destroy-web.service done`,
    ],
  );
  assert.match(systemd.journal.find((j) => j.unit === `${UNIT}@destroy-infer.service`)!.text, /cannot destroy declarative container/);
  assert.deepEqual(readdirSync(path.join(state, 'container-requests')), [], 'no request is left behind');

  // The same events as when the agent runs nixos-container itself.
  let story: string[] = [];
  await waitFor(
    'the lifecycle events',
    () => story.includes('container-destroyed:web:op-destroy'),
    15_000,
    async () => {
      story = (await containerEvents()).map(storyLine);
    },
  );
  assert.deepEqual(story, LIFECYCLE_STORY);

  // The agent killed in the middle of a create: the root unit is no child of the agent's and builds on; the agent that
  // comes back waits for its answer and records the creation, not a failure.
  rmSync(hold);
  const pending = run('container.create', { name: 'slow' }, 'op-slow').catch(() => undefined);
  await waitFor('the unit writing slow.conf', () => existsSync(path.join(root, 'etc/nixos-containers/slow.conf')), 10_000);
  const first = agents.at(-1)!;
  const exited = new Promise((r) => first.once('exit', r));
  first.kill('SIGKILL');
  await exited;
  await pending;
  assert.equal(systemd.state(`${UNIT}@create-slow.service`), 'activating', 'the unit runs on');
  const second = startAgent();
  await new Promise((r) => setTimeout(r, 1000));
  writeFileSync(hold, '');
  await agentUp(second);
  let slow: StoredEvent[] = [];
  await waitFor(
    "the interrupted create's outcome",
    () => slow.some((e) => e.action !== 'container-creating'),
    20_000,
    async () => {
      slow = (await containerEvents()).filter((e) => e.correlationId === 'op-slow');
    },
  );
  assert.deepEqual(
    slow.map((e) => e.action),
    ['container-creating', 'container-created'],
  );
  assert.equal((slow[1].data as { recovered: boolean }).recovered, true);
  assert.equal(systemd.starts.filter((s) => s.unit === `${UNIT}@create-slow.service`).length, 1, 'the create ran once');
  await run('container.destroy', { name: 'slow' });

  // A user the rule does not name (the uid resolving to another name) gets nothing: polkit has no yes for it.
  users[AGENT_UID] = 'someone-else';
  await assert.rejects(
    run('container.start', { name: 'infer' }),
    (err: unknown) => err instanceof AgentCommandError && err.code === 500 && /Interactive authentication required/.test(err.message),
  );
  assert.equal(systemd.starts.at(-1)!.outcome, 'interactive-authentication-required');
});
