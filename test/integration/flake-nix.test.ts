// The generated flake against the real Nix tools: every file parses (`nix-instantiate --parse`), the
// cluster table and exo's flags evaluate (`--eval --strict`) to what the spec says, hostile values come
// back unchanged, the NATS settings the modules produce run a real hub and leaf node, and the node agent the
// flake packages (the real dist/agent.js) runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadSpec } from '#core/validate';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { generateFlake } from '../../core/src/flake/generate';
import { agentBundlePath, findTemplatesDir, readAgentBundle, readTemplates } from '../../core/src/flake/templates';
import { AGENT_CREDENTIALS_FILE } from '../../core/src/flake/plan';
import { nixValue } from '../../core/src/nix/emit';
import { applyPlan, planWrite } from '#core/flake';
import type { ClusterSpec } from '#core/spec';
import { freePort } from './nats-harness';

const run = promisify(execFile);
const repo = path.dirname(findTemplatesDir(__dirname));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'flake-nix-'));
const procs: ChildProcess[] = [];
const examples = ['two-node-nvidia', 'mixed-thunderbolt', 'hundred-node'];
const specs = new Map<string, ClusterSpec>();

after(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function nixEval(expr: string): Promise<any> {
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--store', 'dummy://', '-E', expr], {
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout);
}

before(async () => {
  const templates = await readTemplates(findTemplatesDir(repo));
  // The real bundle, as the CLI and the extension read it (the test run builds it first).
  const agentBundle = await readAgentBundle(agentBundlePath(findTemplatesDir(repo)));
  for (const example of examples) {
    const loaded = await loadSpec(path.join(repo, 'examples', example));
    specs.set(example, loaded.model.spec);
    const { files } = generateFlake(loaded.model, { templates, agentBundle });
    await applyPlan(await planWrite(path.join(tmp, example), files));
  }
});

test('every generated Nix file of every example parses', async () => {
  const { stdout } = await run('find', [tmp, '-name', '*.nix']);
  const files = stdout.trim().split('\n');
  assert.ok(files.length > 300, `${files.length} files`);
  // One process per 200 files keeps it quick; an error names the file.
  for (let i = 0; i < files.length; i += 200) {
    await run('nix-instantiate', ['--parse', '--store', 'dummy://', ...files.slice(i, i + 200)], { maxBuffer: 256 << 20 });
  }
});

for (const example of examples) {
  test(`cluster table and exo flags of ${example} evaluate to what the spec says`, async () => {
    const dir = path.join(tmp, example);
    const spec = specs.get(example)!;
    const data = await nixEval(`let d = import ${dir}/cluster-data.nix; exoArgs = import ${dir}/lib/exo-args.nix; in d // {
      exoArgs = builtins.mapAttrs (_: h: if h.exo == null then null else exoArgs { inherit (h.exo) roles namespace apiPort zenohPort discoveryPort; }) d.hosts;
    }`);
    assert.equal(data.cluster.name, spec.cluster.name);
    assert.deepEqual(Object.keys(data.hosts).sort(), spec.hosts.map((h) => h.name).sort());
    for (const host of spec.hosts) {
      const h = data.hosts[host.name];
      assert.deepEqual(h.addresses, host.addresses);
      assert.deepEqual(h.roles, host.roles);
      assert.equal(h.system, host.system ?? spec.cluster.system);
      assert.deepEqual(Object.keys(h.interfaces).sort(), (host.interfaces ?? []).map((i) => i.name).sort());
      const roles = host.roles ?? [];
      const args: string[] = data.exoArgs[host.name];
      assert.equal(args.includes('--force-master'), roles.includes('exo-master'), `${host.name} --force-master`);
      assert.equal(args.includes('--no-worker'), !roles.includes('exo-worker'), `${host.name} --no-worker`);
      assert.equal(args.includes('--no-api'), !roles.includes('exo-api'), `${host.name} --no-api`);
      const flag = (name: string) => args[args.indexOf(name) + 1];
      assert.equal(flag('--zenoh-port'), String(spec.exo?.ports?.zenoh ?? 52414));
      assert.equal(flag('--discovery-port'), String(spec.exo?.ports?.discovery ?? 52413));
      assert.equal(flag('--namespace'), spec.exo?.namespace);
      if (roles.includes('exo-api')) assert.equal(flag('--api-port'), String(spec.exo?.ports?.api ?? 52415));
      assert.equal(h.nats?.role ?? null, roles.includes('nats-hub') ? 'hub' : roles.includes('nats-leaf') ? 'leaf' : null);
    }
    assert.equal(data.ports.nats.client, spec.nats?.ports?.client ?? 4222);
  });
}

test('the flake packages the agent bundle it carries and enables the agent on its NixOS hosts', async () => {
  const dir = path.join(tmp, 'mixed-thunderbolt');
  const spec = specs.get('mixed-thunderbolt')!;
  // The copy in the flake is the runnable agent.
  const { stdout: usage } = await run(process.execPath, [path.join(dir, 'pkgs/gpu-cluster-agent/agent.js'), '--help']);
  assert.match(usage, /^usage: gpu-cluster-agent --nats-url/);
  // The package definition, with a stand-in for nixpkgs' writeShellApplication, runs that file with Node.js.
  const pkg = await nixEval(`import ${dir}/pkgs/gpu-cluster-agent.nix {
    lib = { getExe = p: "\${p}/bin/node"; platforms.linux = [ "x86_64-linux" ]; };
    writeShellApplication = args: args; nodejs = "/nix/store/nodejs";
    bundle = ${dir}/pkgs/gpu-cluster-agent/agent.js; }`);
  assert.equal(pkg.name, 'gpu-cluster-agent');
  assert.match(pkg.text, /^exec \/nix\/store\/nodejs\/bin\/node \/nix\/store\/[a-z0-9]{32}-agent\.js "\$@"$/);
  for (const host of spec.hosts) {
    const darwin = (host.system ?? spec.cluster.system) === 'aarch64-darwin';
    const agent = await nixEval(`(import ${dir}/hosts/${host.name}/default.nix { }).services.gpu-cluster-agent or null`);
    if (darwin) {
      assert.equal(agent, null, `${host.name}: no agent on nix-darwin`);
      continue;
    }
    assert.equal(agent.enable, true, host.name);
    assert.equal(agent.natsUrl, spec.nats!.url);
    assert.equal(agent.domain, spec.cluster.domain);
    assert.equal(agent.hostName, host.name);
    assert.equal(agent.credentialsFile, AGENT_CREDENTIALS_FILE);
  }
});

test('hostile spec values evaluate back to themselves', async () => {
  const evil = 'x"; y = ${builtins.abort "pwned"}; z = \'\' $${q} \\" \n\ttab';
  const spec: ClusterSpec = {
    cluster: { name: `evil ${evil}`, domain: 'd', stateVersion: '25.05' },
    hosts: [
      {
        name: 'h1',
        addresses: ['10.0.0.1'],
        roles: ['exo-worker', 'nats-leaf'],
        interfaces: [{ name: `e${evil}`, kind: 'ethernet', addresses: [`${evil}/24`] }],
      },
    ],
    exo: { namespace: evil },
    nats: { url: evil, leaf: { remotes: [{ url: evil, credentials: evil }] } },
    security: { authorizedKeys: [evil] },
  };
  const dir = path.join(tmp, 'evil');
  await applyPlan(await planWrite(dir, generateFlake(spec, { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files));
  const out = await nixEval(`let h = import ${dir}/hosts/h1/default.nix { }; d = import ${dir}/cluster-data.nix; in {
    ns = h.services.exo.namespace; natsUrl = h.services.gpu-cluster-agent.natsUrl; remote = h.gpuCluster.nats.leafRemotes; keys = h.users.users.root.openssh.authorizedKeys.keys;
    ifaces = h.gpuCluster.network.interfaces; name = d.cluster.name; }`);
  assert.equal(out.ns, evil);
  assert.equal(out.natsUrl, evil);
  assert.deepEqual(out.remote, [{ url: evil, credentials: evil }]);
  assert.deepEqual(out.keys, [evil]);
  assert.deepEqual(out.ifaces[`e${evil}`].addresses, [`${evil}/24`]);
  assert.equal(out.name, `evil ${evil}`);
});

test('the nix-darwin modules declare the options they share with the NixOS ones', async () => {
  const dir = path.join(tmp, 'mixed-thunderbolt');
  // Enough of nixpkgs' lib to evaluate option declarations, which must not depend on config or pkgs.
  const stubLib = `let t = name: { _type = name; }; in {
    mkOption = o: o; mkEnableOption = d: { description = d; }; mkIf = c: v: v; mkDefault = v: v;
    genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
    types = { str = t "str"; port = t "port"; bool = t "bool"; int = t "int"; package = t "package";
      enum = t; nullOr = t; listOf = t; attrsOf = t; submodule = t; };
  }`;
  const names = await nixEval(`let lib = ${stubLib}; args = { inherit lib; config = { }; pkgs = { }; }; in {
    nixos = builtins.attrNames (import ${dir}/modules/nats.nix args).options.gpuCluster.nats;
    darwin = builtins.attrNames (import ${dir}/modules/darwin/nats.nix args).options.gpuCluster.nats;
    darwinExo = builtins.attrNames (import ${dir}/modules/darwin/exo.nix args).options.services.exo;
  }`);
  assert.ok(names.nixos.includes('leafRemotes') && names.nixos.includes('jetstream'));
  assert.deepEqual(names.darwin, names.nixos);
  assert.deepEqual(names.darwinExo, [
    'accelerator',
    'apiPort',
    'args',
    'discoveryPort',
    'enable',
    'extraArgs',
    'logFile',
    'namespace',
    'offline',
    'package',
    'packages',
    'roles',
    'stateDir',
    'uid',
    'user',
    'zenohPort',
  ]);
});

test('any string and attribute name the emitter writes evaluates back to itself', async () => {
  // Seeded, so a failure reproduces: strings built from the characters that matter to Nix's lexer.
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const alphabet = [
    '$',
    '{',
    '}',
    '\\',
    '"',
    "'",
    "''",
    '${',
    '$${',
    '\n',
    '\r',
    '\t',
    'a',
    ' ',
    '#',
    '/*',
    '.',
    '-',
    'é',
    '🚀',
    'in',
    'or',
  ];
  const strings = Array.from({ length: 300 }, () =>
    Array.from({ length: 1 + Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''),
  );
  const value = { list: strings, attrs: Object.fromEntries(strings.map((s, i) => [s, i])) };
  const file = path.join(tmp, 'strings.nix');
  writeFileSync(file, nixValue(value));
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--store', 'dummy://', file], { maxBuffer: 16 << 20 });
  assert.deepEqual(JSON.parse(stdout), value);
});

async function startNats(config: object, name: string): Promise<void> {
  const file = path.join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  await run('nats-server', ['-c', file, '-t']);
  const proc = spawn('nats-server', ['-c', file], { stdio: 'ignore' });
  procs.push(proc);
}

test('the NATS hub and leaf settings of the two-node example run real servers that connect', async () => {
  const dir = path.join(tmp, 'two-node-nvidia');
  const [client, leafnode, monitoring, leafClient, leafMonitoring] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // The module's option defaults, then the host file's values, as the module system would merge them.
  const settingsOf = (host: string, overrides: string) =>
    nixEval(`let
      n = (import ${dir}/hosts/${host}/default.nix { }).gpuCluster.nats;
      cfg = { serverName = "${host}"; listenAddress = "127.0.0.1"; tls = null; } // n // {
        jetstream = { maxMemory = null; maxStore = null; domain = null; } // n.jetstream // { storeDir = "${tmp}/js-${host}"; };
        leafRemotes = map (r: { credentials = null; account = null; } // r) (n.leafRemotes or [ ]);
      } // ${overrides};
    in import ${dir}/lib/nats-settings.nix cfg`);
  const hub = await settingsOf('gpu-a', `{ clientPort = ${client}; leafnodePort = ${leafnode}; monitoringPort = ${monitoring}; }`);
  const leaf = await settingsOf(
    'gpu-b',
    `{ clientPort = ${leafClient}; monitoringPort = ${leafMonitoring};
    leafRemotes = [ { url = "nats://127.0.0.1:${leafnode}"; credentials = null; account = null; } ]; }`,
  );
  assert.deepEqual(hub.leafnodes, { port: leafnode });
  assert.equal(hub.jetstream.max_memory_store, '2G');
  assert.equal(hub.jetstream.max_file_store, '50G');
  assert.equal(hub.server_name, 'gpu-a');
  await startNats(hub, 'hub');
  await startNats(leaf, 'leaf');
  const deadline = Date.now() + 15000;
  for (;;) {
    const leafz = await fetch(`http://127.0.0.1:${monitoring}/leafz`)
      .then((r) => r.json() as Promise<{ leafnodes: number }>)
      .catch(() => undefined);
    if (leafz && leafz.leafnodes === 1) break;
    assert.ok(Date.now() < deadline, 'the leaf node connects to the hub');
    await new Promise((r) => setTimeout(r, 200));
  }
});
