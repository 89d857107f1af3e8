// The container rules (core/src/validate/rules/containers.ts), each from the valid spec fixture with a correct container
// added to gpu-2 and then broken in one place: the rule fires with its code and severity on the key that is wrong, and
// the correct container has no diagnostics. The name rules restate nixos-container.pl (1b87194) and nixos-containers.nix
// (00ef614): /^[a-zA-Z0-9_-]+$/ without '_', at most 11 characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildModel, parseSpecFile, type SpecDiagnostic } from '#core/spec';
import { validateAll } from '../../core/src/validate/validate';
import { codeInfo } from '../../core/src/validate/report/codes';
import { containerNameProblem } from '../../core/src/spec/containers';
import { sizeBytes, subjectsOverlap } from '../../core/src/validate/rules/containers';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const fixture = (p: string) => readFileSync(path.join(root, 'test/fixtures/spec/valid', p), 'utf8');
const CLUSTER = fixture('cluster.yaml');
const NKEY = `U${'A'.repeat(55)}`;
const CONTAINER = `containers:
  - name: infer
    services: [nginx]
    autoStart: true
    limits: { cpus: 2, memory: 8G }
    hostAddress: 10.233.1.1
    localAddress: 10.233.1.2
    bindMounts:
      - { mountPoint: /models, hostPath: /data/models }
    gpu: true
    nats:
      nkey: ${NKEY}
      credentials: /var/lib/gpu-cluster/containers/infer.nk
      publish: [jobs.results.>]
      subscribe: [jobs.queue.*]
`;
const HOST = `${fixture('hosts/gpu-2.yaml')}${CONTAINER}`;

function validate(host: string, cluster = CLUSTER): { all: SpecDiagnostic[]; text: string } {
  const model = buildModel([
    parseSpecFile('file:///spec/cluster.yaml', cluster, 1),
    parseSpecFile('file:///spec/hosts/gpu-2.yaml', host, 1),
  ]);
  return { all: validateAll(model), text: host };
}

function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `text contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** The one diagnostic with `code`, on the line holding `marker`. */
function expectOne(host: string, code: string, marker: string, cluster?: string): SpecDiagnostic {
  const { all } = validate(host, cluster);
  const hits = all.filter((d) => d.code === code);
  assert.equal(hits.length, 1, `${code}: ${JSON.stringify(all.map((d) => `${d.code} ${d.message}`))}`);
  const line = host.split('\n').findIndex((l) => l.includes(marker));
  assert.ok(line >= 0, marker);
  assert.equal(hits[0].range.start.line, line, `${code} on the line of ${marker}`);
  assert.equal(hits[0].severity, codeInfo(code)?.severity);
  return hits[0];
}

test('a correct container on an NVIDIA nats-leaf host has no diagnostics', () => {
  assert.deepEqual(
    validate(HOST).all.map((d) => `${d.code} ${d.message}`),
    [],
  );
});

test('names: nixos-container.pl characters without "_", no leading "-", at most 11 characters', () => {
  assert.equal(containerNameProblem('infer'), undefined);
  assert.equal(containerNameProblem('a2345678901'), undefined);
  assert.match(containerNameProblem('a23456789012')!, /12 characters.*at most 11.*ve-a23456789012/);
  assert.match(containerNameProblem('my_db')!, /'_'/);
  assert.match(containerNameProblem('-x')!, /start with '-'/);
  assert.match(containerNameProblem('web.1')!, /only letters/);
  expectOne(edit(HOST, 'name: infer', 'name: inference-gpu'), 'containers.name-too-long', 'name: inference-gpu');
  expectOne(edit(HOST, 'name: infer', 'name: my_db'), 'containers.invalid-name', 'name: my_db');
  const twice = `${HOST}  - name: infer # again\n    hostAddress: 10.233.2.1\n    localAddress: 10.233.2.2\n`;
  const d = expectOne(twice, 'containers.duplicate-name', 'infer # again');
  assert.ok(d.related?.length === 1);
});

test('network: both addresses or none, only with privateNetwork, shared network warned', () => {
  expectOne(edit(HOST, '    localAddress: 10.233.1.2\n', ''), 'containers.address-incomplete', 'hostAddress: 10.233.1.1');
  const shared = edit(HOST, '    hostAddress: 10.233.1.1\n', '    privateNetwork: false\n    hostAddress: 10.233.1.1\n');
  expectOne(shared, 'containers.shared-network', 'privateNetwork: false');
  expectOne(shared, 'containers.addresses-ignored', 'hostAddress: 10.233.1.1');
  const none = edit(edit(HOST, '    hostAddress: 10.233.1.1\n', ''), '    localAddress: 10.233.1.2\n', '');
  expectOne(none, 'containers.no-addresses', '    nats:');
});

test('address collisions: with a host or interface address anywhere in the cluster, between containers, with its own other end', () => {
  // 10.0.0.10 is hub's address in cluster.yaml
  const d = expectOne(
    edit(HOST, 'localAddress: 10.233.1.2', 'localAddress: 10.0.0.10'),
    'containers.address-collision',
    'localAddress: 10.0.0.10',
  );
  assert.match(d.message, /host 'hub'/);
  assert.equal(d.related?.[0].location.uri, 'file:///spec/cluster.yaml');
  // 10.99.0.1 is an interface address (hub's tb0, CIDR)
  expectOne(edit(HOST, 'hostAddress: 10.233.1.1', 'hostAddress: 10.99.0.1'), 'containers.address-collision', 'hostAddress: 10.99.0.1');
  expectOne(edit(HOST, 'localAddress: 10.233.1.2', 'localAddress: 10.233.1.1'), 'containers.address-collision', 'localAddress: 10.233.1.1');
  const second = (local: string, hostEnd = '10.233.1.1') =>
    `${HOST}  - name: other\n    hostAddress: ${hostEnd} # other\n    localAddress: ${local} # other\n`;
  expectOne(second('10.233.1.2'), 'containers.address-collision', '10.233.1.2 # other');
  // a shared host end is fine (each veth pair is its own link), a host end on another container's local address is not
  assert.deepEqual(validate(second('10.233.1.3')).all, []);
  expectOne(second('10.233.1.3', '10.233.1.2'), 'containers.address-collision', '10.233.1.2 # other');
});

test('GPU only where the host has NVIDIA devices; containers only on NixOS hosts', () => {
  const amd = edit(HOST, '{ vendor: nvidia, model: A100 80GB }', '{ vendor: amd, model: MI300X }');
  expectOne(amd, 'containers.gpu-unavailable', 'gpu: true');
  assert.deepEqual(
    validate(edit(amd, '    gpu: true\n', '')).all.filter((d) => d.code.startsWith('containers.')),
    [],
  );
  const darwin = edit(HOST, 'addresses: [10.0.0.11]', 'system: aarch64-darwin\naddresses: [10.0.0.11]');
  assert.ok(validate(darwin).all.some((d) => d.code === 'containers.unsupported-host'));
});

test('limits above what the host has, duplicate mount points', () => {
  const hw = edit(HOST, 'hardware:\n', 'hardware:\n  cpu: { threads: 16 }\n  memoryGB: 4\n');
  expectOne(edit(hw, 'cpus: 2', 'cpus: 32'), 'containers.cpu-exceeds-host', 'cpus: 32');
  expectOne(hw, 'containers.memory-exceeds-host', 'memory: 8G');
  assert.deepEqual(validate(edit(hw, 'memory: 8G', 'memory: 4G')).all, []);
  assert.equal(sizeBytes('512M'), 512 * 1024 ** 2);
  assert.equal(sizeBytes('1.5G'), undefined);
  expectOne(
    edit(
      HOST,
      '      - { mountPoint: /models, hostPath: /data/models }\n',
      '      - { mountPoint: /models, hostPath: /data/models }\n      - { mountPoint: /models/ }\n',
    ),
    'containers.duplicate-mount-point',
    'mountPoint: /models/',
  );
});

test('NATS: the host must run NATS, nkey and credentials together, no reserved subjects', () => {
  expectOne(
    edit(HOST, 'roles: [exo-worker, nats-leaf, k3s-agent, checkpoint-agent]', 'roles: [exo-worker, k3s-agent, checkpoint-agent]'),
    'containers.no-nats-on-host',
    '    nats:',
  );
  expectOne(
    edit(HOST, '      credentials: /var/lib/gpu-cluster/containers/infer.nk\n', ''),
    'containers.nats-credentials-incomplete',
    `nkey: ${NKEY}`,
  );
  // the cluster's domain t.lab is the subject prefix t_lab
  expectOne(
    edit(HOST, 'publish: [jobs.results.>]', 'publish: [t_lab.commands.gpu-2.exo.start]'),
    'containers.nats-reserved-subject',
    'publish: [t_lab',
  );
  expectOne(
    edit(HOST, 'subscribe: [jobs.queue.*]', 'subscribe: ["*.events.>"]'),
    'containers.nats-reserved-subject',
    'subscribe: ["*.events',
  );
  expectOne(edit(HOST, 'subscribe: [jobs.queue.*]', 'subscribe: [$JS.API.>]'), 'containers.nats-reserved-subject', 'subscribe: [$JS');
  assert.equal(subjectsOverlap('a.*.c', 'a.b.>'), true);
  assert.equal(subjectsOverlap('a.b', 'a.b.>'), false);
  assert.equal(subjectsOverlap('jobs.>', 't_lab.events.>'), false);
  assert.equal(subjectsOverlap('*.*', 'x.y'), true);
});

test('schema: bind mount paths that would break the nspawn flags, bad sizes, subjects and nkeys are refused', () => {
  const codes = (host: string) => validate(host).all.map((d) => d.code);
  assert.ok(codes(edit(HOST, 'hostPath: /data/models', 'hostPath: "/data/my models"')).includes('schema.pattern'));
  assert.ok(codes(edit(HOST, 'hostPath: /data/models', 'hostPath: "/data:/etc"')).includes('schema.pattern'));
  assert.ok(codes(edit(HOST, 'memory: 8G', 'memory: 8GB')).includes('schema.pattern'));
  assert.ok(codes(edit(HOST, 'publish: [jobs.results.>]', 'publish: ["jobs..x"]')).includes('schema.pattern'));
  assert.ok(codes(edit(HOST, `nkey: ${NKEY}`, 'nkey: SUAXYZ')).includes('schema.pattern'));
  assert.ok(codes(edit(HOST, 'localAddress: 10.233.1.2', 'localAddress: 10.233.1.2/24')).includes('schema.pattern'));
  assert.ok(codes(edit(HOST, 'services: [nginx]', 'services: ["nginx; rm"]')).includes('schema.pattern'));
});
