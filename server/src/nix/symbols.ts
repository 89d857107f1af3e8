// Outline of a .nix file (bindings of attribute sets and let blocks, nested) and its folding ranges.

import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange } from 'vscode-languageserver/node';
import { attrNameText, type BindingOrInherit, children, type Expr, type Node, unparen, walk } from '#core/nix';
import type { ParsedNix } from './nixDocuments';

export function nixDocumentSymbols(doc: ParsedNix): DocumentSymbol[] {
  const range = (s: { start: number; end: number }) => doc.lines.rangeOf(s);
  const fromBindings = (bindings: BindingOrInherit[], variable: boolean): DocumentSymbol[] => {
    const out: DocumentSymbol[] = [];
    for (const b of bindings) {
      if (b.type === 'Inherit') {
        for (const a of b.attrs) {
          const name = attrNameText(a);
          if (name) out.push({ name, kind: SymbolKind.Variable, detail: 'inherit', range: range(b), selectionRange: range(a) });
        }
        continue;
      }
      const name = b.path.attrs.map((a) => attrNameText(a) ?? '${…}').join('.');
      const value = unparen(b.value);
      out.push({
        name: name || '?',
        kind:
          value.type === 'Lambda'
            ? SymbolKind.Function
            : value.type === 'AttrSet'
              ? SymbolKind.Object
              : variable
                ? SymbolKind.Variable
                : SymbolKind.Field,
        range: range(b),
        selectionRange: range(b.path),
        children: symbolsIn(value),
      });
    }
    return out;
  };
  /** Symbols of the sets and lets directly inside an expression (through lambdas, with, function calls). */
  const symbolsIn = (e: Expr): DocumentSymbol[] => {
    const v = unparen(e);
    switch (v.type) {
      case 'AttrSet':
        return fromBindings(v.bindings, false);
      case 'LegacyLet':
        return fromBindings(v.bindings, true);
      case 'Let':
        return [...fromBindings(v.bindings, true), ...symbolsIn(v.body)];
      case 'Lambda':
      case 'With':
      case 'Assert':
        return symbolsIn(v.body);
      case 'Apply':
        return [...symbolsIn(v.fn), ...symbolsIn(v.arg)];
      default:
        return [];
    }
  };
  return symbolsIn(doc.parsed.root);
}

const FOLDABLE = new Set<Node['type']>(['AttrSet', 'List', 'Let', 'LegacyLet', 'IndString', 'Formals']);

export function nixFoldingRanges(doc: ParsedNix): FoldingRange[] {
  const out: FoldingRange[] = [];
  const add = (start: number, end: number, kind?: FoldingRangeKind) => {
    const s = doc.lines.positionAt(start).line;
    const e = doc.lines.positionAt(end).line;
    if (e > s) out.push({ startLine: s, endLine: kind === FoldingRangeKind.Comment ? e : e - 1, kind });
  };
  walk(doc.parsed.root, {
    enter(node) {
      if (FOLDABLE.has(node.type)) add(node.start, node.end);
      return children(node).length > 0;
    },
  });
  for (const c of doc.parsed.comments) if (c.kind !== 'line') add(c.start, c.end, FoldingRangeKind.Comment);
  // Runs of line comments fold together.
  let runStart = -1;
  let runEnd = -1;
  for (const c of doc.parsed.comments.filter((c) => c.kind === 'line')) {
    const line = doc.lines.positionAt(c.start).line;
    if (runStart >= 0 && line === doc.lines.positionAt(runEnd).line + 1) {
      runEnd = c.start;
      continue;
    }
    if (runStart >= 0) add(runStart, runEnd, FoldingRangeKind.Comment);
    runStart = c.start;
    runEnd = c.start;
  }
  if (runStart >= 0) add(runStart, runEnd, FoldingRangeKind.Comment);
  return out;
}
