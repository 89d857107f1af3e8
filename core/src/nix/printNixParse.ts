// Prints a parsed tree the way `nix-instantiate --parse` of Nix 2.8 prints its desugared AST, so the
// differential tests can compare with real Nix: operators become builtin calls (`__sub`, `__lessThan`),
// bindings are merged and sorted, paths are made absolute, indented strings are stripped.
import type { AttrName, AttrPath, Expr, StringPart } from './ast';
import { AttrsBuilder, staticAttrName, unparen, type NixAttrs } from './desugar';
import { Tok, tokenize } from './lexer';

export interface PrintOptions {
  /** Directory relative paths are resolved against (nix-instantiate's working directory for stdin). */
  baseDir: string;
  /** $HOME, for `~/…` paths. */
  home: string;
}

export function printNixParse(root: Expr, options: PrintOptions): string {
  return new Printer(options).show(root);
}

// 2.8's printer quotes only this keyword (other keywords are printed bare, as Nix does).
const QUOTED_KEYWORDS = new Set(['if']);

/** Nix's string printer: every `$` is escaped, as are quotes, backslashes and \n \r \t. */
export function showString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === '\\' || c === '$') out += '\\' + c;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else out += c;
  }
  return out + '"';
}

function showId(name: string): string {
  return /^[a-zA-Z_][a-zA-Z0-9_'-]*$/.test(name) && !QUOTED_KEYWORDS.has(name) ? name : showString(name);
}

/** C++ `ostream << double` (printf `%g`, 6 significant digits). */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential(5).split('e');
  const exp = Number(expText);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 6) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(x.toFixed(5 - exp));
}

/** Nix's canonPath of an absolute path: `.` and `..` resolved lexically, no trailing slash. */
function canonPath(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

const desugaredCalls: Partial<Record<string, string>> = { '-': '__sub', '*': '__mul', '/': '__div' };

class Printer {
  private readonly attrs = new AttrsBuilder();
  constructor(private readonly options: PrintOptions) {}

  show(e: Expr): string {
    switch (e.type) {
      case 'Identifier':
        return e.name;
      case 'Int':
        return e.value.toString();
      case 'Float':
        return formatFloat(e.value);
      case 'Uri':
        return showString(e.value);
      case 'SearchPath':
        return `(__findFile __nixPath ${showString(e.value)})`;
      case 'Paren':
        return this.show(e.expr);
      case 'String': {
        if (e.parts.every((p) => p.type === 'StringText')) return showString(e.parts.map((p) => (p as { value: string }).value).join(''));
        return this.concat(e.parts.map((p) => this.part(p)));
      }
      case 'IndString': {
        if (e.parts.length === 0) return '""';
        if (e.parts.length === 1 && e.parts[0].type === 'StringText') return showString(e.parts[0].value);
        return this.concat(e.parts.map((p) => this.part(p)));
      }
      case 'Path': {
        const first = e.parts[0].type === 'StringText' ? e.parts[0].value : '';
        let resolved: string;
        if (first.startsWith('~')) resolved = this.options.home + first.slice(1);
        else {
          resolved = canonPath(first.startsWith('/') ? first : `${this.options.baseDir}/${first}`);
          if (first.endsWith('/') && first.length > 1 && e.parts.length > 1) resolved += '/';
        }
        if (e.parts.length === 1) return resolved;
        return this.concat([resolved, ...e.parts.slice(1).map((p) => this.part(p))]);
      }
      case 'List':
        return `[ ${e.elements.map((x) => `(${this.show(x)}) `).join('')}]`;
      case 'AttrSet':
        return this.showAttrs(this.attrs.modelOf(e));
      case 'LegacyLet':
        return `(${this.showAttrs(this.attrs.modelOf(e))}).body`;
      case 'Let': {
        const model = this.attrs.modelOf(e);
        let out = '(let ';
        for (const [name, def] of sortedAttrs(model)) {
          out += def.inherited ? `inherit ${showId(name)}; ` : `${showId(name)} = ${this.showValue(def.value, def.from, name)}; `;
        }
        return `${out}in ${this.show(e.body)})`;
      }
      case 'With':
        return `(with ${this.show(e.env)}; ${this.show(e.body)})`;
      case 'Assert':
        return `assert ${this.show(e.cond)}; ${this.show(e.body)}`;
      case 'If':
        return `(if ${this.show(e.cond)} then ${this.show(e.then)} else ${this.show(e.else)})`;
      case 'Lambda': {
        let out = '(';
        if (e.formals) {
          const items = e.formals.formals.map((f) => (f.default ? `${f.name.name} ? ${this.show(f.default)}` : f.name.name));
          if (e.formals.ellipsis) items.push('...');
          out += `{ ${items.join(', ')} }`;
          if (e.param) out += ' @ ';
        }
        if (e.param) out += e.param.name;
        return `${out}: ${this.show(e.body)})`;
      }
      case 'Select':
        return `(${this.show(e.expr)}).${this.showAttrPath(e.path)}${e.default ? ` or (${this.show(e.default)})` : ''}`;
      case 'HasAttr':
        return `((${this.show(e.expr)}) ? ${this.showAttrPath(e.path)})`;
      case 'Unary':
        return e.op === '!' ? `(! ${this.show(e.expr)})` : `(__sub 0 ${this.show(e.expr)})`;
      case 'Apply':
      case 'Binary': {
        const call = this.call(e);
        if (call) return `(${call.join(' ')})`;
        if (e.type !== 'Binary') throw new Error('unreachable');
        const l = this.show(e.left),
          r = this.show(e.right);
        switch (e.op) {
          case '<=':
            return `(! (__lessThan ${r} ${l}))`;
          case '>=':
            return `(! (__lessThan ${l} ${r}))`;
          default:
            return `(${l} ${e.op} ${r})`;
        }
      }
      case 'Missing':
        return '<missing>';
    }
  }

  /** Nix's ExprCall: function and arguments, with `(f a) b` flattened as parser.y does; undefined for non-calls. */
  private call(expr: Expr): string[] | undefined {
    const e = unparen(expr);
    switch (e.type) {
      case 'Apply': {
        // `f or` (parser.y's cursed `or` rule) always makes a new call; only `f a b` extends one.
        if (e.arg.type === 'Identifier' && e.arg.name === 'or') return [this.show(e.fn), 'or'];
        const inner = this.call(e.fn);
        return inner ? [...inner, this.show(e.arg)] : [this.show(e.fn), this.show(e.arg)];
      }
      case 'Binary': {
        const builtin = desugaredCalls[e.op];
        if (builtin) return [builtin, this.show(e.left), this.show(e.right)];
        if (e.op === '<') return ['__lessThan', this.show(e.left), this.show(e.right)];
        if (e.op === '>') return ['__lessThan', this.show(e.right), this.show(e.left)];
        if (e.op === '|>') {
          const inner = this.call(e.right);
          return inner ? [...inner, this.show(e.left)] : [this.show(e.right), this.show(e.left)];
        }
        if (e.op === '<|') {
          const inner = this.call(e.left);
          return inner ? [...inner, this.show(e.right)] : [this.show(e.left), this.show(e.right)];
        }
        return undefined;
      }
      case 'Unary':
        return e.op === '-' ? ['__sub', '0', this.show(e.expr)] : undefined;
      case 'SearchPath':
        return ['__findFile', '__nixPath', showString(e.value)];
    }
    return undefined;
  }

  private concat(parts: string[]): string {
    return `(${parts.join(' + ')})`;
  }

  private part(p: StringPart): string {
    return p.type === 'StringText' ? showString(p.value) : this.show(p.expr);
  }

  private showAttrName(name: AttrName): string {
    const key = staticAttrName(name);
    if (key !== undefined) return showId(key);
    if (name.type === 'Interpolation') return `"\${${this.show(name.expr)}}"`;
    if (name.type === 'String') return `"\${${this.show(name)}}"`;
    return '<missing>';
  }

  private showAttrPath(path: AttrPath): string {
    return path.attrs.map((a) => this.showAttrName(a)).join('.');
  }

  private showValue(value: Expr | NixAttrs, from: Expr | undefined, name: string): string {
    if (from) return `(${this.show(from)}).${showId(name)}`;
    return value.type === 'NixAttrs' ? this.showAttrs(value) : this.show(value);
  }

  private showAttrs(model: NixAttrs): string {
    let out = model.rec ? 'rec { ' : '{ ';
    for (const [name, def] of sortedAttrs(model)) {
      out += def.inherited ? `inherit ${showId(name)} ; ` : `${showId(name)} = ${this.showValue(def.value, def.from, name)}; `;
    }
    for (const d of model.dynamic) {
      out += `${this.showAttrName(d.name)} = ${d.value.type === 'NixAttrs' ? this.showAttrs(d.value) : this.show(d.value)}; `;
    }
    return out + '}';
  }
}

function sortedAttrs(model: NixAttrs) {
  return [...model.attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Nix 2.8 prints lambda formals and `let` bindings in symbol-table order, which depends on memory
 * allocation; comparisons therefore sort the items of every `{ … }:` header and `let … in` in
 * printed output (recursively).
 */
export function canonicalizeUnordered(printed: string): string {
  const t = tokenize(printed, false, [], []);
  const opens = (k: Tok) => k === Tok.LBRACE || k === Tok.DOLLAR_CURLY || k === Tok.LPAREN || k === Tok.LBRACK;
  const closes = (k: Tok) => k === Tok.RBRACE || k === Tok.RPAREN || k === Tok.RBRACK;
  /** Items between token indexes (exclusive), split at depth-0 separators. */
  const split = (from: number, to: number, sep: Tok): string[] => {
    const items: string[] = [];
    let itemStart = t.end[from],
      depth = 0,
      asserts = 0;
    for (let k = from + 1; k < to; k++) {
      const kk = t.kind[k];
      if (opens(kk)) depth++;
      else if (closes(kk)) depth--;
      else if (depth === 0 && kk === Tok.ASSERT) asserts++;
      else if (depth === 0 && kk === sep) {
        if (sep === Tok.SEMI && asserts > 0) {
          asserts--;
          continue;
        }
        items.push(printed.slice(itemStart, t.start[k]).trim());
        itemStart = t.end[k];
      }
    }
    const last = printed.slice(itemStart, t.start[to]).trim();
    if (last !== '') items.push(last);
    return items.map(canonicalizeUnordered);
  };
  let out = '';
  let copied = 0;
  for (let i = 0; i < t.count; i++) {
    const kind = t.kind[i];
    if (kind === Tok.LET && t.kind[i + 1] !== Tok.LBRACE) {
      let depth = 0,
        j = i + 1;
      for (; j < t.count; j++) {
        const k = t.kind[j];
        if (opens(k)) depth++;
        else if (closes(k)) depth--;
        else if (depth === 0 && k === Tok.IN) break;
      }
      if (j >= t.count) continue;
      const items = split(i, j, Tok.SEMI).sort();
      out += printed.slice(copied, t.start[i]) + `let ${items.map((x) => x + '; ').join('')}`;
      copied = t.start[j];
      i = j - 1;
      continue;
    }
    if (kind !== Tok.LBRACE) continue;
    let depth = 0,
      j = i;
    for (; j < t.count; j++) {
      const k = t.kind[j];
      if (k === Tok.LBRACE || k === Tok.DOLLAR_CURLY) depth++;
      else if (k === Tok.RBRACE && --depth === 0) break;
    }
    const after = t.kind[j + 1];
    if (j >= t.count || (after !== Tok.COLON && after !== Tok.AT)) continue;
    const items = split(i, j, Tok.COMMA);
    const ellipsis = items.length > 0 && items[items.length - 1] === '...' ? items.pop() : undefined;
    items.sort();
    if (ellipsis) items.push(ellipsis);
    out += printed.slice(copied, t.start[i]) + `{ ${items.join(', ')} }`;
    copied = t.end[j];
    i = j;
  }
  return out + printed.slice(copied);
}
