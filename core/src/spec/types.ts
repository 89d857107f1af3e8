// The cluster spec as the rest of the product sees it: the typed shape of `cluster.yaml` with the
// `hosts/<name>.yaml` files merged in. The JSON Schemas in `schemas/` describe the same shape for editors;
// keep the two in step (test/unit/spec-schema-types.test.ts checks the property names agree).

import type { GpuVendor } from '../catalog/gpus';

export type { GpuVendor };
export type System = 'x86_64-linux' | 'aarch64-linux' | 'aarch64-darwin';
export const SYSTEMS: readonly System[] = ['x86_64-linux', 'aarch64-linux', 'aarch64-darwin'];

export type Role = 'exo-master' | 'exo-worker' | 'exo-api' | 'nats-hub' | 'nats-leaf' | 'k3s-server' | 'k3s-agent' | 'checkpoint-agent';
export const ROLES: readonly Role[] = [
  'exo-master',
  'exo-worker',
  'exo-api',
  'nats-hub',
  'nats-leaf',
  'k3s-server',
  'k3s-agent',
  'checkpoint-agent',
];

export type Accelerator = 'auto' | 'cuda' | 'rocm' | 'intel' | 'mlx' | 'cpu';
export type InterfaceKind = 'ethernet' | 'bond' | 'vlan' | 'thunderbolt' | 'wifi';
export type LinkKind = 'ethernet' | 'bond' | 'thunderbolt' | 'infiniband';
export type Exporter = 'node' | 'nvidia-gpu' | 'amd-gpu' | 'nats' | 'exo' | 'smartctl';

export interface ClusterSpec {
  cluster: ClusterMeta;
  defaults?: HostDefaults;
  network?: NetworkSpec;
  hosts: HostSpec[];
  nats?: NatsSpec;
  exo?: ExoSpec;
  k3s?: K3sSpec;
  checkpoints?: CheckpointSpec;
  rollout?: RolloutSpec;
  security?: SecuritySpec;
}

/** How a rollout decides that a switched host is healthy, beyond its units, exo and the agent's heartbeat. */
export interface RolloutSpec {
  healthChecks?: SpecHealthCheck[];
}

/** A check of the user's: `command` runs on each matching host over SSH (argv, no shell); exit 0 is healthy. */
export interface SpecHealthCheck {
  name: string;
  command: string[];
  hosts?: string[];
  tags?: string[];
  timeoutSec?: number;
}

export interface ClusterMeta {
  name: string;
  /** DNS domain, also the NATS subject prefix (`{domain}.events.…`). */
  domain: string;
  /** Flake reference of nixpkgs, e.g. `github:NixOS/nixpkgs/nixos-26.05`. */
  nixpkgs?: string;
  /** Default `system` of hosts that do not set one. */
  system?: System;
  stateVersion?: string;
  timeZone?: string;
  /** Declared tags, with a description each; hosts may only use declared tags. */
  tags?: Record<string, string>;
}

export interface HostDefaults {
  ssh?: SshSpec;
  roles?: Role[];
  monitoring?: MonitoringSpec;
}

export interface HostSpec {
  name: string;
  system?: System;
  /** Addresses the host answers on; the first is the SSH target unless `ssh.address` is set. */
  addresses: string[];
  ssh?: SshSpec;
  roles?: Role[];
  tags?: string[];
  labels?: Record<string, string>;
  hardware?: HardwareSpec;
  disks?: DiskSpec[];
  interfaces?: InterfaceSpec[];
  monitoring?: MonitoringSpec;
  /** Per-host exo overrides. */
  exo?: { accelerator?: Accelerator; enable?: boolean };
  /** Per-host k3s overrides (interface for the node IP, extra flags). */
  k3s?: { interface?: string; extraFlags?: string[] };
  /** nixos-containers on this host (NixOS `containers.<name>`), reachable only through NATS. */
  containers?: ContainerSpec[];
}

/** A nixos-container: its NixOS services, limits, private network, mounts, GPU and NATS subjects. */
export interface ContainerSpec {
  name: string;
  /** NixOS services enabled inside (`services.<name>.enable = true`). */
  services?: string[];
  autoStart?: boolean;
  limits?: { cpus?: number; memory?: string };
  /** Own veth pair `ve-<name>` (default true); false shares the host's network. */
  privateNetwork?: boolean;
  hostAddress?: string;
  localAddress?: string;
  bindMounts?: ContainerBindMount[];
  /** The host's NVIDIA devices inside the container. */
  gpu?: boolean;
  nats?: ContainerNatsSpec;
}

export interface ContainerBindMount {
  mountPoint: string;
  /** Host path; defaults to the mount point. */
  hostPath?: string;
  readOnly?: boolean;
}

export interface ContainerNatsSpec {
  /** Public nkey (`U…`) of the container's NATS user; its seed stays in `credentials` on the host. */
  nkey?: string;
  /** Host path of the .creds or nkey seed file, mounted read-only into the container. */
  credentials?: string;
  /** Subjects the container may publish to / subscribe to besides its own `{domain}.containers.{host}.{name}.>`. */
  publish?: string[];
  subscribe?: string[];
}

export interface SshSpec {
  user?: string;
  port?: number;
  /** Private key path; its passphrase lives in VS Code SecretStorage, never here. */
  identity?: string;
  /** Pinned host key, `ssh-ed25519 AAAA…` (as in known_hosts, without the host name). */
  hostKey?: string;
  /** Name of another host to jump through (ProxyJump). */
  jump?: string;
  address?: string;
}

export interface HardwareSpec {
  cpu?: { model?: string; cores?: number; threads?: number };
  memoryGB?: number;
  gpus?: GpuSpec[];
  /** Path (relative to the spec) of a nixos-facter report (JSON). */
  facterReport?: string;
}

export interface GpuSpec {
  vendor: GpuVendor;
  model: string;
  vramGB?: number;
  count?: number;
  computeCapability?: string;
}

export interface DiskSpec {
  /** disko device, e.g. `/dev/nvme0n1`. */
  device: string;
  layout: 'ext4' | 'btrfs' | 'zfs' | 'xfs';
  /** `os` holds the ESP and root; `data` is mounted at `mountpoint`. */
  role?: 'os' | 'data';
  mountpoint?: string;
  swapGB?: number;
  espSizeMB?: number;
}

export interface InterfaceSpec {
  name: string;
  kind: InterfaceKind;
  mac?: string;
  /** CIDR addresses, e.g. `10.0.0.11/24`. */
  addresses?: string[];
  dhcp?: boolean;
  segment?: string;
  mtu?: number;
  /** bond: member interface names on the same host. */
  members?: string[];
  bondMode?: 'balance-rr' | 'active-backup' | 'balance-xor' | 'broadcast' | '802.3ad' | 'balance-tlb' | 'balance-alb';
  /** vlan: parent interface and VLAN id. */
  parent?: string;
  vlanId?: number;
  /** thunderbolt / RDMA capable. */
  rdma?: boolean;
}

export interface MonitoringSpec {
  exporters?: Exporter[];
}

export interface NetworkSpec {
  segments?: SegmentSpec[];
  links?: LinkSpec[];
}

export interface SegmentSpec {
  name: string;
  subnet: string;
  vlan?: number;
  gateway?: string;
  description?: string;
}

/** `host:interface` on either end. */
export interface LinkSpec {
  from: string;
  to: string;
  kind: LinkKind;
  bandwidthGbps?: number;
  rdma?: boolean;
}

export interface NatsSpec {
  /** Client URL the extension and agents connect to. */
  url?: string;
  ports?: { client?: number; leafnode?: number; monitoring?: number; cluster?: number };
  leaf?: { remotes: { url: string; credentials?: string; account?: string }[] };
  jetstream?: { enable?: boolean; storeDir?: string; maxMemory?: string; maxStore?: string; domain?: string };
  tls?: { certFile: string; keyFile: string; caFile?: string; verify?: boolean };
}

export interface ExoSpec {
  enable?: boolean;
  ports?: { api?: number; zenoh?: number; discovery?: number };
  namespace?: string;
  accelerator?: Accelerator;
  models?: ExoModelSpec[];
}

export interface ExoModelSpec {
  id: string;
  sharding?: 'pipeline' | 'tensor';
  minNodes?: number;
}

export interface K3sSpec {
  enable?: boolean;
  /** `https://host:6443` of the server agents join. */
  serverAddress?: string;
  tokenFile?: string;
  /** Interfaces k3s (flannel) uses for node traffic. */
  interfaces?: string[];
  /** Network segment k3s node traffic runs on: the k3s interface of every k3s host must be on it. */
  segment?: string;
  /** How exo appears inside the cluster (on when k3s and exo are both enabled). */
  exo?: K3sExoSpec;
  /** Who gets the GPUs of hosts that run both exo and k3s. */
  gpus?: K3sGpuSpec;
}

export interface K3sExoSpec {
  /** Register exo's API as a Service with EndpointSlices (default true). */
  register?: boolean;
  /** Kubernetes namespace of the Service; `exo.<namespace>.svc` resolves in cluster DNS. */
  namespace?: string;
  /** Service name (default `exo`). */
  service?: string;
  /** Namespaces whose pods may reach exo's API: each gets an egress NetworkPolicy admitting it. */
  allowFrom?: string[];
}

export interface K3sGpuSpec {
  /** `exo`: K3s never schedules GPU pods onto the GPUs exo holds; `k3s`: exo stays off the GPUs of k3s hosts. */
  owner?: 'exo' | 'k3s';
  /** owner `exo`: how many GPUs exo holds on a host (default all of them), by host name. */
  reserve?: Record<string, number>;
}

export interface CheckpointSpec {
  storage: {
    kind: 'local' | 's3' | 'nats-object-store';
    path?: string;
    bucket?: string;
    endpoint?: string;
    /** s3: the region requests are signed for. */
    region?: string;
    credentialsFile?: string;
  };
  policies?: { name: string; units?: string[]; tags?: string[]; interval?: string; retain?: number; onShutdown?: boolean }[];
  criu?: { shellJob?: boolean; tcpEstablished?: boolean; leaveRunning?: boolean; extraArgs?: string[] };
  lockTimeoutMs?: number;
  /** Planned moves: where the GPU processes of `from` are restored when it is drained (`units`: only these). */
  migrations?: { from: string; to: string; units?: string[] }[];
}

export interface SecuritySpec {
  firewall?: { enable?: boolean; allowedTCPPorts?: number[]; allowedUDPPorts?: number[]; trustedInterfaces?: string[] };
  tls?: { certFile: string; keyFile: string };
  serviceUser?: string;
  authorizedKeys?: string[];
}

/** Defaults the product applies where the spec is silent (also the schema `default`s). */
export const DEFAULTS = {
  exoPorts: { api: 52415, zenoh: 52414, discovery: 52413 },
  natsPorts: { client: 4222, leafnode: 7422, monitoring: 8222, cluster: 6222 },
  sshPort: 22,
  sshUser: 'root',
  system: 'x86_64-linux' as System,
  serviceUser: 'exo',
  jetstreamStoreDir: '/var/lib/nats/jetstream',
  checkpointDir: '/var/lib/gpu-cluster/checkpoints',
  k3sTokenFile: '/var/lib/rancher/k3s/token',
  k3sExoNamespace: 'exo',
  k3sExoService: 'exo',
} as const;
