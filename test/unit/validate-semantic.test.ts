// Every semantic rule, each from a valid spec (test/fixtures/spec/valid) broken in one place: the rule
// fires with its code at the right spot (and offers the fix it should), and the valid spec has no
// diagnostics at all (the negative case of every rule).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildModel, parseSpecFile, type SpecDiagnostic } from '#core/spec';
import { validateAll } from '../../core/src/validate/validate';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const fixture = (p: string) => readFileSync(path.join(root, 'test/fixtures/spec/valid', p), 'utf8');
const BASE = { cluster: fixture('cluster.yaml'), host: fixture('hosts/gpu-2.yaml') };
const CLUSTER_URI = 'file:///spec/cluster.yaml';
const HOST_URI = 'file:///spec/hosts/gpu-2.yaml';

function validate(cluster: string, host: string): SpecDiagnostic[] {
  return validateAll(buildModel([parseSpecFile(CLUSTER_URI, cluster, 1), parseSpecFile(HOST_URI, host, 1)]));
}

function replace(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** 0-based position of the nth occurrence of `needle` (plus `shift` characters). */
function positionOf(text: string, needle: string, nth = 1, shift = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i < nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `text contains ${JSON.stringify(needle)} ${nth} times`);
  }
  at += shift;
  const before = text.slice(0, at);
  return { line: before.split('\n').length - 1, character: at - before.lastIndexOf('\n') - 1 };
}

interface Case {
  code: string;
  severity?: SpecDiagnostic['severity'];
  /** Edits: [from, to] on the cluster file and/or the host file. */
  cluster?: [string, string][];
  host?: [string, string][];
  /** Where the diagnostic starts: the nth occurrence of this text in the file it is reported in. */
  at: { file: 'cluster' | 'host'; needle: string; nth?: number; shift?: number };
  fix?: string;
  message?: RegExp;
}

const CASES: Case[] = [
  {
    code: 'host.duplicate-name',
    cluster: [['  - name: mac', '  - name: hub']],
    at: { file: 'cluster', needle: '- name: hub', nth: 2, shift: 8 },
    message: /already used/,
  },
  {
    code: 'host.duplicate-name',
    host: [['addresses: [10.0.0.11]', 'name: mac\naddresses: [10.0.0.11]']],
    at: { file: 'host', needle: 'mac' },
    message: /already used in cluster\.yaml|already used/,
  },
  {
    code: 'host.file-name-mismatch',
    severity: 'warning',
    host: [['addresses: [10.0.0.11]', 'name: gpu-9\naddresses: [10.0.0.11]']],
    at: { file: 'host', needle: 'gpu-9' },
  },
  {
    code: 'host.duplicate-address',
    host: [['addresses: [10.0.0.11]', 'addresses: [10.0.0.30]']],
    at: { file: 'host', needle: '10.0.0.30' },
    message: /already used by host 'mac'/,
  },
  {
    code: 'host.duplicate-address',
    host: [['addresses: [10.0.0.11/24]', 'addresses: [10.0.0.10/24]']],
    at: { file: 'host', needle: '10.0.0.10/24' },
  },
  {
    code: 'interface.duplicate-name',
    cluster: [['      - { name: eth1, kind: ethernet }', '      - { name: eth1, kind: ethernet }\n      - { name: eth0, kind: wifi }']],
    at: { file: 'cluster', needle: 'eth0, kind: wifi' },
  },
  {
    code: 'network.duplicate-segment',
    cluster: [
      ['    - { name: tb, subnet: 10.99.0.0/30 }', '    - { name: tb, subnet: 10.99.0.0/30 }\n    - { name: tb, subnet: 10.98.0.0/30 }'],
    ],
    at: { file: 'cluster', needle: 'tb, subnet: 10.98' },
  },
  {
    code: 'network.subnet-host-bits',
    severity: 'warning',
    cluster: [['subnet: 10.0.0.0/24', 'subnet: 10.0.0.5/24']],
    at: { file: 'cluster', needle: '10.0.0.5/24' },
    message: /10\.0\.0\.0\/24/,
  },
  {
    code: 'network.gateway-outside-segment',
    cluster: [['gateway: 10.0.0.1', 'gateway: 10.0.1.1']],
    at: { file: 'cluster', needle: '10.0.1.1' },
  },
  { code: 'network.unknown-segment', host: [['segment: mgmt', 'segment: mgnt']], at: { file: 'host', needle: 'mgnt' }, fix: 'mgmt' },
  {
    code: 'network.address-outside-segment',
    host: [['[10.0.0.11/24]', '[10.0.1.11/24]']],
    at: { file: 'host', needle: '10.0.1.11/24' },
    message: /outside segment 'mgmt' \(10\.0\.0\.0\/24\)/,
  },
  {
    code: 'network.prefix-mismatch',
    severity: 'warning',
    host: [['[10.0.0.11/24]', '[10.0.0.11/16]']],
    at: { file: 'host', needle: '10.0.0.11/16' },
  },
  { code: 'network.link-unknown-host', cluster: [['to: "mac:tb0"', 'to: "mcc:tb0"']], at: { file: 'cluster', needle: 'mcc' }, fix: 'mac' },
  {
    code: 'network.link-unknown-interface',
    cluster: [['from: "hub:tb0"', 'from: "hub:bt0"']],
    at: { file: 'cluster', needle: 'bt0' },
    fix: 'tb0',
  },
  {
    code: 'network.link-kind-mismatch',
    severity: 'warning',
    cluster: [['to: "mac:tb0"', 'to: "mac:en0"']],
    at: { file: 'cluster', needle: '"mac:en0"' },
  },
  {
    code: 'network.link-rdma-mismatch',
    severity: 'warning',
    cluster: [
      [
        '{ name: tb0, kind: thunderbolt, rdma: true, segment: tb, addresses: [10.99.0.2/30] }',
        '{ name: tb0, kind: thunderbolt, segment: tb, addresses: [10.99.0.2/30] }',
      ],
    ],
    at: { file: 'cluster', needle: '"mac:tb0"' },
  },
  { code: 'network.link-to-itself', cluster: [['to: "mac:tb0"', 'to: "hub:tb0"']], at: { file: 'cluster', needle: '"hub:tb0"', nth: 2 } },
  {
    code: 'interface.bond-without-members',
    cluster: [['{ name: bond0, kind: bond, members: [eth1, eth2] }', '{ name: bond0, kind: bond }']],
    at: { file: 'cluster', needle: 'bond0' },
  },
  {
    code: 'interface.members-not-bond',
    severity: 'warning',
    cluster: [['{ name: eth1, kind: ethernet }', '{ name: eth1, kind: ethernet, members: [eth2] }']],
    at: { file: 'cluster', needle: 'members: [eth2]' },
  },
  {
    code: 'interface.unknown-member',
    cluster: [['members: [eth1, eth2]', 'members: [eth1, eht2]']],
    at: { file: 'cluster', needle: 'eht2' },
    fix: 'eth2',
  },
  {
    code: 'interface.vlan-incomplete',
    cluster: [['parent: bond0, vlanId: 30', 'parent: bond0']],
    at: { file: 'cluster', needle: 'vlan30' },
    message: /'vlanId'/,
  },
  {
    code: 'interface.vlan-fields-not-vlan',
    severity: 'warning',
    cluster: [['{ name: eth2, kind: ethernet }', '{ name: eth2, kind: ethernet, vlanId: 5 }']],
    at: { file: 'cluster', needle: 'vlanId: 5' },
  },
  {
    code: 'network.vlan-mismatch',
    severity: 'warning',
    cluster: [
      ['subnet: 10.0.0.0/24, gateway', 'subnet: 10.0.0.0/24, vlan: 10, gateway'],
      ['parent: bond0, vlanId: 30', 'parent: bond0, vlanId: 30, segment: mgmt'],
    ],
    at: { file: 'cluster', needle: 'vlanId: 30', shift: 8 },
    fix: '10',
  },
  {
    code: 'interface.unknown-parent',
    cluster: [['parent: bond0', 'parent: bond1']],
    at: { file: 'cluster', needle: 'bond1' },
    fix: 'bond0',
  },
  { code: 'tag.unknown', cluster: [['    tags: [gpu]', '    tags: [gpus]']], at: { file: 'cluster', needle: 'gpus' }, fix: 'gpu' },
  { code: 'tag.unknown', host: [['tags: [gpu]', 'tags: [gpu, rack-a]']], at: { file: 'host', needle: 'rack-a' } },
  {
    code: 'tag.unknown',
    cluster: [['tags: [gpu], interval', 'tags: [gpx], interval']],
    at: { file: 'cluster', needle: 'gpx' },
    fix: 'gpu',
  },
  { code: 'ssh.unknown-jump-host', cluster: [['jump: hub', 'jump: hbu']], at: { file: 'cluster', needle: 'hbu' }, fix: 'hub' },
  {
    code: 'ssh.jump-cycle',
    cluster: [['    tags: [gpu]\n', '    tags: [gpu]\n    ssh: { jump: mac }\n']],
    at: { file: 'cluster', needle: 'jump: mac', shift: 6 },
    message: /hub → mac → hub/,
  },
  { code: 'ssh.jump-to-self', cluster: [['jump: hub', 'jump: mac']], at: { file: 'cluster', needle: 'mac }' } },
  {
    code: 'k3s.unknown-interface',
    host: [['k3s: { interface: eth0 }', 'k3s: { interface: eth5 }']],
    at: { file: 'host', needle: 'eth5' },
    fix: 'eth0',
  },
  {
    code: 'k3s.unknown-interface',
    cluster: [['interfaces: [eth0]', 'interfaces: [eht0]']],
    at: { file: 'cluster', needle: 'eht0' },
    fix: 'eth0',
  },
  {
    code: 'security.unknown-interface',
    cluster: [['trustedInterfaces: [tb0]', 'trustedInterfaces: [tb9]']],
    at: { file: 'cluster', needle: 'tb9' },
    fix: 'tb0',
  },
  { code: 'nats.no-hub', cluster: [['roles: [nats-hub, exo-master', 'roles: [exo-master']], at: { file: 'cluster', needle: 'hosts:' } },
  {
    code: 'nats.multiple-hubs',
    host: [['roles: [exo-worker, nats-leaf', 'roles: [exo-worker, nats-hub']],
    at: { file: 'host', needle: 'nats-hub' },
    fix: 'nats-leaf',
  },
  {
    code: 'exo.accelerator-unsupported',
    cluster: [['ssh: { jump: hub }', 'ssh: { jump: hub }\n    exo: { accelerator: cuda }']],
    at: { file: 'cluster', needle: 'cuda' },
    fix: 'auto',
    message: /CUDA runs only on Linux/,
  },
  {
    code: 'exo.accelerator-unsupported',
    host: [['tags: [gpu]', 'tags: [gpu]\nexo: { accelerator: mlx }']],
    at: { file: 'host', needle: 'mlx' },
    message: /MLX runs only on aarch64-darwin/,
  },
  {
    code: 'exo.accelerator-unsupported',
    cluster: [['exo:\n  models:', 'exo:\n  accelerator: rocm\n  models:']],
    at: { file: 'cluster', needle: 'rocm' },
    message: /'mac' is aarch64-darwin/,
  },
  {
    code: 'exo.unknown-model',
    cluster: [['id: mlx-community/Meta-Llama-3.1-70B-Instruct-4bit', 'id: llama-3.1-70b']],
    at: { file: 'cluster', needle: 'llama-3.1-70b' },
    fix: 'mlx-community/Meta-Llama-3.1-70B-Instruct-4bit',
    message: /not an exo model id.*did you mean/,
  },
  {
    code: 'exo.unknown-model',
    severity: 'warning',
    cluster: [['id: mlx-community/Meta-Llama-3.1-70B-Instruct-4bit', 'id: someone/Llama-3.1-70B-Instruct-4bit']],
    at: { file: 'cluster', needle: 'someone/' },
    fix: 'mlx-community/Meta-Llama-3.1-70B-Instruct-4bit',
    message: /no model card in exo \(commit b5375f8\).*Hugging Face/,
  },
  {
    code: 'exo.duplicate-model',
    severity: 'warning',
    cluster: [
      [
        '    - { id: mlx-community/Meta-Llama-3.1-70B-Instruct-4bit }\n',
        '    - { id: mlx-community/Meta-Llama-3.1-70B-Instruct-4bit }\n    - { id: mlx-community/Meta-Llama-3.1-70B-Instruct-4bit }\n',
      ],
    ],
    at: { file: 'cluster', needle: 'mlx-community/Meta-Llama-3.1-70B-Instruct-4bit', nth: 2 },
  },
  {
    code: 'exo.model-too-large',
    cluster: [['id: mlx-community/Meta-Llama-3.1-70B-Instruct-4bit', 'id: mlx-community/DeepSeek-V3.1-8bit']],
    at: { file: 'cluster', needle: 'mlx-community/DeepSeek-V3.1-8bit' },
    message: /needs 713 GB.*have 320 GB/,
  },
  {
    code: 'exo.min-nodes',
    cluster: [
      ['{ id: mlx-community/Meta-Llama-3.1-70B-Instruct-4bit }', '{ id: mlx-community/Meta-Llama-3.1-70B-Instruct-4bit, minNodes: 4 }'],
    ],
    at: { file: 'cluster', needle: 'minNodes: 4', shift: 10 },
    message: /only 3 hosts/,
  },
  {
    code: 'k3s.not-enabled',
    severity: 'warning',
    cluster: [['  enable: true\n  serverAddress', '  enable: false\n  serverAddress']],
    at: { file: 'cluster', needle: 'k3s-server' },
  },
  {
    code: 'k3s.agent-without-server',
    cluster: [['  serverAddress: https://10.0.0.10:6443\n', '']],
    at: { file: 'host', needle: 'k3s-agent' },
  },
  {
    code: 'k3s.agent-without-token',
    cluster: [['nats-hub, exo-master, k3s-server,', 'nats-hub, exo-master,']],
    at: { file: 'host', needle: 'k3s-agent' },
  },
  {
    code: 'k3s.unsupported-host',
    cluster: [['roles: [exo-worker, nats-leaf]', 'roles: [exo-worker, nats-leaf, k3s-agent]']],
    at: { file: 'cluster', needle: 'k3s-agent' },
  },
  {
    code: 'checkpoint.unsupported-host',
    cluster: [['roles: [exo-worker, nats-leaf]', 'roles: [exo-worker, nats-leaf, checkpoint-agent]']],
    at: { file: 'cluster', needle: 'checkpoint-agent', nth: 2 },
    message: /only on x86_64-linux/,
  },
  {
    code: 'checkpoint.unsupported-host',
    host: [['{ vendor: nvidia, model: A100 80GB }', '{ vendor: amd, model: MI300X }']],
    at: { file: 'host', needle: 'checkpoint-agent' },
    message: /needs an NVIDIA GPU/,
  },
  {
    code: 'checkpoint.storage-incomplete',
    cluster: [['storage: { kind: local }', 'storage: { kind: s3, credentialsFile: /etc/s3 }']],
    at: { file: 'cluster', needle: 's3' },
  },
  {
    code: 'checkpoint.migration-unknown-host',
    cluster: [['  policies:', '  migrations:\n    - { from: hub, to: gpu-3 }\n  policies:']],
    at: { file: 'cluster', needle: 'gpu-3' },
    fix: 'gpu-2',
  },
  {
    code: 'checkpoint.migration-impossible',
    cluster: [['  policies:', '  migrations:\n    - { from: hub, to: gpu-2 }\n  policies:']],
    at: { file: 'cluster', needle: 'gpu-2 }' },
    message: /'gpu-2' has 1 × A100 80GB, 'hub' has 2 × RTX 4090: a checkpoint comes back only on the same GPU models/,
  },
  {
    code: 'checkpoint.migration-impossible',
    cluster: [['  policies:', '  migrations:\n    - { from: mac, to: hub }\n  policies:']],
    at: { file: 'cluster', needle: 'mac, to' },
    message: /only on x86_64-linux, and 'mac' is aarch64-darwin/,
  },
  {
    code: 'ports.collision',
    cluster: [['exo:\n  models:', 'exo:\n  ports: { api: 4222 }\n  models:']],
    at: { file: 'cluster', needle: '4222' },
    message: /nats\.ports\.client/,
  },
  {
    code: 'disk.multiple-os-disks',
    cluster: [['role: data, mountpoint: /data', 'role: os']],
    at: { file: 'cluster', needle: 'os }' },
    fix: 'data',
  },
  {
    code: 'disk.data-without-mountpoint',
    cluster: [['role: data, mountpoint: /data', 'role: data']],
    at: { file: 'cluster', needle: 'data }' },
  },
  {
    code: 'gpu.unknown-model',
    severity: 'information',
    host: [['model: A100 80GB', 'model: A100 96GB']],
    at: { file: 'host', needle: 'A100 96GB' },
  },
  {
    code: 'gpu.vendor-mismatch',
    severity: 'warning',
    cluster: [['{ vendor: nvidia, model: RTX 4090, count: 2 }', '{ vendor: amd, model: RTX 4090, count: 2 }']],
    at: { file: 'cluster', needle: 'amd' },
    fix: 'nvidia',
  },
];

test('semantic: the valid fixture has no diagnostics at all', () => {
  assert.deepEqual(
    validate(BASE.cluster, BASE.host).map((d) => `${d.code} ${d.message}`),
    [],
  );
});

for (const c of CASES) {
  test(`semantic: ${c.code} — ${(c.cluster ?? c.host)![0][1].trim().slice(0, 50)}`, () => {
    let cluster = BASE.cluster;
    let host = BASE.host;
    for (const [from, to] of c.cluster ?? []) cluster = replace(cluster, from, to);
    for (const [from, to] of c.host ?? []) host = replace(host, from, to);
    const all = validate(cluster, host);
    const found = all.filter((d) => d.code === c.code);
    assert.ok(found.length > 0, `${c.code} expected; got ${all.map((d) => d.code).join(', ') || 'nothing'}`);
    const uri = c.at.file === 'cluster' ? CLUSTER_URI : HOST_URI;
    const expected = positionOf(c.at.file === 'cluster' ? cluster : host, c.at.needle, c.at.nth, c.at.shift);
    const d = found.find((x) => x.uri === uri && x.range.start.line === expected.line && x.range.start.character === expected.character);
    assert.ok(
      d,
      `${c.code} at ${c.at.file}:${expected.line + 1}:${expected.character + 1}; got ${found.map((x) => `${x.uri.split('/').pop()}:${x.range.start.line + 1}:${x.range.start.character + 1}`).join(' ')}`,
    );
    assert.equal(d.severity, c.severity ?? 'error');
    if (c.message) assert.match(d.message, c.message);
    if (c.fix) {
      const edit = d.fixes?.[0]?.edits[0]?.edits[0];
      assert.equal(edit?.newText, c.fix, `fix offers '${c.fix}'`);
      assert.match(d.message, new RegExp(`did you mean|Use|make it|set role`));
      // applying the fix removes this diagnostic
      const file = c.at.file === 'cluster' ? cluster : host;
      const lines = file.split('\n');
      const r = edit!.range;
      assert.equal(r.start.line, r.end.line);
      lines[r.start.line] = lines[r.start.line].slice(0, r.start.character) + edit!.newText + lines[r.start.line].slice(r.end.character);
      const fixed = lines.join('\n');
      const after = c.at.file === 'cluster' ? validate(fixed, host) : validate(cluster, fixed);
      assert.ok(!after.some((x) => x.code === c.code && x.uri === uri && x.range.start.line === expected.line), 'fix resolves it');
    }
  });
}

test('semantic: no semantic diagnostics inside a file with YAML syntax errors; other files keep theirs', () => {
  const cluster = replace(BASE.cluster, 'jump: hub', 'jump: hbu') + 'broken: [\n';
  const host = replace(BASE.host, 'segment: mgmt', 'segment: mgnt');
  const all = validate(cluster, host);
  assert.ok(all.some((d) => d.code === 'yaml.syntax' && d.uri === CLUSTER_URI));
  assert.ok(!all.some((d) => d.code === 'ssh.unknown-jump-host'), 'held back while cluster.yaml does not parse');
  assert.ok(all.some((d) => d.code === 'network.unknown-segment' && d.uri === HOST_URI));
});

test('semantic: a host named by an invalid file name', () => {
  const files = [parseSpecFile(CLUSTER_URI, BASE.cluster, 1), parseSpecFile('file:///spec/hosts/GPU_2.yaml', BASE.host, 1)];
  const d = validateAll(buildModel(files)).filter((x) => x.code === 'host.invalid-file-name');
  assert.equal(d.length, 1);
  assert.equal(d[0].uri, 'file:///spec/hosts/GPU_2.yaml');
  assert.deepEqual(d[0].range.start, { line: 0, character: 0 });
  assert.match(d[0].message, /'GPU_2' is not a valid host name/);
});

test('semantic: a jump chain without a circle is fine', () => {
  const cluster = replace(BASE.cluster, '    tags: [gpu]\n', '    tags: [gpu]\n    ssh: { jump: gpu-2 }\n');
  assert.deepEqual(
    validate(cluster, BASE.host).map((d) => d.code),
    [],
  );
});

test('semantic: references resolve across cluster.yaml and hosts/*.yaml (a link to a host-file interface)', () => {
  const cluster = replace(BASE.cluster, '  links:\n', '  links:\n    - { from: "hub:eth0", to: "gpu-2:eth0", kind: ethernet }\n');
  assert.deepEqual(
    validate(cluster, BASE.host).map((d) => d.code),
    [],
  );
  const broken = replace(cluster, 'to: "gpu-2:eth0"', 'to: "gpu-2:eth1"');
  const d = validate(broken, BASE.host).find((x) => x.code === 'network.link-unknown-interface');
  assert.ok(d);
  assert.match(d.message, /host 'gpu-2' has no interface 'eth1'/);
});

test('semantic: a k3s agent with an explicit token file and an outside server is fine', () => {
  const cluster = replace(
    replace(BASE.cluster, 'nats-hub, exo-master, k3s-server,', 'nats-hub, exo-master,'),
    '  serverAddress:',
    '  tokenFile: /run/keys/k3s-token\n  serverAddress:',
  );
  assert.deepEqual(
    validate(cluster, BASE.host).map((d) => d.code),
    [],
  );
});

test('semantic: roles from defaults count (a hub given by defaults.roles)', () => {
  let cluster = replace(BASE.cluster, 'roles: [nats-hub, exo-master', 'roles: [exo-master');
  cluster = replace(cluster, 'network:\n', 'defaults:\n  roles: [nats-hub]\nnetwork:\n');
  const codes = validate(cluster, BASE.host).map((d) => d.code);
  // mac takes defaults (it has roles of its own, so no); hub has its own roles: still no hub
  assert.ok(codes.includes('nats.no-hub'));
  const withoutOwn = replace(cluster, '    roles: [exo-worker, nats-leaf]\n', '');
  const d = validate(withoutOwn, BASE.host);
  assert.ok(!d.some((x) => x.code === 'nats.no-hub'), 'mac is the hub through defaults.roles');
});

test('semantic: 2,000 hosts with a duplicated name and address each get one diagnostic, in linear time', () => {
  const hosts = Array.from(
    { length: 2000 },
    (_, i) => `  - name: n${i % 1999}\n    addresses: [10.1.${i >> 8}.${i & 255}]\n    roles: [${i === 0 ? 'nats-hub' : 'exo-worker'}]\n`,
  ).join('');
  const text = `cluster:\n  name: big\n  domain: big\nhosts:\n${hosts}  - name: extra\n    addresses: [10.1.0.5]\n`;
  const all = validate(text, 'addresses: [10.2.0.1]\n');
  assert.equal(all.filter((d) => d.code === 'host.duplicate-name').length, 1);
  assert.equal(all.filter((d) => d.code === 'host.duplicate-address').length, 1);
});
