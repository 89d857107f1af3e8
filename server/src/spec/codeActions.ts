// Quick fixes: the fixes spec-core attaches to its diagnostics (did-you-mean, missing key, …), offered for
// the diagnostics under the cursor or selection. The fixes travel in each published diagnostic's `data`, so the
// diagnostics the client sends back are enough (a big spec is validated on the worker: there is no validated
// snapshot to look them up in); without them, the snapshot's diagnostics overlapping the range are used.

import { CodeActionKind, type CodeAction, type CodeActionContext, type Diagnostic, type Range } from 'vscode-languageserver/node';
import type { Fix, SpecDiagnostic } from '#core/spec';
import { type DiagnosticData, DIAGNOSTIC_SOURCE, fixToWorkspaceEdit, toLspDiagnostic } from './convert';
import type { SpecSnapshot } from '#core/validate';

/** Whether the client asks for quick fixes at all (`only` filters by kind). */
export function wantsQuickFixes(context: CodeActionContext): boolean {
  return (
    !context.only ||
    context.only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`) || k === CodeActionKind.Empty)
  );
}

/** The fixes the client's diagnostics carry, or undefined when none of ours carries any (an older client drops `data`). */
export function codeActionsFromContext(context: CodeActionContext): CodeAction[] | undefined {
  const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
  const withFixes = ours.filter((d) => Array.isArray((d.data as DiagnosticData | undefined)?.fixes));
  if (!withFixes.length) return undefined;
  return withFixes.flatMap((d) => (d.data as DiagnosticData).fixes.map((fix) => action(fix, d)));
}

function action(fix: Fix, diagnostic: Diagnostic): CodeAction {
  return {
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: fix.preferred,
    edit: fixToWorkspaceEdit(fix),
  };
}

export function specCodeActions(snapshot: SpecSnapshot, uri: string, range: Range, context: CodeActionContext): CodeAction[] {
  if (!wantsQuickFixes(context)) return [];
  // Prefer the diagnostics the client sent; fall back to every fixable one overlapping the range.
  const requested = new Set(context.diagnostics.map((d) => `${d.code}\u0000${d.message}`));
  const candidates = (snapshot.diagnostics.get(uri) ?? []).filter((d) => d.fixes?.length && overlaps(d.range, range));
  const chosen = requested.size ? candidates.filter((d) => requested.has(`${d.code}\u0000${d.message}`)) : candidates;
  return chosen.flatMap((d: SpecDiagnostic) => d.fixes!.map((fix) => action(fix, toLspDiagnostic(d))));
}

function before(a: { line: number; character: number }, b: { line: number; character: number }): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

function overlaps(a: Range, b: Range): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}
