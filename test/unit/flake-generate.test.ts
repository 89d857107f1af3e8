// What the generator decides from the spec, and what it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { FlakeGenerationError, generateFlake } from '../../core/src/flake/generate';
import { nixAttrName, nixRelativePath, nixString, NixEmitError, nixValue } from '../../core/src/nix/emit';
import { findTemplatesDir, prepareGeneration } from '#core/flake';
import { planCluster } from '../../core/src/flake/plan';
import type { ClusterSpec } from '#core/spec';
import { syntheticCluster } from '../support/flakeClusters';

const templatesDir = findTemplatesDir(__dirname);
const templates = [
  { path: 'modules/exo.nix', content: '{ ... }: { }\n' },
  { path: 'modules/darwin/exo.nix', content: '{ ... }: { }\n' },
];
const file = (files: { path: string; content: string }[], p: string) => {
  const f = files.find((x) => x.path === p);
  assert.ok(f, `${p} is generated`);
  return f.content;
};

test('nix strings escape quotes, backslashes and every interpolation', () => {
  assert.equal(nixString('a"b\\c${d}$e\n'), '"a\\"b\\\\c\\${d}\\$e\\n"');
  assert.throws(() => nixString('a\0b'), NixEmitError);
  assert.equal(nixAttrName('hub-1'), 'hub-1');
  assert.equal(nixAttrName('mgmt.10'), '"mgmt.10"');
  assert.equal(nixAttrName('in'), '"in"');
  assert.equal(nixRelativePath('hosts/a b').text, '(./. + "/hosts/a b")');
  assert.throws(() => nixRelativePath('hosts/../x'), NixEmitError);
  assert.equal(nixValue([-1, 2.5, true, null, 1e-7, 1e21]), '[ (-1) 2.5 true null 1.0e-7 1000000000000000000000 ]');
});

test('accelerators, platforms and roles follow the hardware and the spec', () => {
  const spec = syntheticCluster(4);
  delete spec.k3s!.serverAddress;
  const plan = planCluster(spec);
  assert.deepEqual(
    plan.hosts.map((h) => h.exo?.accelerator),
    ['cuda', 'cuda', 'cuda', 'rocm'],
  );
  assert.deepEqual(plan.hosts[0].exo?.roles, ['master', 'worker', 'api']);
  assert.deepEqual(plan.hosts[1].exo?.roles, ['worker']);
  // exo on a worker-only host runs with --no-api: its agent reads the API host's /state for its node.
  assert.equal(plan.hosts[0].agent?.exoUrl, undefined, 'the API host: its own API (the module default)');
  assert.equal(plan.hosts[1].agent?.exoUrl, 'http://10.100.0.10:52415');
  assert.equal(plan.hosts[0].k3s?.clusterInit, true);
  assert.equal(plan.hosts[1].k3s?.serverAddr, 'https://10.100.0.10:6443', 'agents join the first server by default');
  assert.equal(plan.hosts[1].k3s?.nodeIP, '10.200.0.11', 'node IP from the declared k3s interface');
  assert.deepEqual(plan.hosts[1].nats?.leafRemotes, [{ url: 'nats://10.100.0.10:7422' }], 'leaves find the hub');
  assert.equal(plan.hosts[0].checkpoint?.cudaCheckpoint, true);
  assert.equal(plan.hosts[0].nvidiaOpen, true, 'H100 (9.0, from the catalogue) takes the open kernel modules');
  spec.hosts[3].roles = [...spec.hosts[3].roles!, 'checkpoint-agent'];
  assert.equal(planCluster(spec).hosts[3].checkpoint?.cudaCheckpoint, false, 'no cuda-checkpoint without NVIDIA');
});

test('Apple hosts become darwinConfigurations with launchd modules; nix-darwin only when needed', () => {
  const spec = syntheticCluster(2);
  const linuxOnly = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files;
  assert.doesNotMatch(file(linuxOnly, 'flake.nix'), /nix-darwin|darwinConfigurations/);
  spec.hosts[1] = { ...spec.hosts[1], system: 'aarch64-darwin', hardware: { gpus: [{ vendor: 'apple', model: 'M3 Ultra' }] }, disks: [] };
  const { files, warnings } = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
  const flake = file(files, 'flake.nix');
  // nix-darwin's release branch with the nixpkgs branch of the same release built for macOS (it checks the release).
  assert.match(flake, /nixpkgs-darwin\.url = "github:NixOS\/nixpkgs\/nixpkgs-26\.05-darwin";/);
  assert.match(
    flake,
    /nix-darwin = \{\n\s+url = "github:nix-darwin\/nix-darwin\/nix-darwin-26\.05";\n\s+inputs\.nixpkgs\.follows = "nixpkgs-darwin";/,
  );
  assert.match(flake, /darwinConfigurations = \{\n\s+node-0002 = darwinHost "aarch64-darwin" \.\/hosts\/node-0002;/);
  assert.match(flake, /darwinModules = \{\n\s+exo = \.\/modules\/darwin\/exo\.nix;/);
  const host = file(files, 'hosts/node-0002/default.nix');
  assert.match(host, /accelerator = "mlx";/);
  assert.doesNotMatch(host, /gpuCluster\.k3s|disko/);
  assert.ok(warnings.some((w) => w.includes('node-0002: role "k3s-agent" skipped')));
});

test('hostile spec values stay inside Nix strings', () => {
  const spec = syntheticCluster(1);
  const evil = 'x"; y = ${builtins.abort "pwned"}; z = "\\';
  spec.exo = { ...spec.exo, namespace: evil };
  spec.security = { authorizedKeys: ['ssh-ed25519 AAAA ${evil}'] };
  const host = file(generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files, 'hosts/node-0001/default.nix');
  assert.ok(host.includes(`namespace = ${nixString(evil)};`));
  assert.doesNotMatch(host, /[^\\]\$\{/, 'every ${ is escaped');
});

test('host names that cannot be folders, and duplicates, are refused with the list', () => {
  const spec: ClusterSpec = syntheticCluster(2);
  spec.hosts[0] = { ...spec.hosts[0], name: '../etc' };
  spec.hosts[1] = { ...spec.hosts[1], name: 'a/b' };
  const err = (() => {
    try {
      generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof FlakeGenerationError);
  assert.equal(err.problems.length, 2);
  const dup = syntheticCluster(2);
  dup.hosts[1] = { ...dup.hosts[1], name: 'NODE-0001' };
  assert.throws(() => generateFlake(dup, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }), /used twice/);
});

test('a spec with errors is refused and its errors listed; nothing is generated', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flake-refuse-'));
  try {
    writeFileSync(path.join(dir, 'cluster.yaml'), 'cluster:\n  name: x\n  domain: [unclosed\nhosts: []\n');
    const prepared = await prepareGeneration(dir, templatesDir);
    assert.equal(prepared.result, undefined);
    assert.ok(prepared.errors.length > 0);
    assert.match(prepared.errors[0], /cluster\.yaml:\d+:\d+ .+\[[\w.-]+\]$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('facter reports are copied and referenced; missing ones only warn', () => {
  const spec = syntheticCluster(2);
  spec.hosts[0].hardware = { ...spec.hosts[0].hardware, facterReport: 'facter/node-0001.json' };
  spec.hosts[1].hardware = { ...spec.hosts[1].hardware, facterReport: 'facter/missing.json' };
  const { files, warnings } = generateFlake(spec, {
    templates,
    agentBundle: AGENT_BUNDLE_STAND_IN,
    facterReports: new Map([['node-0001', '{"version":2}']]),
  });
  assert.equal(file(files, 'hosts/node-0001/facter.json'), '{"version":2}');
  assert.match(file(files, 'hosts/node-0001/default.nix'), /hardware\.facter\.reportPath = \.\/facter\.json;/);
  assert.doesNotMatch(file(files, 'hosts/node-0002/default.nix'), /facter/);
  assert.ok(warnings.some((w) => w.startsWith('node-0002: facter report facter/missing.json was not read')));
});

test('a tls:// leaf remote without the cluster CA warns: the hub would be checked against the system CAs', () => {
  const spec = syntheticCluster(2);
  spec.nats = { ...spec.nats!, leaf: { remotes: [{ url: 'tls://10.100.0.10:7422' }] } };
  const { warnings } = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
  assert.ok(warnings.some((w) => w.startsWith('node-0002: a tls:// leaf remote without nats.tls.caFile')));
  spec.nats.tls = { certFile: '/var/lib/nats/tls/c.crt', keyFile: '/var/lib/nats/tls/c.key', caFile: '/var/lib/nats/tls/ca.crt' };
  assert.ok(!generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).warnings.some((w) => w.includes('tls:// leaf remote')));
});

test('the facter option and the formatter follow the nixpkgs release; unsupported releases warn', () => {
  const spec = syntheticCluster(1);
  spec.hosts[0].hardware = { ...spec.hosts[0].hardware, facterReport: 'facter/node-0001.json' };
  const facterReports = new Map([['node-0001', '{"version":2}']]);
  const current = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN, facterReports });
  assert.doesNotMatch(file(current.files, 'flake.nix'), /nixos-facter-modules|nixfmt-rfc-style/);
  assert.match(file(current.files, 'flake.nix'), /^\s+nixfmt$/m);
  assert.ok(!current.warnings.some((w) => w.includes('no longer supported')));
  spec.cluster.nixpkgs = 'github:NixOS/nixpkgs/nixos-25.05';
  const old = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN, facterReports });
  // Before 25.11 nixpkgs has no hardware.facter: nixos-facter-modules declares facter.reportPath.
  assert.match(file(old.files, 'hosts/node-0001/default.nix'), /^  facter\.reportPath = \.\/facter\.json;/m);
  assert.match(file(old.files, 'flake.nix'), /nixos-facter-modules\.url = /);
  assert.match(file(old.files, 'flake.nix'), /\+\+ \[ inputs\.nixos-facter-modules\.nixosModules\.facter \]/);
  assert.match(file(old.files, 'flake.nix'), /^\s+nixfmt-rfc-style$/m);
  assert.ok(old.warnings.some((w) => w.startsWith('nixpkgs 25.05 (github:NixOS/nixpkgs/nixos-25.05) is no longer supported')));
});

test('ZFS disks get a pool and a stable networking.hostId', () => {
  const spec = syntheticCluster(1);
  spec.hosts[0].disks = [{ device: '/dev/nvme0n1', layout: 'zfs', role: 'os' }];
  const files = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files;
  assert.match(file(files, 'hosts/node-0001/disko.nix'), /zpool = \{\n\s+zroot = \{/);
  const hostId = /networking\.hostId = "([0-9a-f]{8})";/.exec(file(files, 'hosts/node-0001/default.nix'));
  assert.ok(hostId);
  assert.equal(
    hostId[1],
    /networking\.hostId = "([0-9a-f]{8})";/.exec(
      file(generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files, 'hosts/node-0001/default.nix'),
    )![1],
  );
});

test('the node agent is packaged from the bundle and enabled on NixOS hosts of a cluster with nats.url', () => {
  const spec = syntheticCluster(4);
  spec.hosts[1] = { ...spec.hosts[1], system: 'aarch64-darwin', hardware: { gpus: [{ vendor: 'apple', model: 'M3 Ultra' }] }, disks: [] };
  const { files } = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
  const bundle = file(files, 'pkgs/gpu-cluster-agent/agent.js');
  assert.match(bundle.split('\n', 1)[0], /^\/\/ Generated by Nix GPU Cluster/, 'marked as generated, shebang gone');
  assert.ok(bundle.endsWith('console.log("gpu-cluster-agent stand-in");\n'), 'the bundle, without the map reference');
  const flake = file(files, 'flake.nix');
  assert.match(
    flake,
    /gpu-cluster-agent = final\.callPackage \.\/pkgs\/gpu-cluster-agent\.nix \{ bundle = \.\/pkgs\/gpu-cluster-agent\/agent\.js; \};/,
  );
  assert.match(flake, /\/\/ \{ inherit \(pkgs\) gpu-cluster-agent; \}/, 'packages.<system>.gpu-cluster-agent');
  assert.match(flake, /services\.gpu-cluster-agent\.package = lib\.mkDefault pkgs\.gpu-cluster-agent;/);
  const nvidiaHost = file(files, 'hosts/node-0001/default.nix');
  assert.ok(
    nvidiaHost.includes(`  services.gpu-cluster-agent = {
    enable = true;
    natsUrl = "nats://10.100.0.10:4222";
    domain = "${spec.cluster.domain}";
    hostName = "node-0001";
    credentialsFile = "/var/lib/gpu-cluster-agent/agent.creds";
    gpu = "nvidia";
  };`),
    nvidiaHost,
  );
  assert.match(file(files, 'hosts/node-0004/default.nix'), /gpu = "amd";/);
  assert.doesNotMatch(file(files, 'hosts/node-0002/default.nix'), /gpu-cluster-agent/, 'not on nix-darwin');

  delete spec.nats!.url;
  const without = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files;
  assert.doesNotMatch(file(without, 'hosts/node-0001/default.nix'), /gpu-cluster-agent/, 'no NATS URL, no agent');
  assert.ok(
    without.some((f) => f.path === 'pkgs/gpu-cluster-agent/agent.js'),
    'still packaged',
  );
});

test('the agent gets the CA of a tls:// URL; a host name that is no subject token gets no agent, with a warning', () => {
  const spec = syntheticCluster(2);
  spec.nats = {
    ...spec.nats,
    url: 'tls://10.100.0.10:4222',
    tls: { certFile: '/etc/nats/cert.pem', keyFile: '/etc/nats/key.pem', caFile: '/etc/nats/ca.pem' },
  };
  spec.hosts[1] = { ...spec.hosts[1], name: 'node.0002' };
  const { files, warnings } = generateFlake(spec, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
  assert.match(file(files, 'hosts/node-0001/default.nix'), /extraArgs = \[\s+"--tls-ca"\s+"\/etc\/nats\/ca\.pem"\s+\];/);
  assert.doesNotMatch(file(files, 'hosts/node.0002/default.nix'), /gpu-cluster-agent/);
  assert.ok(
    warnings.some((w) => w.startsWith('node.0002: node agent not enabled: invalid host "node.0002"')),
    warnings.join('\n'),
  );
});

test('generating without the agent bundle says to build it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flake-nobundle-'));
  try {
    const example = path.join(path.dirname(templatesDir), 'examples', 'two-node-nvidia');
    await assert.rejects(
      prepareGeneration(example, templatesDir, path.join(dir, 'dist', 'agent.js')),
      new RegExp(
        `the node agent bundle ${path.join(dir, 'dist', 'agent.js').replace(/[.]/g, '\\.')} is missing, and the flake packages it: run npm run build`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('policy uploads: s3 with its keys file, the NATS object store through the agent; what a host cannot use is a warning', () => {
  const spec = syntheticCluster(2);
  const storage = (s: NonNullable<ClusterSpec['checkpoints']>['storage']) => {
    spec.checkpoints = { ...spec.checkpoints, storage: s };
    return planCluster(spec);
  };
  const s3 = storage({
    kind: 's3',
    bucket: 'gpu-ckpt',
    endpoint: 'https://s3.lab:9000',
    region: 'eu-central-1',
    credentialsFile: '/run/secrets/s3.env',
  });
  assert.deepEqual(s3.hosts[0].checkpoint?.storage, {
    kind: 's3',
    bucket: 'gpu-ckpt',
    endpoint: 'https://s3.lab:9000',
    region: 'eu-central-1',
    credentialsFile: '/run/secrets/s3.env',
  });
  const nats = storage({ kind: 'nats-object-store', bucket: 'checkpoints' });
  assert.deepEqual(nats.hosts[0].checkpoint?.storage, {
    kind: 'nats-object-store',
    bucket: 'checkpoints',
    natsUrl: nats.hosts[0].agent!.natsUrl,
    natsCredentialsFile: nats.hosts[0].agent!.credentialsFile,
    natsCaFile: undefined,
  });
  // a tls:// server: the policy's upload checks it against the agent's CA (nats.tls.caFile)
  const natsSpec = spec.nats!;
  spec.nats = {
    ...natsSpec,
    url: 'tls://hub.lab:4222',
    tls: { ...natsSpec.tls, certFile: '/etc/nats/host.pem', keyFile: '/etc/nats/host.key', caFile: '/etc/nats/ca.pem' },
  };
  const tls = storage({ kind: 'nats-object-store', bucket: 'checkpoints' });
  assert.equal(tls.hosts[0].agent!.tlsCaFile, '/etc/nats/ca.pem');
  assert.deepEqual(tls.hosts[0].checkpoint?.storage, {
    kind: 'nats-object-store',
    bucket: 'checkpoints',
    natsUrl: 'tls://hub.lab:4222',
    natsCredentialsFile: tls.hosts[0].agent!.credentialsFile,
    natsCaFile: '/etc/nats/ca.pem',
  });
  spec.nats = natsSpec;
  const noKeys = storage({ kind: 's3', bucket: 'gpu-ckpt' });
  assert.equal(noKeys.hosts[0].checkpoint?.storage, undefined);
  assert.ok(
    noKeys.warnings.includes(
      'node-0001: checkpoint policies keep their checkpoints on the host only: s3 storage needs checkpoints.storage.credentialsFile (a file with the keys on each host).',
    ),
  );
  const spliced = storage({
    kind: 's3',
    bucket: 'gpu-ckpt',
    endpoint: 'https://s3.lab/x\nExecStartPre=/bin/sh',
    credentialsFile: '/run/s.env',
  });
  assert.equal(spliced.hosts[0].checkpoint?.storage, undefined);
  assert.ok(spliced.warnings.some((w) => w.includes('ExecStartPre=/bin/sh" is not an http(s) URL of a host and port')));
  const badRegion = storage({ kind: 's3', bucket: 'gpu-ckpt', region: 'eu-1 --endpoint=http://x', credentialsFile: '/run/s.env' });
  assert.equal(badRegion.hosts[0].checkpoint?.storage, undefined);
  assert.ok(badRegion.warnings.some((w) => w.endsWith('region "eu-1 --endpoint=http://x" is not a region name.')));
  delete spec.nats;
  const noNats = storage({ kind: 'nats-object-store', bucket: 'checkpoints' });
  assert.equal(noNats.hosts[0].checkpoint?.storage, undefined);
  assert.ok(noNats.warnings.some((w) => w.endsWith('nats-object-store storage needs nats.url (the node agent).')));
});
