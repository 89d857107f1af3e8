// Which interface and address a host uses inside the k3s cluster, and the labels its Node registers with. One
// place for the flake (node IP, flannel interface, --node-label) and the manifests (EndpointSlice addresses), so
// exo's endpoints are always on the interface K3s uses (the bond, where the spec names one).

import { parseAddress } from '../spec/net';
import { effectiveGpus, gpuOwner, isK3sHost, runsExo } from '../spec/resolve';
import type { ClusterSpec, GpuVendor, HostSpec, InterfaceSpec } from '../spec/types';
import { isRecord } from '../spec/workspace';

/** Prefix of every label and annotation this project puts on Kubernetes objects. */
export const LABEL_PREFIX = 'nix-gpu-cluster';

/** The extended resource each vendor's device plugin advertises (NVIDIA, AMD ROCm and Intel device plugins). */
export const GPU_RESOURCE: Record<Exclude<GpuVendor, 'apple'>, string> = {
  nvidia: 'nvidia.com/gpu',
  amd: 'amd.com/gpu',
  intel: 'gpu.intel.com/i915',
};

const stripPrefix = (cidr: string) => cidr.split('/')[0];

/** The interface k3s uses on a host: its own `k3s.interface`, else the first of `k3s.interfaces` it has. */
export function k3sInterface(spec: ClusterSpec, host: HostSpec): InterfaceSpec | undefined {
  const interfaces = Array.isArray(host.interfaces) ? host.interfaces.filter(isRecord) : [];
  const own = isRecord(host.k3s) && typeof host.k3s.interface === 'string' ? host.k3s.interface : undefined;
  const listed = isRecord(spec.k3s) && Array.isArray(spec.k3s.interfaces) ? spec.k3s.interfaces : [];
  const name = own ?? listed.find((n) => interfaces.some((i) => i.name === n));
  return interfaces.find((i) => i.name === name);
}

/** The address of a host inside the cluster: IPv4 of its k3s interface first, else any address of it. */
export function k3sInterfaceAddress(spec: ClusterSpec, host: HostSpec): string | undefined {
  const addresses = k3sInterface(spec, host)?.addresses ?? [];
  const chosen = addresses.find((a) => !a.includes(':')) ?? addresses[0];
  return chosen ? stripPrefix(chosen) : undefined;
}

/**
 * Where pods reach a host's services: the k3s interface's address, else (a host outside k3s, such as a Mac running
 * exo) the first of its `addresses` that is an IP address.
 */
export function clusterAddress(spec: ClusterSpec, host: HostSpec): string | undefined {
  const own = k3sInterfaceAddress(spec, host);
  if (own) return own;
  return (Array.isArray(host.addresses) ? host.addresses : []).find((a) => typeof a === 'string' && parseAddress(a) !== undefined);
}

/** A Kubernetes label value: at most 63 of `[A-Za-z0-9_.-]`, starting and ending alphanumerically. */
export function labelValue(text: string): string {
  let v = text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  if (v.length > 63) v = v.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
  return v;
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why the kubelet would refuse a node label, or undefined when it is fine: the key is `[prefix/]name` (prefix a DNS
 * subdomain, name at most 63 characters), the value at most 63, and the `kubernetes.io` / `k8s.io` namespaces are
 * reserved (the NodeRestriction admission plugin rejects most of them from a node).
 */
export function nodeLabelProblem(key: string, value: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (!LABEL_NAME.test(name))
    return `the name '${name}' must be 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumerically`;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `the prefix '${prefix}' must be a DNS subdomain`;
  if (prefix !== undefined && /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix)) return `the prefix '${prefix}' is reserved for Kubernetes`;
  if (value !== '' && !LABEL_NAME.test(value))
    return `the value '${value}' must be at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumerically`;
  return undefined;
}

/** The host's GPU vendors that a device plugin can advertise to K3s (Apple GPUs are not in Linux hosts). */
function deviceGpus(host: HostSpec) {
  return effectiveGpus(host).filter((g): g is typeof g & { vendor: Exclude<GpuVendor, 'apple'> } => g.vendor !== 'apple');
}

export interface GpuHold {
  vendor: Exclude<GpuVendor, 'apple'>;
  resource: string;
  /** GPUs of this vendor exo holds on the host. */
  count: number;
}

/**
 * The GPUs exo holds on a k3s host, per vendor. Owner `exo`: all of the host's GPUs, or `k3s.gpus.reserve[host]`
 * of them (taken from the first vendor on). Owner `k3s`, or exo not on the host: none.
 */
export function exoGpuHolds(spec: ClusterSpec, host: HostSpec): GpuHold[] {
  if (gpuOwner(spec) !== 'exo' || !isK3sHost(spec, host) || !runsExo(spec, host)) return [];
  const reserve =
    isRecord(spec.k3s) && isRecord(spec.k3s.gpus) && isRecord(spec.k3s.gpus.reserve) ? spec.k3s.gpus.reserve[host.name] : undefined;
  let left = typeof reserve === 'number' && Number.isInteger(reserve) && reserve >= 0 ? reserve : Infinity;
  const byVendor = new Map<GpuHold['vendor'], number>();
  for (const g of deviceGpus(host)) {
    const take = Math.min(g.count, left);
    left -= take;
    if (take > 0) byVendor.set(g.vendor, (byVendor.get(g.vendor) ?? 0) + take);
  }
  return [...byVendor].map(([vendor, count]) => ({ vendor, resource: GPU_RESOURCE[vendor], count }));
}

/**
 * Labels a k3s host's Node registers with (`--node-label`, which k3s re-applies on every start): the host's own
 * `labels`, and GPU vendor, model, memory per GPU and count of its first GPU entry, the total count, and how many
 * of them exo holds.
 */
export function nodeLabels(spec: ClusterSpec, host: HostSpec): Record<string, string> {
  if (!isK3sHost(spec, host)) return {};
  // the host's own labels (validation reports those the kubelet would refuse; they are left out here)
  const own = Object.entries(isRecord(host.labels) ? host.labels : {}).filter(
    ([k, v]) => typeof v === 'string' && nodeLabelProblem(k, v) === undefined && !k.startsWith(`${LABEL_PREFIX}/`),
  );
  const gpus = deviceGpus(host);
  if (gpus.length === 0) return Object.fromEntries(own);
  const first = gpus[0];
  const labels: Record<string, string> = {
    ...Object.fromEntries(own),
    [`${LABEL_PREFIX}/gpu-vendor`]: [...new Set(gpus.map((g) => g.vendor))].sort().join('_'),
    [`${LABEL_PREFIX}/gpu-model`]: labelValue(first.model),
    [`${LABEL_PREFIX}/gpu-count`]: String(gpus.reduce((n, g) => n + g.count, 0)),
    [`${LABEL_PREFIX}/exo-gpus`]: String(exoGpuHolds(spec, host).reduce((n, h) => n + h.count, 0)),
  };
  if (first.vramGB !== undefined) labels[`${LABEL_PREFIX}/gpu-memory-gb`] = String(first.vramGB);
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}
