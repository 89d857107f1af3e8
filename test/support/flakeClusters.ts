// Synthetic clusters of any size for the flake tests and benchmark: NVIDIA nodes (every 4th an AMD node)
// on a bonded data network; the first is the hub, the others NATS leaves and k3s agents.
// `npx tsx test/support/flakeClusters.ts 100 examples/hundred-node/cluster.yaml` writes the example.

import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { ClusterSpec, HostSpec } from '#core/spec';

export function syntheticCluster(count: number): ClusterSpec {
  const hosts: HostSpec[] = [];
  for (let i = 0; i < count; i++) {
    const name = `node-${String(i + 1).padStart(4, '0')}`;
    // Up to 64,000 hosts fit the two /16 segments.
    const mgmt = `10.100.${Math.floor(i / 250)}.${10 + (i % 250)}`;
    const data = `10.200.${Math.floor(i / 250)}.${10 + (i % 250)}`;
    const amd = i % 4 === 3;
    hosts.push({
      name,
      addresses: [mgmt],
      roles:
        i === 0
          ? ['nats-hub', 'exo-master', 'exo-api', 'exo-worker', 'k3s-server', 'checkpoint-agent']
          : ['exo-worker', 'nats-leaf', 'k3s-agent', ...(amd ? [] : ['checkpoint-agent' as const])],
      tags: [amd ? 'amd' : 'nvidia'],
      hardware: {
        memoryGB: 256,
        gpus: [
          amd
            ? { vendor: 'amd', model: 'Instinct MI210', vramGB: 64, count: 4 }
            : { vendor: 'nvidia', model: 'H100 SXM', vramGB: 80, count: 8, computeCapability: '9.0' },
        ],
      },
      disks: [{ device: '/dev/nvme0n1', layout: 'ext4', role: 'os', swapGB: 16 }],
      interfaces: [
        { name: 'eno1', kind: 'ethernet', segment: 'mgmt', addresses: [`${mgmt}/16`] },
        { name: 'enp1s0f0', kind: 'ethernet' },
        { name: 'enp1s0f1', kind: 'ethernet' },
        { name: 'bond0', kind: 'bond', members: ['enp1s0f0', 'enp1s0f1'], bondMode: '802.3ad', segment: 'data', addresses: [`${data}/16`] },
      ],
      monitoring: { exporters: amd ? ['node', 'amd-gpu'] : ['node', 'nvidia-gpu'] },
    });
  }
  return {
    cluster: {
      name: `synthetic-${count}`,
      domain: 'dc.internal',
      nixpkgs: 'github:NixOS/nixpkgs/nixos-26.05',
      system: 'x86_64-linux',
      stateVersion: '26.05',
      tags: { nvidia: 'NVIDIA H100 nodes', amd: 'AMD Instinct nodes' },
    },
    network: {
      segments: [
        { name: 'mgmt', subnet: '10.100.0.0/16', gateway: '10.100.0.1' },
        { name: 'data', subnet: '10.200.0.0/16' },
      ],
    },
    hosts,
    nats: { url: `nats://${hosts[0]?.addresses[0]}:4222`, jetstream: { maxMemory: '8G', maxStore: '500G' } },
    exo: { enable: true, namespace: 'dc' },
    k3s: { enable: true, serverAddress: 'https://10.200.0.10:6443', tokenFile: '/run/secrets/k3s-token', interfaces: ['bond0'] },
    checkpoints: { storage: { kind: 'local' } },
    security: { firewall: { enable: true, allowedTCPPorts: [22] } },
  };
}

if (process.argv[1]?.endsWith('flakeClusters.ts') && process.argv[3]) {
  const count = Number(process.argv[2]);
  const header = `# ${count} synthetic GPU nodes, written by test/support/flakeClusters.ts (do not edit by hand).\n`;
  writeFileSync(process.argv[3], header + stringify(syntheticCluster(count)));
}
