// Checks literal Nix values against option types. Only what is visible in the source is judged:
// a variable, a function call or an interpolation-free-but-computed value is never reported.

import type { Expr } from '../nix/ast';
import { attrNameText, definitionValues, literalString, unparen } from '../nix/syntax';
import { closest } from '../util/suggest';
import { describeType, type OptionType } from './types';

export interface ValueProblem {
  start: number;
  end: number;
  message: string;
  replacement?: string;
}

type LiteralKind = 'bool' | 'int' | 'float' | 'string' | 'path' | 'list' | 'attrs' | 'null' | 'function';

const KIND_WORDS: Record<LiteralKind, string> = {
  bool: 'a boolean',
  int: 'an integer',
  float: 'a float',
  string: 'a string',
  path: 'a path',
  list: 'a list',
  attrs: 'an attribute set',
  null: 'null',
  function: 'a function',
};

/** The kind of a literal expression, or undefined when the value is computed. */
export function literalKind(expr: Expr): LiteralKind | undefined {
  const e = unparen(expr);
  switch (e.type) {
    case 'Int':
      return 'int';
    case 'Float':
      return 'float';
    case 'String':
    case 'IndString':
    case 'Uri':
      return 'string';
    case 'Path':
    case 'SearchPath':
      return 'path';
    case 'List':
      return 'list';
    case 'AttrSet':
      return 'attrs';
    case 'Lambda':
      return 'function';
    case 'Identifier':
      if (e.name === 'true' || e.name === 'false') return 'bool';
      if (e.name === 'null') return 'null';
      return undefined;
    case 'Unary':
      return e.op === '-' && (unparen(e.expr).type === 'Int' || unparen(e.expr).type === 'Float') ? literalKind(e.expr) : undefined;
    default:
      return undefined;
  }
}

function intValue(expr: Expr): number | undefined {
  const e = unparen(expr);
  if (e.type === 'Int') return Number(e.value);
  if (e.type === 'Unary' && e.op === '-') {
    const v = intValue(e.expr);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

function scalarValue(expr: Expr): string | number | boolean | null | undefined {
  const e = unparen(expr);
  const kind = literalKind(e);
  if (kind === 'int') return intValue(e);
  if (kind === 'bool') return (e as { name: string }).name === 'true';
  if (kind === 'null') return null;
  if (kind === 'string') return literalString(e);
  return undefined;
}

/** Problems of `expr` as a value of `type`; `what` names the option in messages. */
export function checkValue(type: OptionType, expr: Expr, what: string): ValueProblem[] {
  const problems: ValueProblem[] = [];
  for (const value of definitionValues(expr)) check(type, value, what, problems);
  return problems;
}

function check(type: OptionType, expr: Expr, what: string, out: ValueProblem[]): void {
  const kind = literalKind(expr);
  if (!kind) return;
  const e = unparen(expr);
  const wrong = (expected: string) =>
    out.push({ start: e.start, end: e.end, message: `${what} expects ${expected}, but this is ${KIND_WORDS[kind]}.` });
  switch (type.kind) {
    case 'any':
      return;
    case 'bool':
      if (kind !== 'bool') wrong('a boolean (true or false)');
      return;
    case 'float':
      if (kind !== 'float') wrong('a float');
      return;
    case 'number':
      if (kind !== 'int' && kind !== 'float') wrong('a number');
      return;
    case 'int': {
      if (kind !== 'int') {
        wrong(describeType(type));
        return;
      }
      const v = intValue(e)!;
      if ((type.min !== undefined && v < type.min) || (type.max !== undefined && v > type.max)) {
        out.push({ start: e.start, end: e.end, message: `${what} expects ${describeType(type)}; ${v} is out of range.` });
      }
      return;
    }
    case 'str': {
      if (kind !== 'string') {
        wrong('a string');
        return;
      }
      const s = literalString(e);
      if (s === undefined) return;
      if (type.nonEmpty && s.trim() === '') out.push({ start: e.start, end: e.end, message: `${what} expects a non-empty string.` });
      if (type.singleLine && /\n./.test(s)) out.push({ start: e.start, end: e.end, message: `${what} expects a single-line string.` });
      if (type.pattern && !matchesPattern(type.pattern, s))
        out.push({ start: e.start, end: e.end, message: `${what} expects a string matching ${type.pattern}.` });
      return;
    }
    case 'path': {
      if (kind === 'path') return;
      if (kind !== 'string') {
        wrong('a path');
        return;
      }
      const s = literalString(e);
      if (s !== undefined && !s.startsWith('/'))
        out.push({ start: e.start, end: e.end, message: `${what} expects an absolute path; "${s}" does not start with /.` });
      return;
    }
    case 'package': {
      const s = kind === 'string' ? literalString(e) : undefined;
      if (kind === 'string' && (s === undefined || s.startsWith('/nix/store/'))) return;
      wrong('a package (a derivation such as pkgs.hello)');
      return;
    }
    case 'enum': {
      const v = scalarValue(e);
      if (v === undefined && kind !== 'null') {
        if (kind !== 'string') wrong(describeType(type));
        return;
      }
      if (type.values.includes(v as never)) return;
      const suggestion =
        typeof v === 'string'
          ? closest(
              v,
              type.values.filter((x): x is string => typeof x === 'string'),
            )
          : undefined;
      out.push({
        start: e.start,
        end: e.end,
        message: `${what} expects ${describeType(type)}; got ${JSON.stringify(v)}.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
        replacement: suggestion !== undefined ? JSON.stringify(suggestion) : undefined,
      });
      return;
    }
    case 'listOf':
      if (kind !== 'list') {
        wrong(describeType(type));
        return;
      }
      for (const el of (e as Extract<Expr, { type: 'List' }>).elements) check(type.of, el, `Each element of ${what}`, out);
      return;
    case 'attrsOf':
      if (kind !== 'attrs') {
        wrong(describeType(type));
        return;
      }
      for (const b of (e as Extract<Expr, { type: 'AttrSet' }>).bindings) {
        if (b.type !== 'Binding' || b.path.attrs.length !== 1) continue;
        const key = attrNameText(b.path.attrs[0]);
        check(type.of, b.value, key ? `${what}.${key}` : what, out);
      }
      return;
    case 'nullOr':
      if (kind === 'null') return;
      check(type.of, e, what, out);
      return;
    case 'oneOf': {
      const attempts = type.of.map((alt) => {
        const p: ValueProblem[] = [];
        check(alt, e, what, p);
        return p;
      });
      if (attempts.some((p) => p.length === 0)) return;
      // One alternative of the right shape explains the problem best (`string or list of string` given [ 1 ]).
      const shaped = attempts.find((p) => p.every((x) => x.start !== e.start || x.end !== e.end));
      if (shaped) out.push(...shaped);
      else wrong(describeType(type));
      return;
    }
    case 'submodule':
    case 'attrs':
      if (kind !== 'attrs') wrong('an attribute set');
      return;
    case 'function':
      if (kind !== 'function') wrong('a function');
      return;
  }
}

/** POSIX character classes (Nix's regular expressions are POSIX extended), as JavaScript ranges inside brackets. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  digit: '0-9',
  xdigit: '0-9A-Fa-f',
  lower: 'a-z',
  upper: 'A-Z',
  space: '\\s',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
};

function matchesPattern(pattern: string, s: string): boolean {
  try {
    const js = pattern.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
    return new RegExp(`^(?:${js})$`, 's').test(s);
  } catch {
    return true; // a POSIX-only construct: do not guess
  }
}
