// `config.a.b.c` references to option values inside a module.

import { attrNameText, type Expr, nodePathAt } from '#core/nix';

/** The option path of the `config.…` select under `offset`, up to the segment the cursor is on. */
export function configReferenceAt(root: Expr, offset: number): { path: string[]; span: { start: number; end: number } } | undefined {
  const chain = nodePathAt(root, offset);
  for (let i = chain.length - 1; i >= 0; i--) {
    const node = chain[i];
    if (node.type !== 'Select' || node.expr.type !== 'Identifier' || node.expr.name !== 'config') continue;
    const names: string[] = [];
    for (const attr of node.path.attrs) {
      const name = attrNameText(attr);
      if (name === undefined) return undefined;
      names.push(name);
      if (attr.start <= offset && offset <= attr.end) return { path: names, span: attr };
    }
    return undefined;
  }
  return undefined;
}
