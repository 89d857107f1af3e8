// Error-tolerant Nix parser (the grammar of Nix's parser.y/lexer.l, 2.8 semantics).
import type { Comment, Expr, NixSyntaxError } from './ast';

export interface ParseOptions {
  /** Accept `|>` and `<|` (Nix's experimental pipe-operators feature). Off by default, as in Nix 2.8. */
  pipeOperators?: boolean;
}

export interface ParseResult {
  root: Expr;
  errors: NixSyntaxError[];
  comments: Comment[];
}

export function parseNix(text: string, options: ParseOptions = {}): ParseResult {
  void text; void options;
  throw new Error('parseNix: not implemented yet');
}
