// A large, valid cluster.yaml for benchmarks and responsiveness tests: N hosts with interfaces (a bond of
// two NICs), GPUs, disks, tags and labels; management and data segments; a bonded link between every pair
// of hosts; exo, NATS, k3s and checkpoint sections. Records where each host's `memoryGB:` line is, so
// callers can make one-line edits.

export interface BigSpec {
  text: string;
  /** 0-based line of `memoryGB: …` for each host, and the column where its number starts. */
  memoryLines: { line: number; character: number; value: number }[];
  hostNames: string[];
}

const GPUS = [
  { vendor: 'nvidia', model: 'RTX 4090', vramGB: 24, cc: '8.9' },
  { vendor: 'nvidia', model: 'A100 80GB', vramGB: 80, cc: '8.0' },
  { vendor: 'nvidia', model: 'L40S', vramGB: 48, cc: '8.9' },
  { vendor: 'amd', model: 'MI300X', vramGB: 192 },
];

export function generateBigSpec(hostCount: number): BigSpec {
  const lines: string[] = [];
  const racks = Math.max(1, Math.ceil(hostCount / 50));
  const name = (i: number) => `node-${String(i).padStart(4, '0')}`;
  const ip = (net: number, i: number) => `10.${net}.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`;
  lines.push(
    `# Generated: ${hostCount} hosts.`,
    'cluster:',
    '  name: bench',
    '  domain: bench.lab',
    '  nixpkgs: github:NixOS/nixpkgs/nixos-25.05',
    '  system: x86_64-linux',
    '  stateVersion: "25.05"',
    '  tags:',
    '    gpu: Nodes with a discrete GPU',
    ...Array.from({ length: racks }, (_, r) => `    rack-${String(r).padStart(2, '0')}: Rack ${r}`),
    '',
    'defaults:',
    '  ssh:',
    '    user: root',
    '    port: 22',
    '    identity: ~/.ssh/id_ed25519',
    '  monitoring:',
    '    exporters: [node]',
    '',
    'network:',
    '  segments:',
    '    - name: mgmt',
    '      subnet: 10.16.0.0/16',
    '      vlan: 10',
    '      gateway: 10.16.255.254',
    '    - name: data',
    '      subnet: 10.17.0.0/16',
    '      vlan: 20',
    '  links:',
  );
  for (let i = 0; i + 1 < hostCount; i += 2) {
    lines.push(`    - from: ${name(i)}:bond0`, `      to: ${name(i + 1)}:bond0`, '      kind: bond', '      bandwidthGbps: 50');
  }
  lines.push('', 'hosts:');
  const memoryLines: BigSpec['memoryLines'] = [];
  const hostNames: string[] = [];
  for (let i = 0; i < hostCount; i++) {
    const gpu = GPUS[i % GPUS.length];
    // cuda-checkpoint needs NVIDIA: AMD hosts get no checkpoint agent.
    const checkpoint = gpu.vendor === 'nvidia' ? ', checkpoint-agent' : '';
    const role = i === 0 ? `[nats-hub, exo-master, exo-api, k3s-server${checkpoint}]` : `[exo-worker, nats-leaf, k3s-agent${checkpoint}]`;
    const memory = 128 + (i % 4) * 128;
    hostNames.push(name(i));
    lines.push(
      `  - name: ${name(i)}`,
      `    addresses: [${ip(16, i)}]`,
      `    roles: ${role}`,
      `    tags: [gpu, rack-${String(Math.floor(i / 50)).padStart(2, '0')}]`,
      `    labels: { rack: r${Math.floor(i / 50)}, slot: "${i % 50}" }`,
      '    hardware:',
      '      cpu: { model: AMD EPYC 7443P, cores: 24, threads: 48 }',
    );
    memoryLines.push({ line: lines.length, character: '      memoryGB: '.length, value: memory });
    lines.push(
      `      memoryGB: ${memory}`,
      '      gpus:',
      `        - { vendor: ${gpu.vendor}, model: ${gpu.model}, vramGB: ${gpu.vramGB}, count: ${1 + (i % 2)}${gpu.cc ? `, computeCapability: "${gpu.cc}"` : ''} }`,
      '    disks:',
      '      - { device: /dev/nvme0n1, layout: ext4, role: os, swapGB: 16 }',
      '    interfaces:',
      `      - { name: eth0, kind: ethernet, segment: mgmt, addresses: [${ip(16, i)}/16] }`,
      '      - { name: eth1, kind: ethernet }',
      '      - { name: eth2, kind: ethernet }',
      `      - { name: bond0, kind: bond, members: [eth1, eth2], bondMode: 802.3ad, segment: data, addresses: [${ip(17, i)}/16] }`,
      '    monitoring:',
      `      exporters: [node, ${gpu.vendor === 'amd' ? 'amd-gpu' : 'nvidia-gpu'}]`,
    );
  }
  lines.push(
    '',
    'nats:',
    `  url: nats://${ip(16, 0)}:4222`,
    '  jetstream:',
    '    storeDir: /var/lib/nats/jetstream',
    '    maxMemory: 4G',
    '    maxStore: 100G',
    '',
    'exo:',
    '  enable: true',
    '  namespace: bench',
    '  models:',
    '    - { id: mlx-community/Llama-3.3-70B-Instruct-4bit, sharding: pipeline, minNodes: 2 }',
    '',
    'k3s:',
    '  enable: true',
    `  serverAddress: https://${ip(16, 0)}:6443`,
    '  interfaces: [bond0]',
    '',
    'checkpoints:',
    '  storage: { kind: local, path: /var/lib/gpu-cluster/checkpoints }',
    '  policies:',
    '    - { name: exo-hourly, units: [exo], tags: [gpu], interval: 1h, retain: 3 }',
    '',
    'security:',
    '  firewall: { enable: true, allowedTCPPorts: [22] }',
    '',
  );
  return { text: lines.join('\n'), memoryLines, hostNames };
}
