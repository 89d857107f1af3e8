// What the flake configures on each host, computed once from the spec: every generated file renders
// this plan, so the host files and the cluster table cannot disagree.

import type {
  ClusterSpec,
  ContainerSpec,
  DiskSpec,
  Exporter,
  GpuVendor,
  HostSpec,
  InterfaceSpec,
  LinkSpec,
  Role,
  System,
} from '../spec/types';
import { DEFAULTS } from '../spec/types';
import {
  checkpointUnsupportedReason,
  effectiveAccelerator,
  effectiveExporters,
  effectiveGpus,
  effectiveRoles,
  effectiveSsh,
  effectiveSystem,
  exoApiUrl,
  exoHosts,
  exoPorts,
  isDarwin,
  natsPorts,
  type ConcreteAccelerator,
} from '../spec/resolve';
import { token } from '../nats/subjects';
import { UNIT_NAME } from '../checkpoint/policy';
import { DEFAULT_NIXPKGS, facterFromNixpkgs, isSupportedRelease, releaseOf, SUPPORTED_RELEASE } from './pins';
import { k3sInterface, k3sInterfaceAddress, nodeLabels } from '../k3s/nodes';
import { k3sManifests, type K3sManifest } from '../k3s/manifests';

export type ExoRole = 'master' | 'worker' | 'api';

export interface ExoPlan {
  accelerator: ConcreteAccelerator;
  roles: ExoRole[];
  namespace?: string;
  apiPort: number;
  zenohPort: number;
  discoveryPort: number;
}

export interface NatsPlan {
  role: 'hub' | 'leaf';
  clientPort: number;
  leafnodePort: number;
  monitoringPort: number;
  jetstream: { enable: boolean; storeDir: string; maxMemory?: string; maxStore?: string; domain?: string };
  leafRemotes: { url: string; credentials?: string; account?: string }[];
  tls?: { certFile: string; keyFile: string; caFile?: string; verify: boolean };
}

export interface K3sPlan {
  role: 'server' | 'agent';
  clusterInit: boolean;
  serverAddr?: string;
  tokenFile: string;
  nodeIP?: string;
  interface?: string;
  extraFlags: string[];
  /** `--node-label` of the Node: GPU vendor, model, memory, count and the GPUs exo holds. */
  nodeLabels: Record<string, string>;
  /** A server that hands the cluster's manifests (ClusterPlan.k3sManifests) to k3s's auto-deploy. */
  deploysManifests: boolean;
}

/** The node agent (services.gpu-cluster-agent) on a NixOS host of a cluster with `nats.url`. */
export interface AgentPlan {
  natsUrl: string;
  /** A path on the host, never the credentials themselves. */
  credentialsFile: string;
  gpu: 'auto' | 'nvidia' | 'amd' | 'none';
  /** CA of a `tls://` NATS URL (`nats.tls.caFile`, a path on the host). */
  tlsCaFile?: string;
  /**
   * exo's API whose /state the agent reads for its own node: left to the module's default (this host's API) on
   * the API host; the API host's URL where exo runs with --no-api; empty where exo does not run.
   */
  exoUrl?: string;
}

/**
 * Where the generated hosts expect their agent's own NATS credentials. Not the leaf node's credentials: those are
 * the leaf server's account, while an agent's user may publish and serve its own host's subjects only.
 */
export const AGENT_CREDENTIALS_FILE = '/var/lib/gpu-cluster-agent/agent.creds';

export interface CheckpointPlan {
  storeDir: string;
  cudaCheckpoint: boolean;
  lockTimeoutMs: number;
  /** The spec's policies that apply to this host and have an interval: one systemd timer each. */
  policies: CheckpointPolicyPlan[];
  /** Where the policies upload to (`checkpoints.storage`); absent for local storage. Secrets are paths on the host. */
  storage?:
    | { kind: 's3'; bucket: string; endpoint?: string; region?: string; credentialsFile: string }
    | { kind: 'nats-object-store'; bucket: string; natsUrl: string; natsCredentialsFile: string; natsCaFile?: string };
}

export interface CheckpointPolicyPlan {
  name: string;
  units: string[];
  interval: string;
  retain: number;
}

/** Policy names become unit names (gpu-checkpoint-<name>.timer); as the module's check and the schema's pattern. */
const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** systemd time spans the schema allows (`30m`, `1h`, `1d`): spliced into the timer unit, so checked here too. */
const INTERVAL = /^[0-9]+(s|m|h|d)$/;

export interface HostPlan {
  name: string;
  system: System;
  platform: 'nixos' | 'darwin';
  addresses: string[];
  roles: Role[];
  tags: string[];
  gpuVendors: Exclude<GpuVendor, 'apple'>[];
  /** Open NVIDIA kernel modules need Turing (compute capability 7.5) or newer. */
  nvidiaOpen: boolean;
  gpus: { vendor: GpuVendor; model: string; count: number; vramGB?: number }[];
  interfaces: InterfaceSpec[];
  defaultGateway?: string;
  disks: DiskSpec[];
  facterReport?: string;
  exo?: ExoPlan;
  nats?: NatsPlan;
  k3s?: K3sPlan;
  checkpoint?: CheckpointPlan;
  agent?: AgentPlan;
  exporters: Exporter[];
  ssh: { user: string; port: number };
  /** nixos-containers (NixOS hosts only). */
  containers: ContainerSpec[];
}

export interface ClusterPlan {
  spec: ClusterSpec;
  name: string;
  domain: string;
  nixpkgs: string;
  /** The NixOS release `nixpkgs` names (undefined for a branch such as nixos-unstable or a commit). */
  release?: string;
  /** hardware.facter comes with nixpkgs (25.11 and later), not from nixos-facter-modules. */
  facterInNixpkgs: boolean;
  stateVersion: string;
  timeZone?: string;
  hosts: HostPlan[];
  links: LinkSpec[];
  /** Kubernetes objects the k3s servers deploy (exo's Service, NetworkPolicies, GPU reservations). */
  k3sManifests: K3sManifest[];
  warnings: string[];
}

const stripPrefix = (cidr: string) => cidr.split('/')[0];

export function planCluster(spec: ClusterSpec): ClusterPlan {
  const warnings: string[] = [];
  const nixpkgs = spec.cluster.nixpkgs ?? DEFAULT_NIXPKGS;
  const release = releaseOf(nixpkgs);
  if (release && !isSupportedRelease(release)) {
    warnings.push(`nixpkgs ${release} (${nixpkgs}) is no longer supported upstream; use github:NixOS/nixpkgs/nixos-${SUPPORTED_RELEASE}.`);
  }
  const stateVersion = spec.cluster.stateVersion ?? release ?? SUPPORTED_RELEASE;
  if (!spec.cluster.stateVersion) warnings.push(`cluster.stateVersion is not set; using ${stateVersion}. Set it once and keep it.`);
  const exoEnabled = new Set(exoHosts(spec));
  const manifests = k3sManifests(spec);
  const hosts = spec.hosts.map((host) => planHost(spec, host, exoEnabled.has(host), manifests.length > 0, warnings));
  return {
    spec,
    name: spec.cluster.name,
    domain: spec.cluster.domain,
    nixpkgs,
    release,
    facterInNixpkgs: facterFromNixpkgs(release),
    stateVersion,
    timeZone: spec.cluster.timeZone,
    hosts,
    links: spec.network?.links ?? [],
    k3sManifests: manifests,
    warnings,
  };
}

function planHost(spec: ClusterSpec, host: HostSpec, exoEnabled: boolean, hasManifests: boolean, warnings: string[]): HostPlan {
  const system = effectiveSystem(spec, host);
  const platform = isDarwin(system) ? 'darwin' : 'nixos';
  const roles = effectiveRoles(spec, host);
  const effective = effectiveGpus(host);
  const gpus = effective.map((g) => ({ vendor: g.vendor, model: g.model, count: g.count, vramGB: g.vramGB }));
  const gpuVendors = [...new Set(gpus.map((g) => g.vendor))].filter((v): v is Exclude<GpuVendor, 'apple'> => v !== 'apple');
  const capabilities = effective.filter((g) => g.vendor === 'nvidia' && g.computeCapability).map((g) => Number(g.computeCapability));
  const interfaces = host.interfaces ?? [];
  const segments = new Map((spec.network?.segments ?? []).map((s) => [s.name, s]));
  const gatewaySegment = interfaces.map((i) => i.segment && segments.get(i.segment)).find((s) => s && s.gateway);

  let exporters = effectiveExporters(spec, host);
  const unsupported = exporters.filter((e) => e === 'exo' || (platform === 'darwin' && e !== 'node'));
  for (const e of unsupported) {
    warnings.push(
      e === 'exo'
        ? `${host.name}: exporter "exo" skipped: exo has no Prometheus exporter; its API (/state) is polled instead.`
        : `${host.name}: exporter "${e}" skipped: on macOS only the node exporter is available.`,
    );
  }
  exporters = exporters.filter((e) => !unsupported.includes(e));

  const plan: HostPlan = {
    name: host.name,
    system,
    platform,
    addresses: host.addresses ?? [],
    roles,
    tags: host.tags ?? [],
    gpuVendors,
    nvidiaOpen: capabilities.every((c) => !(c < 7.5)),
    gpus,
    interfaces,
    defaultGateway: gatewaySegment ? gatewaySegment.gateway : undefined,
    disks: platform === 'nixos' ? (host.disks ?? []) : [],
    facterReport: platform === 'nixos' ? host.hardware?.facterReport : undefined,
    exporters,
    ssh: { user: effectiveSsh(spec, host).user, port: effectiveSsh(spec, host).port },
    containers: platform === 'nixos' ? (host.containers ?? []) : [],
  };
  plan.exo = exoEnabled ? planExo(spec, roles, effectiveAccelerator(spec, host), platform) : undefined;
  plan.nats = planNats(spec, host.name, roles);
  if (plan.nats?.leafRemotes.some((r) => r.url.startsWith('tls://')) && !plan.nats.tls?.caFile) {
    warnings.push(
      `${host.name}: a tls:// leaf remote without nats.tls.caFile checks the hub's certificate against the system's CAs; set nats.tls.caFile to the cluster's CA.`,
    );
  }
  if (platform === 'nixos') {
    plan.agent = planAgent(spec, host, gpuVendors, warnings, plan.exo);
    plan.k3s = planK3s(spec, host, roles, hasManifests);
    if (roles.includes('checkpoint-agent')) {
      plan.checkpoint = {
        storeDir: spec.checkpoints?.storage.path ?? DEFAULTS.checkpointDir,
        cudaCheckpoint: checkpointUnsupportedReason(spec, host) === undefined,
        lockTimeoutMs: spec.checkpoints?.lockTimeoutMs ?? 10_000,
        policies: planPolicies(spec, host, plan.exo !== undefined, warnings),
        storage: planCheckpointStorage(spec, host, plan.agent, warnings),
      };
    }
  } else {
    for (const role of roles.filter((r) => r.startsWith('k3s-') || r === 'checkpoint-agent')) {
      warnings.push(`${host.name}: role "${role}" skipped: it needs Linux.`);
    }
  }
  return plan;
}

/** The module's patterns for what it splices into the policy service's unit (nix-templates/modules/checkpoint.nix). */
const STORAGE_BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const STORAGE_ENDPOINT = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?\/?$/;
const STORAGE_REGION = /^[a-z0-9][a-z0-9-]*$/;
/** A path on the host (a secret's or the NATS CA's). */
const HOST_FILE = /^\/[A-Za-z0-9._@+=,:/-]*$/;
const NATS_SERVER = /^(nats|tls):\/\/[A-Za-z0-9._:@-]+$/;

/** Where policy checkpoints are uploaded from this host; a storage the host cannot reach is a warning, not a broken unit. */
function planCheckpointStorage(
  spec: ClusterSpec,
  host: HostSpec,
  agent: AgentPlan | undefined,
  warnings: string[],
): CheckpointPlan['storage'] {
  const st = spec.checkpoints?.storage;
  if (!st || st.kind === 'local') return undefined;
  const skip = (why: string) => {
    warnings.push(`${host.name}: checkpoint policies keep their checkpoints on the host only: ${why}.`);
    return undefined;
  };
  if (!st.bucket || !STORAGE_BUCKET.test(st.bucket)) return skip(`checkpoints.storage.bucket "${st.bucket ?? ''}" is not a bucket name`);
  if (st.kind === 's3') {
    if (!st.credentialsFile) return skip('s3 storage needs checkpoints.storage.credentialsFile (a file with the keys on each host)');
    if (!HOST_FILE.test(st.credentialsFile)) return skip(`credentialsFile "${st.credentialsFile}" is not a plain absolute path`);
    if (st.endpoint && !STORAGE_ENDPOINT.test(st.endpoint))
      return skip(`endpoint "${st.endpoint}" is not an http(s) URL of a host and port`);
    if (st.region && !STORAGE_REGION.test(st.region)) return skip(`region "${st.region}" is not a region name`);
    return { kind: 's3', bucket: st.bucket, endpoint: st.endpoint, region: st.region, credentialsFile: st.credentialsFile };
  }
  if (!agent) return skip('nats-object-store storage needs nats.url (the node agent)');
  if (!agent.natsUrl.split(',').every((u) => NATS_SERVER.test(u.trim())))
    return skip(`nats.url "${agent.natsUrl}" is not a list of nats:// or tls:// servers`);
  if (agent.tlsCaFile && !HOST_FILE.test(agent.tlsCaFile)) return skip(`nats.tls.caFile "${agent.tlsCaFile}" is not a plain absolute path`);
  return {
    kind: 'nats-object-store',
    bucket: st.bucket,
    natsUrl: agent.natsUrl,
    natsCredentialsFile: agent.credentialsFile,
    natsCaFile: agent.tlsCaFile,
  };
}

/** The policies that reach a host (no tags, or one of its tags) and say how often; exo's unit where none is named. */
function planPolicies(spec: ClusterSpec, host: HostSpec, runsExo: boolean, warnings: string[]): CheckpointPolicyPlan[] {
  const out: CheckpointPolicyPlan[] = [];
  for (const p of spec.checkpoints?.policies ?? []) {
    if (p.tags?.length && !p.tags.some((t) => host.tags?.includes(t))) continue;
    if (!p.interval) continue; // onShutdown-only policies have no timer
    const units = p.units?.length ? p.units : runsExo ? ['exo.service'] : [];
    const bad = !POLICY_NAME.test(p.name)
      ? `name "${p.name}" is not letters, digits, _ and -`
      : !INTERVAL.test(p.interval)
        ? `interval "${p.interval}" is not like 30m, 1h or 1d`
        : units.find((u) => !UNIT_NAME.test(u)) !== undefined
          ? `unit "${units.find((u) => !UNIT_NAME.test(u))}" is not a systemd unit name`
          : units.length === 0
            ? 'it names no units and exo does not run here'
            : undefined;
    if (bad) {
      warnings.push(`${host.name}: checkpoint policy "${p.name}" skipped: ${bad}.`);
      continue;
    }
    out.push({ name: p.name, units, interval: p.interval, retain: p.retain ?? 3 });
  }
  return out;
}

function planExo(spec: ClusterSpec, roles: Role[], accelerator: ConcreteAccelerator, platform: 'nixos' | 'darwin'): ExoPlan {
  const exoRoles: ExoRole[] = [];
  if (roles.includes('exo-master')) exoRoles.push('master');
  if (roles.includes('exo-worker')) exoRoles.push('worker');
  if (roles.includes('exo-api')) exoRoles.push('api');
  const ports = exoPorts(spec);
  return {
    accelerator: platform === 'darwin' && accelerator !== 'cpu' ? 'mlx' : accelerator,
    roles: exoRoles,
    namespace: spec.exo?.namespace,
    apiPort: ports.api,
    zenohPort: ports.zenoh,
    discoveryPort: ports.discovery,
  };
}

/**
 * The JetStream domain of a leaf node: the hub's domain (or `leaf`) and the host's name, so every leaf's domain differs
 * from the hub's and from the other leaves' (nats-server takes letters, digits, `_` and `-`).
 */
export function leafDomain(hubDomain: string | undefined, hostName: string): string {
  return `${hubDomain ?? 'leaf'}-${hostName.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function planNats(spec: ClusterSpec, hostName: string, roles: Role[]): NatsPlan | undefined {
  const role = roles.includes('nats-hub') ? 'hub' : roles.includes('nats-leaf') ? 'leaf' : undefined;
  if (!role) return undefined;
  const ports = natsPorts(spec);
  const js = spec.nats?.jetstream;
  let leafRemotes: NatsPlan['leafRemotes'] = [];
  if (role === 'leaf') {
    leafRemotes =
      spec.nats?.leaf?.remotes.map((r) => ({ ...r })) ??
      spec.hosts
        .filter((h) => effectiveRoles(spec, h).includes('nats-hub') && h.addresses?.length)
        .map((h) => ({ url: `nats://${h.addresses[0]}:${ports.leafnode}` }));
  }
  const tls = spec.nats?.tls;
  return {
    role,
    clientPort: ports.client,
    leafnodePort: ports.leafnode,
    monitoringPort: ports.monitoring,
    jetstream: {
      enable: js?.enable ?? true,
      storeDir: js?.storeDir ?? DEFAULTS.jetstreamStoreDir,
      maxMemory: js?.maxMemory,
      maxStore: js?.maxStore,
      domain: role === 'hub' ? js?.domain : leafDomain(js?.domain, hostName),
    },
    leafRemotes,
    tls: tls ? { certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.caFile, verify: tls.verify ?? false } : undefined,
  };
}

function planAgent(
  spec: ClusterSpec,
  host: HostSpec,
  gpuVendors: HostPlan['gpuVendors'],
  warnings: string[],
  exo: HostPlan['exo'],
): AgentPlan | undefined {
  const natsUrl = spec.nats?.url;
  if (!natsUrl) return undefined;
  try {
    token('host', host.name);
  } catch (err) {
    warnings.push(`${host.name}: node agent not enabled: ${(err as Error).message}.`);
    return undefined;
  }
  const nvidia = gpuVendors.includes('nvidia');
  const amd = gpuVendors.includes('amd');
  const caFile = spec.nats?.tls?.caFile;
  return {
    natsUrl,
    credentialsFile: AGENT_CREDENTIALS_FILE,
    gpu: nvidia && amd ? 'auto' : nvidia ? 'nvidia' : amd ? 'amd' : 'none',
    tlsCaFile: natsUrl.startsWith('tls://') && caFile ? caFile : undefined,
    exoUrl: !exo ? '' : exo.roles.includes('api') ? undefined : (exoApiUrl(spec) ?? ''),
  };
}

function planK3s(spec: ClusterSpec, host: HostSpec, roles: Role[], hasManifests: boolean): K3sPlan | undefined {
  const role = roles.includes('k3s-server') ? 'server' : roles.includes('k3s-agent') ? 'agent' : undefined;
  if (!role || spec.k3s?.enable === false) return undefined;
  const servers = spec.hosts.filter((h) => effectiveRoles(spec, h).includes('k3s-server'));
  const serverAddress = spec.k3s?.serverAddress ?? (servers[0]?.addresses?.length ? `https://${servers[0].addresses[0]}:6443` : undefined);
  let serverHost: string | undefined;
  try {
    serverHost = serverAddress ? new URL(serverAddress).hostname.replace(/^\[|\]$/g, '') : undefined;
  } catch {
    serverHost = undefined;
  }
  const initServer =
    servers.find(
      (h) =>
        (h.addresses ?? []).includes(serverHost ?? '') ||
        (h.interfaces ?? []).some((i) => (i.addresses ?? []).some((a) => stripPrefix(a) === serverHost)),
    ) ?? servers[0];
  const clusterInit = role === 'server' && initServer?.name === host.name;
  const iface = k3sInterface(spec, host);
  const nodeAddress = k3sInterfaceAddress(spec, host);
  return {
    role,
    clusterInit,
    serverAddr: clusterInit ? undefined : serverAddress,
    tokenFile: spec.k3s?.tokenFile ?? DEFAULTS.k3sTokenFile,
    nodeIP: nodeAddress,
    interface: iface?.name,
    extraFlags: host.k3s?.extraFlags ?? [],
    nodeLabels: nodeLabels(spec, host),
    // every server deploys the same objects, so any server that starts brings the cluster to them
    deploysManifests: role === 'server' && hasManifests,
  };
}
