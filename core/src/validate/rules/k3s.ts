// k3s: roles that need k3s enabled and a server to join, and (with k3s.enable) the k3s network, exo's
// endpoints in K3s, GPU reservations and node labels.

import { LABEL_PREFIX, clusterAddress, k3sInterface, nodeLabelProblem } from '../../k3s/nodes';
import { exoRegistration } from '../../k3s/manifests';
import type { HostEntry, ParsedSpecFile } from '../../spec/model';
import { declaredAccelerator, effectiveGpus, effectiveRoles, effectiveSystem, gpuOwner, isK3sHost, runsExo } from '../../spec/resolve';
import type { ClusterSpec, K3sSpec } from '../../spec/types';
import { isRecord } from '../../spec/workspace';
import { closest } from '../../util/suggest';
import { isDarwinSystem, rolePath, withRole, type Path, type Reporter, type Rule } from './rule';

export const k3sRoles: Rule = {
  name: 'k3s.roles',
  needs: 'cluster',
  codes: ['k3s.not-enabled', 'k3s.agent-without-server', 'k3s.agent-without-token', 'k3s.unsupported-host'],
  check({ clusterFile, spec, entries, report: r }) {
    const file = clusterFile!;
    const servers = withRole(spec, entries, 'k3s-server');
    const agents = withRole(spec, entries, 'k3s-agent');
    if ((servers.length || agents.length) && spec.k3s?.enable !== true) {
      const e = servers[0] ?? agents[0];
      const at = rolePath(e, servers.length ? 'k3s-server' : 'k3s-agent', file, spec);
      r.report(
        at.file,
        at.path,
        'value',
        'k3s.not-enabled',
        `Host '${e.host.name}' has a k3s role but k3s.enable is not true, so k3s will not run.`,
      );
    }
    for (const e of agents) {
      const at = rolePath(e, 'k3s-agent', file, spec);
      if (!spec.k3s?.serverAddress) {
        r.report(
          at.file,
          at.path,
          'value',
          'k3s.agent-without-server',
          `k3s agent '${e.host.name}' needs k3s.serverAddress (https://<server>:6443) to join.`,
        );
      }
      // With a k3s server in the cluster the generated config shares the token through the default
      // tokenFile; an outside server's token must be named explicitly.
      if (!spec.k3s?.tokenFile && !servers.length) {
        r.report(
          at.file,
          at.path,
          'value',
          'k3s.agent-without-token',
          `k3s agent '${e.host.name}' joins a server outside this cluster, so it needs k3s.tokenFile (the file holding that server's join token).`,
        );
      }
      if (isDarwinSystem(effectiveSystem(spec, e.host))) {
        r.report(
          at.file,
          at.path,
          'value',
          'k3s.unsupported-host',
          `k3s runs only on Linux; '${e.host.name}' is ${effectiveSystem(spec, e.host)}.`,
        );
      }
    }
    for (const e of servers) {
      if (isDarwinSystem(effectiveSystem(spec, e.host))) {
        const at = rolePath(e, 'k3s-server', file, spec);
        r.report(
          at.file,
          at.path,
          'value',
          'k3s.unsupported-host',
          `k3s runs only on Linux; '${e.host.name}' is ${effectiveSystem(spec, e.host)}.`,
        );
      }
    }
  },
};

export const k3sCluster: Rule = {
  name: 'k3s.cluster',
  needs: 'model',
  codes: [
    'k3s.unknown-segment',
    'k3s.no-interface',
    'k3s.interface-segment',
    'k3s.exo-no-endpoint',
    'k3s.reserve-unknown-host',
    'k3s.reserve-ignored',
    'k3s.reserve-exceeds-gpus',
    'k3s.gpu-owner-conflict',
    'k3s.invalid-node-label',
  ],
  check({ clusterFile: file, spec, entries: all, report: r }) {
    const k3s: K3sSpec | undefined = isRecord(spec.k3s) ? spec.k3s : undefined;
    if (!file || k3s?.enable !== true) return;
    const entries = all.filter((e) => isRecord(e.host) && typeof e.host.name === 'string');
    checkSegment(r, file, spec, k3s, entries);
    checkExoEndpoints(r, file, spec, k3s, entries);
    checkGpus(r, file, spec, k3s, entries);
    checkNodeLabels(r, spec, entries);
  },
};

/** A host's `labels` become `--node-label` flags; one the kubelet refuses would keep k3s from starting. */
function checkNodeLabels(r: Reporter, spec: ClusterSpec, entries: HostEntry[]): void {
  for (const e of entries) {
    if (!isK3sHost(spec, e.host) || !isRecord(e.host.labels)) continue;
    for (const [key, value] of Object.entries(e.host.labels)) {
      if (typeof value !== 'string') continue;
      const problem = key.startsWith(`${LABEL_PREFIX}/`)
        ? `the prefix '${LABEL_PREFIX}/' is set by the flake itself`
        : nodeLabelProblem(key, value);
      if (problem)
        r.report(e.file, [...e.path, 'labels', key], 'key', 'k3s.invalid-node-label', `'${key}' cannot be a k3s node label: ${problem}.`);
    }
  }
}

function checkSegment(r: Reporter, file: ParsedSpecFile, spec: ClusterSpec, k3s: K3sSpec, entries: HostEntry[]): void {
  const segments = (isRecord(spec.network) && Array.isArray(spec.network.segments) ? spec.network.segments : [])
    .filter(isRecord)
    .map((s) => s.name)
    .filter((n): n is string => typeof n === 'string');
  const segment = typeof k3s.segment === 'string' ? k3s.segment : undefined;
  if (segment !== undefined && !segments.includes(segment)) {
    const s = closest(segment, segments);
    r.report(
      file,
      ['k3s', 'segment'],
      'value',
      'k3s.unknown-segment',
      `No network segment is named '${segment}'${s ? ` — did you mean '${s}'?` : ''}`,
      { replacement: s },
    );
    return;
  }
  const listed = Array.isArray(k3s.interfaces) ? k3s.interfaces.filter((n) => typeof n === 'string') : [];
  for (const e of entries) {
    if (!isK3sHost(spec, e.host)) continue;
    const iface = k3sInterface(spec, e.host);
    const ownName = isRecord(e.host.k3s) ? e.host.k3s.interface : undefined;
    if (!iface) {
      // a host k3s.interface naming nothing is k3s.unknown-interface already
      if (ownName === undefined && (listed.length || segment)) {
        r.report(
          e.file,
          roleOrNamePath(e, ['k3s-server', 'k3s-agent']),
          'value',
          'k3s.no-interface',
          `k3s host '${e.host.name}' has none of the k3s interfaces (${listed.join(', ') || 'none listed'}); k3s would pick the default route's interface and exo's endpoint would not be on the k3s network. Set k3s.interface on the host.`,
        );
      }
      continue;
    }
    if (segment !== undefined && iface.segment !== segment) {
      const index = (e.host.interfaces ?? []).indexOf(iface);
      r.report(
        e.file,
        [...e.path, 'interfaces', index, iface.segment === undefined ? 'name' : 'segment'],
        'value',
        'k3s.interface-segment',
        `'${e.host.name}' runs k3s on ${iface.name}, which is ${iface.segment === undefined ? 'on no segment' : `on segment '${iface.segment}'`}, not on the k3s segment '${segment}'.`,
      );
    }
  }
}

/** Where the host gets one of these roles: the role in its list, else (roles from defaults) its name. */
function roleOrNamePath(e: HostEntry, wanted: readonly string[]): Path {
  const roles = Array.isArray(e.host.roles) ? e.host.roles : [];
  const i = roles.findIndex((r) => wanted.includes(r));
  return i >= 0 ? [...e.path, 'roles', i] : [...e.path, 'name'];
}

function checkExoEndpoints(r: Reporter, file: ParsedSpecFile, spec: ClusterSpec, k3s: K3sSpec, entries: HostEntry[]): void {
  const serving = entries.filter((e) => runsExo(spec, e.host) && effectiveRoles(spec, e.host).includes('exo-api'));
  const reg = exoRegistration(spec);
  // only a spec that asks for exo in K3s (writes k3s.exo) hears that no host serves the API
  if (!reg && serving.length === 0 && isRecord(k3s.exo) && k3s.exo.register !== false) {
    r.report(
      file,
      ['k3s', 'exo'],
      'key',
      'k3s.exo-no-endpoint',
      'No host has the exo-api role, so exo is not registered in K3s (no Service). Give a host exo-api, or set k3s.exo.register: false.',
    );
  }
  if (!reg) return;
  for (const e of serving) {
    if (clusterAddress(spec, e.host) === undefined) {
      r.report(
        e.file,
        roleOrNamePath(e, ['exo-api']),
        'value',
        'k3s.exo-no-endpoint',
        `'${e.host.name}' serves exo's API but has no IP address on its k3s interface or in addresses, so it is left out of exo's EndpointSlice.`,
      );
    }
  }
}

function checkGpus(r: Reporter, file: ParsedSpecFile, spec: ClusterSpec, k3s: K3sSpec, entries: HostEntry[]): void {
  const byName = new Map(entries.map((e) => [e.host.name, e]));
  const owner = gpuOwner(spec);
  const reserve = isRecord(k3s.gpus) && isRecord(k3s.gpus.reserve) ? k3s.gpus.reserve : {};
  for (const [name, count] of Object.entries(reserve)) {
    const path = ['k3s', 'gpus', 'reserve', name];
    const e = byName.get(name);
    if (!e) {
      const s = closest(name, [...byName.keys()]);
      r.report(file, path, 'key', 'k3s.reserve-unknown-host', `No host is named '${name}'${s ? ` — did you mean '${s}'?` : ''}`, {
        replacement: s,
      });
      continue;
    }
    if (owner !== 'exo' || !isK3sHost(spec, e.host) || !runsExo(spec, e.host)) {
      const why = owner !== 'exo' ? 'k3s.gpus.owner is k3s' : `'${name}' does not run both exo and k3s`;
      r.report(file, path, 'key', 'k3s.reserve-ignored', `This reservation has no effect: ${why}.`);
      continue;
    }
    const gpus = effectiveGpus(e.host)
      .filter((g) => g.vendor !== 'apple')
      .reduce((n, g) => n + g.count, 0);
    if (typeof count === 'number' && count > gpus) {
      r.report(
        file,
        path,
        'value',
        'k3s.reserve-exceeds-gpus',
        `'${name}' has ${gpus} GPU${gpus === 1 ? '' : 's'}, so exo cannot hold ${count}.`,
      );
    }
  }
  if (owner !== 'k3s') return;
  for (const e of entries) {
    const declared = declaredAccelerator(spec, e.host);
    if (!isK3sHost(spec, e.host) || !runsExo(spec, e.host) || declared === 'auto' || declared === 'cpu') continue;
    if (!effectiveGpus(e.host).some((g) => g.vendor !== 'apple')) continue;
    const own = isRecord(e.host.exo) && e.host.exo.accelerator !== undefined;
    r.report(
      own ? e.file : file,
      own ? [...e.path, 'exo', 'accelerator'] : ['exo', 'accelerator'],
      'value',
      'k3s.gpu-owner-conflict',
      `k3s.gpus.owner is k3s, but exo on '${e.host.name}' is set to ${declared}: exo and K3s GPU pods would share its GPUs. Use accelerator auto (exo then runs on the CPU there) or cpu.`,
    );
  }
}
