// Hover in .nix files: an option's type, default, example, description and declaration, on a
// definition key (`services.exo.apiPort = …`) or a `config.…` reference.

import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import { type OptionDatabase, optionPathAt } from '#core/options';
import { optionMarkdown } from './completion';
import { configReferenceAt } from './configReference';
import type { ParsedNix } from './nixDocuments';

export function nixHover(doc: ParsedNix, offset: number, db: OptionDatabase, source: string): Hover | null {
  const target = optionTargetAt(doc, offset);
  if (!target) return null;
  const found = db.lookup(target.path);
  const range = doc.lines.rangeOf(target.span);
  if (found.status === 'option') {
    return { contents: { kind: MarkupKind.Markdown, value: optionMarkdown(found.decl, source) }, range };
  }
  if (found.status === 'group') {
    const count = db.childrenOf(target.path).length;
    return { contents: { kind: MarkupKind.Markdown, value: `**${target.path.join('.')}**\n\nA set of ${count} options.` }, range };
  }
  return null;
}

/** The option path named at `offset`: a definition key segment or a `config.a.b` reference. */
export function optionTargetAt(doc: ParsedNix, offset: number): { path: string[]; span: { start: number; end: number } } | undefined {
  const ref = configReferenceAt(doc.parsed.root, offset);
  if (ref) return ref;
  const at = optionPathAt(doc.parsed.root, offset);
  return at.inKey && at.segment ? { path: at.path, span: at.segment } : undefined;
}
