// Parses one spec file into plain data plus a position map, guarding against hostile input (huge files,
// binary bytes, deep nesting, alias bombs). Never throws: every problem becomes a diagnostic.
//
// A large cluster.yaml is parsed in chunks (each top-level section, and each item of `hosts:`), and chunks
// whose text did not change since the previous parse of the same uri are reused as they were, data object
// included. That keeps a one-line edit of a 2,000-host file cheap, and lets validators cache per host by
// object identity. The chunked parse is only used when it provably equals a whole-document parse (no
// anchors, directives or document markers, every chunk parses cleanly to exactly the expected shape);
// otherwise the file is parsed whole.

import { Composer, Parser, isAlias, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { CST, Document, Node as YamlNode, YAMLError } from 'yaml';
import { LineIndex } from '../util/lineIndex';
import type { ParsedSpecFile, Range, SpecDiagnostic, SpecFileKind } from './model';
import { parsePlainYaml } from './plainYaml';

/** Resource limits; exported so tests and callers can see (not change) what they are. */
export const PARSE_LIMITS = {
  /** Parsing past this blocks for seconds (YAML parses at roughly 1 MB/s); about 12,000 hosts. */
  maxBytes: 5 * 1024 * 1024,
  /** Real specs nest fewer than 10 levels; the parser and every walker recurse per level. */
  maxDepth: 64,
  /**
   * Nodes that aliases may add to the data, counted as if every alias were replaced by a copy of its anchor.
   * It is the expanded size that makes an alias bomb, not how often an anchor is used: a fleet of 110 hosts
   * sharing `*leaf-disks` adds a few thousand nodes, nine levels of nine-fold aliases add 387 million.
   */
  maxAliasExpansion: 500_000,
  /** Control characters reported one by one before the rest are summarised. */
  maxControlCharacterDiagnostics: 20,
} as const;

/** Files below this are always parsed whole; chunking only pays off on big cluster files. */
const CHUNKING_MIN_CHARS = 16 * 1024;

export function inferSpecFileKind(uri: string): SpecFileKind {
  return /(^|[\\/])hosts[\\/][^\\/]+\.ya?ml$/i.test(uri) ? 'host' : 'cluster';
}

type Span = [number, number];

/** One independently parsed piece of text; `base` is where it starts in the file. */
interface Chunk {
  text: string;
  doc: Document.Parsed;
  /** The chunk's plain data (a one-key object for sections, a one-item array for host items). */
  data: unknown;
  errors: YAMLError[];
  warnings: YAMLError[];
}
interface PlacedChunk {
  chunk: Chunk;
  base: number;
}

/** The previous parse's chunks per uri, keyed by chunk text. Only the latest version of each uri is kept. */
const chunkCache = new Map<string, Map<string, Chunk>>();

/** Forgets the cached chunks of a file (call when its document is closed). */
export function forgetParsedFile(uri: string): void {
  chunkCache.delete(uri);
}

/** A file that was refused before parsing (not a regular file, too large): in the model, with no data. */
export function refusedSpecFile(uri: string, kind: SpecFileKind, problem: SpecDiagnostic): ParsedSpecFile {
  const lines = new LineIndex('');
  return {
    uri,
    version: 0,
    kind,
    text: '',
    syntaxDiagnostics: [problem],
    data: undefined,
    locate: () => undefined,
    locateOffsets: () => undefined,
    pathAt: () => undefined,
    offsetAt: () => 0,
    positionAt: (o) => lines.positionAt(Math.max(0, Math.min(o, 0))),
  };
}

export interface ParseOptions {
  /**
   * Drop the YAML syntax tree once the data is read, and parse again only if a position is asked for. For
   * validating many files at once (the server's worker): most files need no position, and thousands of
   * retained trees made the garbage collector the largest cost.
   */
  positionsOnDemand?: boolean;
}

export function parseSpecFile(
  uri: string,
  text: string,
  version: number,
  kind: SpecFileKind = inferSpecFileKind(uri),
  options: ParseOptions = {},
): ParsedSpecFile {
  const lines = new LineIndex(text);
  const diagnostics: SpecDiagnostic[] = [];
  const diag = (span: Span, code: string, message: string, severity: SpecDiagnostic['severity'] = 'error') =>
    diagnostics.push({ uri, range: lines.rangeOf({ start: span[0], end: span[1] }), severity, code, message });

  const result = (data: unknown, root: Root | undefined): ParsedSpecFile => ({
    uri,
    version,
    kind,
    text,
    syntaxDiagnostics: diagnostics,
    data,
    locate: (path) => (root ? root.locate(path) : undefined),
    locateOffsets: (path) => (root ? root.locateSpan(path) : undefined),
    pathAt: (offset) => (root ? root.pathAt(offset) : undefined),
    offsetAt: (p) => Math.min(text.length, lines.offsetAt(p)),
    positionAt: (o) => lines.positionAt(Math.max(0, Math.min(o, text.length))),
  });

  try {
    const bytes = text.length * 3 < PARSE_LIMITS.maxBytes ? text.length : Buffer.byteLength(text, 'utf8');
    if (bytes > PARSE_LIMITS.maxBytes) {
      diag(
        [0, 0],
        'yaml.too-large',
        `File is ${(bytes / 1048576).toFixed(1)} MiB; spec files larger than ${PARSE_LIMITS.maxBytes / 1048576} MiB are not parsed. Split hosts into hosts/<name>.yaml files.`,
      );
      return result(undefined, undefined);
    }
    const nul = text.indexOf('\u0000');
    if (nul >= 0) {
      diag([nul, nul + 1], 'yaml.binary', 'File contains NUL bytes: it looks binary, not YAML text; it was not parsed.');
      return result(undefined, undefined);
    }
    reportControlCharacters(text, diag);

    const previous = chunkCache.get(uri);
    const next = new Map<string, Chunk>();
    let root: Root | undefined;
    let data: unknown;
    const chunked = kind === 'cluster' && text.length >= CHUNKING_MIN_CHARS ? tryChunkedParse(text, lines, previous, next) : undefined;
    if (chunked) {
      root = chunked.root;
      data = chunked.data;
      for (const d of chunked.duplicateKeys)
        diag(d, 'yaml.duplicate-key', `Map keys must be unique; '${text.slice(d[0], d[1])}' appears more than once.`);
      for (const { chunk, base } of chunked.chunks)
        for (const w of chunk.warnings) diag([w.pos[0] + base, w.pos[1] + base], 'yaml.warning', w.message, 'warning');
      chunkCache.set(uri, next);
    } else if (options.positionsOnDemand && (data = parsePlainYaml(text)) !== undefined) {
      // positions come from a full parse on first use; the data is the same (see plainYaml.ts)
      chunkCache.delete(uri);
      root = new OnDemandRoot(text, lines);
    } else {
      chunkCache.delete(uri);
      const parsed = parseChunk(text, diag);
      if (!parsed) return result(undefined, undefined);
      for (const e of parsed.errors) diag(e.pos, yamlErrorCode(e), e.message);
      for (const w of parsed.warnings) diag(w.pos, 'yaml.warning', w.message, 'warning');
      root = options.positionsOnDemand ? new OnDemandRoot(text, lines) : new DocumentRoot(parsed.doc, text.length, lines);
      data = parsed.data;
    }
    if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
      diagnostics.push({
        uri,
        range: root.locate([])!.value,
        severity: 'error',
        code: 'yaml.not-a-map',
        message: `A ${kind} file must be a map of keys (like \`${kind === 'host' ? 'name: gpu-1' : 'cluster:'}\`), not ${Array.isArray(data) ? 'a list' : 'a single value'}.`,
      });
    }
    return result(data, root);
  } catch (err) {
    // Defence in depth: the guards above should make this unreachable, but a parser bug must not take the server down.
    diag([0, 0], 'yaml.internal', `The file could not be parsed: ${(err as Error).message}`);
    return result(undefined, undefined);
  }
}

function reportControlCharacters(text: string, diag: (span: Span, code: string, message: string) => void): void {
  const control = /[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/g;
  let count = 0;
  let m: RegExpExecArray | null;
  while ((m = control.exec(text))) {
    count++;
    if (count <= PARSE_LIMITS.maxControlCharacterDiagnostics) {
      const ch =
        m[0] === '\uFFFD'
          ? 'an undecodable byte (U+FFFD)'
          : `control character U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      diag(
        [m.index, m.index + 1],
        'yaml.control-character',
        `Unexpected ${ch}; YAML text may not contain it (is this file binary or in another encoding?).`,
      );
    }
  }
  if (count > PARSE_LIMITS.maxControlCharacterDiagnostics) {
    diag(
      [0, 0],
      'yaml.control-character',
      `${count} control characters in total; only the first ${PARSE_LIMITS.maxControlCharacterDiagnostics} are marked.`,
    );
  }
}

function yamlErrorCode(e: YAMLError): string {
  return e.code === 'DUPLICATE_KEY' ? 'yaml.duplicate-key' : 'yaml.syntax';
}

/**
 * Parses YAML text with the depth and alias guards. Returns undefined (after reporting) when the text is
 * refused; otherwise the first document, its data and its errors (positions relative to `text`).
 */
function parseChunk(text: string, diag?: (span: Span, code: string, message: string) => void): Chunk | undefined {
  // Stop reading at a second document: only the first is used, and lexing a million `---` takes seconds.
  const tokens: CST.Token[] = [];
  let documents = 0;
  for (const token of new Parser().parse(text)) {
    if (token.type === 'document' && ++documents > 1) {
      tokens.push(token);
      break;
    }
    tokens.push(token);
  }
  const tooDeep = findTooDeep(tokens);
  if (tooDeep !== undefined) {
    diag?.(
      [tooDeep, tooDeep + 1],
      'yaml.too-deep',
      `Nesting is deeper than ${PARSE_LIMITS.maxDepth} levels here; the file was not parsed (a spec needs fewer than 10).`,
    );
    return undefined;
  }
  // Only the first document is read: composing a million `---` documents just to ignore them would hang.
  const firstDoc = tokens.findIndex((t) => t.type === 'document');
  const secondDoc = firstDoc < 0 ? -1 : tokens.findIndex((t, i) => i > firstDoc && t.type === 'document');
  let firstDocTokens = tokens;
  if (secondDoc > 0) {
    let cut = secondDoc;
    while (cut > 0 && tokens[cut - 1].type === 'directive') cut--;
    firstDocTokens = tokens.slice(0, cut);
  }
  // uniqueKeys is checked below in linear time; the yaml package's own check is quadratic in the keys of a map
  const doc = Array.from(
    new Composer({ prettyErrors: false, merge: true, uniqueKeys: false }).compose(firstDocTokens, true),
  )[0] as Document.Parsed;
  const errors = [...doc.errors, ...duplicateKeys(doc)];
  const warnings = [...doc.warnings];
  if (secondDoc > 0) {
    const at = tokens[secondDoc].offset;
    errors.push({
      pos: [at, Math.min(text.length, at + 3)],
      code: 'MULTIPLE_DOCS',
      name: 'YAMLParseError',
      message: 'Only one YAML document per file is read; everything from this second document on is ignored.',
    } as YAMLError);
  }
  // no `*name` anywhere: no alias, nothing to expand (and no walk over a big document)
  const expansion = /(^|[\s[{,:-])\*[^\s,[\]{}]/.test(text) ? aliasExpansion(doc) : { added: 0 };
  if (expansion.cycle || expansion.added > PARSE_LIMITS.maxAliasExpansion) {
    if (!diag) return undefined;
    const alias = expansion.cycle ?? firstAliasOffset(doc);
    diag(
      [alias, alias + 1],
      'yaml.alias-limit',
      expansion.cycle
        ? 'This alias refers to a node that contains it: the data would be infinite; the file was not read.'
        : `Aliases expand the data by more than ${PARSE_LIMITS.maxAliasExpansion.toLocaleString('en')} nodes (an alias bomb); the file was not read.`,
    );
    return undefined;
  }
  // The expansion was measured above; the yaml package's own guard counts uses, which refuses honest reuse.
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    // an alias without its anchor
    if (!diag) return undefined;
    const alias = firstAliasOffset(doc);
    diag([alias, alias + 1], 'yaml.syntax', `${(err as Error).message}; the file was not read.`);
    return undefined;
  }
  return { text, doc, data, errors, warnings };
}

/** Keys repeated in a map (one error per repeat, on the repeated key), in linear time. */
function duplicateKeys(doc: Document.Parsed): YAMLError[] {
  const found: YAMLError[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && key.value !== '<<') {
          const name = String(key.value);
          if (seen.has(name) && key.range) {
            found.push({
              pos: [key.range[0], key.range[1]],
              code: 'DUPLICATE_KEY',
              name: 'YAMLParseError',
              message: `Map keys must be unique; '${name}' appears more than once.`,
            } as YAMLError);
          }
          seen.add(name);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return found;
}

/** Offset of the first collection nested deeper than the limit, walking the CST without recursion. */
function findTooDeep(tokens: CST.Token[]): number | undefined {
  const stack: { token: CST.Token | null | undefined; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length) {
    const { token, depth } = stack.pop()!;
    if (!token) continue;
    switch (token.type) {
      case 'document':
        stack.push({ token: token.value, depth });
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (depth + 1 > PARSE_LIMITS.maxDepth) return token.offset;
        for (const item of token.items) {
          if ('key' in item && item.key) stack.push({ token: item.key, depth: depth + 1 });
          if (item.value) stack.push({ token: item.value, depth: depth + 1 });
        }
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

/** The anchor each alias refers to (the last one of its name before it), found in one walk of the document. */
const aliasTargets = new WeakMap<Document.Parsed, Map<YamlNode, YamlNode | undefined>>();

/**
 * The node an alias refers to. The yaml package's Alias.resolve walks the whole document on every call, so
 * resolving one alias per diagnostic was quadratic (9 hosts sharing an 8,000-address anchor: 44 s).
 */
function resolveAlias(doc: Document.Parsed, alias: YamlNode): YamlNode | undefined {
  let targets = aliasTargets.get(doc);
  if (!targets) {
    targets = new Map();
    const anchors = new Map<string, YamlNode>();
    const walked = targets;
    visit(doc, {
      Node(_key, node) {
        if (isAlias(node)) walked.set(node, anchors.get(node.source));
        else if (node.anchor) anchors.set(node.anchor, node);
      },
    });
    aliasTargets.set(doc, targets);
  }
  return targets.get(alias);
}

/**
 * How many nodes aliases add when expanded, without expanding them: each node's expanded size, computed once
 * in post-order (an alias's anchor comes before it in the document, so its size is known when the alias is
 * reached — unless the anchor contains the alias, a cycle, whose offset is returned).
 */
function aliasExpansion(doc: Document.Parsed): { added: number; cycle?: number } {
  const size = new Map<unknown, number>();
  let sourceNodes = 0;
  let expanded = 0;
  const stack: { node: unknown; done: boolean }[] = [{ node: doc.contents, done: false }];
  const open = new Set<unknown>();
  while (stack.length) {
    const top = stack.pop()!;
    const node = top.node;
    if (node === null || node === undefined) continue;
    if (isAlias(node)) {
      const target = resolveAlias(doc, node);
      if (target && open.has(target)) return { added: Infinity, cycle: node.range?.[0] ?? 0 };
      const n = target ? (size.get(target) ?? 1) : 1;
      size.set(node, n);
      sourceNodes++;
      continue;
    }
    const children: unknown[] = isMap(node)
      ? node.items.flatMap((p) => [p.key, p.value])
      : isSeq(node)
        ? node.items
        : isPair(node)
          ? [node.key, node.value]
          : [];
    if (!top.done) {
      sourceNodes++;
      if (!children.length) {
        size.set(node, 1);
        continue;
      }
      open.add(node);
      stack.push({ node, done: true });
      for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i], done: false });
      continue;
    }
    open.delete(node);
    let total = 1;
    for (const child of children) total += child === null || child === undefined ? 0 : (size.get(child) ?? 1);
    size.set(node, total);
    if (total > Number.MAX_SAFE_INTEGER / 2) return { added: Infinity };
  }
  expanded = doc.contents ? (size.get(doc.contents) ?? 0) : 0;
  return { added: Math.max(0, expanded - sourceNodes) };
}

function firstAliasOffset(doc: Document.Parsed): number {
  let first = Infinity;
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const n = stack.pop();
    if (isAlias(n)) first = Math.min(first, n.range?.[0] ?? first);
    else if (isMap(n) || isSeq(n)) for (const item of n.items as unknown[]) stack.push(item);
    else if (isPair(n)) stack.push(n.key, n.value);
  }
  return first === Infinity ? doc.range[0] : first;
}

// ---------------------------------------------------------------------------------------------------------
// Chunked parsing of large cluster files.

interface ChunkedParse {
  root: Root;
  data: Record<string, unknown>;
  chunks: PlacedChunk[];
  duplicateKeys: Span[];
}

const MAX_CHUNKED_SECTIONS = 64;
const topLevelKeyLine = /^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t\r\n]|$)/;

function tryChunkedParse(
  text: string,
  lines: LineIndex,
  previous: Map<string, Chunk> | undefined,
  next: Map<string, Chunk>,
): ChunkedParse | undefined {
  // Anchors could be referenced from another chunk; markers and directives change document structure.
  if (/(^|[\s[{,])&[^\s,[\]{}]/.test(text) || /^(---|\.\.\.|%)/m.test(text)) return undefined;

  // Split into top-level sections at lines that start a top-level key.
  const sections: { key: string; start: number; end: number }[] = [];
  let lineStart = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark stays in the first chunk
  while (lineStart < text.length) {
    const nl = text.indexOf('\n', lineStart);
    const lineEnd = nl < 0 ? text.length : nl + 1;
    const c = text.charCodeAt(lineStart);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 35 /* # */) {
      if (
        c === 45 /* - */ &&
        (text.charCodeAt(lineStart + 1) === 32 || text.charCodeAt(lineStart + 1) === 10 || text.charCodeAt(lineStart + 1) === 13)
      ) {
        // a sequence item at column 0: only valid inside `hosts:` (checked below)
        if (!sections.length) return undefined;
      } else {
        const m = topLevelKeyLine.exec(text.slice(lineStart, Math.min(lineEnd, lineStart + 200)));
        if (!m) return undefined;
        if (sections.length) sections[sections.length - 1].end = lineStart;
        sections.push({ key: m[1], start: lineStart, end: text.length });
      }
    }
    lineStart = lineEnd;
  }
  // A spec has about ten sections; thousands of top-level keys is no spec, and one parse serves it better.
  if (!sections.length || sections.length > MAX_CHUNKED_SECTIONS) return undefined;
  sections[0].start = 0; // leading comments belong to the first section

  const take = (start: number, end: number, expect: (c: Chunk) => boolean): PlacedChunk | undefined => {
    const slice = text.slice(start, end);
    let chunk = previous?.get(slice) ?? next.get(slice);
    if (!chunk) {
      chunk = parseChunk(slice);
      if (!chunk || chunk.errors.length || !expect(chunk)) return undefined;
    }
    next.set(slice, chunk);
    return { chunk, base: start };
  };

  const data: Record<string, unknown> = {};
  const placedSections = new Map<string, PlacedChunk>();
  const chunks: PlacedChunk[] = [];
  const duplicateKeys: Span[] = [];
  let hostItems: PlacedChunk[] | undefined;
  let hostsHeader: PlacedChunk | undefined;
  for (const s of sections) {
    if (s.key === 'hosts' && !placedSections.has('hosts')) {
      const split = splitHostItems(text, s.start, s.end);
      if (split) {
        const header = take(s.start, split.itemsStart, (c) => isOneKeyMap(c, 'hosts'));
        if (!header) return undefined;
        const items: PlacedChunk[] = [];
        for (const [a, b] of split.items) {
          const item = take(a, b, (c) => isSeq(c.doc.contents) && c.doc.contents.items.length === 1);
          if (!item) return undefined;
          items.push(item);
        }
        hostsHeader = header;
        hostItems = items;
        placedSections.set('hosts', header);
        chunks.push(header, ...items);
        data.hosts = items.map((i) => (i.chunk.data as unknown[])[0]);
        continue;
      }
    }
    const placed = take(s.start, s.end, (c) => isOneKeyMap(c, s.key));
    if (!placed) return undefined;
    if (placedSections.has(s.key)) {
      duplicateKeys.push([s.start, s.start + s.key.length]);
      continue;
    }
    placedSections.set(s.key, placed);
    chunks.push(placed);
    data[s.key] = (placed.chunk.data as Record<string, unknown>)[s.key];
  }
  return { root: new ChunkedRoot(text.length, lines, placedSections, hostsHeader, hostItems), data, chunks, duplicateKeys };
}

function isOneKeyMap(c: Chunk, key: string): boolean {
  const m = c.doc.contents;
  return isMap(m) && m.items.length === 1 && isScalar(m.items[0].key) && m.items[0].key.value === key;
}

/** Splits the block sequence of a `hosts:` section into its items; undefined when it is not a plain block sequence. */
function splitHostItems(text: string, start: number, end: number): { itemsStart: number; items: Span[] } | undefined {
  const headerEnd = text.indexOf('\n', start);
  if (headerEnd < 0 || headerEnd >= end) return undefined;
  if (!/^hosts[ \t]*:[ \t]*(#.*)?\r?$/.test(text.slice(start, headerEnd))) return undefined;
  let itemIndent = -1;
  const items: Span[] = [];
  let lineStart = headerEnd + 1;
  let itemsStart = -1;
  while (lineStart < end) {
    const nl = text.indexOf('\n', lineStart);
    const lineEnd = nl < 0 || nl >= end ? end : nl + 1;
    let indent = 0;
    while (text.charCodeAt(lineStart + indent) === 32) indent++;
    const c = text.charCodeAt(lineStart + indent);
    const blank = c === 10 || c === 13 || c === 35 /* # */ || lineStart + indent >= lineEnd;
    if (!blank) {
      if (text.charCodeAt(lineStart + indent) === 9) return undefined; // tabs in indentation: let the parser judge
      const isItem = c === 45 /* - */ && [32, 10, 13].includes(text.charCodeAt(lineStart + indent + 1));
      if (itemIndent < 0) {
        if (!isItem) return undefined;
        itemIndent = indent;
        itemsStart = lineStart;
      }
      if (indent === itemIndent && isItem) {
        if (items.length) items[items.length - 1][1] = lineStart;
        items.push([lineStart, end]);
      } else if (indent <= itemIndent) {
        return undefined;
      }
    }
    lineStart = lineEnd;
  }
  if (!items.length) return undefined;
  return { itemsStart, items };
}

// ---------------------------------------------------------------------------------------------------------
// Position maps over the parsed nodes.

interface Root {
  locate(path: readonly (string | number)[]): { key?: Range; value: Range } | undefined;
  locateSpan(path: readonly (string | number)[]): SpanLocation | undefined;
  pathAt(offset: number): { path: (string | number)[]; onKey: boolean } | undefined;
}

type SpanLocation = { key?: Span; value: Span; viaAlias?: boolean };

function nodeSpan(node: YamlNode | null | undefined, base: number, fallback: number): Span {
  const r = node?.range;
  return r ? [r[0] + base, r[1] + base] : [fallback, fallback];
}

/** Walks `path` down from `node`; ranges are shifted by `base`. */
function locateFrom(
  node: unknown,
  doc: Document.Parsed,
  base: number,
  path: readonly (string | number)[],
  from: number,
): SpanLocation | undefined {
  let current = node;
  let location: SpanLocation | undefined;
  // A path through an alias ends on the alias: that is where this part of the data is written for this path
  // (the anchor's lines belong to the place that defines it).
  let alias: SpanLocation | undefined;
  for (let i = from; i < path.length; i++) {
    if (isAlias(current)) {
      alias ??= location;
      current = resolveAlias(doc, current);
    }
    const seg = path[i];
    if (isMap(current)) {
      const want = String(seg);
      let pair: (typeof current.items)[number] | undefined;
      for (const p of current.items) {
        const k = p.key as { value?: unknown } | null;
        if (k && isScalar(k) && (k.value === want || String(k.value) === want)) {
          pair = p;
          break;
        }
      }
      if (!pair) return undefined;
      const keySpan = nodeSpan(pair.key as YamlNode, base, 0);
      const valueNode = pair.value as YamlNode | null;
      location = { key: keySpan, value: valueNode?.range ? nodeSpan(valueNode, base, keySpan[1]) : [keySpan[1], keySpan[1]] };
      current = valueNode;
    } else if (isSeq(current) && typeof seg === 'number') {
      const item = current.items[seg] as YamlNode | undefined;
      if (!item) return undefined;
      location = { value: nodeSpan(item, base, 0) };
      current = item;
    } else {
      return undefined;
    }
  }
  return alias ? { ...alias, viaAlias: true } : location;
}

function pathFrom(node: unknown, base: number, offset: number, prefix: (string | number)[]): { path: (string | number)[]; onKey: boolean } {
  const path = prefix;
  let current = node;
  for (;;) {
    if (isMap(current)) {
      let next: unknown;
      for (const pair of current.items) {
        const k = pair.key as YamlNode | null;
        const v = pair.value as YamlNode | null;
        if (k?.range && offset >= k.range[0] + base && offset <= k.range[1] + base) {
          path.push(isScalar(k) ? String(k.value) : '');
          return { path, onKey: true };
        }
        if (v?.range && offset >= v.range[0] + base && offset <= v.range[1] + base) {
          path.push(isScalar(k) ? String(k.value) : '');
          next = v;
          break;
        }
      }
      if (next === undefined) return { path, onKey: false };
      current = next;
    } else if (isSeq(current)) {
      const idx = current.items.findIndex((it) => {
        const r = (it as YamlNode | null)?.range;
        return r && offset >= r[0] + base && offset <= r[1] + base;
      });
      if (idx < 0) return { path, onKey: false };
      path.push(idx);
      current = current.items[idx];
    } else {
      return { path, onKey: false };
    }
  }
}

class DocumentRoot implements Root {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly length: number,
    private readonly lines: LineIndex,
  ) {}
  locate(path: readonly (string | number)[]) {
    const loc = this.locateSpan(path);
    return loc && toRanges(loc, this.lines);
  }
  locateSpan(path: readonly (string | number)[]): SpanLocation | undefined {
    return path.length === 0
      ? { value: nodeSpan(this.doc.contents as YamlNode, 0, 0) }
      : locateFrom(this.doc.contents, this.doc, 0, path, 0);
  }
  pathAt(offset: number) {
    if (offset < 0 || offset > this.length) return undefined;
    return pathFrom(this.doc.contents, 0, offset, []);
  }
}

/** A DocumentRoot made from a fresh parse of the text on first use (see ParseOptions.positionsOnDemand). */
class OnDemandRoot implements Root {
  private root: Root | undefined;
  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
  ) {}
  private get(): Root {
    return (this.root ??= new DocumentRoot(parseChunk(this.text)!.doc, this.text.length, this.lines));
  }
  locate(path: readonly (string | number)[]) {
    return this.get().locate(path);
  }
  locateSpan(path: readonly (string | number)[]) {
    return this.get().locateSpan(path);
  }
  pathAt(offset: number) {
    return this.get().pathAt(offset);
  }
}

class ChunkedRoot implements Root {
  private readonly ordered: { key: string; placed: PlacedChunk }[];
  constructor(
    private readonly length: number,
    private readonly lines: LineIndex,
    private readonly sections: Map<string, PlacedChunk>,
    private readonly hostsHeader: PlacedChunk | undefined,
    private readonly hostItems: PlacedChunk[] | undefined,
  ) {
    this.ordered = [...sections].map(([key, placed]) => ({ key, placed })).sort((a, b) => a.placed.base - b.placed.base);
  }
  locate(path: readonly (string | number)[]) {
    const loc = this.locateSpan(path);
    return loc && toRanges(loc, this.lines);
  }
  locateSpan(path: readonly (string | number)[]): SpanLocation | undefined {
    if (path.length === 0) return { value: [0, this.length] };
    const key = String(path[0]);
    if (key === 'hosts' && this.hostItems && this.hostsHeader) {
      const header = this.hostsHeader;
      const keySpan = nodeSpan((header.chunk.doc.contents as any).items[0].key, header.base, 0);
      const first = this.hostItems[0];
      const last = this.hostItems[this.hostItems.length - 1];
      const firstSeq = first.chunk.doc.contents as YamlNode;
      const lastSeq = last.chunk.doc.contents as YamlNode;
      if (path.length === 1) return { key: keySpan, value: [firstSeq.range![0] + first.base, lastSeq.range![1] + last.base] };
      const item = typeof path[1] === 'number' ? this.hostItems[path[1]] : undefined;
      if (!item) return undefined;
      return locateFrom(item.chunk.doc.contents, item.chunk.doc, item.base, [0, ...path.slice(2)], 0);
    }
    const placed = this.sections.get(key);
    if (!placed) return undefined;
    return locateFrom(placed.chunk.doc.contents, placed.chunk.doc, placed.base, path, 0);
  }
  pathAt(offset: number) {
    if (offset < 0 || offset > this.length) return undefined;
    if (this.hostItems?.length) {
      const items = this.hostItems;
      const firstBase = items[0].base;
      const end = items[items.length - 1].base + items[items.length - 1].chunk.text.length;
      if (offset >= firstBase && offset < end) {
        let lo = 0,
          hi = items.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (items[mid].base <= offset) lo = mid;
          else hi = mid - 1;
        }
        const found = pathFrom(items[lo].chunk.doc.contents, items[lo].base, offset, []);
        if (found.path.length === 0) return { path: ['hosts'], onKey: false };
        return { path: ['hosts', lo, ...found.path.slice(1)], onKey: found.onKey };
      }
    }
    let section: PlacedChunk | undefined;
    for (const s of this.ordered) if (s.placed.base <= offset) section = s.placed;
    if (!section) return { path: [], onKey: false };
    return pathFrom(section.chunk.doc.contents, section.base, offset, []);
  }
}

function toRanges(loc: SpanLocation, lines: LineIndex): { key?: Range; value: Range; viaAlias?: boolean } {
  const ranges = {
    key: loc.key && lines.rangeOf({ start: loc.key[0], end: loc.key[1] }),
    value: lines.rangeOf({ start: loc.value[0], end: loc.value[1] }),
  };
  return loc.viaAlias ? { ...ranges, viaAlias: true } : ranges;
}
