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
      if (isRecord(host)) entries.push({ host: host as unknown as HostSpec, file: clusterFile, path: ['hosts', index], index, nameFromFile: false });
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
    if (typeof e.host.name === 'string' && !hostSources.has(e.host.name)) hostSources.set(e.host.name, { uri: e.file.uri, host: e.host, index: e.index });
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

function symbolKey(kind: SymbolKind, name: string, host?: string): string {
  return `${kind}\u0000${host ?? ''}\u0000${name}`;
}

/** Range of the text of a string scalar, without its quotes. */
export function scalarTextRange(file: ParsedSpecFile, value: Range): Range {
  const start = file.offsetAt(value.start);
  const end = file.offsetAt(value.end);
  const q = file.text[start];
  if ((q === '"' || q === "'") && end - start >= 2 && file.text[end - 1] === q) {
    return { start: file.positionAt(start + 1), end: file.positionAt(end - 1) };
  }
  return value;
}

/** Splits a `host:iface` reference into the ranges of both parts; `text` is the scalar's value. */
export function splitEndpoint(file: ParsedSpecFile, range: Range, text: string): { host: string; iface: string; hostRange: Range; ifaceRange: Range } | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const inner = scalarTextRange(file, range);
  const start = file.offsetAt(inner.start);
  if (file.text.slice(start, start + text.length) !== text) return undefined; // escapes: no exact sub-ranges
  return {
    host: text.slice(0, colon),
    iface: text.slice(colon + 1),
    hostRange: { start: file.positionAt(start), end: file.positionAt(start + colon) },
    ifaceRange: { start: file.positionAt(start + colon + 1), end: file.positionAt(start + text.length) },
  };
}

function contains(r: Range, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}

class Collector {
  readonly definitions: SpecSymbol[] = [];
  readonly references: SpecSymbol[] = [];

  /** A string value at `path` in `file`, as a definition or reference. */
  add(target: 'def' | 'ref', file: ParsedSpecFile, path: (string | number)[], kind: SymbolKind, name: unknown, host?: string, fullPath?: (string | number)[]): void {
    if (typeof name !== 'string' || !name) return;
    const loc = file.locate(path);
    if (!loc) return;
    const range = scalarTextRange(file, loc.value);
    this.push(target, { kind, name, host, location: { uri: file.uri, range }, fullRange: fullPath ? file.locate(fullPath)?.value : undefined });
  }

  /** A map key (tags are defined as keys of `cluster.tags`). */
  addKey(file: ParsedSpecFile, path: (string | number)[], kind: SymbolKind, name: string): void {
    const loc = file.locate(path);
    if (!loc?.key) return;
    this.push('def', { kind, name, location: { uri: file.uri, range: scalarTextRange(file, loc.key) }, fullRange: { start: loc.key.start, end: loc.value.end } });
  }

  push(target: 'def' | 'ref', s: SpecSymbol): void {
    if (target === 'def') this.definitions.push(s);
    else {
      delete s.fullRange;
      this.references.push(s);
    }
  }

  /** A `host:iface` endpoint: a host reference and an interface reference with sub-ranges. */
  addEndpoint(file: ParsedSpecFile, path: (string | number)[], value: unknown): void {
    if (typeof value !== 'string') return;
    const loc = file.locate(path);
    if (!loc) return;
    const parts = splitEndpoint(file, loc.value, value);
    if (!parts) return;
    if (parts.host) this.references.push({ kind: 'host', name: parts.host, location: { uri: file.uri, range: parts.hostRange } });
    if (parts.iface) this.references.push({ kind: 'interface', name: parts.iface, host: parts.host, location: { uri: file.uri, range: parts.ifaceRange } });
  }
}

function eachString(list: unknown, f: (value: string, index: number) => void): void {
  if (Array.isArray(list)) list.forEach((v, i) => typeof v === 'string' && f(v, i));
}

function buildSymbolIndex(clusterFile: ParsedSpecFile | undefined, entries: HostEntry[]): SymbolIndex {
  const c = new Collector();
  const cluster = isRecord(clusterFile?.data) ? clusterFile.data : undefined;

  if (clusterFile && cluster) {
    const meta = cluster.cluster;
    if (isRecord(meta) && isRecord(meta.tags)) for (const tag of Object.keys(meta.tags)) c.addKey(clusterFile, ['cluster', 'tags', tag], 'tag', tag);
    const network = cluster.network;
    if (isRecord(network)) {
      if (Array.isArray(network.segments)) network.segments.forEach((seg, i) => {
        if (isRecord(seg)) c.add('def', clusterFile, ['network', 'segments', i, 'name'], 'segment', seg.name, undefined, ['network', 'segments', i]);
      });
      if (Array.isArray(network.links)) network.links.forEach((link, i) => {
        if (!isRecord(link)) return;
        c.addEndpoint(clusterFile, ['network', 'links', i, 'from'], link.from);
        c.addEndpoint(clusterFile, ['network', 'links', i, 'to'], link.to);
      });
    }
    const k3s = cluster.k3s;
    if (isRecord(k3s)) eachString(k3s.interfaces, (v, i) => c.add('ref', clusterFile, ['k3s', 'interfaces', i], 'interface', v));
    const security = cluster.security;
    if (isRecord(security) && isRecord(security.firewall)) {
      eachString(security.firewall.trustedInterfaces, (v, i) => c.add('ref', clusterFile, ['security', 'firewall', 'trustedInterfaces', i], 'interface', v));
    }
    const checkpoints = cluster.checkpoints;
    if (isRecord(checkpoints) && Array.isArray(checkpoints.policies)) checkpoints.policies.forEach((p, i) => {
      if (isRecord(p)) eachString(p.tags, (v, j) => c.add('ref', clusterFile, ['checkpoints', 'policies', i, 'tags', j], 'tag', v));
    });
  }

  for (const entry of entries) {
    const { file, path } = entry;
    const host = entry.host as unknown as Record<string, unknown>;
    const name = typeof host.name === 'string' ? host.name : undefined;
    if (entry.nameFromFile) {
      const whole = file.locate([])?.value;
      const at = whole ? { start: whole.start, end: whole.start } : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
      if (name) c.definitions.push({ kind: 'host', name, location: { uri: file.uri, range: at }, fullRange: whole });
    } else {
      c.add('def', file, [...path, 'name'], 'host', host.name, undefined, path);
    }
    eachString(host.tags, (v, i) => c.add('ref', file, [...path, 'tags', i], 'tag', v));
    if (isRecord(host.ssh)) c.add('ref', file, [...path, 'ssh', 'jump'], 'host', host.ssh.jump);
    if (isRecord(host.k3s)) c.add('ref', file, [...path, 'k3s', 'interface'], 'interface', host.k3s.interface, name);
    if (Array.isArray(host.interfaces)) host.interfaces.forEach((iface, i) => {
      if (!isRecord(iface)) return;
      const at = [...path, 'interfaces', i];
      c.add('def', file, [...at, 'name'], 'interface', iface.name, name, at);
      c.add('ref', file, [...at, 'segment'], 'segment', iface.segment);
      c.add('ref', file, [...at, 'parent'], 'interface', iface.parent, name);
      eachString(iface.members, (v, j) => c.add('ref', file, [...at, 'members', j], 'interface', v, name));
    });
  }
  return new Index(c.definitions, c.references);
}

class Index implements SymbolIndex {
  private readonly defsByKey = new Map<string, SpecSymbol[]>();
  private readonly refsByKey = new Map<string, SpecSymbol[]>();
  private readonly byUri = new Map<string, SpecSymbol[]>();

  constructor(readonly definitions: SpecSymbol[], readonly references: SpecSymbol[]) {
    for (const d of definitions) push(this.defsByKey, symbolKey(d.kind, d.name, d.host), d);
    for (const r of references) push(this.refsByKey, symbolKey(r.kind, r.name, r.host), r);
    for (const s of [...definitions, ...references]) push(this.byUri, s.location.uri, s);
  }

  at(uri: string, position: Position) {
    const symbol = this.byUri.get(uri)?.find((s) => contains(s.location.range, position));
    if (!symbol) return undefined;
    let definition: SpecSymbol | undefined;
    let references: SpecSymbol[];
    if (symbol.kind === 'interface' && symbol.host === undefined) {
      // an unscoped interface name (k3s.interfaces, trustedInterfaces) refers to that name on every host
      definition = this.definitions.find((d) => d.kind === 'interface' && d.name === symbol.name);
      references = this.references.filter((r) => r.kind === 'interface' && r.name === symbol.name);
    } else {
      const key = symbolKey(symbol.kind, symbol.name, symbol.host);
      definition = this.defsByKey.get(key)?.[0];
      references = [...(this.refsByKey.get(key) ?? [])];
      if (symbol.kind === 'interface') references.push(...(this.refsByKey.get(symbolKey('interface', symbol.name, undefined)) ?? []));
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
