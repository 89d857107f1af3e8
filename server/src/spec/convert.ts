// Spec-core values (core/src/spec/model.ts) to LSP values. Ranges and positions already have the LSP shape.

import { DiagnosticSeverity, type Diagnostic, type Location, type WorkspaceEdit } from 'vscode-languageserver/node';
import type { Fix, SpecDiagnostic, SpecSymbol } from '#core/spec';

const SEVERITY: Record<SpecDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export const DIAGNOSTIC_SOURCE = 'gpu-cluster';

/** What a published diagnostic carries in `data` (the client sends it back with a code action request). */
export interface DiagnosticData {
  fixes: Fix[];
}

export function toLspDiagnostic(d: SpecDiagnostic): Diagnostic {
  const out: Diagnostic = { range: d.range, severity: SEVERITY[d.severity], code: d.code, source: DIAGNOSTIC_SOURCE, message: d.message };
  if (d.related?.length) out.relatedInformation = d.related.map((r) => ({ location: r.location, message: r.message }));
  // the quick fixes travel with the diagnostic: a big spec's are computed on the worker, which keeps no snapshot here
  if (d.fixes?.length) out.data = { fixes: d.fixes } satisfies DiagnosticData;
  return out;
}

export function toLocation(s: SpecSymbol): Location {
  return { uri: s.location.uri, range: s.location.range };
}

export function fixToWorkspaceEdit(fix: Fix): WorkspaceEdit {
  const changes: NonNullable<WorkspaceEdit['changes']> = {};
  for (const { uri, edits } of fix.edits) (changes[uri] ??= []).push(...edits);
  return { changes };
}
