// Validation entry points. `validateFile` (syntax + schema) depends on one file only and is cached per
// parsed file object: re-validating an unchanged file costs nothing. `validateModel` runs the semantic
// rules across all files. `validateAll` is both, for the CLI and tests.

import type { ParsedSpecFile, SpecDiagnostic, SpecModel } from '../spec/model';
import { schemaDiagnostics, schemaProblems } from './schema';
import { semanticDiagnostics } from './rules/index';

const fileCache = new WeakMap<ParsedSpecFile, SpecDiagnostic[]>();

/** Syntax and schema diagnostics of one file. */
export function validateFile(parsed: ParsedSpecFile): SpecDiagnostic[] {
  const cached = fileCache.get(parsed);
  if (cached) return cached;
  // concat, never push(...list): a list of 100,000 diagnostics as call arguments overflows the stack
  let out = [...parsed.syntaxDiagnostics];
  const refused = parsed.data === undefined && parsed.syntaxDiagnostics.some((d) => d.severity === 'error');
  const notAMap = parsed.syntaxDiagnostics.some((d) => d.code === 'yaml.not-a-map');
  if (!refused && !notAMap) {
    // an empty file is an empty map: report what it lacks rather than "expected a map, got null"
    const data = parsed.data === null || parsed.data === undefined ? {} : parsed.data;
    out = out.concat(schemaDiagnostics(parsed, schemaProblems(parsed.kind, data)));
  }
  fileCache.set(parsed, out);
  return out;
}

/**
 * Semantic diagnostics across the model's files. None are placed in a file with YAML syntax errors: its
 * data is partial, so "missing" hosts or references there would only repeat the syntax error.
 */
export function validateModel(model: SpecModel): SpecDiagnostic[] {
  const broken = new Set(model.files.filter((f) => f.syntaxDiagnostics.some((d) => d.severity === 'error')).map((f) => f.uri));
  const all = semanticDiagnostics(model);
  return broken.size ? all.filter((d) => !broken.has(d.uri)) : all;
}

/** Every diagnostic of a model, sorted by file and position. */
export function validateAll(model: SpecModel): SpecDiagnostic[] {
  const all = model.files.flatMap(validateFile).concat(validateModel(model));
  return all.sort((a, b) =>
    a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
}

export { schemaDiagnostics, schemaProblems } from './schema';
export { semanticDiagnostics } from './rules/index';

/** Diagnostics shown per file; the rest are summed up in one more. Editors and terminals choke on more. */
export const MAX_DIAGNOSTICS_PER_FILE = 1000;

const SEVERITY_ORDER: SpecDiagnostic['severity'][] = ['error', 'warning', 'information', 'hint'];

/**
 * The first `max` diagnostics of each file (in the order given) and, for a file with more, a last one at the
 * start of the file that counts what was left out by severity; it has the severity of the worst left out.
 */
export function capPerFile(diagnostics: readonly SpecDiagnostic[], max = MAX_DIAGNOSTICS_PER_FILE): SpecDiagnostic[] {
  const shown = new Map<string, number>();
  const hidden = new Map<string, Map<SpecDiagnostic['severity'], number>>();
  const out: SpecDiagnostic[] = [];
  for (const d of diagnostics) {
    const n = shown.get(d.uri) ?? 0;
    if (n < max) {
      shown.set(d.uri, n + 1);
      out.push(d);
      continue;
    }
    let counts = hidden.get(d.uri);
    if (!counts) hidden.set(d.uri, (counts = new Map()));
    counts.set(d.severity, (counts.get(d.severity) ?? 0) + 1);
  }
  for (const [uri, counts] of hidden) {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const severity = SEVERITY_ORDER.find((s) => counts.has(s))!;
    const parts = SEVERITY_ORDER.filter((s) => counts.has(s)).map(
      (s) => `${counts.get(s)} ${s}${counts.get(s) === 1 ? '' : s === 'information' ? '' : 's'}`,
    );
    out.push({
      uri,
      severity,
      code: 'spec.too-many-problems',
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      message: `${total} more problem${total === 1 ? '' : 's'} in this file (${parts.join(', ')}) not listed: only the first ${max} are shown. Fix these and validate again.`,
    });
  }
  return out;
}
