// Merges cluster.yaml with hosts/*.yaml into one SpecModel and indexes the named things in it (hosts,
// interfaces scoped by host, segments, tags) with the exact ranges of their names, for go-to-definition,
// references, rename and completion. The symbol index is built lazily: validation does not need it.

import type { ClusterSpec, HostSpec } from './types';
import type { HostEntry, ParsedSpecFile, Position, Range, SpecModel, SpecSymbol, SymbolIndex, SymbolKind } from './model';

const entriesByModel = new WeakMap<SpecModel, HostEntry[]>();

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `gpu-2` for `…/hosts/gpu-2.yaml`. */
export function fileStem(uri: string): string {
  const base = uri.slice(Math.max(uri.lastIndexOf('/'), uri.lastIndexOf('\\')) + 1);
  return decodeURIComponent(base.replace(/\.ya?ml$/i, ''));
}

/**
 * Builds the model from the parsed files: the first cluster file gives the cluster, every host file adds
 * one host (its `name` defaults to the file stem). Never throws on malformed data: what is not the
 * expected shape is left out of `spec.hosts` and reported by validation instead.
 */
export function buildModel(files: readonly ParsedSpecFile[]): SpecModel {
  const clusterFile = files.find((f) => f.kind === 'cluster');
  const clusterData = isRecord(clusterFile?.data) ? clusterFile.data : {};
  const entries: HostEntry[] = [];
  if (clusterFile && Array.isArray(clusterData.hosts)) {
    clusterData.hosts.forEach((host, index) => {
      if (isRecord(host))
        entries.push({ host: host as unknown as HostSpec, file: clusterFile, path: ['hosts', index], index, nameFromFile: false });
    });
  }
  const hostFiles = files.filter((f) => f.kind === 'host').sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  for (const file of hostFiles) {
    if (!isRecord(file.data)) continue;
    const named = file.data.name !== undefined;
    // Copy rather than mutate: parsed data is shared with the parse cache.
    const host = (named ? file.data : { ...file.data, name: fileStem(file.uri) }) as unknown as HostSpec;
    entries.push({ host, file, path: [], index: undefined, nameFromFile: !named });
  }

  const spec = { ...clusterData, hosts: entries.map((e) => e.host) } as unknown as ClusterSpec;
  const hostSources: SpecModel['hostSources'] = new Map();
  for (const e of entries) {
    if (typeof e.host.name === 'string' && !hostSources.has(e.host.name))
      hostSources.set(e.host.name, { uri: e.file.uri, host: e.host, index: e.index });
  }
  let symbols: SymbolIndex | undefined;
  const model: SpecModel = {
    spec,
    hostSources,
    files: [...files],
    get symbols() {
      return (symbols ??= buildSymbolIndex(clusterFile, entries));
    },
  };
  entriesByModel.set(model, entries);
  return model;
}

/** Every host entry of a model (duplicates included), with the file and path it came from. */
export function hostEntriesOf(model: SpecModel): HostEntry[] {
  return entriesByModel.get(model) ?? [];
}

/** The cluster file of a model, if any. */
export function clusterFileOf(model: SpecModel): ParsedSpecFile | undefined {
  return model.files.find((f) => f.kind === 'cluster');
}

// ---------------------------------------------------------------------------------------------------------
// Symbol index
//
// Symbols are collected as offsets; their line/character ranges are computed only when read. The symbols
// of a cluster.yaml host are remembered per host object, relative to the host's start: parseSpecFile
// reuses the object of an unchanged host, so after an edit only the edited host is walked again.

type Span = [number, number];

function symbolKey(kind: SymbolKind, name: string, host?: string): string {
  return `${kind}\u0000${host ?? ''}\u0000${name}`;
}

/** The offsets of a scalar's text, without its quotes. */
function innerSpan(text: string, [start, end]: Span): Span {
  const q = text[start];
  return (q === '"' || q === "'") && end - start >= 2 && text[end - 1] === q ? [start + 1, end - 1] : [start, end];
}

/** Range of the text of a string scalar, without its quotes. */
export function scalarTextRange(file: ParsedSpecFile, value: Range): Range {
  const [start, end] = innerSpan(file.text, [file.offsetAt(value.start), file.offsetAt(value.end)]);
  return { start: file.positionAt(start), end: file.positionAt(end) };
}

/** Offsets of both parts of a `host:iface` scalar, or undefined when its source is not the plain text (escapes). */
function endpointSpans(file: ParsedSpecFile, value: Span, text: string): { host: Span; iface: Span } | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const [start] = innerSpan(file.text, value);
  if (file.text.slice(start, start + text.length) !== text) return undefined;
  return { host: [start, start + colon], iface: [start + colon + 1, start + text.length] };
}

/** Splits a `host:iface` reference into the ranges of both parts; `text` is the scalar's value. */
export function splitEndpoint(
  file: ParsedSpecFile,
  range: Range,
  text: string,
): { host: string; iface: string; hostRange: Range; ifaceRange: Range } | undefined {
  const spans = endpointSpans(file, [file.offsetAt(range.start), file.offsetAt(range.end)], text);
  if (!spans) return undefined;
  const colon = text.indexOf(':');
  const toRange = ([a, b]: Span): Range => ({ start: file.positionAt(a), end: file.positionAt(b) });
  return { host: text.slice(0, colon), iface: text.slice(colon + 1), hostRange: toRange(spans.host), ifaceRange: toRange(spans.iface) };
}

/** A symbol found in a file, in offsets. */
interface RawSymbol {
  kind: SymbolKind;
  name: string;
  host?: string;
  span: Span;
  full?: Span;
  definition: boolean;
}

/** Collects the symbols under one place of a file, with offsets relative to `base`. */
class Collector {
  readonly found: RawSymbol[] = [];
  constructor(
    private readonly file: ParsedSpecFile,
    private readonly base = 0,
  ) {}

  /** A string value at `path`, as a definition or a reference. */
  add(
    definition: boolean,
    path: (string | number)[],
    kind: SymbolKind,
    name: unknown,
    host?: string,
    fullPath?: (string | number)[],
  ): void {
    if (typeof name !== 'string' || !name) return;
    const loc = this.file.locateOffsets(path);
    if (!loc) return;
    const full = fullPath ? this.file.locateOffsets(fullPath)?.value : undefined;
    this.found.push({
      kind,
      name,
      host,
      definition,
      span: this.relative(innerSpan(this.file.text, loc.value)),
      full: full && this.relative(full),
    });
  }

  /** A map key (tags are defined as keys of `cluster.tags`). */
  addKey(path: (string | number)[], kind: SymbolKind, name: string): void {
    const loc = this.file.locateOffsets(path);
    if (!loc?.key) return;
    this.found.push({
      kind,
      name,
      definition: true,
      span: this.relative(innerSpan(this.file.text, loc.key)),
      full: this.relative([loc.key[0], loc.value[1]]),
    });
  }

  /** A `host:iface` endpoint: a host reference and an interface reference, each on its own part. */
  addEndpoint(path: (string | number)[], value: unknown): void {
    if (typeof value !== 'string') return;
    const loc = this.file.locateOffsets(path);
    const spans = loc && endpointSpans(this.file, loc.value, value);
    if (!spans) return;
    const colon = value.indexOf(':');
    const host = value.slice(0, colon);
    const iface = value.slice(colon + 1);
    if (host) this.found.push({ kind: 'host', name: host, definition: false, span: this.relative(spans.host) });
    if (iface) this.found.push({ kind: 'interface', name: iface, host, definition: false, span: this.relative(spans.iface) });
  }

  private relative([a, b]: Span): Span {
    return [a - this.base, b - this.base];
  }
}

function eachString(list: unknown, f: (value: string, index: number) => void): void {
  if (Array.isArray(list)) list.forEach((v, i) => typeof v === 'string' && f(v, i));
}

function collectCluster(c: Collector, cluster: Record<string, unknown>): void {
  const meta = cluster.cluster;
  if (isRecord(meta) && isRecord(meta.tags)) for (const tag of Object.keys(meta.tags)) c.addKey(['cluster', 'tags', tag], 'tag', tag);
  const network = cluster.network;
  if (isRecord(network)) {
    if (Array.isArray(network.segments))
      network.segments.forEach((seg, i) => {
        if (isRecord(seg)) c.add(true, ['network', 'segments', i, 'name'], 'segment', seg.name, undefined, ['network', 'segments', i]);
      });
    if (Array.isArray(network.links))
      network.links.forEach((link, i) => {
        if (!isRecord(link)) return;
        c.addEndpoint(['network', 'links', i, 'from'], link.from);
        c.addEndpoint(['network', 'links', i, 'to'], link.to);
      });
  }
  const k3s = cluster.k3s;
  if (isRecord(k3s)) {
    eachString(k3s.interfaces, (v, i) => c.add(false, ['k3s', 'interfaces', i], 'interface', v));
    c.add(false, ['k3s', 'segment'], 'segment', k3s.segment);
  }
  const security = cluster.security;
  if (isRecord(security) && isRecord(security.firewall)) {
    eachString(security.firewall.trustedInterfaces, (v, i) =>
      c.add(false, ['security', 'firewall', 'trustedInterfaces', i], 'interface', v),
    );
  }
  const checkpoints = cluster.checkpoints;
  if (isRecord(checkpoints) && Array.isArray(checkpoints.policies))
    checkpoints.policies.forEach((p, i) => {
      if (isRecord(p)) eachString(p.tags, (v, j) => c.add(false, ['checkpoints', 'policies', i, 'tags', j], 'tag', v));
    });
}

function collectHost(c: Collector, entry: HostEntry): void {
  const { path } = entry;
  const host = entry.host as unknown as Record<string, unknown>;
  const name = typeof host.name === 'string' ? host.name : undefined;
  if (!entry.nameFromFile) c.add(true, [...path, 'name'], 'host', host.name, undefined, path);
  eachString(host.tags, (v, i) => c.add(false, [...path, 'tags', i], 'tag', v));
  if (isRecord(host.ssh)) c.add(false, [...path, 'ssh', 'jump'], 'host', host.ssh.jump);
  if (isRecord(host.k3s)) c.add(false, [...path, 'k3s', 'interface'], 'interface', host.k3s.interface, name);
  if (Array.isArray(host.interfaces))
    host.interfaces.forEach((iface, i) => {
      if (!isRecord(iface)) return;
      const at = [...path, 'interfaces', i];
      c.add(true, [...at, 'name'], 'interface', iface.name, name, at);
      c.add(false, [...at, 'segment'], 'segment', iface.segment);
      c.add(false, [...at, 'parent'], 'interface', iface.parent, name);
      eachString(iface.members, (v, j) => c.add(false, [...at, 'members', j], 'interface', v, name));
    });
}

/** Symbols of an unchanged cluster.yaml host or section, relative to its start (see the note above). */
const symbolCache = new WeakMap<object, RawSymbol[]>();
const CLUSTER_SECTIONS_WITH_SYMBOLS = ['cluster', 'network', 'k3s', 'security', 'checkpoints'] as const;

function materialise(file: ParsedSpecFile, raw: RawSymbol, base: number): SpecSymbol {
  const range = ([a, b]: Span): Range => ({ start: file.positionAt(a + base), end: file.positionAt(b + base) });
  const symbol: SpecSymbol = { kind: raw.kind, name: raw.name, host: raw.host, location: { uri: file.uri, range: range(raw.span) } };
  if (raw.definition && raw.full) symbol.fullRange = range(raw.full);
  return symbol;
}

interface Placed {
  symbol: SpecSymbol;
  start: number;
  end: number;
  definition: boolean;
}

function buildSymbolIndex(clusterFile: ParsedSpecFile | undefined, entries: HostEntry[]): SymbolIndex {
  const placed: Placed[] = [];
  const files = new Map<string, ParsedSpecFile>();
  const emit = (file: ParsedSpecFile, raws: RawSymbol[], base: number) => {
    files.set(file.uri, file);
    for (const raw of raws)
      placed.push({ symbol: materialise(file, raw, base), start: raw.span[0] + base, end: raw.span[1] + base, definition: raw.definition });
  };
  if (clusterFile && isRecord(clusterFile.data)) {
    const data = clusterFile.data;
    for (const section of CLUSTER_SECTIONS_WITH_SYMBOLS) {
      const value = data[section];
      if (!isRecord(value)) continue;
      const base = clusterFile.locateOffsets([section])?.key?.[0];
      if (base === undefined) continue;
      let raws = symbolCache.get(value);
      if (!raws) {
        const c = new Collector(clusterFile, base);
        collectCluster(c, { [section]: value });
        symbolCache.set(value, (raws = c.found));
      }
      emit(clusterFile, raws, base);
    }
  }
  for (const entry of entries) {
    const { file, host } = entry;
    if (entry.nameFromFile) {
      // named by its file: defined at the start of the file
      const whole = file.locateOffsets([])?.value ?? [0, 0];
      emit(file, [{ kind: 'host', name: host.name, definition: true, span: [whole[0], whole[0]], full: whole }], 0);
    }
    const base = entry.index !== undefined ? file.locateOffsets(entry.path)?.value[0] : 0;
    if (base === undefined) continue;
    let raws = entry.index !== undefined ? symbolCache.get(host) : undefined;
    if (!raws) {
      const c = new Collector(file, base);
      collectHost(c, entry);
      raws = c.found;
      if (entry.index !== undefined) symbolCache.set(host, raws);
    }
    emit(file, raws, base);
  }
  return new Index(placed, files);
}

class Index implements SymbolIndex {
  readonly definitions: SpecSymbol[] = [];
  readonly references: SpecSymbol[] = [];
  private lookups?: { defsByKey: Map<string, SpecSymbol[]>; refsByKey: Map<string, SpecSymbol[]>; byUri: Map<string, Placed[]> };

  constructor(
    private readonly placed: Placed[],
    private readonly files: Map<string, ParsedSpecFile>,
  ) {
    for (const p of placed) (p.definition ? this.definitions : this.references).push(p.symbol);
  }

  /** Maps for at(), built on its first call: most models are validated and replaced without a lookup. */
  private maps() {
    if (this.lookups) return this.lookups;
    const defsByKey = new Map<string, SpecSymbol[]>();
    const refsByKey = new Map<string, SpecSymbol[]>();
    const byUri = new Map<string, Placed[]>();
    for (const p of this.placed) {
      const s = p.symbol;
      push(p.definition ? defsByKey : refsByKey, symbolKey(s.kind, s.name, s.host), s);
      push(byUri, s.location.uri, p);
    }
    for (const list of byUri.values()) list.sort((a, b) => a.start - b.start);
    return (this.lookups = { defsByKey, refsByKey, byUri });
  }

  at(uri: string, position: Position) {
    const { defsByKey, refsByKey, byUri } = this.maps();
    const file = this.files.get(uri);
    const list = byUri.get(uri);
    if (!file || !list) return undefined;
    const offset = file.offsetAt(position);
    // symbols do not overlap (the two parts of host:iface only touch): the last one starting at or before
    // the offset is the only candidate, or the one before it when the offset sits where they touch
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (list[mid].start <= offset) lo = mid;
      else hi = mid - 1;
    }
    const found = [list[lo], list[lo - 1]].find((p) => p && p.start <= offset && offset <= p.end);
    if (!found) return undefined;
    const symbol = found.symbol;
    let definition: SpecSymbol | undefined;
    let references: SpecSymbol[];
    if (symbol.kind === 'interface' && symbol.host === undefined) {
      // an unscoped interface name (k3s.interfaces, trustedInterfaces) refers to that name on every host
      definition = this.definitions.find((d) => d.kind === 'interface' && d.name === symbol.name);
      references = this.references.filter((r) => r.kind === 'interface' && r.name === symbol.name);
    } else {
      const key = symbolKey(symbol.kind, symbol.name, symbol.host);
      definition = defsByKey.get(key)?.[0];
      references = [...(refsByKey.get(key) ?? [])];
      if (symbol.kind === 'interface') references.push(...(refsByKey.get(symbolKey('interface', symbol.name, undefined)) ?? []));
    }
    return { definition, references, symbol };
  }

  definitionsOf(kind: SymbolKind, host?: string): SpecSymbol[] {
    return this.definitions.filter((d) => d.kind === kind && (host === undefined || d.host === host));
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
