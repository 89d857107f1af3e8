// The k3s section against the rest of the spec, for what the generated manifests and node flags rely on: the k3s
// segment exists and every k3s host's k3s interface carries it, exo's Service gets endpoints pods can reach, and
// GPU reservations name hosts that run exo and k3s and fit their GPUs.

import type { HostEntry, ParsedSpecFile, SpecDiagnostic, SpecModel } from '../spec/model';
import { LABEL_PREFIX, clusterAddress, k3sInterface, nodeLabelProblem } from '../k3s/nodes';
import { exoRegistration } from '../k3s/manifests';
import { declaredAccelerator, effectiveGpus, effectiveRoles, gpuOwner, isK3sHost, runsExo } from '../spec/resolve';
import type { ClusterSpec, K3sSpec } from '../spec/types';
import { clusterFileOf, hostEntriesOf, isRecord } from '../spec/workspace';
import { closest } from '../util/suggest';
import { place, replaceFix } from './place';

type Path = (string | number)[];

export function k3sDiagnostics(model: SpecModel): SpecDiagnostic[] {
  const file = clusterFileOf(model);
  const spec = model.spec;
  const k3s: K3sSpec | undefined = isRecord(spec.k3s) ? spec.k3s : undefined;
  if (!file || k3s?.enable !== true) return [];
  const out: SpecDiagnostic[] = [];
  const report = (at: ParsedSpecFile, path: Path, on: 'key' | 'value', severity: SpecDiagnostic['severity'], code: string, message: string, replacement?: string) => {
    const placed = place(at, path, on);
    const d: SpecDiagnostic = { uri: at.uri, range: placed.range, severity, code, message };
    if (replacement !== undefined && placed.exact && placed.target) d.fixes = [replaceFix(at, placed.target, replacement)];
    out.push(d);
  };
  const entries = hostEntriesOf(model).filter((e) => isRecord(e.host) && typeof e.host.name === 'string');
  checkSegment(report, file, spec, k3s, entries);
  checkExoEndpoints(report, file, spec, k3s, entries);
  checkGpus(report, file, spec, k3s, entries);
  checkNodeLabels(report, spec, entries);
  return out;
}

/** A host's `labels` become `--node-label` flags; one the kubelet refuses would keep k3s from starting. */
function checkNodeLabels(report: Report, spec: ClusterSpec, entries: HostEntry[]): void {
  for (const e of entries) {
    if (!isK3sHost(spec, e.host) || !isRecord(e.host.labels)) continue;
    for (const [key, value] of Object.entries(e.host.labels)) {
      if (typeof value !== 'string') continue;
      const problem = key.startsWith(`${LABEL_PREFIX}/`) ? `the prefix '${LABEL_PREFIX}/' is set by the flake itself` : nodeLabelProblem(key, value);
      if (problem) report(e.file, [...e.path, 'labels', key], 'key', 'error', 'k3s.invalid-node-label', `'${key}' cannot be a k3s node label: ${problem}.`);
    }
  }
}

type Report = (at: ParsedSpecFile, path: Path, on: 'key' | 'value', severity: SpecDiagnostic['severity'], code: string, message: string, replacement?: string) => void;

function checkSegment(report: Report, file: ParsedSpecFile, spec: ClusterSpec, k3s: K3sSpec, entries: HostEntry[]): void {
  const segments = (isRecord(spec.network) && Array.isArray(spec.network.segments) ? spec.network.segments : [])
    .filter(isRecord).map((s) => s.name).filter((n): n is string => typeof n === 'string');
  const segment = typeof k3s.segment === 'string' ? k3s.segment : undefined;
  if (segment !== undefined && !segments.includes(segment)) {
    const s = closest(segment, segments);
    report(file, ['k3s', 'segment'], 'value', 'error', 'k3s.unknown-segment', `No network segment is named '${segment}'${s ? ` — did you mean '${s}'?` : ''}`, s);
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
        report(e.file, rolePath(e, ['k3s-server', 'k3s-agent']), 'value', 'warning', 'k3s.no-interface',
          `k3s host '${e.host.name}' has none of the k3s interfaces (${listed.join(', ') || 'none listed'}); k3s would pick the default route's interface and exo's endpoint would not be on the k3s network. Set k3s.interface on the host.`);
      }
      continue;
    }
    if (segment !== undefined && iface.segment !== segment) {
      const index = (e.host.interfaces ?? []).indexOf(iface);
      report(e.file, [...e.path, 'interfaces', index, iface.segment === undefined ? 'name' : 'segment'], 'value', 'error', 'k3s.interface-segment',
        `'${e.host.name}' runs k3s on ${iface.name}, which is ${iface.segment === undefined ? 'on no segment' : `on segment '${iface.segment}'`}, not on the k3s segment '${segment}'.`);
    }
  }
}

/** Where the host gets one of these roles: the role in its list, else (roles from defaults) its name. */
function rolePath(e: HostEntry, wanted: readonly string[]): Path {
  const roles = Array.isArray(e.host.roles) ? e.host.roles : [];
  const i = roles.findIndex((r) => wanted.includes(r));
  return i >= 0 ? [...e.path, 'roles', i] : [...e.path, 'name'];
}

function checkExoEndpoints(report: Report, file: ParsedSpecFile, spec: ClusterSpec, k3s: K3sSpec, entries: HostEntry[]): void {
  const serving = entries.filter((e) => runsExo(spec, e.host) && effectiveRoles(spec, e.host).includes('exo-api'));
  const reg = exoRegistration(spec);
  // only a spec that asks for exo in K3s (writes k3s.exo) hears that no host serves the API
  if (!reg && serving.length === 0 && isRecord(k3s.exo) && k3s.exo.register !== false) {
    report(file, ['k3s', 'exo'], 'key', 'warning', 'k3s.exo-no-endpoint',
      'No host has the exo-api role, so exo is not registered in K3s (no Service). Give a host exo-api, or set k3s.exo.register: false.');
  }
  if (!reg) return;
  for (const e of serving) {
    if (clusterAddress(spec, e.host) === undefined) {
      report(e.file, rolePath(e, ['exo-api']), 'value', 'warning', 'k3s.exo-no-endpoint',
        `'${e.host.name}' serves exo's API but has no IP address on its k3s interface or in addresses, so it is left out of exo's EndpointSlice.`);
    }
  }
}

function checkGpus(report: Report, file: ParsedSpecFile, spec: ClusterSpec, k3s: K3sSpec, entries: HostEntry[]): void {
  const byName = new Map(entries.map((e) => [e.host.name, e]));
  const owner = gpuOwner(spec);
  const reserve = isRecord(k3s.gpus) && isRecord(k3s.gpus.reserve) ? k3s.gpus.reserve : {};
  for (const [name, count] of Object.entries(reserve)) {
    const path = ['k3s', 'gpus', 'reserve', name];
    const e = byName.get(name);
    if (!e) {
      const s = closest(name, [...byName.keys()]);
      report(file, path, 'key', 'error', 'k3s.reserve-unknown-host', `No host is named '${name}'${s ? ` — did you mean '${s}'?` : ''}`, s);
      continue;
    }
    if (owner !== 'exo' || !isK3sHost(spec, e.host) || !runsExo(spec, e.host)) {
      const why = owner !== 'exo' ? 'k3s.gpus.owner is k3s' : `'${name}' does not run both exo and k3s`;
      report(file, path, 'key', 'warning', 'k3s.reserve-ignored', `This reservation has no effect: ${why}.`);
      continue;
    }
    const gpus = effectiveGpus(e.host).filter((g) => g.vendor !== 'apple').reduce((n, g) => n + g.count, 0);
    if (typeof count === 'number' && count > gpus) {
      report(file, path, 'value', 'error', 'k3s.reserve-exceeds-gpus', `'${name}' has ${gpus} GPU${gpus === 1 ? '' : 's'}, so exo cannot hold ${count}.`);
    }
  }
  if (owner !== 'k3s') return;
  for (const e of entries) {
    const declared = declaredAccelerator(spec, e.host);
    if (!isK3sHost(spec, e.host) || !runsExo(spec, e.host) || declared === 'auto' || declared === 'cpu') continue;
    if (!effectiveGpus(e.host).some((g) => g.vendor !== 'apple')) continue;
    const own = isRecord(e.host.exo) && e.host.exo.accelerator !== undefined;
    report(own ? e.file : file, own ? [...e.path, 'exo', 'accelerator'] : ['exo', 'accelerator'], 'value', 'warning', 'k3s.gpu-owner-conflict',
      `k3s.gpus.owner is k3s, but exo on '${e.host.name}' is set to ${declared}: exo and K3s GPU pods would share its GPUs. Use accelerator auto (exo then runs on the CPU there) or cpu.`);
  }
}
