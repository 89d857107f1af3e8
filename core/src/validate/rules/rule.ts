// The shape of a semantic rule and what every rule gets: the model with its host entries, indexes of hosts,
// interfaces and segments built once, and a reporter that places a diagnostic on a path of a file (with quick
// fixes and related locations). A rule reports codes from the registry (codes.ts); the severity is the
// registry's unless the rule says otherwise for one finding.

import type { HostEntry, ParsedSpecFile, Range, SpecDiagnostic, SpecModel } from '../../spec/model';
import type { ParsedCidr } from '../../spec/net';
import { parseCidr } from '../../spec/net';
import { effectiveRoles } from '../../spec/resolve';
import type { ClusterSpec, InterfaceSpec, Role } from '../../spec/types';
import { clusterFileOf, hostEntriesOf, isRecord } from '../../spec/workspace';
import { closest } from '../../util/suggest';
import { DIAGNOSTIC_CODES, type DiagnosticCode } from '../report/codes';
import { place, replaceFix, type Placement } from '../report/place';

export type Path = (string | number)[];
type Severity = SpecDiagnostic['severity'];

/** One semantic rule: the codes it may report, and its check over the whole model. */
export interface Rule {
  /** `family.rule`, e.g. `hosts.names`; the family is the file the rule lives in. */
  readonly name: string;
  /** Every code the rule reports (each registered with its severity and summary in codes.ts). */
  readonly codes: readonly DiagnosticCode[];
  /**
   * What the rule needs to run: `model` always runs; `cluster` needs a readable cluster file; `complete` needs
   * that and no refused file (then names defined in a refused file would be reported as unknown elsewhere).
   */
  readonly needs: 'model' | 'cluster' | 'complete';
  check(ctx: RuleContext): void;
}

export interface InterfaceInfo {
  iface: InterfaceSpec;
  index: number;
}
export interface SegmentInfo {
  cidr?: ParsedCidr;
  index: number;
  vlan?: number;
}
export interface HostInfo {
  entry: HostEntry;
  name: string;
  interfaces: Map<string, InterfaceInfo>;
}

export interface RuleContext {
  model: SpecModel;
  spec: ClusterSpec;
  entries: HostEntry[];
  clusterFile: ParsedSpecFile | undefined;
  /** The cluster file's data, when the file was read (not refused) and is a map. */
  cluster: Partial<ClusterSpec> | undefined;
  /** The cluster file was read (it may still have syntax errors: its data before the error counts). */
  haveCluster: boolean;
  /** No file of the model was refused. */
  complete: boolean;
  /** Hosts by name, the first entry of each name, with its interfaces by name (the first of each name). */
  hosts: Map<string, HostInfo>;
  /** Segments of network.segments by name (the first of each name). */
  segments: Map<string, SegmentInfo>;
  /** The tags declared in cluster.tags. */
  tags: Set<string>;
  report: Reporter;
}

/** Beyond this many misses, "did you mean" stops searching (each search is linear in the candidates). */
const MAX_SUGGESTIONS = 200;

export interface ReportExtra {
  /** For a finding of a code whose severity depends on the case (documented in its summary). */
  severity?: Severity;
  replacement?: string;
  related?: { file: ParsedSpecFile; path: Path; message: string }[];
  /** Several candidates, each its own quick fix (the first preferred). */
  replacements?: string[];
}

export class Reporter {
  readonly diagnostics: SpecDiagnostic[] = [];
  private suggestions = 0;

  /** A diagnostic placed on `path` of `file` (its key, value or first line). */
  report(file: ParsedSpecFile, path: Path, on: Placement, code: DiagnosticCode, message: string, extra?: ReportExtra): void {
    const placed = place(file, path, on);
    const d: SpecDiagnostic = {
      uri: file.uri,
      range: placed.range,
      severity: extra?.severity ?? DIAGNOSTIC_CODES[code].severity,
      code,
      message,
    };
    if (extra?.replacement !== undefined && placed.exact && placed.target) d.fixes = [replaceFix(file, placed.target, extra.replacement)];
    if (extra?.replacements?.length && placed.exact && placed.target) {
      const target = placed.target;
      d.fixes = extra.replacements.map((text, i) => ({ ...replaceFix(file, target, text), preferred: i === 0 }));
    }
    if (extra?.related?.length) {
      d.related = extra.related.map((r) => ({
        location: { uri: r.file.uri, range: place(r.file, r.path, 'value').range },
        message: r.message,
      }));
    }
    this.diagnostics.push(d);
  }

  /** A diagnostic on a range found by the rule (part of a value), with an unquoted replacement. */
  reportAt(file: ParsedSpecFile, range: Range, code: DiagnosticCode, message: string, replacement?: string): void {
    const d: SpecDiagnostic = { uri: file.uri, range, severity: DIAGNOSTIC_CODES[code].severity, code, message };
    if (replacement) d.fixes = [replaceFix(file, range, replacement, false)];
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

export const didYouMean = (s: string | undefined) => (s ? ` — did you mean '${s}'?` : '');

/** The context every rule of one validation shares. */
export function ruleContext(model: SpecModel): RuleContext {
  const clusterFile = clusterFileOf(model);
  const entries = hostEntriesOf(model);
  // A refused file (binary, too large, alias bomb, not a regular file) has no data at all: names defined there
  // would be reported as unknown elsewhere. Then a cluster file is not trusted to declare tags and segments, and
  // "no such host" or "no hub" is not said. (A file with syntax errors still has the data before the error.)
  const refused = (f: ParsedSpecFile) => f.data === undefined && f.syntaxDiagnostics.some((d) => d.severity === 'error');
  const cluster =
    clusterFile && !refused(clusterFile) && isRecord(clusterFile.data) ? (clusterFile.data as Partial<ClusterSpec>) : undefined;
  return {
    model,
    spec: model.spec,
    entries,
    clusterFile,
    cluster,
    haveCluster: clusterFile !== undefined && !refused(clusterFile),
    complete: !model.files.some(refused),
    hosts: indexHosts(entries),
    segments: cluster ? indexSegments(cluster) : new Map(),
    tags: new Set(isRecord(cluster?.cluster?.tags) ? Object.keys(cluster!.cluster!.tags!) : []),
    report: new Reporter(),
  };
}

function indexHosts(entries: HostEntry[]): Map<string, HostInfo> {
  const hosts = new Map<string, HostInfo>();
  for (const entry of entries) {
    const name = entry.host.name;
    if (typeof name !== 'string' || hosts.has(name)) continue;
    const interfaces = new Map<string, InterfaceInfo>();
    const list = Array.isArray(entry.host.interfaces) ? entry.host.interfaces : [];
    list.forEach((iface, index) => {
      if (isRecord(iface) && typeof iface.name === 'string' && !interfaces.has(iface.name)) interfaces.set(iface.name, { iface, index });
    });
    hosts.set(name, { entry, name, interfaces });
  }
  return hosts;
}

function indexSegments(cluster: Partial<ClusterSpec>): Map<string, SegmentInfo> {
  const segments = new Map<string, SegmentInfo>();
  const list = Array.isArray(cluster.network?.segments) ? cluster.network!.segments! : [];
  list.forEach((seg, index) => {
    if (!isRecord(seg) || typeof seg.name !== 'string' || segments.has(seg.name)) return;
    segments.set(seg.name, { cidr: parseCidr(seg.subnet), index, vlan: typeof seg.vlan === 'number' ? seg.vlan : undefined });
  });
  return segments;
}

/** Where a role of a host is written: its own roles list, or `defaults.roles` when it has none. */
export function rolePath(
  entry: HostEntry,
  role: Role,
  clusterFile: ParsedSpecFile,
  spec: ClusterSpec,
): { file: ParsedSpecFile; path: Path } {
  if (Array.isArray(entry.host.roles)) {
    const i = entry.host.roles.indexOf(role);
    return { file: entry.file, path: [...entry.path, 'roles', i] };
  }
  const i = spec.defaults?.roles?.indexOf(role) ?? -1;
  return i >= 0 ? { file: clusterFile, path: ['defaults', 'roles', i] } : { file: entry.file, path: [...entry.path, 'name'] };
}

/** The host entries that have a role (their own or from defaults). */
export function withRole(spec: ClusterSpec, entries: HostEntry[], role: Role): HostEntry[] {
  return entries.filter((e) => effectiveRoles(spec, e.host).includes(role));
}

export function isDarwinSystem(system: string): boolean {
  return system.endsWith('-darwin');
}
