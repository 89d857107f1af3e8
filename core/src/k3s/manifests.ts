// The Kubernetes objects that put exo inside the k3s cluster, computed from the spec. The flake hands them to the
// k3s servers' auto-deploy (`services.k3s.manifests`, one manifest per object), which applies them on start.
//   - a Namespace and a Service without selector for exo's API, plus EndpointSlices (one per address family)
//     naming the hosts that serve it: exo runs on the host network, so `<service>.<namespace>.svc` resolves to a
//     cluster IP that kube-proxy forwards to those hosts;
//   - per namespace of `k3s.exo.allowFrom`, an egress NetworkPolicy admitting exo's API port on those hosts, so
//     namespaces with a default-deny policy reach exo and nothing else changes;
//   - for the k3s hosts whose GPUs exo holds, reservation DaemonSets (one per distinct hold, such as 8 NVIDIA GPUs)
//     whose pause container requests them from the device plugin, so the scheduler never gives them to a K3s pod.

import { exoHosts, effectiveRoles, exoPorts, isK3sHost } from '../spec/resolve';
import { parseAddress } from '../spec/net';
import { DEFAULTS, type ClusterSpec, type HostSpec, type K3sExoSpec, type K3sSpec } from '../spec/types';
import { isRecord } from '../spec/workspace';
import { LABEL_PREFIX, clusterAddress, exoGpuHolds, type GpuHold } from './nodes';

/** A Kubernetes object as plain data (what `services.k3s.manifests.<name>.content` takes). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface K3sManifest {
  /** Attribute name under `services.k3s.manifests`; k3s writes it as `<name>.yaml` in its manifests folder. */
  name: string;
  object: KubeObject;
}

/** The image that holds reserved GPUs: Kubernetes' own pause container, which only sleeps. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'nix-gpu-cluster' };

export interface ExoRegistration {
  namespace: string;
  service: string;
  allowFrom: string[];
  apiPort: number;
  /** Hosts serving exo's API and the address pods reach each on. */
  endpoints: { host: HostSpec; address: string; family: 'IPv4' | 'IPv6'; k3sNode: boolean }[];
}

/**
 * Whether exo is registered in K3s, and how: undefined when k3s is off, no host serves exo's API (`exo-api`), or
 * `k3s.exo.register` is false.
 */
export function exoRegistration(spec: ClusterSpec): ExoRegistration | undefined {
  const k3s: K3sSpec | undefined = isRecord(spec.k3s) ? spec.k3s : undefined;
  if (k3s?.enable !== true) return undefined;
  const exo: K3sExoSpec = isRecord(k3s.exo) ? k3s.exo : {};
  if (exo.register === false) return undefined;
  // exo's API is served by the exo-api hosts; without one there is nothing to register
  const serving = exoHosts(spec).filter((h) => effectiveRoles(spec, h).includes('exo-api'));
  if (serving.length === 0) return undefined;
  const endpoints: ExoRegistration['endpoints'] = [];
  for (const host of serving) {
    const address = clusterAddress(spec, host);
    const parsed = address ? parseAddress(address) : undefined;
    if (!address || !parsed) continue;
    endpoints.push({ host, address, family: parsed.family === 6 ? 'IPv6' : 'IPv4', k3sNode: isK3sHost(spec, host) });
  }
  return {
    namespace: exo.namespace ?? DEFAULTS.k3sExoNamespace,
    service: exo.service ?? DEFAULTS.k3sExoService,
    allowFrom: Array.isArray(exo.allowFrom) ? exo.allowFrom : [],
    apiPort: exoPorts(spec).api,
    endpoints,
  };
}

/** Every manifest the k3s servers deploy, in a stable order. Empty when k3s is off. */
export function k3sManifests(spec: ClusterSpec): K3sManifest[] {
  const k3s: K3sSpec | undefined = isRecord(spec.k3s) ? spec.k3s : undefined;
  if (k3s?.enable !== true) return [];
  const out: K3sManifest[] = [];
  const reg = exoRegistration(spec);
  const exo: K3sExoSpec = isRecord(k3s.exo) ? k3s.exo : {};
  const namespace = reg?.namespace ?? exo.namespace ?? DEFAULTS.k3sExoNamespace;
  const hosts: HostSpec[] = Array.isArray(spec.hosts) ? spec.hosts : [];
  const holds = hosts.map((host) => ({ host, holds: exoGpuHolds(spec, host) })).filter((h) => h.holds.length);
  if (reg || holds.length) {
    out.push({
      name: 'gpu-cluster-namespace',
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { ...MANAGED_BY } } },
    });
  }
  if (reg) out.push(...exoServiceManifests(reg));
  for (const group of reservationGroups(holds)) out.push(reservation(group, namespace));
  return out;
}

/** Hosts whose exo holds the same GPUs (resource and count), so one DaemonSet serves them all. */
interface ReservationGroup {
  key: string;
  holds: GpuHold[];
  hosts: string[];
}

function reservationGroups(holds: { host: HostSpec; holds: GpuHold[] }[]): ReservationGroup[] {
  const groups = new Map<string, ReservationGroup>();
  for (const h of holds) {
    const sorted = [...h.holds].sort((a, b) => a.vendor.localeCompare(b.vendor));
    const key = sorted.map((x) => `${x.vendor}-${x.count}`).join('-');
    const group = groups.get(key) ?? { key, holds: sorted, hosts: [] };
    group.hosts.push(h.host.name);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * A DaemonSet whose pause container requests the group's GPUs from the device plugin on each of its hosts (node
 * affinity by host name), so the scheduler counts them as taken. On an update the old pod goes before the new one
 * comes (maxSurge 0), so the GPUs are never asked for twice.
 */
function reservation(group: ReservationGroup, namespace: string): K3sManifest {
  const labels = { 'app.kubernetes.io/name': 'exo-gpu-reservation', [`${LABEL_PREFIX}/hold`]: group.key };
  const gpus = Object.fromEntries(group.holds.map((h) => [h.resource, String(h.count)]));
  return {
    name: `gpu-cluster-gpu-reservation-${group.key}`,
    object: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: `exo-gpu-reservation-${group.key}`, namespace, labels: { ...labels, ...MANAGED_BY } },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        template: {
          metadata: { labels },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: group.hosts }] }],
                },
              },
            },
            tolerations: [{ operator: 'Exists' }],
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            containers: [
              {
                name: 'hold',
                image: PAUSE_IMAGE,
                resources: { requests: gpus, limits: gpus },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 65535 },
              },
            ],
          },
        },
      },
    },
  };
}

function exoServiceManifests(reg: ExoRegistration): K3sManifest[] {
  const port = { name: 'api', protocol: 'TCP', port: reg.apiPort };
  const out: K3sManifest[] = [
    {
      name: 'gpu-cluster-exo-service',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: reg.service, namespace: reg.namespace, labels: { 'app.kubernetes.io/name': 'exo', ...MANAGED_BY } },
        // no selector: the EndpointSlices below name exo's hosts, which Kubernetes cannot select
        spec: { type: 'ClusterIP', ports: [{ ...port, targetPort: reg.apiPort }] },
      },
    },
  ];
  for (const family of ['IPv4', 'IPv6'] as const) {
    const endpoints = reg.endpoints.filter((e) => e.family === family);
    if (!endpoints.length) continue;
    out.push({
      name: `gpu-cluster-exo-endpoints-${family.toLowerCase()}`,
      object: {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${reg.service}-${family.toLowerCase()}`,
          namespace: reg.namespace,
          // the label ties the slice to the Service; managed-by keeps the EndpointSlice controller off it
          labels: { 'kubernetes.io/service-name': reg.service, 'endpointslice.kubernetes.io/managed-by': 'nix-gpu-cluster', ...MANAGED_BY },
        },
        addressType: family,
        endpoints: endpoints.map((e) => ({
          addresses: [e.address],
          conditions: { ready: true },
          hostname: e.host.name,
          ...(e.k3sNode ? { nodeName: e.host.name } : {}),
        })),
        ports: [port],
      },
    });
  }
  const blocks = reg.endpoints.map((e) => ({ ipBlock: { cidr: `${e.address}/${e.family === 'IPv6' ? 128 : 32}` } }));
  for (const from of reg.allowFrom) {
    if (!blocks.length) break;
    out.push({
      name: `gpu-cluster-exo-netpol-${from}`,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `allow-${reg.service}-api`, namespace: from, labels: { ...MANAGED_BY } },
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [{ to: blocks, ports: [{ protocol: 'TCP', port: reg.apiPort }] }],
        },
      },
    });
  }
  return out;
}
