// Variable scopes: which identifiers are bound where (let, rec, lambda arguments and formals, inherit,
// builtins), so a name bound nowhere is reported, and a name's binding can be found. Inside `with e;`
// any name may come from `e`, so nothing there is reported as undefined.

import type { AttrName, BindingOrInherit, Expr, Identifier, Span } from './ast';
import { attrNameText } from './syntax';

/** Names Nix binds globally (Nix 2.8's `builtins` exposed at top level, plus the constants). */
const GLOBALS = new Set([
  'abort',
  'baseNameOf',
  'break',
  'builtins',
  'derivation',
  'derivationStrict',
  'dirOf',
  'false',
  'fetchGit',
  'fetchMercurial',
  'fetchTarball',
  'fetchTree',
  'fromTOML',
  'import',
  'isNull',
  'map',
  'null',
  'placeholder',
  'removeAttrs',
  'scopedImport',
  'throw',
  'toString',
  'true',
]);

export interface VariableUse {
  name: string;
  span: Span;
  binding?: Span;
}

/** Every variable reference with the span of its binding (undefined: bound nowhere, or maybe by a `with`). */
export function resolveVariables(root: Expr): { uses: VariableUse[]; undefinedNames: VariableUse[] } {
  const uses: VariableUse[] = [];
  const undefinedNames: VariableUse[] = [];
  const visit = (e: Expr, scope: Scope): void => {
    switch (e.type) {
      case 'Identifier': {
        const binding = scope.lookup(e.name);
        const use: VariableUse = { name: e.name, span: e, binding: binding ?? undefined };
        uses.push(use);
        if (binding === undefined && !scope.underWith && !GLOBALS.has(e.name) && !e.name.startsWith('__')) undefinedNames.push(use);
        return;
      }
      case 'Int':
      case 'Float':
      case 'SearchPath':
      case 'Uri':
      case 'Missing':
        return;
      case 'String':
      case 'IndString':
      case 'Path':
        for (const p of e.parts) if (p.type === 'Interpolation') visit(p.expr, scope);
        return;
      case 'Paren':
        visit(e.expr, scope);
        return;
      case 'List':
        for (const el of e.elements) visit(el, scope);
        return;
      case 'AttrSet': {
        const inner = e.rec ? scope.child(boundNames(e.bindings)) : scope;
        visitBindings(e.bindings, inner, scope);
        return;
      }
      case 'LegacyLet': {
        const inner = scope.child(boundNames(e.bindings));
        visitBindings(e.bindings, inner, inner);
        return;
      }
      case 'Let': {
        const inner = scope.child(boundNames(e.bindings));
        visitBindings(e.bindings, inner, inner);
        visit(e.body, inner);
        return;
      }
      case 'With':
        visit(e.env, scope);
        visit(e.body, scope.withScope());
        return;
      case 'Assert':
        visit(e.cond, scope);
        visit(e.body, scope);
        return;
      case 'If':
        visit(e.cond, scope);
        visit(e.then, scope);
        visit(e.else, scope);
        return;
      case 'Lambda': {
        const names = new Map<string, Span>();
        if (e.param) names.set(e.param.name, e.param);
        for (const f of e.formals?.formals ?? []) names.set(f.name.name, f.name);
        const inner = scope.child(names);
        for (const f of e.formals?.formals ?? []) if (f.default) visit(f.default, inner);
        visit(e.body, inner);
        return;
      }
      case 'Apply':
        visit(e.fn, scope);
        visit(e.arg, scope);
        return;
      case 'Select':
        visit(e.expr, scope);
        visitAttrNames(e.path.attrs, scope);
        if (e.default) visit(e.default, scope);
        return;
      case 'HasAttr':
        visit(e.expr, scope);
        visitAttrNames(e.path.attrs, scope);
        return;
      case 'Binary':
        visit(e.left, scope);
        visit(e.right, scope);
        return;
      case 'Unary':
        visit(e.expr, scope);
        return;
    }
  };
  /** Binding values see `valueScope`; `inherit x` reads x from `inheritScope` (the enclosing one). */
  const visitBindings = (bindings: BindingOrInherit[], valueScope: Scope, inheritScope: Scope) => {
    for (const b of bindings) {
      if (b.type === 'Binding') {
        visitAttrNames(b.path.attrs, valueScope);
        visit(b.value, valueScope);
      } else if (b.from) {
        visit(b.from, inheritScope);
      } else {
        for (const a of b.attrs) if (a.type === 'Identifier') visit(a, inheritScope);
      }
    }
  };
  const visitAttrNames = (attrs: AttrName[], scope: Scope) => {
    for (const a of attrs) {
      if (a.type === 'Interpolation') visit(a.expr, scope);
      else if (a.type === 'String') visit(a, scope);
    }
  };
  visit(root, Scope.root());
  return { uses, undefinedNames };
}

/** Names a set of bindings introduces (the first segment of each path, and inherited names). */
function boundNames(bindings: BindingOrInherit[]): Map<string, Span> {
  const names = new Map<string, Span>();
  for (const b of bindings) {
    const attrs: AttrName[] = b.type === 'Binding' ? [b.path.attrs[0]] : b.attrs;
    for (const a of attrs) {
      const name = a && attrNameText(a);
      if (name !== undefined && !names.has(name)) names.set(name, a as Identifier);
    }
  }
  return names;
}

class Scope {
  private constructor(
    private readonly names: Map<string, Span>,
    private readonly parent: Scope | undefined,
    readonly underWith: boolean,
  ) {}

  static root(): Scope {
    return new Scope(new Map(), undefined, false);
  }

  child(names: Map<string, Span>): Scope {
    return new Scope(names, this, this.underWith);
  }

  withScope(): Scope {
    return new Scope(new Map(), this, true);
  }

  lookup(name: string): Span | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const hit = s.names.get(name);
      if (hit) return hit;
    }
    return undefined;
  }
}
