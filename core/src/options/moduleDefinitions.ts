// Where a NixOS module defines option values: walks `config` (or the whole module when it has no
// options/config split) through nested attribute sets, `a.b.c = …` paths and mkIf/mkMerge wrappers,
// yielding the full option path of every definition.

import type { AttrName, BindingOrInherit, Expr } from '../nix/ast';
import { attrNameText, definitionValues, moduleBody, unparen } from '../nix/syntax';
import { KNOWN_TOP_LEVEL } from './facts';

/** One segment of a definition's path and where it is written. */
export interface PathSegment {
  name: string;
  start: number;
  end: number;
}

export interface Definition {
  path: PathSegment[];
  value: Expr;
}

/** Module attributes that are not option definitions. */
const MODULE_KEYS = new Set(['imports', '_file', 'key', 'disabledModules', 'meta', 'freeformType', '_class']);

/**
 * The module's top attribute set, or undefined when the file is not a NixOS module. Decided by shape, not
 * by argument names: the file (or the function's result) is a non-recursive attribute set that has
 * `options`, `config` or `imports`, or that defines at least one known top-level option and binds no
 * function. A flake, a package set (`{ lib, callPackage }: rec { … }`), a library of functions or a
 * data file is not a module.
 */
export function moduleAttrs(root: Expr, shape: 'module' | 'maybe-module' = 'module'): BindingOrInherit[] | undefined {
  const body = moduleBody(root);
  if (body.type !== 'AttrSet' || body.rec) return undefined;
  const bindings = body.bindings;
  const keys = new Set(bindings.flatMap((b) => (b.type === 'Binding' ? [attrNameText(b.path.attrs[0]) ?? ''] : [])));
  if (keys.has('outputs') || keys.has('inputs')) return undefined; // a flake
  if (keys.has('options') || keys.has('config') || keys.has('imports')) return bindings;
  if (bindings.some((b) => b.type === 'Binding' && unparen(b.value).type === 'Lambda')) return undefined;
  // A module being written may not have a known name yet (completion asks before there is one).
  if (shape === 'maybe-module' && unparen(root).type === 'Lambda') return bindings;
  return [...keys].some((k) => KNOWN_TOP_LEVEL.has(k) || k === '_module') ? bindings : undefined;
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
