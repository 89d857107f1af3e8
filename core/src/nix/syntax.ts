// Small readers over the syntax tree shared by the option tools and the language features.

import type { AttrName, AttrSet, BindingOrInherit, Expr, LegacyLet } from './ast';

/** The value of a string or identifier attribute name, or undefined when it is interpolated. */
export function attrNameText(name: AttrName): string | undefined {
  if (name.type === 'Identifier') return name.name;
  if (name.type === 'String') return literalString(name);
  return undefined;
}

/** The text of a string literal without interpolation (`"a"`, `''a''`), else undefined. */
export function literalString(expr: Expr): string | undefined {
  if (expr.type !== 'String' && expr.type !== 'IndString') return undefined;
  let out = '';
  for (const part of expr.parts) {
    if (part.type !== 'StringText') return undefined;
    out += part.value;
  }
  return out;
}

/** Strips parentheses. */
export function unparen(expr: Expr): Expr {
  while (expr.type === 'Paren') expr = expr.expr;
  return expr;
}

/** `f a b` → { fn: f, args: [a, b] }. */
export function flattenApply(expr: Expr): { fn: Expr; args: Expr[] } {
  const args: Expr[] = [];
  let e = unparen(expr);
  while (e.type === 'Apply') {
    args.unshift(e.arg);
    e = unparen(e.fn);
  }
  return { fn: e, args };
}

/**
 * The name a function expression is known by: `mkOption`, `lib.mkOption`, `lib.types.str`,
 * `types.str` all give their last segment, with the full dotted text alongside.
 */
export function calleeName(expr: Expr): { last: string; dotted: string } | undefined {
  const e = unparen(expr);
  if (e.type === 'Identifier') return { last: e.name, dotted: e.name };
  if (e.type === 'Select' && !e.default) {
    const head = calleeName(e.expr);
    const names = e.path.attrs.map(attrNameText);
    if (!head || names.some((n) => n === undefined)) return undefined;
    return { last: names[names.length - 1]!, dotted: [head.dotted, ...names].join('.') };
  }
  return undefined;
}

/** Unwraps the outside of a module or file: lambdas, `let … in`, `with …;`, `assert …;`, parentheses. */
export function moduleBody(expr: Expr): Expr {
  let e = unparen(expr);
  for (;;) {
    if (e.type === 'Lambda') e = unparen(e.body);
    else if (e.type === 'Let' || e.type === 'With' || e.type === 'Assert') e = unparen(e.body);
    else return e;
  }
}

/** Bindings of an attribute set (or legacy let). */
export function bindingsOf(expr: Expr): BindingOrInherit[] | undefined {
  const e = unparen(expr);
  return e.type === 'AttrSet' || e.type === 'LegacyLet' ? (e as AttrSet | LegacyLet).bindings : undefined;
}

/** NixOS module helpers that wrap a definition without changing where it goes. */
const TRANSPARENT_WRAPPERS = new Set([
  'mkIf',
  'mkDefault',
  'mkForce',
  'mkOverride',
  'mkBefore',
  'mkAfter',
  'mkOrder',
  'mkMerge',
  'mkOptionDefault',
  'optionalAttrs',
]);

/**
 * The definitions a value stands for, looking through `mkIf c v`, `mkDefault v`, `mkOverride n v`,
 * `optionalAttrs c v`, `mkMerge [ a b ]`, both sides of `a // b`, both branches of `if`, `let … in`,
 * `with …;`, `assert …;` and parentheses (under any prefix: `lib.mkIf`, `lib.attrsets.optionalAttrs`).
 */
export function definitionValues(expr: Expr): Expr[] {
  const e = unparen(expr);
  switch (e.type) {
    case 'Let':
    case 'With':
    case 'Assert':
      return definitionValues(e.body);
    case 'If':
      return [...definitionValues(e.then), ...definitionValues(e.else)];
    case 'Binary':
      if (e.op === '//') return [...definitionValues(e.left), ...definitionValues(e.right)];
      break;
  }
  const { fn, args } = flattenApply(e);
  const name = args.length ? calleeName(fn) : undefined;
  if (name && TRANSPARENT_WRAPPERS.has(name.last)) {
    const last = args[args.length - 1];
    if (name.last === 'mkMerge') {
      const list = unparen(last);
      return list.type === 'List' ? list.elements.flatMap(definitionValues) : [];
    }
    return definitionValues(last);
  }
  return [e];
}
