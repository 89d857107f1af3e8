// The Nix syntax tree as its readers see it. Nodes are views over the compact storage of tree.ts
// (made on demand, compared by `id`), without parent links; every node carries [start, end) UTF-16
// offsets into the parsed text. The tree keeps the surface syntax
// (parentheses, `a.b.c = …` paths, `inherit`, `<nixpkgs>`, unary minus, `let { }`), so
// editor features can map offsets to nodes; Nix's own desugaring lives in desugar.ts.

export interface Span {
  start: number;
  end: number;
}
/** What every node has: its range and its row in the tree (two views of one node share the id). */
export interface NodeBase extends Span {
  readonly id: number;
}

/** A literal run of text inside a string, indented string or path; `value` is after escapes and indentation stripping. */
export interface StringText extends NodeBase {
  type: 'StringText';
  value: string;
  /** `''\x` escape in an indented string (Nix keeps it out of indentation stripping). */ escape?: boolean;
}
/** `${ expr }` inside a string, indented string, path or attribute name. */
export interface Interpolation extends NodeBase {
  type: 'Interpolation';
  expr: Expr;
}
export type StringPart = StringText | Interpolation;

export interface Identifier extends NodeBase {
  type: 'Identifier';
  name: string;
}
export interface IntLit extends NodeBase {
  type: 'Int';
  /** Exact decimal value (Nix ints are 64-bit). */ value: bigint;
}
export interface FloatLit extends NodeBase {
  type: 'Float';
  value: number;
}
/** `"…"` */
export interface StringLit extends NodeBase {
  type: 'String';
  parts: StringPart[];
}
/** `''…''`; `parts` follow Nix's lexer tokens, already stripped of common indentation. */
export interface IndStringLit extends NodeBase {
  type: 'IndString';
  parts: StringPart[];
}
/** `./a`, `/a`, `~/a`, `a/b`, possibly interpolated (`./${x}.nix`); the first part is the raw path start. */
export interface PathLit extends NodeBase {
  type: 'Path';
  parts: StringPart[];
}
/** `<nixpkgs/lib>`; `value` without the angle brackets. */
export interface SearchPathLit extends NodeBase {
  type: 'SearchPath';
  value: string;
}
/** `https://example.org/x` (an unquoted URI is a string). */
export interface UriLit extends NodeBase {
  type: 'Uri';
  value: string;
}
export interface Paren extends NodeBase {
  type: 'Paren';
  expr: Expr;
}
export interface List extends NodeBase {
  type: 'List';
  elements: Expr[];
}
export interface AttrSet extends NodeBase {
  type: 'AttrSet';
  rec: boolean;
  bindings: BindingOrInherit[];
}
/** Legacy `let { …; body = …; }`. */
export interface LegacyLet extends NodeBase {
  type: 'LegacyLet';
  bindings: BindingOrInherit[];
}
export interface Let extends NodeBase {
  type: 'Let';
  bindings: BindingOrInherit[];
  body: Expr;
}
export interface With extends NodeBase {
  type: 'With';
  env: Expr;
  body: Expr;
}
export interface Assert extends NodeBase {
  type: 'Assert';
  cond: Expr;
  body: Expr;
}
export interface If extends NodeBase {
  type: 'If';
  cond: Expr;
  then: Expr;
  else: Expr;
}
/** `x: body`, `{ a, b ? 1, ... }: body`, `args@{ … }: body`, `{ … }@args: body`. */
export interface Lambda extends NodeBase {
  type: 'Lambda';
  param?: Identifier;
  formals?: Formals;
  body: Expr;
}
export interface Formals extends NodeBase {
  type: 'Formals';
  formals: Formal[];
  ellipsis: boolean;
}
export interface Formal extends NodeBase {
  type: 'Formal';
  name: Identifier;
  default?: Expr;
}
/** Function application of one argument (`f a b` is Apply(Apply(f, a), b)). */
export interface Apply extends NodeBase {
  type: 'Apply';
  fn: Expr;
  arg: Expr;
}
/** `e.a.b` or `e.a.b or default`. */
export interface Select extends NodeBase {
  type: 'Select';
  expr: Expr;
  path: AttrPath;
  default?: Expr;
}
/** `e ? a.b` */
export interface HasAttr extends NodeBase {
  type: 'HasAttr';
  expr: Expr;
  path: AttrPath;
}
export type BinaryOp = '->' | '||' | '&&' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '//' | '+' | '-' | '*' | '/' | '++' | '|>' | '<|';
export interface Binary extends NodeBase {
  type: 'Binary';
  op: BinaryOp;
  /** offset of the operator token */ opStart: number;
  left: Expr;
  right: Expr;
}
export interface Unary extends NodeBase {
  type: 'Unary';
  op: '!' | '-';
  expr: Expr;
}
/** Placeholder where the parser expected an expression (or name) and found none; always paired with an error. */
export interface Missing extends NodeBase {
  type: 'Missing';
}

export type Expr =
  | Identifier
  | IntLit
  | FloatLit
  | StringLit
  | IndStringLit
  | PathLit
  | SearchPathLit
  | UriLit
  | Paren
  | List
  | AttrSet
  | LegacyLet
  | Let
  | With
  | Assert
  | If
  | Lambda
  | Apply
  | Select
  | HasAttr
  | Binary
  | Unary
  | Missing;

/** One name in an attribute path: `a`, `"a b"`, `${e}`. */
export type AttrName = Identifier | StringLit | Interpolation | Missing;
export interface AttrPath extends NodeBase {
  type: 'AttrPath';
  attrs: AttrName[];
}
export interface Binding extends NodeBase {
  type: 'Binding';
  path: AttrPath;
  value: Expr;
  /** `/** … *\/` doc comment right before it */ doc?: Comment;
}
export interface Inherit extends NodeBase {
  type: 'Inherit';
  from?: Expr;
  attrs: AttrName[];
}
export type BindingOrInherit = Binding | Inherit;

export type Node = Expr | StringPart | AttrPath | Binding | Inherit | Formals | Formal;

export interface Comment extends Span {
  type: 'Comment';
  kind: 'line' | 'block' | 'doc';
  /** text without the delimiters */ text: string;
}

export interface NixSyntaxError extends Span {
  message: string;
  /** Stable code, e.g. `nix.unexpected`, `nix.duplicate-attr`. */
  code: string;
}

/** The direct children of a node, in source order. */
export function children(node: Node): Node[] {
  switch (node.type) {
    case 'Identifier':
    case 'Int':
    case 'Float':
    case 'SearchPath':
    case 'Uri':
    case 'Missing':
    case 'StringText':
      return [];
    case 'String':
    case 'IndString':
    case 'Path':
      return node.parts;
    case 'Interpolation':
    case 'Paren':
      return [node.expr];
    case 'List':
      return node.elements;
    case 'AttrSet':
    case 'LegacyLet':
      return node.bindings;
    case 'Let':
      return [...node.bindings, node.body];
    case 'With':
      return [node.env, node.body];
    case 'Assert':
      return [node.cond, node.body];
    case 'If':
      return [node.cond, node.then, node.else];
    case 'Lambda': {
      const out: Node[] = [];
      const paramFirst = node.param && (!node.formals || node.param.start < node.formals.start);
      if (paramFirst) out.push(node.param!);
      if (node.formals) out.push(node.formals);
      if (node.param && !paramFirst) out.push(node.param);
      out.push(node.body);
      return out;
    }
    case 'Formals':
      return node.formals;
    case 'Formal':
      return node.default ? [node.name, node.default] : [node.name];
    case 'Apply':
      return [node.fn, node.arg];
    case 'Select':
      return node.default ? [node.expr, node.path, node.default] : [node.expr, node.path];
    case 'HasAttr':
      return [node.expr, node.path];
    case 'Binary':
      return [node.left, node.right];
    case 'Unary':
      return [node.expr];
    case 'AttrPath':
      return node.attrs;
    case 'Binding':
      return [node.path, node.value];
    case 'Inherit':
      return node.from ? [node.from, ...node.attrs] : node.attrs;
  }
}

/**
 * Depth-first walk. `enter` may return false to skip a node's children; `leave` runs after them.
 * The parent is passed along since nodes carry no parent links. Iterative, so deep trees (long
 * operator chains) cannot overflow the stack.
 */
export function walk(
  node: Node,
  visitor: { enter?(node: Node, parent: Node | undefined): boolean | void; leave?(node: Node, parent: Node | undefined): void },
  parent?: Node,
): void {
  type Frame = { node: Node; parent: Node | undefined; kids: Node[] | undefined; next: number };
  const stack: Frame[] = [{ node, parent, kids: undefined, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.kids === undefined) {
      if (visitor.enter?.(top.node, top.parent) === false) {
        stack.pop();
        continue;
      }
      top.kids = children(top.node);
    }
    if (top.next < top.kids.length) {
      stack.push({ node: top.kids[top.next++], parent: top.node, kids: undefined, next: 0 });
      continue;
    }
    stack.pop();
    visitor.leave?.(top.node, top.parent);
  }
}

/** The chain of nodes from `root` down to the innermost node whose range contains `offset` (end inclusive). */
export function nodePathAt(root: Node, offset: number): Node[] {
  const path: Node[] = [];
  let node: Node | undefined = root;
  while (node && node.start <= offset && offset <= node.end) {
    path.push(node);
    node = children(node).find((c) => c.start <= offset && offset <= c.end && c.end > c.start);
  }
  return path;
}
