// hosts/<name>/default.nix (generated: the host as the spec describes it, through the modules'
// options) and hosts/<name>/custom.nix (created once for the user's own settings).

import type { ClusterPlan, HostPlan } from './plan';
import { nix, nixAssignments, nixComment, nixRelativePath, type NixValue } from '../nix/emit';
import { K3S_MANIFESTS_PATH } from './k3sManifests';
import { containerSettings } from './containers';

export interface HostFileInputs {
  hasDisko: boolean;
  usesZfs: boolean;
  hasRoot: boolean;
  /** The facter report is copied beside the host file. */
  hasFacterReport: boolean;
}

/** networking.hostId for ZFS: 8 hex digits, stable per host name (FNV-1a). */
export function hostIdOf(name: string): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

type Assignment = [string[], NixValue | undefined];

function nixosAssignments(cluster: ClusterPlan, host: HostPlan, inputs: HostFileInputs): Assignment[] {
  const spec = cluster.spec;
  const firewall = spec.security?.firewall;
  const out: Assignment[] = [
    [['networking', 'hostName'], host.name],
    [['networking', 'domain'], cluster.domain],
    [['system', 'stateVersion'], cluster.stateVersion],
    [['time', 'timeZone'], cluster.timeZone],
    // nixpkgs 25.11 and later declare hardware.facter; before, nixos-facter-modules declares facter.*.
    [
      cluster.facterInNixpkgs ? ['hardware', 'facter', 'reportPath'] : ['facter', 'reportPath'],
      inputs.hasFacterReport ? nixRelativePath('facter.json') : undefined,
    ],
    [['networking', 'hostId'], inputs.usesZfs ? hostIdOf(host.name) : undefined],
  ];
  if (inputs.hasRoot) {
    out.push([['boot', 'loader', 'systemd-boot', 'enable'], true], [['boot', 'loader', 'efi', 'canTouchEfiVariables'], true]);
  }
  out.push([
    ['services', 'openssh'],
    {
      enable: true,
      ports: [host.ssh.port],
      settings: { PasswordAuthentication: false, KbdInteractiveAuthentication: false, PermitRootLogin: 'prohibit-password' },
    },
  ]);
  if (spec.security?.authorizedKeys?.length) {
    out.push([['users', 'users', host.ssh.user, 'openssh', 'authorizedKeys', 'keys'], spec.security.authorizedKeys]);
  }
  if (firewall) {
    out.push([
      ['networking', 'firewall'],
      {
        enable: firewall.enable ?? true,
        allowedTCPPorts: firewall.allowedTCPPorts,
        allowedUDPPorts: firewall.allowedUDPPorts,
        trustedInterfaces: firewall.trustedInterfaces,
      },
    ]);
  }
  if (host.gpuVendors.length) {
    out.push([
      ['gpuCluster', 'gpu'],
      {
        vendors: host.gpuVendors,
        nvidia: host.gpuVendors.includes('nvidia') ? { open: host.nvidiaOpen, containerToolkit: host.k3s !== undefined } : undefined,
      },
    ]);
  }
  if (host.interfaces.length) {
    out.push([
      ['gpuCluster', 'network'],
      {
        interfaces: Object.fromEntries(
          host.interfaces.map((i) => [
            i.name,
            {
              kind: i.kind,
              mac: i.mac,
              addresses: i.addresses?.length ? i.addresses : undefined,
              dhcp: i.dhcp,
              mtu: i.mtu,
              members: i.members,
              bondMode: i.bondMode,
              parent: i.parent,
              vlanId: i.vlanId,
              rdma: i.rdma,
            },
          ]),
        ),
        defaultGateway: host.defaultGateway,
      },
    ]);
  }
  if (host.exo) out.push([['services', 'exo'], exoSettings(cluster, host)]);
  if (host.nats) out.push([['gpuCluster', 'nats'], natsSettings(host)]);
  if (host.k3s) {
    const k = host.k3s;
    out.push([
      ['gpuCluster', 'k3s'],
      {
        enable: true,
        role: k.role,
        clusterInit: k.clusterInit || undefined,
        serverAddr: k.serverAddr,
        tokenFile: k.tokenFile,
        nodeIP: k.nodeIP,
        interface: k.interface,
        extraFlags: k.extraFlags.length ? k.extraFlags : undefined,
        nodeLabels: Object.keys(k.nodeLabels).length ? k.nodeLabels : undefined,
        manifests: k.deploysManifests ? nix(`import ../../${K3S_MANIFESTS_PATH}`) : undefined,
      },
    ]);
  }
  if (host.checkpoint) {
    out.push([
      ['gpuCluster', 'checkpoint'],
      {
        enable: true,
        storeDir: host.checkpoint.storeDir,
        cudaCheckpoint: host.checkpoint.cudaCheckpoint ? { enable: true } : undefined,
        lockTimeoutMs: host.checkpoint.lockTimeoutMs === 10_000 ? undefined : host.checkpoint.lockTimeoutMs,
        policies: host.checkpoint.policies.length
          ? Object.fromEntries(host.checkpoint.policies.map((p) => [p.name, { units: p.units, interval: p.interval, retain: p.retain }]))
          : undefined,
        storage: host.checkpoint.storage
          ? host.checkpoint.storage.kind === 's3'
            ? host.checkpoint.storage
            : {
                kind: 'nats-object-store',
                bucket: host.checkpoint.storage.bucket,
                natsUrl: host.checkpoint.storage.natsUrl.split(',').map((u) => u.trim()),
                natsCredentialsFile: host.checkpoint.storage.natsCredentialsFile,
                natsCaFile: host.checkpoint.storage.natsCaFile,
              }
          : undefined,
      },
    ]);
  }
  if (host.agent) {
    const a = host.agent;
    out.push([
      ['services', 'gpu-cluster-agent'],
      {
        enable: true,
        natsUrl: a.natsUrl,
        domain: cluster.domain,
        hostName: host.name,
        credentialsFile: a.credentialsFile,
        gpu: a.gpu,
        exoUrl: a.exoUrl,
        extraArgs: a.tlsCaFile ? ['--tls-ca', a.tlsCaFile] : undefined,
      },
    ]);
  }
  const nvidiaGpus = host.gpus.filter((g) => g.vendor === 'nvidia').reduce((n, g) => n + g.count, 0);
  const containers = containerSettings(cluster.domain, host.name, host.containers, nvidiaGpus);
  if (containers) out.push([['gpuCluster', 'containers'], containers]);
  if (host.exporters.length) {
    out.push([
      ['gpuCluster', 'monitoring'],
      {
        exporters: host.exporters,
        natsMonitoringUrl: host.exporters.includes('nats') && host.nats ? `http://127.0.0.1:${host.nats.monitoringPort}` : undefined,
      },
    ]);
  }
  return out;
}

function exoSettings(cluster: ClusterPlan, host: HostPlan): NixValue {
  const exo = host.exo!;
  const serviceUser = cluster.spec.security?.serviceUser;
  return {
    enable: true,
    accelerator: exo.accelerator,
    roles: exo.roles,
    namespace: exo.namespace,
    apiPort: exo.apiPort,
    zenohPort: exo.zenohPort,
    discoveryPort: exo.discoveryPort,
    user: host.platform === 'nixos' && serviceUser && serviceUser !== 'exo' ? serviceUser : undefined,
    group: host.platform === 'nixos' && serviceUser && serviceUser !== 'exo' ? serviceUser : undefined,
  };
}

function natsSettings(host: HostPlan): NixValue {
  const n = host.nats!;
  return {
    enable: true,
    role: n.role,
    clientPort: n.clientPort,
    leafnodePort: n.leafnodePort,
    monitoringPort: n.monitoringPort,
    jetstream: {
      enable: n.jetstream.enable,
      storeDir: n.jetstream.storeDir,
      maxMemory: n.jetstream.maxMemory,
      maxStore: n.jetstream.maxStore,
      domain: n.jetstream.domain,
    },
    leafRemotes: n.leafRemotes.length
      ? n.leafRemotes.map((r) => ({ url: r.url, credentials: r.credentials, account: r.account }))
      : undefined,
    tls: n.tls ? { certFile: n.tls.certFile, keyFile: n.tls.keyFile, caFile: n.tls.caFile, verify: n.tls.verify } : undefined,
  };
}

function darwinAssignments(cluster: ClusterPlan, host: HostPlan): Assignment[] {
  const out: Assignment[] = [
    [['networking', 'hostName'], host.name],
    [['networking', 'localHostName'], host.name.replace(/[^A-Za-z0-9-]/g, '-')],
    // nix-darwin's own state version (an integer), unrelated to the NixOS release.
    [['system', 'stateVersion'], 6],
  ];
  if (host.exo) out.push([['services', 'exo'], exoSettings(cluster, host)]);
  if (host.nats) out.push([['gpuCluster', 'nats'], natsSettings(host)]);
  if (host.exporters.length) out.push([['gpuCluster', 'monitoring', 'exporters'], host.exporters]);
  return out;
}

export function renderHostDefault(cluster: ClusterPlan, host: HostPlan, inputs: HostFileInputs, header: string): string {
  const imports = [nixRelativePath('custom.nix')];
  if (inputs.hasDisko) imports.push(nixRelativePath('disko.nix'));
  const assignments = host.platform === 'darwin' ? darwinAssignments(cluster, host) : nixosAssignments(cluster, host, inputs);
  // One-line settings stay together; each block (a service, the interfaces) stands on its own.
  const blocks = assignments.map((a) => nixAssignments([a], '  ')).filter((text) => text !== '');
  const body = blocks.map((text, i) => (i > 0 && (text.includes('\n') || blocks[i - 1].includes('\n')) ? '\n' : '') + text).join('\n');
  return `${header}
{ ... }:

{
  imports = [
${imports.map((i) => `    ${i.text}`).join('\n')}
  ];

${body}
}
`;
}

export function renderHostCustom(host: HostPlan): string {
  const kind = host.platform === 'darwin' ? 'nix-darwin' : 'NixOS';
  return `${nixComment(`Your own ${kind} settings for ${host.name}. "Generate Flake" created this file once and never`)}
${nixComment('overwrites it; ./default.nix (generated) imports it. Options set there can be overridden here with lib.mkForce.')}
{ config, lib, pkgs, ... }:

{
}
`;
}
