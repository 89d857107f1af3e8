// A first hover on a big cluster.yaml, before its model exists (parsing 5 MiB takes seconds): a small spec made
// of the host item under the cursor and the sections a host's facts read (cluster, defaults, exo, k3s), parsed
// on its own. It answers only what it can answer exactly as the full model would (the schema's documentation,
// the catalogue, the facts of the host defined there and its own interfaces); anything that needs the other
// hosts (a tag's or segment's users, a reference to another host) waits for the full model.

import { MarkupKind, type Hover, type Position, type Range } from 'vscode-languageserver/node';
import { buildModel, forgetParsedFile, inferSpecFileKind, type ParsedSpecFile, parseSpecFile, type SchemaNavigator } from '#core/spec';
import type { SpecSnapshot } from '#core/validate';
import { docSection, schemaDoc, specHover } from './hover';

/**
 * The top-level sections a host's facts read besides the host (core/src/spec/resolve.ts: the cluster's system,
 * the default roles, exo's accelerator, whether k3s owns the GPUs). The others (a long network.links) stay out.
 */
const HOST_FACT_SECTIONS = new Set(['cluster', 'defaults', 'exo', 'k3s']);

export interface LocalView {
  snapshot: SpecSnapshot;
  file: ParsedSpecFile;
  toLocal(position: Position): Position;
  toOriginal(range: Range): Range;
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function countLines(text: string, end: number): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/**
 * The offset of a position, found by jumping from newline to newline: the editor document's own offsetAt first
 * indexes every line of the text, which took 50 ms of a first hover on a 5 MiB file.
 */
export function offsetOfPosition(text: string, position: Position): number {
  let at = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', at);
    if (next < 0) return text.length;
    at = next + 1;
  }
  let end = text.indexOf('\n', at);
  if (end < 0) end = text.length;
  else if (end > at && text[end - 1] === '\r') end--;
  return Math.min(at + position.character, end);
}

const TOP_LEVEL_KEY = /^[A-Za-z_][\w-]*[ \t]*:/;

/**
 * Starts of the lines in [from, to) that begin a top-level key, found by jumping from newline to newline (a
 * multi-line regular expression tries every offset of a 5 MiB text, which took a few hundred milliseconds).
 */
function topLevelKeys(text: string, from: number, to: number, first = false): number[] {
  const found: number[] = [];
  for (let at = from; at < to; at = text.indexOf('\n', at) + 1 || to) {
    const c = text.charCodeAt(at);
    if (((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) && TOP_LEVEL_KEY.test(text.slice(at, at + 128))) {
      found.push(at);
      if (first) break;
    }
  }
  return found;
}

/** A document marker or directive at the start of a line: the file is not one plain document. */
const hasMarkers = (text: string) => ['---', '...', '%'].some((m) => text.startsWith(m) || text.includes(`\n${m}`));

/** An alias (`*name`, `<<: *name`): its anchor may be anywhere in the file. */
const ALIAS = /(^|[\s[{,])\*[^\s,[\]{}]/;

/**
 * The local view at `offset`, or undefined when the offset is not inside an item of a block `hosts:` list, or
 * when the item alone would not parse as it does in the whole file (aliases, several documents, a NUL byte).
 */
export function localHostView(uri: string, text: string, offset: number): LocalView | undefined {
  if (text.includes('\u0000') || hasMarkers(text)) return undefined;
  const headers = topLevelKeys(text, 0, text.length).filter((at) =>
    /^hosts[ \t]*:[ \t]*(#.*)?\r?$/.test(text.slice(at, text.indexOf('\n', at) >>> 0)),
  );
  if (headers.length !== 1) return undefined;
  const headerAt = headers[0];
  const itemsFrom = text.indexOf('\n', headerAt) + 1;
  if (itemsFrom === 0) return undefined;
  const sectionEnd = topLevelKeys(text, itemsFrom, text.length, true)[0] ?? text.length;
  if (offset < itemsFrom || offset >= sectionEnd) return undefined;
  const first = /^([ ]*)-[ \r\n]/m.exec(text.slice(itemsFrom, Math.min(sectionEnd, itemsFrom + 4096)));
  if (!first) return undefined;
  const marker = `${first[1]}-`;
  const isItemStart = (at: number) => text.startsWith(marker, at) && ' \r\n'.includes(text[at + marker.length] ?? '\n');
  let itemStart = lineStartOf(text, offset);
  while (itemStart > itemsFrom && !isItemStart(itemStart)) itemStart = lineStartOf(text, itemStart - 1);
  if (!isItemStart(itemStart)) return undefined;
  let itemEnd = text.indexOf('\n', offset) + 1 || sectionEnd;
  while (itemEnd < sectionEnd && !isItemStart(itemEnd)) itemEnd = text.indexOf('\n', itemEnd) + 1 || sectionEnd;
  const item = text.slice(itemStart, itemEnd);
  if (ALIAS.test(item)) return undefined;

  // the sections host facts read, before `hosts:` or after its list
  const sections: string[] = [];
  const collect = (from: number, to: number) => {
    const starts = topLevelKeys(text, from, to);
    starts.forEach((start, i) => {
      const end = i + 1 < starts.length ? starts[i + 1] : to;
      const key = /^[^\s:]+/.exec(text.slice(start, start + 128))?.[0] ?? '';
      if (HOST_FACT_SECTIONS.has(key)) sections.push(text.slice(start, end).replace(/\n?$/, '\n'));
    });
  };
  collect(0, headerAt);
  collect(sectionEnd, text.length);
  const prefix = `${sections.join('')}hosts:\n`;
  const localText = prefix + item;
  const localUri = `${uri}#local-view`;
  const file = parseSpecFile(localUri, localText, 0, 'cluster');
  forgetParsedFile(localUri);
  if (file.syntaxDiagnostics.length) return undefined;
  const shift = countLines(text, itemStart) - countLines(prefix, prefix.length);
  const built = buildModel([file]);
  // the host is defined in the editor's file, not in the view's
  const hostSources = new Map([...built.hostSources].map(([name, source]) => [name, { ...source, uri }]));
  const model = { spec: built.spec, hostSources, files: built.files, symbols: built.symbols };
  // the full model takes a name's first definition: an earlier item of the same name would answer there
  const name = hostSources.keys().next().value;
  if (name !== undefined && definedBefore(text, itemsFrom, itemStart, name)) return undefined;
  const snapshot: SpecSnapshot = {
    root: localUri,
    generation: -1,
    model,
    diagnostics: new Map(),
    validated: false,
    file: (u) => (u === localUri ? file : undefined),
  };
  const move = (p: Position, by: number): Position => ({ line: p.line + by, character: p.character });
  return {
    snapshot,
    file,
    toLocal: (p) => move(p, -shift),
    toOriginal: (r) => ({ start: move(r.start, shift), end: move(r.end, shift) }),
  };
}

/** Whether `name` appears as a word in [from, to) (a definition or a reference: either way not only this item's). */
function definedBefore(text: string, from: number, to: number, name: string): boolean {
  const word = new RegExp(`(^|[^\\w.-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w.-])`);
  for (let at = text.indexOf(name, from); at >= 0 && at < to; at = text.indexOf(name, at + 1))
    if (word.test(text.slice(Math.max(0, at - 1), at + name.length + 1))) return true;
  return false;
}

/** A block line: indentation, list markers (`- `), then a plain key and its colon; `rest` is what follows. */
const KEY_LINE = /^( *)((?:- +)*)([A-Za-z_][\w-]*) *:(?: +|$)(.*)$/;
/** Nothing, or only a comment: the rest of a line whose key holds a nested block. */
const EMPTY_REST = /^(#.*)?$/;

/**
 * The hover on a plain block key, from the lines above it alone: its key path by indentation (each parent a
 * `key:` with nothing after it) and the schema's documentation of that path, which is all the full model answers
 * on such a key. Nothing is parsed, so this costs a scan of a few lines. Undefined when the line or a parent line
 * is anything else (a flow collection, a block scalar, a tag key under `cluster.tags`, a list directly under its
 * key at the same indentation, tabs), or the file is not one plain cluster file.
 */
export function keyHoverByScan(uri: string, text: string, position: Position, schemas: SchemaNavigator): Hover | null | undefined {
  // a host file named by its file has its host defined at offset 0, where a key's hover also shows the host
  if (inferSpecFileKind(uri) !== 'cluster' || text.includes('\u0000') || hasMarkers(text)) return undefined;
  const offset = offsetOfPosition(text, position);
  const lineAt = (start: number) => {
    const end = text.indexOf('\n', start);
    return text.slice(start, end < 0 ? text.length : end).replace(/\r$/, '');
  };
  let start = lineStartOf(text, offset);
  const hovered = KEY_LINE.exec(lineAt(start));
  if (!hovered) return undefined;
  const keyFrom = hovered[1].length + hovered[2].length;
  const keyTo = keyFrom + hovered[3].length;
  if (position.character < keyFrom || position.character >= keyTo) return undefined;
  const path: (string | number)[] = [];
  /** Takes a matched line into the path (its key, then a list item per marker) and returns its column. */
  const take = (m: RegExpExecArray): number => {
    path.unshift(m[3]);
    for (let i = (m[2].match(/- +/g) ?? []).length; i > 0; i--) path.unshift(0);
    return m[1].length;
  };
  let column = take(hovered);
  while (column > 0) {
    if (start === 0) return undefined;
    start = lineStartOf(text, start - 1);
    // where the line's content starts, looked at only up to our column: a 5 MiB file has 100,000 lines above
    let content = 0;
    while (content <= column && text.charCodeAt(start + content) === 32) content++;
    const first = text.charCodeAt(start + content);
    if (content > column || first === 10 || first === 13 || first === 35 /* # */) continue;
    if (content === column) {
      // a sibling; a `key:` at the same column above a list item could hold that list (`key:` then `- x` below it)
      if (path[0] !== 0 || first === 45 /* - */) continue;
      const sibling = KEY_LINE.exec(lineAt(start));
      if (sibling && EMPTY_REST.test(sibling[4].trim())) return undefined;
      continue;
    }
    const line = lineAt(start);
    if (line.includes('\t')) return undefined;
    const parent = KEY_LINE.exec(line);
    if (!parent) return undefined;
    if (parent[1].length + parent[2].length === column) {
      // `- first: …` with our key below `first`: a sibling in the same map, which is an item of a list
      for (let i = (parent[2].match(/- +/g) ?? []).length; i > 0; i--) path.unshift(0);
      column = parent[1].length;
      continue;
    }
    if (!EMPTY_REST.test(parent[4].trim())) return undefined;
    column = take(parent);
  }
  if (path[0] === 'cluster' && path[1] === 'tags') return undefined;
  const doc = schemaDoc(schemas, 'cluster', path);
  if (!doc.length) return null;
  const line = position.line;
  return {
    contents: { kind: MarkupKind.Markdown, value: docSection(path, doc) },
    range: { start: { line, character: keyFrom }, end: { line, character: keyTo } },
  };
}

/**
 * The hover at `position` from the local view, when it is exactly what the full model would answer: the schema's
 * documentation and the catalogue, the host defined in the item and its own interfaces. Undefined otherwise
 * (tags and segments count the other hosts; a reference may name another host).
 */
export function localHover(uri: string, text: string, position: Position, schemas: SchemaNavigator): Hover | null | undefined {
  const view = localHostView(uri, text, offsetOfPosition(text, position));
  if (!view) return undefined;
  const local = view.toLocal(position);
  // on the list itself (an item's `-`), not inside an item: the range would be the view's one-item list
  if ((view.file.pathAt(view.file.offsetAt(local))?.path.length ?? 0) < 2) return undefined;
  const symbol = view.snapshot.model.symbols.at(view.file.uri, local)?.symbol;
  if (symbol) {
    const host = symbol.kind === 'host' ? symbol.name : symbol.kind === 'interface' ? symbol.host : undefined;
    if (host === undefined || !view.snapshot.model.hostSources.has(host)) return undefined;
  }
  const hover = specHover({ snapshot: view.snapshot, schemas, file: view.file, position: local });
  return hover && { ...hover, range: hover.range && view.toOriginal(hover.range) };
}
