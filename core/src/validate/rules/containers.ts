// The `containers` of each host against what nixos-containers and the `nixos-container` tool accept, and against the
// rest of the spec. Upstream facts, read from nixpkgs:
//   nixos/modules/virtualisation/nixos-containers.nix (commit 00ef614eae7658e8c2d4ea0abbd476fa9d8065fc):
//     - assertion: no '_' in a container name; with privateNetwork on kernels before 5.8, at most 11 characters
//       ("the container's interface name is derived from it": ve-<name>, within IFNAMSIZ);
//     - HOST_ADDRESS / LOCAL_ADDRESS are written to the container's .conf only when privateNetwork is on;
//     - the unit runs in Slice=machine.slice with DevicePolicy=closed, DeviceAllow from allowedDevices;
//     - bind mounts go unquoted into EXTRA_NSPAWN_FLAGS as --bind=<hostPath>:<mountPoint> (the schema's path pattern).
//   pkgs/tools/virtualization/nixos-container/nixos-container.pl (commit 1b8719437b4b1269d05e1a8b1628f885fa2a9d62):
//     - names must match /^[a-zA-Z0-9_-]+$/ ("invalid container name");
//     - create refuses names longer than 11 characters ("container name ‘…’ is too long", interface name limits);
//     - --host-address requires --local-address and the reverse.
// A name that starts with '-' would be read by the tool's option parser (Getopt gnu_getopt) as a flag.

import type { HostEntry, ParsedSpecFile } from '../../spec/model';
import { addressKey, parseAddress, parseCidr } from '../../spec/net';
import { effectiveGpus, effectiveRoles, effectiveSystem, isDarwin } from '../../spec/resolve';
import type { ClusterSpec, ContainerSpec } from '../../spec/types';
import { hostEntriesOf, isRecord } from '../../spec/workspace';
import { domainToken } from '../../nats/subjects';
import type { DiagnosticCode } from '../report/codes';
import type { Rule } from './rule';
import { CONTAINER_NAME, containerNameProblem, MAX_CONTAINER_NAME } from '../../spec/containers';

type Path = (string | number)[];
type Report = (
  file: ParsedSpecFile,
  path: Path,
  code: DiagnosticCode,
  message: string,
  related?: { file: ParsedSpecFile; path: Path; message: string },
) => void;

/** Subject prefixes a container must never reach: agent commands, the event store, JetStream's API and the system account. */
function reservedSubjects(spec: ClusterSpec): string[] {
  let prefix: string | undefined;
  try {
    prefix = isRecord(spec.cluster) && typeof spec.cluster.domain === 'string' ? domainToken(spec.cluster.domain) : undefined;
  } catch {
    prefix = undefined;
  }
  return [...(prefix ? [`${prefix}.commands.>`, `${prefix}.events.>`] : []), '$JS.>', '$SYS.>', '$KV.>', '$O.>'];
}

/** True when some subject matches both patterns (NATS wildcards: `*` one token, a final `>` one or more). */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    if (i >= x.length || i >= y.length) return x.length === y.length;
    if (x[i] === '>' || y[i] === '>') return true;
    if (x[i] !== '*' && y[i] !== '*' && x[i] !== y[i]) return false;
  }
}

export const containers: Rule = {
  name: 'containers.hosts',
  needs: 'model',
  codes: [
    'containers.unsupported-host',
    'containers.duplicate-name',
    'containers.shared-network',
    'containers.addresses-ignored',
    'containers.address-incomplete',
    'containers.no-addresses',
    'containers.address-collision',
    'containers.gpu-unavailable',
    'containers.cpu-exceeds-host',
    'containers.memory-exceeds-host',
    'containers.duplicate-mount-point',
    'containers.no-nats-on-host',
    'containers.nats-credentials-incomplete',
    'containers.nats-reserved-subject',
    'containers.name-too-long',
    'containers.invalid-name',
  ],
  check({ model, spec, report: r }) {
    const report: Report = (file, path, code, message, related) =>
      r.report(file, path, 'value', code, message, related && { related: [related] });
    const entries = hostEntriesOf(model).filter(
      (e) => isRecord(e.host) && Array.isArray(e.host.containers) && e.host.containers.length > 0,
    );
    if (!entries.length) return;
    const hostAddresses = addressesOfHosts(hostEntriesOf(model));
    const reserved = reservedSubjects(spec);
    for (const entry of entries) checkHost(report, spec, entry, hostAddresses, reserved);
  },
};

interface AddressOwner {
  entry: HostEntry;
  path: Path;
}

/** Every host and interface address of the cluster, by canonical key. */
function addressesOfHosts(entries: HostEntry[]): Map<string, AddressOwner> {
  const owners = new Map<string, AddressOwner>();
  const add = (text: unknown, entry: HostEntry, path: Path) => {
    if (typeof text !== 'string') return;
    const parsed = parseAddress(text) ?? parseCidr(text);
    if (parsed && !owners.has(addressKey(parsed))) owners.set(addressKey(parsed), { entry, path });
  };
  for (const entry of entries) {
    const host = entry.host;
    if (Array.isArray(host.addresses)) host.addresses.forEach((a, i) => add(a, entry, [...entry.path, 'addresses', i]));
    if (Array.isArray(host.interfaces))
      host.interfaces.forEach((iface, k) => {
        if (isRecord(iface) && Array.isArray(iface.addresses))
          iface.addresses.forEach((a, i) => add(a, entry, [...entry.path, 'interfaces', k, 'addresses', i]));
      });
  }
  return owners;
}

function checkHost(
  report: Report,
  spec: ClusterSpec,
  entry: HostEntry,
  hostAddresses: Map<string, AddressOwner>,
  reserved: string[],
): void {
  const { file, host } = entry;
  const hostName = typeof host.name === 'string' ? host.name : '?';
  const containers = host.containers as unknown[];
  const system = effectiveSystem(spec, host);
  if (isDarwin(system)) {
    report(
      file,
      [...entry.path, 'containers'],
      'containers.unsupported-host',
      `nixos-containers run only on NixOS; '${hostName}' is ${system}.`,
    );
    return;
  }
  const hasNvidia = effectiveGpus(host).some((g) => g.vendor === 'nvidia');
  const runsNats = effectiveRoles(spec, host).some((r) => r === 'nats-hub' || r === 'nats-leaf');
  const names = new Map<string, Path>();
  // Container addresses on this host: local addresses must be unique; a host address may serve several containers.
  const local = new Map<string, { path: Path; name: string }>();
  const hostEnds = new Map<string, { path: Path; name: string }>();
  const threads =
    isRecord(host.hardware) && isRecord(host.hardware.cpu) ? (host.hardware.cpu.threads ?? host.hardware.cpu.cores) : undefined;
  const memoryGB = isRecord(host.hardware) ? host.hardware.memoryGB : undefined;

  containers.forEach((value, index) => {
    if (!isRecord(value)) return;
    const c = value as Partial<ContainerSpec>;
    const at: Path = [...entry.path, 'containers', index];
    const name = typeof c.name === 'string' ? c.name : undefined;
    if (name !== undefined) {
      const problem = containerNameProblem(name);
      if (problem) {
        report(
          file,
          [...at, 'name'],
          name.length > MAX_CONTAINER_NAME && CONTAINER_NAME.test(name) ? 'containers.name-too-long' : 'containers.invalid-name',
          `'${name}' cannot be a container name: ${problem}.`,
        );
      }
      const first = names.get(name);
      if (first)
        report(file, [...at, 'name'], 'containers.duplicate-name', `Container '${name}' is declared twice on host '${hostName}'.`, {
          file,
          path: first,
          message: `first '${name}'`,
        });
      else names.set(name, [...at, 'name']);
    }
    const label = name ?? `#${index + 1}`;

    const privateNetwork = c.privateNetwork !== false;
    const hasHost = typeof c.hostAddress === 'string';
    const hasLocal = typeof c.localAddress === 'string';
    if (!privateNetwork) {
      report(
        file,
        [...at, 'privateNetwork'],
        'containers.shared-network',
        `Container '${label}' shares the host's network: it can reach anything the host can, so NATS is not its only way out.`,
      );
      if (hasHost || hasLocal) {
        report(
          file,
          [...at, hasHost ? 'hostAddress' : 'localAddress'],
          'containers.addresses-ignored',
          `hostAddress and localAddress take effect only with privateNetwork (nixos-containers writes them to the container's configuration only then).`,
        );
      }
    } else if (hasHost !== hasLocal) {
      report(
        file,
        [...at, hasHost ? 'hostAddress' : 'localAddress'],
        'containers.address-incomplete',
        `Container '${label}' needs both hostAddress and localAddress (the veth pair has two ends; nixos-container refuses one without the other).`,
      );
    } else if (!hasHost && isRecord(c.nats)) {
      report(
        file,
        [...at, 'nats'],
        'containers.no-addresses',
        `Container '${label}' has a private network without addresses, so it cannot reach NATS on the host: set hostAddress and localAddress.`,
      );
    }
    if (privateNetwork && hasHost && hasLocal) {
      const h = parseAddress(c.hostAddress!);
      const l = parseAddress(c.localAddress!);
      if (h && l && addressKey(h) === addressKey(l)) {
        report(
          file,
          [...at, 'localAddress'],
          'containers.address-collision',
          `localAddress ${c.localAddress} is the container's own hostAddress; the two ends of the veth pair need different addresses.`,
        );
      }
      for (const [key, text, which] of [
        [l && addressKey(l), c.localAddress!, 'localAddress'],
        [h && addressKey(h), c.hostAddress!, 'hostAddress'],
      ] as const) {
        if (!key) continue;
        const owner = hostAddresses.get(key);
        if (owner) {
          report(
            file,
            [...at, which],
            'containers.address-collision',
            `${which} ${text} is an address of host '${owner.entry.host.name}': traffic to that host would be routed into the container instead.`,
            { file: owner.entry.file, path: owner.path, message: `used by host '${owner.entry.host.name}'` },
          );
          continue;
        }
        const other = local.get(key) ?? (which === 'localAddress' ? hostEnds.get(key) : undefined);
        if (other && other.name !== label) {
          report(
            file,
            [...at, which],
            'containers.address-collision',
            `${which} ${text} is already used by container '${other.name}' on '${hostName}'.`,
            { file, path: other.path, message: `used by '${other.name}'` },
          );
        }
      }
      if (l) local.set(addressKey(l), { path: [...at, 'localAddress'], name: label });
      if (h && !hostEnds.has(addressKey(h))) hostEnds.set(addressKey(h), { path: [...at, 'hostAddress'], name: label });
    }

    if (c.gpu === true && !hasNvidia) {
      report(
        file,
        [...at, 'gpu'],
        'containers.gpu-unavailable',
        `Host '${hostName}' has no NVIDIA GPU in its hardware, so there are no /dev/nvidia* devices to give container '${label}'.`,
      );
    }

    if (isRecord(c.limits)) {
      if (typeof c.limits.cpus === 'number' && typeof threads === 'number' && c.limits.cpus > threads) {
        report(
          file,
          [...at, 'limits', 'cpus'],
          'containers.cpu-exceeds-host',
          `Container '${label}' may use ${c.limits.cpus} CPUs, but '${hostName}' has ${threads}; the limit never applies.`,
        );
      }
      const bytes = typeof c.limits.memory === 'string' ? sizeBytes(c.limits.memory) : undefined;
      if (bytes !== undefined && typeof memoryGB === 'number' && bytes > memoryGB * 1024 ** 3) {
        report(
          file,
          [...at, 'limits', 'memory'],
          'containers.memory-exceeds-host',
          `Container '${label}' may use ${c.limits.memory} of memory, but '${hostName}' has ${memoryGB} GB; the limit never applies.`,
        );
      }
    }

    if (Array.isArray(c.bindMounts)) {
      const points = new Map<string, number>();
      c.bindMounts.forEach((m, i) => {
        if (!isRecord(m) || typeof m.mountPoint !== 'string') return;
        const point = m.mountPoint.replace(/\/+$/, '') || '/';
        if (points.has(point)) {
          report(
            file,
            [...at, 'bindMounts', i, 'mountPoint'],
            'containers.duplicate-mount-point',
            `Mount point ${m.mountPoint} is used twice in container '${label}' (bindMounts is an attribute set by mount point in nixos-containers).`,
          );
        } else points.set(point, i);
      });
    }

    if (isRecord(c.nats)) {
      if (!runsNats) {
        report(
          file,
          [...at, 'nats'],
          'containers.no-nats-on-host',
          `Container '${label}' talks only to NATS on its host, but '${hostName}' has neither the nats-leaf nor the nats-hub role.`,
        );
      }
      if ((typeof c.nats.nkey === 'string') !== (typeof c.nats.credentials === 'string')) {
        report(
          file,
          [...at, 'nats', typeof c.nats.nkey === 'string' ? 'nkey' : 'credentials'],
          'containers.nats-credentials-incomplete',
          `The container's NATS user needs both 'nkey' (the public key the server knows) and 'credentials' (the seed file the container reads).`,
        );
      }
      for (const kind of ['publish', 'subscribe'] as const) {
        const list = c.nats[kind];
        if (!Array.isArray(list)) continue;
        list.forEach((subject, i) => {
          if (typeof subject !== 'string') return;
          const hit = reserved.find((r) => subjectsOverlap(subject, r));
          if (hit) {
            report(
              file,
              [...at, 'nats', kind, i],
              'containers.nats-reserved-subject',
              `'${subject}' reaches ${hit}: a container must not ${kind === 'publish' ? 'send agent commands or write events' : 'read agent commands or events'} or use JetStream's and the system account's API.`,
            );
          }
        });
      }
    }
  });
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** systemd's size syntax as the schema allows it (`512M`, `16G`): bytes, base 1024. */
export function sizeBytes(text: string): number | undefined {
  const m = /^([1-9][0-9]*)([KMGT]?)$/.exec(text);
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}
