// The spec as the views may rely on it. A spec being edited is often half-written or wrong (`interfaces: eth0`,
// a host without a name); the validator reports that in the editor, and the views keep drawing what is
// well-formed instead of failing: lists that are not lists become empty, entries without a name are left out.
import type { ClusterSpec, HostSpec, InterfaceSpec, LinkSpec, SegmentSpec } from '#core/spec';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = <T>(v: unknown): T[] => (Array.isArray(v) ? (v.filter(isObject) as T[]) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const named = <T extends { name?: unknown }>(list: T[]): T[] => list.filter((x) => typeof x.name === 'string' && x.name !== '');

function displayHost(h: HostSpec): HostSpec {
  const interfaces = named(objects<InterfaceSpec>(h.interfaces)).map((i) => ({
    ...i,
    addresses: strings(i.addresses),
    members: i.members === undefined ? undefined : strings(i.members),
    segment: typeof i.segment === 'string' ? i.segment : undefined,
  }));
  const hardware = isObject(h.hardware) ? { ...h.hardware, gpus: objects(h.hardware.gpus) } : undefined;
  return {
    ...h,
    addresses: strings(h.addresses),
    tags: h.tags === undefined ? undefined : strings(h.tags),
    roles: h.roles === undefined ? undefined : (strings(h.roles) as HostSpec['roles']),
    interfaces,
    hardware: hardware as HostSpec['hardware'],
    ssh: isObject(h.ssh) ? h.ssh : undefined,
    exo: isObject(h.exo) ? h.exo : undefined,
  };
}

export function displayableSpec(spec: ClusterSpec | undefined): ClusterSpec | undefined {
  if (!isObject(spec)) return undefined;
  const network = isObject(spec.network) ? spec.network : {};
  const seen = new Set<string>();
  // A duplicated host name is an error the validator shows; draw the first definition only.
  const hosts = named(objects<HostSpec>(spec.hosts))
    .filter((h) => !seen.has(h.name) && !!seen.add(h.name))
    .map(displayHost);
  const cluster = isObject(spec.cluster) ? spec.cluster : { name: 'cluster', domain: '' };
  const defaults = isObject(spec.defaults)
    ? { ...spec.defaults, roles: spec.defaults.roles === undefined ? undefined : (strings(spec.defaults.roles) as HostSpec['roles']) }
    : undefined;
  return {
    ...spec,
    cluster: { ...cluster, tags: isObject(cluster.tags) ? (cluster.tags as Record<string, string>) : undefined },
    defaults,
    hosts,
    network: {
      segments: named(objects<SegmentSpec>(network.segments)),
      links: objects<LinkSpec>(network.links).filter((l) => typeof l.from === 'string' && typeof l.to === 'string'),
    },
    exo: isObject(spec.exo) ? spec.exo : undefined,
    k3s: isObject(spec.k3s) ? spec.k3s : undefined,
  };
}
