// Validation entry points. `validateFile` (syntax + schema) depends on one file only and is cached per
// parsed file object: re-validating an unchanged file costs nothing. `validateModel` runs the semantic
// rules across all files. `validateAll` is both, for the CLI and tests.

import type { ParsedSpecFile, SpecDiagnostic, SpecModel } from '../spec/model';
import { schemaDiagnostics, schemaProblems } from './schema';
import { semanticDiagnostics } from './semantic';
import { k3sDiagnostics } from './k3s';

const fileCache = new WeakMap<ParsedSpecFile, SpecDiagnostic[]>();

/** Syntax and schema diagnostics of one file. */
export function validateFile(parsed: ParsedSpecFile): SpecDiagnostic[] {
  const cached = fileCache.get(parsed);
  if (cached) return cached;
  const out = [...parsed.syntaxDiagnostics];
  const refused = parsed.data === undefined && parsed.syntaxDiagnostics.some((d) => d.severity === 'error');
  const notAMap = parsed.syntaxDiagnostics.some((d) => d.code === 'yaml.not-a-map');
  if (!refused && !notAMap) {
    // an empty file is an empty map: report what it lacks rather than "expected a map, got null"
    const data = parsed.data === null || parsed.data === undefined ? {} : parsed.data;
    out.push(...schemaDiagnostics(parsed, schemaProblems(parsed.kind, data)));
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
  const all = [...semanticDiagnostics(model), ...k3sDiagnostics(model)];
  return broken.size ? all.filter((d) => !broken.has(d.uri)) : all;
}

/** Every diagnostic of a model, sorted by file and position. */
export function validateAll(model: SpecModel): SpecDiagnostic[] {
  const all = [...model.files.flatMap(validateFile), ...validateModel(model)];
  return all.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character));
}

export { schemaDiagnostics, schemaProblems } from './schema';
export { semanticDiagnostics } from './semantic';
