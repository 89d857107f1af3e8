// Public face of core/src/nix: error-tolerant Nix lexer/parser, AST views, scopes, the `nix-instantiate --parse` printer.
// Code outside core imports this module only through `#core/nix` (checked by scripts/check-imports.mjs).

export { type BindingOrInherit, children, type Expr, type Node, nodePathAt, walk } from './ast';
export { parseNix, type ParseResult } from './parser';
export { resolveVariables } from './scope';
export { attrNameText, unparen } from './syntax';
