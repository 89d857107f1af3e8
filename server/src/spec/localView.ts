// A first hover on a big cluster.yaml, before its model exists (parsing 5 MiB takes seconds): a small spec made
// of the host item under the cursor and the file's other small sections (cluster, defaults, exo, …), parsed on
// its own. The schema's documentation and the host's own facts (system, roles, GPUs, VRAM) come out the same;
// facts that need the other hosts wait for the full model, which the next requests build.

import type { Position, Range } from 'vscode-languageserver/node';
import { buildModel, forgetParsedFile, type ParsedSpecFile, parseSpecFile } from '#core/spec';
import type { SpecSnapshot } from '#core/validate';

/** Sections larger than this (a long network.links) are left out of the local view. */
const MAX_SECTION_CHARS = 64 * 1024;

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

/** The local view at `offset`, or undefined when the offset is not inside an item of a block `hosts:` list. */
export function localHostView(uri: string, text: string, offset: number): LocalView | undefined {
  const headerAt = topLevelKeys(text, 0, text.length).find((at) =>
    /^hosts[ \t]*:[ \t]*(#.*)?\r?$/.test(text.slice(at, text.indexOf('\n', at) >>> 0)),
  );
  if (headerAt === undefined) return undefined;
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

  // the other top-level sections, when small: before `hosts:` and after its list
  const sections: string[] = [];
  const collect = (from: number, to: number) => {
    const starts = topLevelKeys(text, from, to);
    starts.forEach((start, i) => {
      const end = i + 1 < starts.length ? starts[i + 1] : to;
      if (end - start <= MAX_SECTION_CHARS) sections.push(text.slice(start, end).replace(/\n?$/, '\n'));
    });
  };
  collect(0, headerAt);
  collect(sectionEnd, text.length);
  const prefix = `${sections.join('')}hosts:\n`;
  const localText = prefix + text.slice(itemStart, itemEnd);
  const localUri = `${uri}#local-view`;
  const file = parseSpecFile(localUri, localText, 0, 'cluster');
  forgetParsedFile(localUri);
  const shift = countLines(text, itemStart) - countLines(prefix, prefix.length);
  const model = buildModel([file]);
  const snapshot: SpecSnapshot = {
    root: localUri,
    generation: -1,
    model,
    diagnostics: new Map(),
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
