// Reads option declarations (`mkOption`, `mkEnableOption`, `mkPackageOption`) out of NixOS module
// source with the Nix parser, so the modules in nix-templates/ are the one source of truth for the
// options they declare.

import type { Binding, Expr } from '../nix/ast';
import { parseNix } from '../nix/parser';
import { attrNameText, bindingsOf, calleeName, flattenApply, literalString, moduleBody, unparen } from '../nix/syntax';
import { LineIndex } from '../util/lineIndex';
import type { OptionDecl, OptionType } from './types';
import { describeType } from './types';

export function declarationsInModule(file: string, text: string): OptionDecl[] {
  const { root } = parseNix(text);
  const lines = new LineIndex(text);
  const out: OptionDecl[] = [];
  const body = moduleBody(root);
  for (const binding of bindingsOf(body) ?? []) {
    if (binding.type !== 'Binding') continue;
    const path = bindingPath(binding);
    if (path?.[0] !== 'options') continue;
    collect(path.slice(1), binding.value, binding, out, { file, text, lines });
  }
  return out;
}

interface Source {
  file: string;
  text: string;
  lines: LineIndex;
}

function bindingPath(b: Binding): string[] | undefined {
  const names = b.path.attrs.map(attrNameText);
  return names.some((n) => n === undefined) ? undefined : (names as string[]);
}

/** Walks nested attribute sets of declarations under `prefix` (through `with lib;` and `let … in`). */
function collect(prefix: string[], value: Expr, at: Binding, out: OptionDecl[], src: Source): void {
  const decl = declarationOf(prefix, value, at, src, out);
  if (decl) {
    out.push(decl);
    return;
  }
  for (const b of bindingsOf(moduleBody(value)) ?? []) {
    if (b.type !== 'Binding') continue;
    const path = bindingPath(b);
    if (path) collect([...prefix, ...path], b.value, b, out, src);
  }
}

function declarationOf(path: string[], value: Expr, at: Binding, src: Source, out: OptionDecl[]): OptionDecl | undefined {
  const v = unparen(value);
  // `mkEnableOption "…" // { default = true; }`: the declaration with some of its fields replaced.
  if (v.type === 'Binary' && v.op === '//') {
    const base = declarationOf(path, v.left, at, src, out);
    return base && overridden(base, v.right, src);
  }
  const { fn, args } = flattenApply(value);
  const callee = calleeName(fn)?.last;
  const location = { file: src.file, ...startEnd(src.lines, at.path) };
  const name = path.join('.');
  if (callee === 'mkEnableOption' && args.length === 1) {
    const what = literalString(unparen(args[0])) ?? 'this feature';
    return {
      name,
      type: { kind: 'bool' },
      typeDescription: 'boolean',
      default: 'false',
      description: `Whether to enable ${what}.`,
      declarations: [location],
    };
  }
  if (callee === 'mkPackageOption' && args.length >= 2) {
    const pkg = literalString(unparen(args[1])) ?? src.text.slice(args[1].start, args[1].end);
    return {
      name,
      type: { kind: 'package' },
      typeDescription: 'package',
      default: `pkgs.${pkg}`,
      description: `The ${pkg} package to use.`,
      declarations: [location],
    };
  }
  if (callee !== 'mkOption' || args.length !== 1) return undefined;
  const fields = new Map<string, Expr>();
  for (const b of bindingsOf(args[0]) ?? []) {
    if (b.type === 'Binding' && b.path.attrs.length === 1) {
      const key = attrNameText(b.path.attrs[0]);
      if (key) fields.set(key, b.value);
    }
  }
  const typeExpr = fields.get('type');
  const type = typeExpr ? typeOf(typeExpr, [...path], src, out) : ({ kind: 'any' } as OptionType);
  const text = (e: Expr | undefined) => (e ? src.text.slice(e.start, e.end) : undefined);
  return {
    name,
    type,
    typeDescription: describeType(type),
    description: docText(fields.get('description')),
    default: literalExpressionText(fields.get('defaultText')) ?? text(fields.get('default')),
    example: literalExpressionText(fields.get('example')) ?? text(fields.get('example')),
    readOnly: fields.get('readOnly') ? text(fields.get('readOnly')) === 'true' : undefined,
    declarations: [location],
  };
}

function overridden(decl: OptionDecl, fields: Expr, src: Source): OptionDecl {
  const out = { ...decl };
  for (const b of bindingsOf(fields) ?? []) {
    if (b.type !== 'Binding' || b.path.attrs.length !== 1) continue;
    const key = attrNameText(b.path.attrs[0]);
    if (key === 'default') out.default = src.text.slice(b.value.start, b.value.end);
    else if (key === 'description') out.description = docText(b.value) ?? out.description;
    else if (key === 'example') out.example = literalExpressionText(b.value) ?? src.text.slice(b.value.start, b.value.end);
  }
  return out;
}

function startEnd(lines: LineIndex, span: { start: number; end: number }) {
  const s = lines.positionAt(span.start);
  const e = lines.positionAt(span.end);
  return { line: s.line, character: s.character, endLine: e.line, endCharacter: e.character };
}

/** `"…"`, `''…''`, `lib.mdDoc "…"`, `literalMD "…"`. */
function docText(e: Expr | undefined): string | undefined {
  if (!e) return undefined;
  const direct = literalString(unparen(e));
  if (direct !== undefined) return direct.trim();
  const { args } = flattenApply(e);
  return args.length === 1 ? literalString(unparen(args[0]))?.trim() : undefined;
}

/** The text of `literalExpression "pkgs.exo"`. */
function literalExpressionText(e: Expr | undefined): string | undefined {
  if (!e) return undefined;
  const { fn, args } = flattenApply(e);
  const name = calleeName(fn)?.last;
  return (name === 'literalExpression' || name === 'literalMD') && args.length === 1 ? literalString(unparen(args[0])) : undefined;
}

const SIMPLE_TYPES: Record<string, OptionType> = {
  bool: { kind: 'bool' },
  int: { kind: 'int' },
  float: { kind: 'float' },
  number: { kind: 'number' },
  str: { kind: 'str' },
  nonEmptyStr: { kind: 'str', nonEmpty: true },
  singleLineStr: { kind: 'str', singleLine: true },
  lines: { kind: 'str' },
  commas: { kind: 'str' },
  envVar: { kind: 'str' },
  path: { kind: 'path' },
  pathInStore: { kind: 'path' },
  package: { kind: 'package' },
  port: { kind: 'int', min: 0, max: 65535 },
  positive: { kind: 'int', min: 1 },
  unsigned: { kind: 'int', min: 0 },
  u8: { kind: 'int', min: 0, max: 255 },
  u16: { kind: 'int', min: 0, max: 65535 },
  u32: { kind: 'int', min: 0, max: 4294967295 },
  anything: { kind: 'any', description: 'anything' },
  raw: { kind: 'any', description: 'raw value' },
  unspecified: { kind: 'any', description: 'unspecified value' },
  attrs: { kind: 'attrs' },
};

/**
 * The OptionType of a `types.…` expression. Submodules declare more options: they are collected
 * into `out` under `path` + `<name>` (attribute set of submodules), `*` (list) or the path itself.
 */
function typeOf(expr: Expr, path: string[], src: Source, out: OptionDecl[]): OptionType {
  const { fn, args } = flattenApply(expr);
  const name = calleeName(fn)?.last;
  if (!name) return { kind: 'any' };
  if (args.length === 0) return SIMPLE_TYPES[name] ?? { kind: 'any', description: name };
  const arg = (i: number) => unparen(args[i]);
  switch (name) {
    case 'listOf':
    case 'nonEmptyListOf':
      return { kind: 'listOf', of: typeOf(args[0], [...path, '*'], src, out) };
    case 'attrsOf':
    case 'lazyAttrsOf':
      return { kind: 'attrsOf', of: typeOf(args[0], [...path, '<name>'], src, out) };
    case 'nullOr':
      return { kind: 'nullOr', of: typeOf(args[0], path, src, out) };
    case 'uniq':
    case 'unique':
      return typeOf(args[args.length - 1], path, src, out);
    case 'either':
      return { kind: 'oneOf', of: [typeOf(args[0], path, src, out), typeOf(args[1], path, src, out)] };
    case 'oneOf': {
      const list = arg(0);
      return list.type === 'List' ? { kind: 'oneOf', of: list.elements.map((e) => typeOf(e, path, src, out)) } : { kind: 'any' };
    }
    case 'enum': {
      const list = arg(0);
      if (list.type !== 'List') return { kind: 'any' };
      const values = list.elements.map((e) => {
        const u = unparen(e);
        if (u.type === 'Int') return Number(u.value);
        if (u.type === 'Identifier' && (u.name === 'true' || u.name === 'false')) return u.name === 'true';
        return literalString(u);
      });
      return values.every((v) => v !== undefined) ? { kind: 'enum', values: values as (string | number | boolean)[] } : { kind: 'any' };
    }
    case 'between': {
      const [lo, hi] = [arg(0), arg(1)];
      return lo.type === 'Int' && hi.type === 'Int' ? { kind: 'int', min: Number(lo.value), max: Number(hi.value) } : { kind: 'int' };
    }
    case 'strMatching':
      return { kind: 'str', pattern: literalString(arg(0)) };
    case 'separatedString':
      return { kind: 'str' };
    case 'submodule': {
      let body = arg(0);
      if (body.type === 'Lambda') body = moduleBody(body);
      for (const b of bindingsOf(body) ?? []) {
        if (b.type !== 'Binding') continue;
        const p = bindingPath(b);
        if (p?.[0] === 'options') collect([...path, ...p.slice(1)], b.value, b, out, src);
      }
      return { kind: 'submodule' };
    }
    case 'coercedTo':
      return typeOf(args[args.length - 1], path, src, out);
    default:
      return { kind: 'any', description: name };
  }
}
