// Quick fixes for Nix diagnostics that carry an obvious replacement ("did you mean").

import { CodeActionKind, type CodeAction, type CodeActionParams } from 'vscode-languageserver/node';
import type { NixFixData } from './diagnostics';

export function nixCodeActions(params: CodeActionParams): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of params.context.diagnostics) {
    const data = d.data as NixFixData | undefined;
    if (!data || typeof data.replacement !== 'string') continue;
    actions.push({
      title: `Change to ${data.replacement}`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      isPreferred: true,
      edit: { changes: { [params.textDocument.uri]: [{ range: d.range, newText: data.replacement }] } },
    });
  }
  return actions;
}
