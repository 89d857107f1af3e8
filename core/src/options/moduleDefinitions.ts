// Where a NixOS module defines option values: walks `config` (or the whole module when it has no
// options/config split) through nested attribute sets, `a.b.c = …` paths and mkIf/mkMerge wrappers,
// yielding the full option path of every definition.

import type { AttrName, BindingOrInherit, Expr } from '../nix/ast';
import { attrNameText, bindingsOf, definitionValues, moduleBody, unparen } from '../nix/syntax';

/** One segment of a definition's path and where it is written. */
export interface PathSegment { name: string; start: number; end: number }

export interface Definition {
  path: PathSegment[];
  value: Expr;
}

/** Module attributes that are not option definitions. */
const MODULE_KEYS = new Set(['imports', '_file', 'key', 'disabledModules', 'meta', 'freeformType', '_class']);

/** The module's top attribute set, or undefined when the file is not a NixOS module (a flake, a package, …). */
export function moduleAttrs(root: Expr): BindingOrInherit[] | undefined {
  const top = unparen(root);
  const lambda = top.type === 'Lambda' ? top : undefined;
  const bindings = bindingsOf(moduleBody(root));
  if (!bindings) return undefined;
  const keys = new Set(bindings.flatMap((b) => (b.type === 'Binding' ? [attrNameText(b.path.attrs[0]) ?? ''] : [])));
  if (keys.has('outputs') || keys.has('inputs')) return undefined; // a flake
  const moduleArgs = lambda?.formals?.formals.some((f) => ['config', 'lib', 'pkgs', 'options', 'modulesPath'].includes(f.name.name));
  if (lambda && !moduleArgs && !lambda.formals?.ellipsis) return undefined;
  if (!lambda && !keys.has('options') && !keys.has('config') && !keys.has('imports')) return undefined;
  return bindings;
}

/**
 * Calls `visit` for every definition in the module, outermost first. `visit` returns false to not
 * descend into an attribute-set value (its keys are data, not options).
 */
export function walkDefinitions(root: Expr, visit: (def: Definition) => boolean | void): void {
  const attrs = moduleAttrs(root);
  if (!attrs) return;
  const split = attrs.some((b) => b.type === 'Binding' && ['config', 'options'].includes(attrNameText(b.path.attrs[0]) ?? ''));
  for (const b of attrs) {
    if (b.type !== 'Binding') continue;
    const path = segments(b.path.attrs);
    if (!path?.length || MODULE_KEYS.has(path[0].name)) continue;
    if (split) {
      if (path[0].name !== 'config') continue;
      walkValue(path.slice(1), b.value, visit);
    } else {
      walkValue(path, b.value, visit);
    }
  }
}

function walkValue(prefix: PathSegment[], value: Expr, visit: (def: Definition) => boolean | void): void {
  for (const v of definitionValues(value)) {
    if (prefix.length > 0 && visit({ path: prefix, value: v }) === false) continue;
    const e = unparen(v);
    if (e.type !== 'AttrSet' || e.rec) continue;
    for (const b of e.bindings) {
      if (b.type !== 'Binding') continue;
      const path = segments(b.path.attrs);
      if (path) walkValue([...prefix, ...path], b.value, visit);
    }
  }
}

function segments(attrs: AttrName[]): PathSegment[] | undefined {
  const out: PathSegment[] = [];
  for (const a of attrs) {
    const name = attrNameText(a);
    if (name === undefined) return undefined;
    out.push({ name, start: a.start, end: a.end });
  }
  return out;
}

/**
 * The option path written at `offset`: inside a definition's key (`services.ex|o.enable`) it is the
 * path up to that segment; inside an attribute-set value it is the path of that set (the keys that
 * may go there). Deeper definitions are visited later, so the last match is the innermost.
 */
export function optionPathAt(root: Expr, offset: number): { path: string[]; segment?: PathSegment; inKey: boolean } {
  let best: { path: string[]; segment?: PathSegment; inKey: boolean } = { path: [], inKey: false };
  walkDefinitions(root, (def) => {
    const seg = def.path.findIndex((s) => s.start <= offset && offset <= s.end);
    const v = unparen(def.value);
    if (seg >= 0) best = { path: def.path.slice(0, seg + 1).map((s) => s.name), segment: def.path[seg], inKey: true };
    else if (v.type === 'AttrSet' && v.start < offset && offset < v.end) best = { path: def.path.map((s) => s.name), inKey: false };
    // Deeper definitions lie inside this value: none can contain an offset outside it.
    return v.start <= offset && offset <= v.end;
  });
  return best;
}
