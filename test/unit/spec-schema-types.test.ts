// The JSON Schemas and types.ts describe the same shape. `FULL` sets every property types.ts declares
// (DeepRequired makes the compiler insist on each one, and excess-property checks refuse any other), so:
//   FULL validates against the schema  ⇒ every typed property is in the schema;
//   every schema property is set in FULL ⇒ every schema property is in the types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadSchemas, schemaProblems, schemaProblemsAt } from '../../core/src/validate/schema';
import type { ClusterSpec, HostSpec } from '#core/spec';

type DeepRequired<T> = T extends (infer U)[] ? DeepRequired<U>[] : T extends object ? { [K in keyof T]-?: DeepRequired<T[K]> } : T;

const HOST: DeepRequired<HostSpec> = {
  name: 'gpu-1',
  system: 'x86_64-linux',
  addresses: ['10.0.0.11'],
  ssh: {
    user: 'root',
    port: 22,
    identity: '~/.ssh/id_ed25519',
    hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGz0',
    jump: 'hub-1',
    address: '10.0.0.11',
  },
  roles: ['exo-worker'],
  tags: ['gpu'],
  labels: { rack: 'a3' },
  hardware: {
    cpu: { model: 'AMD EPYC 7443P', cores: 24, threads: 48 },
    memoryGB: 256,
    gpus: [{ vendor: 'nvidia', model: 'RTX 4090', vramGB: 24, count: 2, computeCapability: '8.9' }],
    facterReport: 'facter/gpu-1.json',
  },
  disks: [{ device: '/dev/nvme0n1', layout: 'ext4', role: 'os', mountpoint: '/', swapGB: 8, espSizeMB: 512 }],
  interfaces: [
    {
      name: 'bond0',
      kind: 'bond',
      mac: '3c:ec:ef:12:34:56',
      addresses: ['10.0.0.11/24'],
      dhcp: false,
      segment: 'mgmt',
      mtu: 9000,
      members: ['eth1', 'eth2'],
      bondMode: '802.3ad',
      parent: 'eth0',
      vlanId: 10,
      rdma: true,
    },
  ],
  monitoring: { exporters: ['node', 'nvidia-gpu'] },
  exo: { accelerator: 'cuda', enable: true },
  k3s: { interface: 'bond0', extraFlags: ['--node-label=gpu=true'] },
  containers: [
    {
      name: 'infer',
      services: ['nginx'],
      autoStart: true,
      limits: { cpus: 2, memory: '8G' },
      privateNetwork: true,
      hostAddress: '10.233.1.1',
      localAddress: '10.233.1.2',
      bindMounts: [{ mountPoint: '/models', hostPath: '/data/models', readOnly: true }],
      gpu: true,
      nats: { nkey: `U${'A'.repeat(55)}`, credentials: '/var/lib/c.nk', publish: ['jobs.>'], subscribe: ['jobs.*'] },
    },
  ],
};

const FULL: DeepRequired<ClusterSpec> = {
  cluster: {
    name: 'lab',
    domain: 'lab',
    nixpkgs: 'github:NixOS/nixpkgs/nixos-25.05',
    system: 'x86_64-linux',
    stateVersion: '25.05',
    timeZone: 'UTC',
    tags: { gpu: 'GPU nodes' },
  },
  defaults: {
    ssh: { user: 'root', port: 22, identity: '~/.ssh/id', hostKey: 'ssh-ed25519 AAAA', jump: 'hub-1', address: 'hub.lab' },
    roles: ['exo-worker'],
    monitoring: { exporters: ['node'] },
  },
  network: {
    segments: [{ name: 'mgmt', subnet: '10.0.0.0/24', vlan: 10, gateway: '10.0.0.1', description: 'management' }],
    links: [{ from: 'a:eth0', to: 'b:eth0', kind: 'ethernet', bandwidthGbps: 10, rdma: false }],
  },
  hosts: [HOST],
  nats: {
    url: 'nats://10.0.0.10:4222',
    ports: { client: 4222, leafnode: 7422, monitoring: 8222, cluster: 6222 },
    leaf: { remotes: [{ url: 'nats://10.0.0.10:7422', credentials: '/var/lib/nats/leaf.creds', account: 'LEAF' }] },
    jetstream: { enable: true, storeDir: '/var/lib/nats/jetstream', maxMemory: '4G', maxStore: '100G', domain: 'lab' },
    tls: { certFile: '/etc/nats/cert.pem', keyFile: '/etc/nats/key.pem', caFile: '/etc/nats/ca.pem', verify: true },
  },
  exo: {
    enable: true,
    ports: { api: 52415, zenoh: 52414, discovery: 52413 },
    namespace: 'lab',
    accelerator: 'auto',
    models: [{ id: 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit', sharding: 'pipeline', minNodes: 1 }],
  },
  k3s: {
    enable: true,
    serverAddress: 'https://10.0.0.10:6443',
    tokenFile: '/var/lib/rancher/k3s/token',
    interfaces: ['bond0'],
    segment: 'data',
    exo: { register: true, namespace: 'exo', service: 'exo', allowFrom: ['default'] },
    gpus: { owner: 'exo', reserve: { 'gpu-1': 1 } },
  },
  checkpoints: {
    storage: {
      kind: 's3',
      path: '/var/lib/gpu-cluster/checkpoints',
      bucket: 'ckpt',
      endpoint: 'https://s3.lab:9000',
      region: 'eu-central-1',
      credentialsFile: '/etc/s3.env',
    },
    policies: [{ name: 'hourly', units: ['exo'], tags: ['gpu'], interval: '1h', retain: 3, onShutdown: true }],
    criu: { shellJob: true, tcpEstablished: true, leaveRunning: false, extraArgs: ['--ext-unix-sk'] },
    lockTimeoutMs: 10000,
    migrations: [{ from: 'gpu-1', to: 'gpu-2', units: ['exo'] }],
  },
  rollout: {
    healthChecks: [
      {
        name: 'inference answers',
        command: ['curl', '-fsS', 'http://127.0.0.1:52415/models'],
        hosts: ['gpu-1'],
        tags: ['gpu'],
        timeoutSec: 10,
      },
    ],
  },
  security: {
    firewall: { enable: true, allowedTCPPorts: [22], allowedUDPPorts: [53], trustedInterfaces: ['tb0'] },
    tls: { certFile: '/etc/tls/cert.pem', keyFile: '/etc/tls/key.pem' },
    serviceUser: 'exo',
    authorizedKeys: ['ssh-ed25519 AAAA admin'],
  },
};

type Schema = { $ref?: string; properties?: Record<string, Schema>; items?: Schema; $defs?: Record<string, Schema>; description?: string };

/** Every property path of a schema (`hosts[].interfaces[].name`), following $refs across both files. */
function schemaPaths(): Set<string> {
  const { cluster, host } = loadSchemas() as { cluster: Schema; host: Schema };
  const files: Record<string, Schema> = { 'cluster.schema.json': cluster, 'host.schema.json': host };
  const resolve = (ref: string, current: string): [Schema, string] => {
    const [file, pointer] = ref.split('#');
    const name = file || current;
    let node = files[name];
    for (const part of (pointer ?? '').split('/').filter(Boolean)) node = (node as Record<string, Schema>)[part];
    return [node, name];
  };
  const out = new Set<string>();
  const walk = (s: Schema, file: string, prefix: string) => {
    if (s.$ref) {
      const [target, targetFile] = resolve(s.$ref, file);
      walk(target, targetFile, prefix);
    }
    if (s.items) walk(s.items, file, `${prefix}[]`);
    for (const [key, sub] of Object.entries(s.properties ?? {})) {
      const p = prefix ? `${prefix}.${key}` : key;
      out.add(p);
      walk(sub, file, p);
    }
  };
  walk(cluster, 'cluster.schema.json', '');
  return out;
}

function valuePaths(value: unknown, within: Set<string>, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => valuePaths(v, within, `${prefix}[]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = prefix ? `${prefix}.${k}` : k;
      if (!within.has(p)) continue; // free-form maps (tags, labels)
      out.add(p);
      valuePaths(v, within, p, out);
    }
  }
  return out;
}

test('schema ↔ types: an object with every typed property validates against the schema', () => {
  assert.deepEqual(schemaProblems('cluster', FULL), []);
  assert.deepEqual(schemaProblems('host', HOST), []);
});

test('schema ↔ types: every schema property is a typed property', () => {
  const schema = schemaPaths();
  const typed = valuePaths(FULL, schema);
  assert.deepEqual(
    [...schema].filter((p) => !typed.has(p)),
    [],
  );
  assert.ok(schema.size > 150, `${schema.size} schema properties`);
});

test("schema: every property has a description (its own or its $ref target's), every object forbids unknown keys", () => {
  const { cluster, host } = loadSchemas();
  const files: Record<string, Record<string, unknown>> = { 'cluster.schema.json': cluster, 'host.schema.json': host };
  const describedRef = (ref: string, file: string): boolean => {
    const [name, pointer] = ref.split('#');
    let node: unknown = files[name || file];
    for (const part of (pointer ?? '').split('/').filter(Boolean)) node = (node as Record<string, unknown>)[part];
    return typeof (node as { description?: unknown })?.description === 'string';
  };
  const problems: string[] = [];
  const walk = (s: unknown, where: string) => {
    if (!s || typeof s !== 'object') return;
    const node = s as Record<string, unknown>;
    if (node.properties) {
      if (node.additionalProperties !== false) problems.push(`${where}: additionalProperties is not false`);
      for (const [k, sub] of Object.entries(node.properties as Record<string, Record<string, unknown>>)) {
        const file = where.startsWith('cluster') ? 'cluster.schema.json' : 'host.schema.json';
        const described =
          (typeof sub.description === 'string' && sub.description !== '') || (typeof sub.$ref === 'string' && describedRef(sub.$ref, file));
        if (!described) problems.push(`${where}.${k}: no description`);
      }
    }
    for (const [k, v] of Object.entries(node)) if (typeof v === 'object') walk(v, `${where}/${k}`);
  };
  walk(cluster, 'cluster');
  walk(host, 'host');
  assert.deepEqual(problems, []);
  assert.equal((cluster as Record<string, unknown>).$schema, 'https://json-schema.org/draft/2020-12/schema');
});

test('schema: every example and default in the schemas is valid where it is given', () => {
  const { cluster, host } = loadSchemas();
  const failures: string[] = [];
  let checked = 0;
  const walk = (node: unknown, file: string, pointer: string) => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    const s = node as Record<string, unknown>;
    const samples = [...(Array.isArray(s.examples) ? s.examples : []), ...('default' in s ? [s.default] : [])];
    for (const sample of samples) {
      checked++;
      const problems = schemaProblemsAt(`${file}#${pointer}`, sample);
      if (problems.length) failures.push(`${file}#${pointer} ${JSON.stringify(sample)}: ${problems.map((p) => p.message).join('; ')}`);
    }
    for (const [k, v] of Object.entries(s)) {
      if (k === 'examples' || k === 'default') continue;
      if (Array.isArray(v)) v.forEach((item, i) => walk(item, file, `${pointer}/${k}/${i}`));
      else walk(v, file, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  };
  walk(cluster, 'cluster.schema.json', '');
  walk(host, 'host.schema.json', '');
  assert.deepEqual(failures, []);
  assert.ok(checked > 60, `${checked} examples and defaults checked`);
});

test('schema: the exo port defaults are the product defaults', () => {
  // spot-check the defaults against the product's DEFAULTS
  const { cluster } = loadSchemas() as unknown as {
    cluster: { $defs: Record<string, { properties: Record<string, { properties?: Record<string, { default?: unknown }> }> }> };
  };
  const ports = cluster.$defs.exo.properties.ports.properties!;
  assert.deepEqual([ports.api.default, ports.zenoh.default, ports.discovery.default], [52415, 52414, 52413]);
});

test('schema: examples/lab validates against the schemas as plain JSON data', () => {
  const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
  const lab = parseYaml(readFileSync(path.join(root, 'examples/lab/cluster.yaml'), 'utf8'));
  const gpu2 = parseYaml(readFileSync(path.join(root, 'examples/lab/hosts/gpu-2.yaml'), 'utf8'));
  assert.deepEqual(schemaProblems('cluster', lab), []);
  assert.deepEqual(schemaProblems('host', gpu2), []);
});
