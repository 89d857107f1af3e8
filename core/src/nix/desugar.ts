// How Nix turns bindings into an attribute set: parser.y's addAttr. `a.b = 1; a.c = 2;` nests and
// merges, an explicit `a = { … };` merges with `a.x = …` (keeping only the first set's dynamic
// attributes, as Nix does), and clashes are errors. The parser uses it to report what Nix rejects;
// the `--parse` printer uses the merged structure it builds.
import type { AttrName, AttrSet, BindingOrInherit, Expr, LegacyLet, Let, NixSyntaxError, Span } from './ast';

export interface NixAttrDef {
  value: Expr | NixAttrs;
  /** `inherit x;` (not `inherit (e) x;`, which Nix stores as the selection `(e).x`). */
  inherited: boolean;
  /** For `inherit (e) x;`: e. */
  from?: Expr;
}

export interface NixAttrs {
  type: 'NixAttrs';
  rec: boolean;
  attrs: Map<string, NixAttrDef>;
  dynamic: { name: AttrName; value: Expr | NixAttrs }[];
}

/** Builds (and caches) the merged attribute model of attribute sets, so merges see earlier merges. */
export class AttrsBuilder {
  /** By node id: views of one node are distinct objects. */
  private readonly cache = new Map<number, NixAttrs>();
  constructor(private readonly errors?: NixSyntaxError[]) {}

  modelOf(node: AttrSet | LegacyLet | Let): NixAttrs {
    let model = this.cache.get(node.id);
    if (!model) {
      model = this.build(node.bindings, node.type === 'LegacyLet' || (node.type === 'AttrSet' && node.rec));
      this.cache.set(node.id, model);
    }
    return model;
  }

  private report(at: Span, message: string, code: string): void {
    this.errors?.push({ start: at.start, end: at.end, message, code });
  }

  private build(bindings: BindingOrInherit[], rec: boolean): NixAttrs {
    const model: NixAttrs = { type: 'NixAttrs', rec, attrs: new Map(), dynamic: [] };
    for (const b of bindings) {
      if (b.type === 'Inherit') {
        for (const name of b.attrs) {
          if (name.type === 'Missing') continue;
          const key = staticAttrName(name);
          if (key === undefined) {
            this.report(name, 'dynamic attributes not allowed in inherit', 'nix.dynamic-inherit');
            continue;
          }
          if (model.attrs.has(key)) {
            this.report(name, `attribute '${key}' already defined`, 'nix.duplicate-attr');
            continue;
          }
          model.attrs.set(
            key,
            b.from
              ? { value: b.from, inherited: false, from: b.from }
              : { value: { type: 'Identifier', id: name.id, start: name.start, end: name.end, name: key }, inherited: true },
          );
        }
        continue;
      }
      if (b.path.attrs.some((a) => a.type === 'Missing') || b.value.type === 'Missing') continue;
      this.addAttr(model, b.path.attrs, b.value, b.path);
    }
    return model;
  }

  /** The attribute set an entry's value denotes, if it is one (Nix sees through parentheses). */
  private attrsOf(value: Expr | NixAttrs): NixAttrs | undefined {
    if (value.type === 'NixAttrs') return value;
    const e = unparen(value);
    return e.type === 'AttrSet' ? this.modelOf(e) : undefined;
  }

  private addAttr(model: NixAttrs, path: AttrName[], value: Expr, at: Span): void {
    let cur = model;
    const dup = () => this.report(at, `attribute '${path.map(showAttrNameForMessage).join('.')}' already defined`, 'nix.duplicate-attr');
    for (let i = 0; i < path.length - 1; i++) {
      const key = staticAttrName(path[i]);
      if (key === undefined) {
        const nested: NixAttrs = { type: 'NixAttrs', rec: false, attrs: new Map(), dynamic: [] };
        cur.dynamic.push({ name: path[i], value: nested });
        cur = nested;
        continue;
      }
      const existing = cur.attrs.get(key);
      if (existing) {
        const inner = existing.inherited ? undefined : this.attrsOf(existing.value);
        if (!inner) return dup();
        existing.value = inner;
        cur = inner;
      } else {
        const nested: NixAttrs = { type: 'NixAttrs', rec: false, attrs: new Map(), dynamic: [] };
        cur.attrs.set(key, { value: nested, inherited: false });
        cur = nested;
      }
    }
    const last = path[path.length - 1];
    const key = staticAttrName(last);
    if (key === undefined) {
      cur.dynamic.push({ name: last, value });
      return;
    }
    const existing = cur.attrs.get(key);
    if (!existing) {
      cur.attrs.set(key, { value, inherited: false });
      return;
    }
    const target = existing.inherited ? undefined : this.attrsOf(existing.value);
    const added = this.attrsOf(value);
    if (!target || !added) return dup();
    existing.value = target;
    for (const [k, def] of added.attrs) {
      if (target.attrs.has(k)) {
        this.report(at, `attribute '${k}' already defined`, 'nix.duplicate-attr');
        return;
      }
      target.attrs.set(k, def);
    }
  }
}

export function unparen(e: Expr): Expr {
  while (e.type === 'Paren') e = e.expr;
  return e;
}

/** The string an expression is when Nix's parser sees a plain string constant (else undefined). */
export function staticString(expr: Expr): string | undefined {
  const e = unparen(expr);
  switch (e.type) {
    case 'String': {
      let s = '';
      for (const p of e.parts) {
        if (p.type !== 'StringText') return undefined;
        s += p.value;
      }
      return s;
    }
    case 'IndString':
      if (e.parts.length === 0) return '';
      return e.parts.length === 1 && e.parts[0].type === 'StringText' ? e.parts[0].value : undefined;
    case 'Uri':
      return e.value;
  }
  return undefined;
}

/** The name of a static attribute (`a`, `"a"`, `${"a"}`), or undefined for a dynamic one. */
export function staticAttrName(name: AttrName): string | undefined {
  switch (name.type) {
    case 'Identifier':
      return name.name;
    case 'String':
      return staticString(name);
    case 'Interpolation':
      return staticString(name.expr);
  }
  return undefined;
}

function showAttrNameForMessage(name: AttrName): string {
  return staticAttrName(name) ?? '${…}';
}

/** Parser hook: report what Nix rejects in the bindings of a set or `let` (duplicates, dynamic names in `let`). */
export function checkBindings(node: AttrSet | LegacyLet | Let, builder: AttrsBuilder, errors: NixSyntaxError[]): void {
  const model = builder.modelOf(node);
  if (node.type === 'Let') {
    for (const d of model.dynamic)
      errors.push({ start: d.name.start, end: d.name.end, message: 'dynamic attributes not allowed in let', code: 'nix.dynamic-let' });
  }
}
