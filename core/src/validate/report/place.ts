// Turns "this path in this file" into a diagnostic range: the key, the value, or the first line of a
// multi-line value; when the path does not exist (a missing key), its nearest existing ancestor.

import type { Fix, ParsedSpecFile, Range, SpecDiagnostic } from '../../spec/model';
import { scalarTextRange } from '../../spec/workspace';

export type Placement = 'key' | 'value' | 'first-line';

const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function firstLine(file: ParsedSpecFile, r: Range): Range {
  if (r.start.line === r.end.line) return r;
  const startOffset = file.offsetAt(r.start);
  const nl = file.text.indexOf('\n', startOffset);
  const end = nl < 0 ? file.text.length : nl;
  return { start: r.start, end: file.positionAt(end > startOffset && file.text[end - 1] === '\r' ? end - 1 : end) };
}

export interface Placed {
  range: Range;
  /** The path itself exists (not an ancestor). */
  exact: boolean;
  /** The exact range of the key or value (without quotes), for quick fixes; only when exact. */
  target?: Range;
}

export function place(file: ParsedSpecFile, path: readonly (string | number)[], on: Placement): Placed {
  let at = path;
  let loc = file.locate(at);
  while (!loc && at.length) {
    at = at.slice(0, -1);
    loc = file.locate(at);
  }
  if (!loc) return { range: START, exact: false };
  // on the alias that stands for the value: no quick fix may rewrite the alias
  if (loc.viaAlias) return { range: firstLine(file, loc.value), exact: false };
  const exact = at.length === path.length;
  if (!exact || on === 'key') return { range: loc.key ?? firstLine(file, loc.value), exact, target: exact ? loc.key : undefined };
  if (on === 'first-line') return { range: firstLine(file, loc.value), exact };
  // a wrong block (map or list) is marked on its key rather than over all its lines
  const range = loc.value.start.line !== loc.value.end.line && loc.key ? loc.key : loc.value;
  return { range, exact, target: loc.value };
}

/** A quick fix replacing the text of a scalar (keeping its quotes). */
export function replaceFix(file: ParsedSpecFile, range: Range, newText: string, quoted = true): Fix {
  return {
    title: `Change to '${newText}'`,
    preferred: true,
    edits: [{ uri: file.uri, edits: [{ range: quoted ? scalarTextRange(file, range) : range, newText }] }],
  };
}

export function diagnostic(
  file: ParsedSpecFile,
  range: Range,
  severity: SpecDiagnostic['severity'],
  code: string,
  message: string,
): SpecDiagnostic {
  return { uri: file.uri, range, severity, code, message };
}
