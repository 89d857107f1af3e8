// Diagnostics of a .nix file: syntax errors (several, from the error-tolerant parser), undefined
// variables, and option checks (unknown paths, wrongly typed literal values) in NixOS modules.

import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import { checkModuleOptions, type OptionDatabase } from '#core/options';
import { resolveVariables } from '#core/nix';
import type { ParsedNix } from './nixDocuments';

/** Data carried by a diagnostic so the quick fix needs no second analysis. */
export interface NixFixData {
  replacement: string;
}

/** `dbs`: the option database of the file's module set, or both NixOS's and nix-darwin's when it is not known. */
export function nixDiagnostics(doc: ParsedNix, dbs: OptionDatabase[]): Diagnostic[] {
  const range = (s: { start: number; end: number }) => doc.lines.rangeOf(s);
  const out: Diagnostic[] = doc.parsed.errors.map((e) => ({
    range: range(e),
    severity: DiagnosticSeverity.Error,
    code: e.code,
    source: 'nix',
    message: e.message,
  }));
  for (const u of resolveVariables(doc.parsed.root).undefinedNames) {
    out.push({
      range: range(u.span),
      severity: DiagnosticSeverity.Error,
      code: 'nix.undefined-variable',
      source: 'nix',
      message: `Undefined variable '${u.name}'.`,
    });
  }
  for (const p of checkModuleOptions(doc.parsed.root, dbs)) {
    const data: NixFixData | undefined = p.replacement !== undefined ? { replacement: p.replacement } : undefined;
    out.push({ range: range(p), severity: DiagnosticSeverity.Error, code: p.code, source: 'nixos-options', message: p.message, data });
  }
  return out;
}
