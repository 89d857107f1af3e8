// Go to definition in .nix files: from an option (definition key or `config.` reference) to its
// `mkOption` declaration (nix-templates/ or a workspace module), and from a variable to its binding.

import type { Location } from 'vscode-languageserver/node';
import type { OptionDatabase } from '#core/options';
import { resolveVariables } from '#core/nix';
import { optionTargetAt } from './hover';
import type { ParsedNix } from './nixDocuments';

export function nixDefinition(doc: ParsedNix, offset: number, db: OptionDatabase): Location[] | null {
  const target = optionTargetAt(doc, offset);
  if (target) {
    const found = db.lookup(target.path);
    if (found.status !== 'option') return null;
    const locations = found.decl.declarations
      .filter((d) => d.file.startsWith('file:') && d.line !== undefined)
      .map((d) => ({
        uri: d.file,
        range: {
          start: { line: d.line!, character: d.character ?? 0 },
          end: { line: d.endLine ?? d.line!, character: d.endCharacter ?? d.character ?? 0 },
        },
      }));
    return locations.length ? locations : null;
  }
  const use = resolveVariables(doc.parsed.root).uses.find((u) => u.span.start <= offset && offset <= u.span.end);
  if (use?.binding) return [{ uri: doc.uri, range: doc.lines.rangeOf(use.binding) }];
  return null;
}
