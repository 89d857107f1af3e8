// Rules a JSON Schema cannot express, checked across cluster.yaml and every hosts/*.yaml: names that must
// be unique, references that must resolve (with "did you mean"), addresses that must lie in their
// segment, and what the hardware can actually run. Every rule is a linear pass with maps, so a
// 2,000-host spec stays fast; ranges are looked up only for the problems found.

import { closestExoModels, EXO_MODEL_CARDS_COMMIT, findExoModel, isRepoId } from '../catalog/models';
import { findGpu, gpuMemoryVariants } from '../catalog/gpus';
import type { HostEntry, ParsedSpecFile, Range, SpecDiagnostic, SpecModel } from '../spec/model';
import { addressKey, hasHostBits, parseAddress, parseCidr, subnetContains, type ParsedCidr } from '../spec/net';
import {
  acceleratorRunsOn, checkpointUnsupportedReason, clusterInferenceMemory, declaredAccelerator, effectiveAccelerator,
  effectiveRoles, effectiveSystem, exoHosts, exoPorts, natsPorts,
} from '../spec/resolve';
import type { ClusterSpec, InterfaceSpec, Role } from '../spec/types';
import { clusterFileOf, fileStem, hostEntriesOf, isRecord, splitEndpoint } from '../spec/workspace';
import { closest } from '../util/suggest';
import { place, replaceFix, type Placement } from './place';
import { containerDiagnostics } from './rules/containers';
import { checkMigrations } from './rules/migrations';

type Path = (string | number)[];
type Severity = SpecDiagnostic['severity'];

/** Beyond this many misses, "did you mean" stops searching (each search is linear in the candidates). */
const MAX_SUGGESTIONS = 200;

export class Reporter {
  readonly diagnostics: SpecDiagnostic[] = [];
  private suggestions = 0;

  report(file: ParsedSpecFile, path: Path, on: Placement, severity: Severity, code: string, message: string, extra?: {
    replacement?: string; related?: { file: ParsedSpecFile; path: Path; message: string }[];
    /** Several candidates, each its own quick fix (the first preferred). */
    replacements?: string[];
  }): void {
    const placed = place(file, path, on);
    const d: SpecDiagnostic = { uri: file.uri, range: placed.range, severity, code, message };
    if (extra?.replacement !== undefined && placed.exact && placed.target) d.fixes = [replaceFix(file, placed.target, extra.replacement)];
    if (extra?.replacements?.length && placed.exact && placed.target) {
      const target = placed.target;
      d.fixes = extra.replacements.map((text, i) => ({ ...replaceFix(file, target, text), preferred: i === 0 }));
    }
    if (extra?.related?.length) {
      d.related = extra.related.map((r) => ({ location: { uri: r.file.uri, range: place(r.file, r.path, 'value').range }, message: r.message }));
    }
    this.diagnostics.push(d);
  }

  /** A miss on a reference: the closest candidate, while the budget lasts. */
  suggest(name: string, candidates: () => Iterable<string>): string | undefined {
    if (this.suggestions++ >= MAX_SUGGESTIONS) return undefined;
    const list = [...candidates()];
    return closest(name, list) ?? list.find((c) => isTransposition(name, c));
  }
}

/** `eht0` for `eth0`: two neighbouring characters swapped, a typo plain edit distance counts as two. */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  let i = 0;
  while (a[i] === b[i]) i++;
  return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

const didYouMean = (s: string | undefined) => (s ? ` — did you mean '${s}'?` : '');

/** As in host.schema.json: what NixOS accepts as networking.hostName. */
const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

interface InterfaceInfo { iface: InterfaceSpec; index: number }
interface SegmentInfo { cidr?: ParsedCidr; index: number; vlan?: number }
interface HostInfo { entry: HostEntry; name: string; interfaces: Map<string, InterfaceInfo> }

/** Semantic diagnostics of the whole model. */
export function semanticDiagnostics(model: SpecModel): SpecDiagnostic[] {
  const r = new Reporter();
  const clusterFile = clusterFileOf(model);
  const spec = model.spec;
  const entries = hostEntriesOf(model);
  // A refused file (binary, too large, alias bomb, not a regular file) has no data at all: names defined there
  // would be reported as unknown elsewhere. Then a cluster file is not trusted to declare tags and segments, and
  // "no such host" or "no hub" is not said. (A file with syntax errors still has the data before the error.)
  const refused = (f: ParsedSpecFile) => f.data === undefined && f.syntaxDiagnostics.some((d) => d.severity === 'error');
  const complete = !model.files.some(refused);
  const cluster = clusterFile && !refused(clusterFile) && isRecord(clusterFile.data) ? (clusterFile.data as Partial<ClusterSpec>) : undefined;

  const hosts = checkHosts(r, entries);
  const segments = clusterFile && cluster ? checkSegments(r, clusterFile, cluster) : new Map<string, SegmentInfo>();
  const tags = new Set(isRecord(cluster?.cluster?.tags) ? Object.keys(cluster!.cluster!.tags!) : []);

  for (const info of hosts.values()) checkHostReferences(r, info, hosts, segments, tags, clusterFile !== undefined && !refused(clusterFile), complete);
  checkJumpCycles(r, hosts);
  checkAddresses(r, entries);
  if (clusterFile && cluster) {
    if (complete) {
      checkLinks(r, clusterFile, cluster, hosts);
      checkClusterReferences(r, clusterFile, cluster, hosts, tags);
      checkNatsHub(r, clusterFile, spec, entries);
      checkMigrations(r, clusterFile, spec, entries);
    }
    checkExo(r, clusterFile, spec, entries);
    checkK3s(r, clusterFile, spec, entries);
    checkCheckpoints(r, clusterFile, spec, entries);
    checkPorts(r, clusterFile, spec);
  }
  checkHardware(r, entries);
  for (const d of containerDiagnostics(model)) r.diagnostics.push(d);
  return r.diagnostics;
}

// ---------------------------------------------------------------------------------------------------------

function checkHosts(r: Reporter, entries: HostEntry[]): Map<string, HostInfo> {
  const hosts = new Map<string, HostInfo>();
  for (const entry of entries) {
    const name = entry.host.name;
    if (typeof name !== 'string') continue;
    const first = hosts.get(name);
    if (first) {
      r.report(entry.file, [...entry.path, 'name'], 'value', 'error', 'host.duplicate-name',
        `Host name '${name}' is already used${first.entry.file === entry.file ? '' : ` in ${fileStem(first.entry.file.uri)}.yaml`}; host names must be unique.`,
        { related: [{ file: first.entry.file, path: [...first.entry.path, 'name'], message: `first '${name}'` }] });
      continue;
    }
    if (entry.nameFromFile && !HOST_NAME.test(name)) {
      r.report(entry.file, [], 'first-line', 'error', 'host.invalid-file-name',
        `The host takes its name from this file, but '${name}' is not a valid host name (lowercase letters, digits and '-'); rename the file or set 'name'.`);
    }
    if (entry.index === undefined && !entry.nameFromFile && fileStem(entry.file.uri) !== name) {
      r.report(entry.file, ['name'], 'value', 'warning', 'host.file-name-mismatch',
        `This file is ${fileStem(entry.file.uri)}.yaml but names the host '${name}'; rename one so they match.`);
    }
    const interfaces = new Map<string, InterfaceInfo>();
    const list = Array.isArray(entry.host.interfaces) ? entry.host.interfaces : [];
    list.forEach((iface, index) => {
      if (!isRecord(iface) || typeof iface.name !== 'string') return;
      if (interfaces.has(iface.name)) {
        r.report(entry.file, [...entry.path, 'interfaces', index, 'name'], 'value', 'error', 'interface.duplicate-name',
          `Interface '${iface.name}' is defined twice on host '${name}'.`);
        return;
      }
      interfaces.set(iface.name, { iface, index });
    });
    hosts.set(name, { entry, name, interfaces });
  }
  return hosts;
}

function checkSegments(r: Reporter, file: ParsedSpecFile, cluster: Partial<ClusterSpec>): Map<string, SegmentInfo> {
  const segments = new Map<string, SegmentInfo>();
  const list = Array.isArray(cluster.network?.segments) ? cluster.network!.segments! : [];
  list.forEach((seg, index) => {
    if (!isRecord(seg) || typeof seg.name !== 'string') return;
    const at: Path = ['network', 'segments', index];
    if (segments.has(seg.name)) {
      r.report(file, [...at, 'name'], 'value', 'error', 'network.duplicate-segment', `Segment '${seg.name}' is defined twice.`);
      return;
    }
    const cidr = parseCidr(seg.subnet);
    if (cidr && hasHostBits(cidr)) {
      r.report(file, [...at, 'subnet'], 'value', 'warning', 'network.subnet-host-bits', `Subnet ${seg.subnet} has host bits set; the network address is meant (e.g. ${networkText(seg.subnet, cidr)}).`);
    }
    if (cidr && typeof seg.gateway === 'string') {
      const gw = parseAddress(seg.gateway);
      if (gw && !subnetContains(cidr, gw)) r.report(file, [...at, 'gateway'], 'value', 'error', 'network.gateway-outside-segment', `Gateway ${seg.gateway} is not in segment '${seg.name}' (${seg.subnet}).`);
    }
    segments.set(seg.name, { cidr, index, vlan: typeof seg.vlan === 'number' ? seg.vlan : undefined });
  });
  return segments;
}

function networkText(subnet: string, cidr: ParsedCidr): string {
  if (cidr.family !== 4) return subnet.replace(/\/.*/, `/${cidr.prefix}`);
  const m = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - cidr.prefix)) - 1n);
  const v = cidr.value & m;
  return `${[24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.')}/${cidr.prefix}`;
}

function checkHostReferences(r: Reporter, info: HostInfo, hosts: Map<string, HostInfo>, segments: Map<string, SegmentInfo>, tags: Set<string>, haveCluster: boolean, complete: boolean): void {
  const { entry, name } = info;
  const host = entry.host;
  const file = entry.file;
  const base = entry.path;

  if (haveCluster && Array.isArray(host.tags)) host.tags.forEach((tag, i) => {
    if (typeof tag !== 'string' || tags.has(tag)) return;
    const s = r.suggest(tag, () => tags);
    r.report(file, [...base, 'tags', i], 'value', 'error', 'tag.unknown', `Tag '${tag}' is not declared in cluster.tags${didYouMean(s)}`, { replacement: s });
  });

  const jump = isRecord(host.ssh) ? host.ssh.jump : undefined;
  if (typeof jump === 'string') {
    if (jump === name) r.report(file, [...base, 'ssh', 'jump'], 'value', 'error', 'ssh.jump-to-self', `Host '${name}' cannot jump through itself.`);
    else if (!hosts.has(jump) && complete) {
      const s = r.suggest(jump, () => hosts.keys());
      r.report(file, [...base, 'ssh', 'jump'], 'value', 'error', 'ssh.unknown-jump-host', `Jump host '${jump}' is not a host of this cluster${didYouMean(s)}`, { replacement: s });
    }
  }

  const k3sIface = isRecord(host.k3s) ? host.k3s.interface : undefined;
  if (typeof k3sIface === 'string' && !info.interfaces.has(k3sIface)) {
    const s = r.suggest(k3sIface, () => info.interfaces.keys());
    r.report(file, [...base, 'k3s', 'interface'], 'value', 'error', 'k3s.unknown-interface', `Host '${name}' has no interface '${k3sIface}'${didYouMean(s)}`, { replacement: s });
  }

  for (const { iface, index } of info.interfaces.values()) {
    const at: Path = [...base, 'interfaces', index];
    if (iface.kind === 'bond' && !(Array.isArray(iface.members) && iface.members.length)) {
      r.report(file, [...at, 'name'], 'value', 'error', 'interface.bond-without-members', `Bond '${iface.name}' needs 'members': the interfaces it bonds.`);
    }
    if (iface.kind !== 'bond' && iface.members !== undefined) {
      r.report(file, [...at, 'members'], 'key', 'warning', 'interface.members-not-bond', `'members' only applies to bonds; '${iface.name}' is ${iface.kind}.`);
    }
    if (Array.isArray(iface.members)) iface.members.forEach((m, j) => {
      if (typeof m !== 'string') return;
      if (m === iface.name) {
        r.report(file, [...at, 'members', j], 'value', 'error', 'interface.unknown-member', `Bond '${iface.name}' cannot contain itself.`);
      } else if (!info.interfaces.has(m)) {
        const s = r.suggest(m, () => [...info.interfaces.keys()].filter((n) => n !== iface.name));
        r.report(file, [...at, 'members', j], 'value', 'error', 'interface.unknown-member', `Bond member '${m}' is not an interface of host '${name}'${didYouMean(s)}`, { replacement: s });
      }
    });
    if (iface.kind === 'vlan') {
      if (iface.parent === undefined || iface.vlanId === undefined) {
        const missing = [iface.parent === undefined ? "'parent'" : '', iface.vlanId === undefined ? "'vlanId'" : ''].filter(Boolean).join(' and ');
        r.report(file, [...at, 'name'], 'value', 'error', 'interface.vlan-incomplete', `VLAN '${iface.name}' needs ${missing}.`);
      }
    } else if (iface.parent !== undefined || iface.vlanId !== undefined) {
      r.report(file, [...at, iface.parent !== undefined ? 'parent' : 'vlanId'], 'key', 'warning', 'interface.vlan-fields-not-vlan', `'parent' and 'vlanId' only apply to VLAN interfaces; '${iface.name}' is ${iface.kind}.`);
    }
    if (typeof iface.parent === 'string' && (iface.parent === iface.name || !info.interfaces.has(iface.parent))) {
      const s = iface.parent === iface.name ? undefined : r.suggest(iface.parent, () => [...info.interfaces.keys()].filter((n) => n !== iface.name));
      r.report(file, [...at, 'parent'], 'value', 'error', 'interface.unknown-parent', iface.parent === iface.name
        ? `VLAN '${iface.name}' cannot be its own parent.`
        : `VLAN parent '${iface.parent}' is not an interface of host '${name}'${didYouMean(s)}`, { replacement: s });
    }
    if (typeof iface.segment === 'string') {
      const seg = segments.get(iface.segment);
      if (seg?.vlan !== undefined && iface.kind === 'vlan' && typeof iface.vlanId === 'number' && iface.vlanId !== seg.vlan) {
        r.report(file, [...at, 'vlanId'], 'value', 'warning', 'network.vlan-mismatch', `VLAN '${iface.name}' has id ${iface.vlanId} but segment '${iface.segment}' is VLAN ${seg.vlan} — did you mean ${seg.vlan}?`, { replacement: String(seg.vlan) });
      }
      if (!seg) {
        if (haveCluster) {
          const s = r.suggest(iface.segment, () => segments.keys());
          r.report(file, [...at, 'segment'], 'value', 'error', 'network.unknown-segment', `Segment '${iface.segment}' is not defined in network.segments${didYouMean(s)}`, { replacement: s });
        }
      } else if (seg.cidr && Array.isArray(iface.addresses)) {
        iface.addresses.forEach((a, j) => {
          const cidr = parseCidr(a);
          if (!cidr) return;
          if (!subnetContains(seg.cidr!, cidr)) {
            r.report(file, [...at, 'addresses', j], 'value', 'error', 'network.address-outside-segment', `${a} is outside segment '${iface.segment}' (${networkText('', seg.cidr!)}).`);
          } else if (cidr.prefix !== seg.cidr!.prefix) {
            r.report(file, [...at, 'addresses', j], 'value', 'warning', 'network.prefix-mismatch', `${a} has prefix /${cidr.prefix} but segment '${iface.segment}' is /${seg.cidr!.prefix}.`);
          }
        });
      }
    }
  }
}

/** ssh.jump chains must end at a host reached directly; each cycle is reported once, on its first host. */
function checkJumpCycles(r: Reporter, hosts: Map<string, HostInfo>): void {
  const jumpOf = (h: HostInfo) => (isRecord(h.entry.host.ssh) && typeof h.entry.host.ssh.jump === 'string' ? h.entry.host.ssh.jump : undefined);
  const state = new Map<string, 'visiting' | 'done'>();
  for (const start of hosts.values()) {
    const chain: HostInfo[] = [];
    let current: HostInfo | undefined = start;
    while (current && !state.has(current.name)) {
      state.set(current.name, 'visiting');
      chain.push(current);
      const next = jumpOf(current);
      current = next !== undefined && next !== current.name ? hosts.get(next) : undefined;
    }
    if (current && state.get(current.name) === 'visiting') {
      const cycle = chain.slice(chain.indexOf(current));
      if (cycle.length > 1) {
        const names = [...cycle.map((h) => h.name), current.name].join(' → ');
        r.report(current.entry.file, [...current.entry.path, 'ssh', 'jump'], 'value', 'error', 'ssh.jump-cycle', `ssh.jump goes round in a circle: ${names}.`);
      }
    }
    for (const h of chain) state.set(h.name, 'done');
  }
}

/** Host addresses and interface addresses must not be used by two hosts (or twice). */
function checkAddresses(r: Reporter, entries: HostEntry[]): void {
  // where an address is written: host addresses[i] (iface -1) or interfaces[iface].addresses[i]
  type Where = { entry: HostEntry; iface: number; i: number };
  const pathOf = (w: Where): Path => (w.iface < 0 ? [...w.entry.path, 'addresses', w.i] : [...w.entry.path, 'interfaces', w.iface, 'addresses', w.i]);
  const seen = new Map<string, Where>();
  for (const entry of entries) {
    const host = entry.host;
    const own = new Set<string>();
    const check = (text: unknown, iface: number, i: number) => {
      if (typeof text !== 'string') return;
      const parsed = iface >= 0 ? parseCidr(text) : parseAddress(text);
      if (!parsed) return; // DNS names and malformed addresses: the schema speaks for those
      const key = addressKey(parsed);
      const first = seen.get(key);
      const here = { entry, iface, i };
      if (first && first.entry !== entry) {
        r.report(entry.file, pathOf(here), 'value', 'error', 'host.duplicate-address',
          `Address ${text.replace(/\/.*/, '')} is already used by host '${first.entry.host.name}'.`,
          { related: [{ file: first.entry.file, path: pathOf(first), message: `used by '${first.entry.host.name}'` }] });
      } else if (!first) seen.set(key, here);
      else if (iface < 0 && own.has(key)) r.report(entry.file, pathOf(here), 'value', 'error', 'host.duplicate-address', `Address ${text} is listed twice.`);
      if (iface < 0) own.add(key);
    };
    if (Array.isArray(host.addresses)) host.addresses.forEach((a, i) => check(a, -1, i));
    if (Array.isArray(host.interfaces)) host.interfaces.forEach((iface, k) => {
      if (isRecord(iface) && Array.isArray(iface.addresses)) iface.addresses.forEach((a, i) => check(a, k, i));
    });
  }
}

function checkLinks(r: Reporter, file: ParsedSpecFile, cluster: Partial<ClusterSpec>, hosts: Map<string, HostInfo>): void {
  const links = Array.isArray(cluster.network?.links) ? cluster.network!.links! : [];
  links.forEach((link, i) => {
    if (!isRecord(link)) return;
    for (const end of ['from', 'to'] as const) {
      const text = link[end];
      const colon = typeof text === 'string' ? text.indexOf(':') : -1;
      if (colon < 0) continue; // not host:iface: the schema reports it
      const hostName = (text as string).slice(0, colon);
      const ifaceName = (text as string).slice(colon + 1);
      // ranges are looked up only for a problem: valid links (the common case) cost no position work
      const parts = () => {
        const loc = file.locate(['network', 'links', i, end]);
        return loc && splitEndpoint(file, loc.value, text as string);
      };
      const host = hosts.get(hostName);
      if (!host) {
        const s = r.suggest(hostName, () => hosts.keys());
        const p = parts();
        if (p) pushAt(r, file, p.hostRange, 'error', 'network.link-unknown-host', `Link ${end} '${text}': there is no host '${hostName}'${didYouMean(s)}`, s);
        continue;
      }
      const iface = host.interfaces.get(ifaceName);
      if (!iface) {
        const s = r.suggest(ifaceName, () => host.interfaces.keys());
        const p = parts();
        if (p) pushAt(r, file, p.ifaceRange, 'error', 'network.link-unknown-interface', `Link ${end} '${text}': host '${hostName}' has no interface '${ifaceName}'${didYouMean(s)}`, s);
        continue;
      }
      if (link.kind === 'thunderbolt' && iface.iface.kind !== 'thunderbolt') {
        r.report(file, ['network', 'links', i, end], 'value', 'warning', 'network.link-kind-mismatch', `This is a thunderbolt link but '${text}' is a ${iface.iface.kind} interface.`);
      }
      if (link.rdma === true && iface.iface.rdma !== true) {
        r.report(file, ['network', 'links', i, end], 'value', 'warning', 'network.link-rdma-mismatch', `The link carries RDMA but interface '${text}' does not set rdma: true.`);
      }
    }
    if (typeof link.from === 'string' && link.from === link.to) {
      r.report(file, ['network', 'links', i, 'to'], 'value', 'error', 'network.link-to-itself', `A link cannot connect '${link.from}' to itself.`);
    }
  });
}

function pushAt(r: Reporter, file: ParsedSpecFile, range: Range, severity: Severity, code: string, message: string, replacement?: string): void {
  const d: SpecDiagnostic = { uri: file.uri, range, severity, code, message };
  if (replacement) d.fixes = [replaceFix(file, range, replacement, false)];
  r.diagnostics.push(d);
}

function checkClusterReferences(r: Reporter, file: ParsedSpecFile, cluster: Partial<ClusterSpec>, hosts: Map<string, HostInfo>, tags: Set<string>): void {
  const allInterfaces = () => {
    const names = new Set<string>();
    for (const h of hosts.values()) for (const n of h.interfaces.keys()) names.add(n);
    return names;
  };
  let known: Set<string> | undefined;
  const checkInterfaceList = (list: unknown, path: Path, code: string, what: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((name, i) => {
      if (typeof name !== 'string') return;
      known ??= allInterfaces();
      if (known.has(name)) return;
      const s = r.suggest(name, () => known!);
      r.report(file, [...path, i], 'value', 'error', code, `No host has an interface '${name}' (${what})${didYouMean(s)}`, { replacement: s });
    });
  };
  checkInterfaceList(cluster.k3s?.interfaces, ['k3s', 'interfaces'], 'k3s.unknown-interface', 'k3s.interfaces');
  checkInterfaceList(cluster.security?.firewall?.trustedInterfaces, ['security', 'firewall', 'trustedInterfaces'], 'security.unknown-interface', 'trustedInterfaces');

  const policies = Array.isArray(cluster.checkpoints?.policies) ? cluster.checkpoints!.policies! : [];
  policies.forEach((p, i) => {
    if (!isRecord(p) || !Array.isArray(p.tags)) return;
    p.tags.forEach((tag, j) => {
      if (typeof tag !== 'string' || tags.has(tag)) return;
      const s = r.suggest(tag, () => tags);
      r.report(file, ['checkpoints', 'policies', i, 'tags', j], 'value', 'error', 'tag.unknown', `Tag '${tag}' is not declared in cluster.tags${didYouMean(s)}`, { replacement: s });
    });
  });
}

/** Where a role of a host is written: its own roles list, or `defaults.roles` when it has none. */
function rolePath(entry: HostEntry, role: Role, clusterFile: ParsedSpecFile, spec: ClusterSpec): { file: ParsedSpecFile; path: Path } {
  if (Array.isArray(entry.host.roles)) {
    const i = entry.host.roles.indexOf(role);
    return { file: entry.file, path: [...entry.path, 'roles', i] };
  }
  const i = spec.defaults?.roles?.indexOf(role) ?? -1;
  return i >= 0 ? { file: clusterFile, path: ['defaults', 'roles', i] } : { file: entry.file, path: [...entry.path, 'name'] };
}

function withRole(spec: ClusterSpec, entries: HostEntry[], role: Role): HostEntry[] {
  return entries.filter((e) => effectiveRoles(spec, e.host).includes(role));
}

function checkNatsHub(r: Reporter, file: ParsedSpecFile, spec: ClusterSpec, entries: HostEntry[]): void {
  if (!entries.length) return;
  const hubs = withRole(spec, entries, 'nats-hub');
  if (hubs.length === 0) {
    const at: Path = file.locate(['nats']) ? ['nats'] : file.locate(['hosts']) ? ['hosts'] : ['cluster'];
    r.report(file, at, 'key', 'error', 'nats.no-hub', 'No host has the role nats-hub: exactly one host must run the NATS hub that agents and the extension connect to.');
    return;
  }
  for (const extra of hubs.slice(1)) {
    const at = rolePath(extra, 'nats-hub', file, spec);
    const first = rolePath(hubs[0], 'nats-hub', file, spec);
    r.report(at.file, at.path, 'value', 'error', 'nats.multiple-hubs', `Host '${extra.host.name}' is a second NATS hub ('${hubs[0].host.name}' is one already); make it a nats-leaf.`,
      { replacement: 'nats-leaf', related: [{ file: first.file, path: first.path, message: `hub '${hubs[0].host.name}'` }] });
  }
}

function checkExo(r: Reporter, file: ParsedSpecFile, spec: ClusterSpec, entries: HostEntry[]): void {
  // accelerators the host cannot run
  const exo = new Set(exoHosts(spec));
  for (const entry of entries) {
    const host = entry.host;
    const declared = declaredAccelerator(spec, host);
    const system = effectiveSystem(spec, host);
    const actual = effectiveAccelerator(spec, host);
    const runsExo = host.exo?.accelerator !== undefined || exo.has(host);
    if (!runsExo || acceleratorRunsOn(actual, system)) continue;
    const where = host.exo?.accelerator !== undefined ? { f: entry.file, p: [...entry.path, 'exo', 'accelerator'] }
      : declared !== 'auto' ? { f: file, p: ['exo', 'accelerator'] } : { f: entry.file, p: [...entry.path, 'name'] };
    const why = actual === 'mlx' ? 'MLX runs only on aarch64-darwin (Apple Silicon with macOS)' : `${actual.toUpperCase()} runs only on Linux${actual === 'cuda' ? '' : ' x86_64'}`;
    const alternative = isDarwinSystem(system) ? 'mlx' : effectiveAccelerator({ ...spec, exo: { ...spec.exo, accelerator: 'auto' } }, { ...host, exo: { ...host.exo, accelerator: 'auto' } });
    r.report(where.f, where.p, 'value', 'error', 'exo.accelerator-unsupported',
      `Host '${host.name}' is ${system}: ${why}${declared === 'auto' ? ` (auto chose ${actual} from its GPUs)` : ''}. Use '${alternative}' or 'auto'.`,
      { replacement: declared === 'auto' ? undefined : 'auto' });
  }

  const models = Array.isArray(spec.exo?.models) ? spec.exo!.models! : [];
  if (!models.length || spec.exo?.enable === false) return;
  const memory = clusterInferenceMemory(spec);
  const nodes = exoHosts(spec).length;
  const seenModels = new Set<string>();
  models.forEach((m, i) => {
    if (!isRecord(m) || typeof m.id !== 'string') return;
    if (seenModels.has(m.id)) {
      r.report(file, ['exo', 'models', i, 'id'], 'value', 'warning', 'exo.duplicate-model', `Model '${m.id}' is listed twice.`);
      return;
    }
    seenModels.add(m.id);
    const info = findExoModel(m.id);
    if (!info) {
      // exo looks an id without a card up on Hugging Face (ModelCard.load → fetch_from_hf): a short or old id
      // such as `llama-3.1-70b` fails there; a repo id may work, but its size is unknown until exo fetches it.
      const closest = closestExoModels(m.id).map((c) => c.id);
      const options = closest.length ? ` — did you mean '${closest[0]}'${closest.length > 1 ? ` (or ${closest.slice(1).map((c) => `'${c}'`).join(', ')})` : ''}?` : '';
      if (isRepoId(m.id)) {
        r.report(file, ['exo', 'models', i, 'id'], 'value', 'warning', 'exo.unknown-model',
          `'${m.id}' has no model card in exo (commit ${EXO_MODEL_CARDS_COMMIT.slice(0, 7)}): exo will fetch its config from Hugging Face when placing it, and its memory need cannot be checked here${options}`, { replacements: closest });
      } else {
        r.report(file, ['exo', 'models', i, 'id'], 'value', 'error', 'exo.unknown-model',
          `'${m.id}' is not an exo model id: exo takes Hugging Face repo ids from its model cards (e.g. 'mlx-community/Llama-3.2-1B-Instruct-4bit'), and placing this one fails${options}`, { replacements: closest });
      }
    } else if (info.memoryGB > memory.totalGB) {
      const perHost = [...memory.perHost].slice(0, 6).map(([h, gb]) => `${h} ${gb} GB`).join(', ');
      r.report(file, ['exo', 'models', i, 'id'], 'value', 'error', 'exo.model-too-large',
        `${info.name} (${info.quantization}) needs ${info.memoryGB} GB (its weights, from exo's model card), but the exo hosts have ${memory.totalGB} GB of GPU/unified memory${perHost ? ` (${perHost}${memory.perHost.size > 6 ? ', …' : ''})` : ''}.`);
    }
    if (typeof m.minNodes === 'number' && m.minNodes > nodes) {
      r.report(file, ['exo', 'models', i, 'minNodes'], 'value', 'error', 'exo.min-nodes', `minNodes is ${m.minNodes} but only ${nodes} host${nodes === 1 ? '' : 's'} run${nodes === 1 ? 's' : ''} exo.`);
    }
  });
}

function isDarwinSystem(system: string): boolean {
  return system.endsWith('-darwin');
}

function checkK3s(r: Reporter, file: ParsedSpecFile, spec: ClusterSpec, entries: HostEntry[]): void {
  const servers = withRole(spec, entries, 'k3s-server');
  const agents = withRole(spec, entries, 'k3s-agent');
  if ((servers.length || agents.length) && spec.k3s?.enable !== true) {
    const e = servers[0] ?? agents[0];
    const at = rolePath(e, servers.length ? 'k3s-server' : 'k3s-agent', file, spec);
    r.report(at.file, at.path, 'value', 'warning', 'k3s.not-enabled', `Host '${e.host.name}' has a k3s role but k3s.enable is not true, so k3s will not run.`);
  }
  for (const e of agents) {
    const at = rolePath(e, 'k3s-agent', file, spec);
    if (!spec.k3s?.serverAddress) {
      r.report(at.file, at.path, 'value', 'error', 'k3s.agent-without-server', `k3s agent '${e.host.name}' needs k3s.serverAddress (https://<server>:6443) to join.`);
    }
    // With a k3s server in the cluster the generated config shares the token through the default
    // tokenFile; an outside server's token must be named explicitly.
    if (!spec.k3s?.tokenFile && !servers.length) {
      r.report(at.file, at.path, 'value', 'error', 'k3s.agent-without-token', `k3s agent '${e.host.name}' joins a server outside this cluster, so it needs k3s.tokenFile (the file holding that server's join token).`);
    }
    if (isDarwinSystem(effectiveSystem(spec, e.host))) {
      r.report(at.file, at.path, 'value', 'error', 'k3s.unsupported-host', `k3s runs only on Linux; '${e.host.name}' is ${effectiveSystem(spec, e.host)}.`);
    }
  }
  for (const e of servers) {
    if (isDarwinSystem(effectiveSystem(spec, e.host))) {
      const at = rolePath(e, 'k3s-server', file, spec);
      r.report(at.file, at.path, 'value', 'error', 'k3s.unsupported-host', `k3s runs only on Linux; '${e.host.name}' is ${effectiveSystem(spec, e.host)}.`);
    }
  }
}

function checkCheckpoints(r: Reporter, file: ParsedSpecFile, spec: ClusterSpec, entries: HostEntry[]): void {
  for (const e of withRole(spec, entries, 'checkpoint-agent')) {
    const reason = checkpointUnsupportedReason(spec, e.host);
    if (!reason) continue;
    const at = rolePath(e, 'checkpoint-agent', file, spec);
    r.report(at.file, at.path, 'value', 'error', 'checkpoint.unsupported-host', `Checkpoints cannot work here: ${reason}.`);
  }
  const storage = spec.checkpoints?.storage;
  if (isRecord(storage) && (storage.kind === 's3' || storage.kind === 'nats-object-store') && !storage.bucket) {
    r.report(file, ['checkpoints', 'storage', 'kind'], 'value', 'error', 'checkpoint.storage-incomplete', `Storage kind '${storage.kind}' needs a 'bucket'.`);
  }
  if (isRecord(storage) && storage.kind === 's3' && !storage.credentialsFile) {
    r.report(file, ['checkpoints', 'storage', 'kind'], 'value', 'warning', 'checkpoint.storage-incomplete', "S3 storage without 'credentialsFile' relies on credentials already on each host.");
  }
}

/** Two services configured on the same TCP port. */
function checkPorts(r: Reporter, file: ParsedSpecFile, spec: ClusterSpec): void {
  const exo = exoPorts(spec);
  const nats = natsPorts(spec);
  const tcp: { name: string; port: number; path: Path }[] = [
    { name: 'exo.ports.api', port: exo.api, path: ['exo', 'ports', 'api'] },
    { name: 'exo.ports.zenoh', port: exo.zenoh, path: ['exo', 'ports', 'zenoh'] },
    { name: 'nats.ports.client', port: nats.client, path: ['nats', 'ports', 'client'] },
    { name: 'nats.ports.leafnode', port: nats.leafnode, path: ['nats', 'ports', 'leafnode'] },
    { name: 'nats.ports.monitoring', port: nats.monitoring, path: ['nats', 'ports', 'monitoring'] },
    { name: 'nats.ports.cluster', port: nats.cluster, path: ['nats', 'ports', 'cluster'] },
  ];
  if (spec.k3s?.enable) tcp.push({ name: 'k3s API server (6443)', port: 6443, path: ['k3s', 'enable'] });
  const seen = new Map<number, { name: string; path: Path }>();
  for (const p of tcp) {
    if (typeof p.port !== 'number') continue;
    const first = seen.get(p.port);
    if (!first) { seen.set(p.port, p); continue; }
    // both ends where they are written (a default is not in the file: then the other end only)
    const ends = [p, first].filter((end) => file.locate(end.path));
    for (const end of ends.length ? ends : [p]) {
      const other = end === p ? first : p;
      r.report(file, end.path, 'value', 'error', 'ports.collision', `Port ${p.port} of ${end.name} is also used by ${other.name}.`,
        ends.length === 2 ? { related: [{ file, path: other.path, message: `${other.name}: ${p.port}` }] } : undefined);
    }
  }
}

/** How far a stated vramGB may be from the catalogue's (GiB vs GB, memory reserved by the driver). */
const VRAM_TOLERANCE = 0.1;

/** GPUs against the catalogue, and disks: facts about a host's hardware the schema cannot know. */
function checkHardware(r: Reporter, entries: HostEntry[]): void {
  for (const entry of entries) {
    const disks = Array.isArray(entry.host.disks) ? entry.host.disks : [];
    let osDisk: number | undefined;
    disks.forEach((d, i) => {
      if (!isRecord(d)) return;
      const at: Path = [...entry.path, 'disks', i];
      if ((d.role ?? 'os') === 'os') {
        if (osDisk !== undefined) r.report(entry.file, [...at, 'role'], 'value', 'error', 'disk.multiple-os-disks', `Host '${entry.host.name}' already has an os disk (disk ${osDisk + 1}); set role: data on this one.`, { replacement: d.role ? 'data' : undefined });
        else osDisk = i;
      } else if (d.role === 'data' && d.mountpoint === undefined) {
        r.report(entry.file, [...at, 'role'], 'value', 'error', 'disk.data-without-mountpoint', `Data disk ${d.device} needs a 'mountpoint'.`);
      }
    });
    const gpus = Array.isArray(entry.host.hardware?.gpus) ? entry.host.hardware!.gpus! : [];
    gpus.forEach((g, i) => {
      if (!isRecord(g) || typeof g.model !== 'string') return;
      const info = findGpu(g.model);
      const at: Path = [...entry.path, 'hardware', 'gpus', i];
      if (!info) {
        r.report(entry.file, [...at, 'model'], 'value', 'information', 'gpu.unknown-model', `GPU '${g.model}' is not in the catalogue; set vramGB${g.vendor === 'nvidia' ? ' and computeCapability' : ''} yourself.`);
      } else {
        if (typeof g.vendor === 'string' && g.vendor !== info.vendor) {
          r.report(entry.file, [...at, 'vendor'], 'value', 'warning', 'gpu.vendor-mismatch', `${info.model} is not an ${g.vendor} GPU${didYouMean(info.vendor)}`, { replacement: info.vendor });
        }
        // Apple's figure is the largest configuration; the host's own is hardware.memoryGB
        if (typeof g.vramGB === 'number' && !info.unified) {
          const known = gpuMemoryVariants(g.model);
          if (!known.some((gb) => Math.abs(g.vramGB as number - gb) <= gb * VRAM_TOLERANCE)) {
            r.report(entry.file, [...at, 'vramGB'], 'value', 'warning', 'gpu.vram-mismatch',
              `${info.model} has ${known.join(' or ')} GB per GPU, not ${g.vramGB}; memory checks (which models fit) use this figure.`,
              { replacement: known.length === 1 ? String(known[0]) : undefined });
          }
        }
      }
    });
  }
}
