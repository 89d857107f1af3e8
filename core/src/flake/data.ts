// cluster-data.nix: the cluster as pure Nix data (no nixpkgs needed to evaluate it). The flake hands it
// to every host as `gpuCluster.cluster`; tests evaluate it with `nix-instantiate --eval --strict`.

import { exoPorts, natsPorts } from '../spec/resolve';
import type { ClusterPlan, HostPlan } from './plan';
import { nixValue, type NixValue } from '../nix/emit';

export function hostData(host: HostPlan): NixValue {
  return {
    system: host.system,
    platform: host.platform,
    addresses: host.addresses,
    roles: host.roles,
    tags: host.tags,
    gpus: host.gpus.map((g) => ({ vendor: g.vendor, model: g.model, count: g.count, vramGB: g.vramGB })),
    interfaces: Object.fromEntries(
      host.interfaces.map((i) => [
        i.name,
        {
          kind: i.kind,
          addresses: i.addresses ?? [],
          segment: i.segment ?? null,
          rdma: i.rdma ?? false,
          mac: i.mac,
          mtu: i.mtu,
          members: i.members,
          bondMode: i.bondMode,
          parent: i.parent,
          vlanId: i.vlanId,
        },
      ]),
    ),
    ssh: host.ssh,
    exo: host.exo
      ? {
          accelerator: host.exo.accelerator,
          roles: host.exo.roles,
          namespace: host.exo.namespace ?? null,
          apiPort: host.exo.apiPort,
          zenohPort: host.exo.zenohPort,
          discoveryPort: host.exo.discoveryPort,
        }
      : null,
    nats: host.nats
      ? {
          role: host.nats.role,
          clientPort: host.nats.clientPort,
          leafnodePort: host.nats.leafnodePort,
          monitoringPort: host.nats.monitoringPort,
          leafRemotes: host.nats.leafRemotes.map((r) => r.url),
        }
      : null,
    k3s: host.k3s
      ? {
          role: host.k3s.role,
          clusterInit: host.k3s.clusterInit,
          serverAddr: host.k3s.serverAddr ?? null,
          nodeIP: host.k3s.nodeIP ?? null,
          interface: host.k3s.interface ?? null,
        }
      : null,
    checkpoint: host.checkpoint ? { storeDir: host.checkpoint.storeDir, cudaCheckpoint: host.checkpoint.cudaCheckpoint } : null,
    exporters: host.exporters,
  };
}

export function renderClusterData(plan: ClusterPlan, header: string): string {
  const spec = plan.spec;
  const data: NixValue = {
    cluster: { name: plan.name, domain: plan.domain, nixpkgs: plan.nixpkgs, stateVersion: plan.stateVersion, timeZone: plan.timeZone },
    ports: {
      exo: exoPorts(spec),
      nats: natsPorts(spec),
    },
    segments: Object.fromEntries(
      (spec.network?.segments ?? []).map((s) => [
        s.name,
        {
          subnet: s.subnet,
          vlan: s.vlan,
          gateway: s.gateway,
        },
      ]),
    ),
    links: plan.links.map((l) => ({ from: l.from, to: l.to, kind: l.kind, bandwidthGbps: l.bandwidthGbps, rdma: l.rdma ?? false })),
    hosts: Object.fromEntries(plan.hosts.map((h) => [h.name, hostData(h)])),
  };
  return `${header}\n${nixValue(data)}\n`;
}
