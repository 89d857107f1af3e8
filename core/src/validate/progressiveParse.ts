// Parsing a big cluster.yaml without blocking the language server (or the extension host): parseSpecFile is synchronous, and a first parse
// of a 2,000-host file takes about a second. But it reuses, per uri, every chunk (top-level section, host
// item) whose text it parsed last time. So the file is parsed in growing prefixes cut where host items
// start, yielding to the event loop in between: each prefix parses only the hosts it adds, and the final
// whole-text parse reuses them all. Validating each prefix likewise fills core's per-host schema cache.

import type { ParsedSpecFile, SpecFileKind } from '../spec/model';
import { PARSE_LIMITS, parseSpecFile } from '../spec/parse';
import { validateFile } from './validate';

/** Below this, or when most of the text is unchanged, one parse is quick enough. */
const PROGRESSIVE_MIN_CHARS = 256 * 1024;
/** At most this many steps, of at least this many hosts each. */
const MAX_STEPS = 10;
const MIN_STEP_ITEMS = 100;

/** Offsets where the items of a top-level block `hosts:` sequence start (empty if there is none). */
export function hostItemStarts(text: string): number[] {
  const header = /^hosts[ \t]*:[ \t]*(#.*)?\r?$/m.exec(text);
  if (!header) return [];
  const starts: number[] = [];
  let itemIndent: string | undefined;
  let lineStart = header.index + header[0].length + 1;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const c = text[lineStart];
    if (c !== '\n' && c !== '\r' && c !== '#') {
      const indent = /^ */.exec(text.slice(lineStart, Math.min(lineEnd, lineStart + 64)))![0];
      const rest = text.slice(lineStart + indent.length, lineStart + indent.length + 2);
      const isItem = rest === '- ' || rest === '-\n' || rest === '-\r' || rest === '-';
      if (indent.length === 0 && !isItem) break; // the next top-level key
      if (isItem && (itemIndent === undefined || indent === itemIndent)) {
        itemIndent = indent;
        starts.push(lineStart);
      }
    }
    lineStart = lineEnd + 1;
  }
  return starts;
}

/** Length of the text both strings share at the start and at the end. */
function unchangedEnds(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let head = 0;
  while (head < max && a.charCodeAt(head) === b.charCodeAt(head)) head++;
  let tail = 0;
  while (tail < max - head && a.charCodeAt(a.length - 1 - tail) === b.charCodeAt(b.length - 1 - tail)) tail++;
  return head + tail;
}

/**
 * parseSpecFile, in steps when the text is a big cluster file that mostly differs from `previousText`
 * (the last text parsed for this uri). `pause` yields to the event loop, and throws to abandon the parse.
 * `validatePrefixes` (when the caller validates afterwards) warms the schema cache on the way.
 */
export async function parseProgressively(
  uri: string,
  text: string,
  version: number,
  kind: SpecFileKind,
  previousText: string | undefined,
  pause: () => Promise<void>,
  validatePrefixes = true,
): Promise<ParsedSpecFile> {
  // A file over the size limit is refused at once by the parser: no prefix of it is worth parsing.
  const tooLarge = Buffer.byteLength(text, 'utf8') > PARSE_LIMITS.maxBytes;
  const mostlyUnchanged = previousText !== undefined && text.length - unchangedEnds(previousText, text) < PROGRESSIVE_MIN_CHARS;
  if (kind !== 'cluster' || text.length < PROGRESSIVE_MIN_CHARS || tooLarge || mostlyUnchanged)
    return parseSpecFile(uri, text, version, kind);
  const starts = hostItemStarts(text);
  // Each step re-reads its whole prefix to split it, so the number of steps is bounded: the work grows
  // with steps² and the pauses between steps only need to be short, not tiny.
  const step = Math.max(MIN_STEP_ITEMS, Math.ceil(starts.length / MAX_STEPS));
  const cuts: number[] = [];
  // The sections before `hosts:` (a long `network.links` is one chunk) each get a step of their own.
  for (const m of text.matchAll(/^[A-Za-z_][\w-]*[ \t]*:/gm))
    if (m.index > 0 && (!starts.length || m.index < starts[0])) cuts.push(m.index);
  for (let i = step; i < starts.length; i += step) cuts.push(starts[i]);
  for (const cut of cuts) {
    const prefix = parseSpecFile(uri, text.slice(0, cut), version, kind);
    if (validatePrefixes) validateFile(prefix);
    await pause();
  }
  return parseSpecFile(uri, text, version, kind);
}
