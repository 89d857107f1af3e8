// Quick fixes: the fixes spec-core attaches to its diagnostics (did-you-mean, missing key, …), offered for
// the diagnostics under the cursor or selection.

import { CodeActionKind, type CodeAction, type CodeActionContext, type Range } from 'vscode-languageserver/node';
import type { SpecDiagnostic } from '#core/spec';
import { fixToWorkspaceEdit, toLspDiagnostic } from './convert';
import type { SpecSnapshot } from '#core/validate';

export function specCodeActions(snapshot: SpecSnapshot, uri: string, range: Range, context: CodeActionContext): CodeAction[] {
  if (
    context.only &&
    !context.only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`) || k === CodeActionKind.Empty)
  )
    return [];
  // Prefer the diagnostics the client sent; fall back to every fixable one overlapping the range.
  const requested = new Set(context.diagnostics.map((d) => `${d.code}\u0000${d.message}`));
  const candidates = (snapshot.diagnostics.get(uri) ?? []).filter((d) => d.fixes?.length && overlaps(d.range, range));
  const chosen = requested.size ? candidates.filter((d) => requested.has(`${d.code}\u0000${d.message}`)) : candidates;
  return chosen.flatMap((d: SpecDiagnostic) =>
    d.fixes!.map((fix): CodeAction => ({
      title: fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [toLspDiagnostic(d)],
      isPreferred: fix.preferred,
      edit: fixToWorkspaceEdit(fix),
    })),
  );
}

function before(a: { line: number; character: number }, b: { line: number; character: number }): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

function overlaps(a: Range, b: Range): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}
