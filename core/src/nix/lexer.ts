// Nix lexer following lexer.l of Nix 2.8: the same start conditions (strings, indented strings,
// interpolated paths), longest-match rule choice, number and path syntax. The whole text is
// tokenized up front into typed arrays, which keeps the parser's lookahead cheap.
import type { Comment, NixSyntaxError } from './ast';

export enum Tok {
  EOF,
  ID,
  INT,
  FLOAT,
  URI,
  SPATH,
  PATH,
  HPATH,
  STR,
  IND_STR,
  IND_STR_ESCAPE,
  DOLLAR_CURLY,
  DQUOTE,
  IND_OPEN,
  IND_CLOSE,
  PATH_END,
  IF,
  THEN,
  ELSE,
  ASSERT,
  WITH,
  LET,
  IN,
  REC,
  INHERIT,
  OR_KW,
  ELLIPSIS,
  EQ,
  NEQ,
  LEQ,
  GEQ,
  AND,
  OR,
  IMPL,
  UPDATE,
  CONCAT,
  PIPE_INTO,
  PIPE_FROM,
  LBRACE,
  RBRACE,
  LBRACK,
  RBRACK,
  LPAREN,
  RPAREN,
  SEMI,
  COLON,
  AT,
  COMMA,
  DOT,
  QUESTION,
  ASSIGN,
  LT,
  GT,
  PLUS,
  MINUS,
  STAR,
  SLASH,
  BANG,
  UNKNOWN,
}

/** Whether the word at p (as long as `word`, its first letter already matched) is `word`. */
function wordIs(text: string, p: number, word: string): boolean {
  for (let j = 1; j < word.length; j++) if (word.charCodeAt(j) !== text.charCodeAt(p + j)) return false;
  return true;
}

/** The keyword token of the word at [p, p+len), or ID; compares in place to avoid a string per identifier. */
function keyword(text: string, p: number, len: number): Tok {
  switch (text.charCodeAt(p)) {
    case 105:
      return len === 2
        ? text.charCodeAt(p + 1) === 102
          ? Tok.IF
          : text.charCodeAt(p + 1) === 110
            ? Tok.IN
            : Tok.ID
        : len === 7 && wordIs(text, p, 'inherit')
          ? Tok.INHERIT
          : Tok.ID;
    case 116:
      return len === 4 && wordIs(text, p, 'then') ? Tok.THEN : Tok.ID;
    case 101:
      return len === 4 && wordIs(text, p, 'else') ? Tok.ELSE : Tok.ID;
    case 97:
      return len === 6 && wordIs(text, p, 'assert') ? Tok.ASSERT : Tok.ID;
    case 119:
      return len === 4 && wordIs(text, p, 'with') ? Tok.WITH : Tok.ID;
    case 108:
      return len === 3 && wordIs(text, p, 'let') ? Tok.LET : Tok.ID;
    case 114:
      return len === 3 && wordIs(text, p, 'rec') ? Tok.REC : Tok.ID;
    case 111:
      return len === 2 && text.charCodeAt(p + 1) === 114 ? Tok.OR_KW : Tok.ID;
  }
  return Tok.ID;
}

// Character classes of lexer.l, as bits in a table over ASCII.
const ID_START = 1,
  ID_CHAR = 2,
  PATH_CHAR = 4,
  URI_CHAR = 8,
  SCHEME_CHAR = 16,
  DIGIT = 32;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alpha = /[a-zA-Z]/.test(ch),
    digit = /[0-9]/.test(ch);
  let m = 0;
  if (alpha || ch === '_') m |= ID_START;
  if (alpha || digit || ch === '_' || ch === "'" || ch === '-') m |= ID_CHAR;
  if (alpha || digit || '._-+'.includes(ch)) m |= PATH_CHAR;
  if (alpha || digit || "%/?:@&=+$,-_.!~*'".includes(ch)) m |= URI_CHAR;
  if (alpha || digit || '+-.'.includes(ch)) m |= SCHEME_CHAR;
  if (digit) m |= DIGIT;
  CLASS[c] = m;
}
const is = (c: number, m: number) => c < 128 && (CLASS[c] & m) !== 0;

const enum Mode {
  DEFAULT,
  STRING,
  IND_STRING,
  INPATH,
  INPATH_SLASH,
}

export interface Tokens {
  count: number;
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  /** Ascending indexes of the tokens that carry a value, parallel to `values`. */
  valueTokens: Int32Array;
  /** Cooked STR/IND_STR text, raw PATH/HPATH/SPATH/URI text (an ID's name is its text). */
  values: string[];
}

/** The value a token carries (binary search: few tokens have one, so no per-token slot is kept). */
export function tokenValue(tokens: Tokens, i: number): string {
  const idx = tokens.valueTokens;
  let lo = 0,
    hi = tokens.values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (idx[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return tokens.values[lo];
}

/** `unescapeStr` of Nix: `\n`, `\r`, `\t`, any other `\x` → x; CR and CRLF → LF. */
function cook(text: string, from: number, to: number): string {
  let out = '';
  let seg = from;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      out += text.slice(seg, i);
      const n = text.charCodeAt(i + 1);
      out += n === 110 ? '\n' : n === 114 ? '\r' : n === 116 ? '\t' : text[i + 1];
      i++;
      seg = i + 1;
    } else if (c === 13) {
      out += text.slice(seg, i) + '\n';
      if (text.charCodeAt(i + 1) === 10 && i + 1 < to) i++;
      seg = i + 1;
    }
  }
  return seg === from ? text.slice(from, to) : out + text.slice(seg, to);
}

export function tokenize(text: string, pipeOperators: boolean, errors: NixSyntaxError[], comments: Comment[]): Tokens {
  return new Lexer(text, pipeOperators, errors, comments).run();
}

/**
 * One lexing run. A class rather than closures inside tokenize: V8 keeps the optimised code of methods
 * across calls, while closures made anew on each call were compiled again for every file.
 */
class Lexer {
  private readonly n: number;
  private kind: Uint8Array;
  private start: Int32Array;
  private end: Int32Array;
  private count = 0;
  private valueTokens: Int32Array;
  private readonly values: string[] = [];
  private readonly modes: Mode[] = [Mode.DEFAULT];
  // Where each open `"` began, to recover from an unterminated string.
  private readonly stringOpens: { pos: number; token: number; depth: number; comments: number; errors: number }[] = [];
  // Nix keeps token texts as C strings: a NUL ends them (checked once, NULs never occur in real files).
  private readonly hasNul: boolean;
  /** The last run of path characters measured in lexDefault, [runStart, runEnd). */
  private runStart = 0;
  private runEnd = 0;

  constructor(
    private readonly text: string,
    private readonly pipeOperators: boolean,
    private readonly errors: NixSyntaxError[],
    private readonly comments: Comment[],
  ) {
    this.n = text.length;
    const cap = Math.max(64, Math.ceil(this.n / 3));
    this.kind = new Uint8Array(cap);
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.valueTokens = new Int32Array(Math.max(16, cap >> 3));
    this.hasNul = text.indexOf('\0') >= 0;
  }

  run(): Tokens {
    const n = this.n,
      modes = this.modes;
    let p = 0;
    for (;;) {
      const mode = modes[modes.length - 1];
      let next: number;
      if (p >= n && mode !== Mode.INPATH && mode !== Mode.INPATH_SLASH) next = -1;
      else if (mode === Mode.DEFAULT) next = this.lexDefault(p);
      else if (mode === Mode.STRING) next = this.lexString(p);
      else if (mode === Mode.IND_STRING) next = this.lexIndString(p);
      else next = this.lexPath(p, mode);
      if (next < 0) {
        // End of input: an open `"` string is closed at its first line end and lexing resumes there.
        if (this.stringOpens.length > 0 && modes.lastIndexOf(Mode.STRING) >= 0) {
          p = this.recoverString();
          continue;
        }
        if (modes[modes.length - 1] === Mode.IND_STRING)
          this.error(n, n, "unterminated indented string ('' … '')", 'nix.unterminated-string');
        break;
      }
      p = next;
    }
    this.push(Tok.EOF, n, n);
    return { count: this.count, kind: this.kind, start: this.start, end: this.end, valueTokens: this.valueTokens, values: this.values };
  }

  private push(k: Tok, s: number, e: number, v?: string): void {
    const i = this.count;
    if (i === this.kind.length) this.grow();
    this.kind[i] = k;
    this.start[i] = s;
    this.end[i] = e;
    if (v !== undefined) {
      const values = this.values;
      if (this.hasNul && v.indexOf('\0') >= 0) v = v.slice(0, v.indexOf('\0'));
      if (values.length === this.valueTokens.length) {
        const v2 = new Int32Array(values.length * 2);
        v2.set(this.valueTokens);
        this.valueTokens = v2;
      }
      this.valueTokens[values.length] = i;
      values.push(v);
    }
    this.count = i + 1;
  }

  private grow(): void {
    const cap = this.kind.length * 2;
    const k2 = new Uint8Array(cap);
    k2.set(this.kind);
    this.kind = k2;
    const s2 = new Int32Array(cap);
    s2.set(this.start);
    this.start = s2;
    const e2 = new Int32Array(cap);
    e2.set(this.end);
    this.end = e2;
  }

  private error(s: number, e: number, message: string, code: string): void {
    this.errors.push({ start: s, end: e, message, code });
  }

  // Lengths of the longest match of each rule at p (0 = no match).
  private pathLen(p: number): number {
    const text = this.text,
      n = this.n;
    let i = p;
    while (i < n && is(text.charCodeAt(i), PATH_CHAR)) i++;
    let segs = 0;
    while (text.charCodeAt(i) === 47 && is(text.charCodeAt(i + 1), PATH_CHAR)) {
      i += 2;
      while (i < n && is(text.charCodeAt(i), PATH_CHAR)) i++;
      segs++;
    }
    if (segs === 0) return 0;
    if (text.charCodeAt(i) === 47) i++;
    return i - p;
  }

  /** `{PATH_CHAR}*\/` */
  private pathSegLen(p: number): number {
    const text = this.text,
      n = this.n;
    let i = p;
    while (i < n && is(text.charCodeAt(i), PATH_CHAR)) i++;
    return text.charCodeAt(i) === 47 ? i + 1 - p : 0;
  }

  private uriLen(p: number): number {
    const text = this.text,
      n = this.n;
    let i = p + 1;
    while (i < n && is(text.charCodeAt(i), SCHEME_CHAR)) i++;
    if (text.charCodeAt(i) !== 58 || !is(text.charCodeAt(i + 1), URI_CHAR)) return 0;
    i += 2;
    while (i < n && is(text.charCodeAt(i), URI_CHAR)) i++;
    return i - p;
  }

  private floatLen(p: number): number {
    const text = this.text;
    let i = p;
    const c = text.charCodeAt(p);
    if (c >= 49 && c <= 57) {
      while (is(text.charCodeAt(i), DIGIT)) i++;
      if (text.charCodeAt(i) !== 46) return 0;
      i++;
      while (is(text.charCodeAt(i), DIGIT)) i++;
    } else {
      if (c === 48) i++;
      if (text.charCodeAt(i) !== 46 || !is(text.charCodeAt(i + 1), DIGIT)) return 0;
      i += 2;
      while (is(text.charCodeAt(i), DIGIT)) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 101 || e === 69) {
      let j = i + 1;
      const s = text.charCodeAt(j);
      if (s === 43 || s === 45) j++;
      if (is(text.charCodeAt(j), DIGIT)) {
        while (is(text.charCodeAt(j), DIGIT)) j++;
        i = j;
      }
    }
    return i - p;
  }

  private dollarCurlyAfter(i: number) {
    const text = this.text;
    return text.charCodeAt(i) === 36 && text.charCodeAt(i + 1) === 123;
  }

  private emitPath(k: Tok, p: number, len: number) {
    const text = this.text,
      modes = this.modes;
    this.push(k, p, p + len, text.slice(p, p + len));
    modes.push(text.charCodeAt(p + len - 1) === 47 ? Mode.INPATH_SLASH : Mode.INPATH);
    return p + len;
  }

  /** Whitespace and comments; returns the next significant position. */
  private skipTrivia(p: number): number {
    const text = this.text,
      n = this.n,
      comments = this.comments;
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        p++;
        continue;
      }
      if (c === 35) {
        let i = p + 1;
        while (i < n) {
          const d = text.charCodeAt(i);
          if (d === 10 || d === 13) break;
          i++;
        }
        comments.push({ type: 'Comment', kind: 'line', start: p, end: i, text: text.slice(p + 1, i) });
        p = i;
        continue;
      }
      if (c === 47 && text.charCodeAt(p + 1) === 42) {
        const close = text.indexOf('*/', p + 2);
        if (close < 0) {
          this.error(p, n, 'unterminated comment', 'nix.unterminated-comment');
          comments.push({ type: 'Comment', kind: 'block', start: p, end: n, text: text.slice(p + 2) });
          return n;
        }
        const doc = text.charCodeAt(p + 2) === 42 && close > p + 2;
        comments.push({
          type: 'Comment',
          kind: doc ? 'doc' : 'block',
          start: p,
          end: close + 2,
          text: text.slice(p + (doc ? 3 : 2), close),
        });
        p = close + 2;
        continue;
      }
      return p;
    }
  }

  private lexDefault(p: number): number {
    const text = this.text,
      n = this.n,
      pipeOperators = this.pipeOperators,
      errors = this.errors,
      comments = this.comments,
      modes = this.modes,
      stringOpens = this.stringOpens;
    p = this.skipTrivia(p);
    if (p >= n) return -1;
    const c = text.charCodeAt(p);
    const c1 = text.charCodeAt(p + 1);
    // Characters that can start a word, number or path: pick the longest rule, as flex does.
    if (c < 128 && (CLASS[c] & (ID_START | PATH_CHAR)) !== 0) {
      let best = 0,
        bestKind = Tok.UNKNOWN;
      if (CLASS[c] & ID_START) {
        let i = p + 1;
        while (i < n && is(text.charCodeAt(i), ID_CHAR)) i++;
        best = i - p;
        bestKind = Tok.ID;
        // Most names end at a character that neither continues a path run nor starts `/…` or `:…`;
        // then no longer rule can match (the other rules start with `.`, `+`, `-` or a digit).
        const after = text.charCodeAt(i);
        if (after !== 47 && after !== 58 && !is(after, PATH_CHAR)) {
          this.push(best >= 2 && best <= 7 ? keyword(text, p, best) : Tok.ID, p, i);
          return i;
        }
      }
      if (c === 46 && c1 === 46 && text.charCodeAt(p + 2) === 46 && best < 3) {
        best = 3;
        bestKind = Tok.ELLIPSIS;
      }
      if (c === 43 && c1 === 43 && best < 2) {
        best = 2;
        bestKind = Tok.CONCAT;
      }
      if (c === 45 && c1 === 62 && best < 2) {
        best = 2;
        bestKind = Tok.IMPL;
      }
      if (CLASS[c] & DIGIT) {
        let i = p + 1;
        while (is(text.charCodeAt(i), DIGIT)) i++;
        if (i - p > best) {
          best = i - p;
          bestKind = Tok.INT;
        }
      }
      if (c === 46 || CLASS[c] & DIGIT) {
        const f = this.floatLen(p);
        if (f > best) {
          best = f;
          bestKind = Tok.FLOAT;
        }
      }
      // Paths need a `/` right after the run of path characters, URIs a `:` right after the scheme.
      // `a.b.c` is one run for each of its names: measure it once.
      if (p < this.runStart || p >= this.runEnd) {
        this.runStart = p;
        this.runEnd = p;
        while (this.runEnd < n && is(text.charCodeAt(this.runEnd), PATH_CHAR)) this.runEnd++;
      }
      const afterRun = text.charCodeAt(this.runEnd);
      let seg = 0;
      if (afterRun === 47) {
        seg = this.runEnd + 1 - p;
        if (this.dollarCurlyAfter(p + seg) && seg + 2 > best) {
          best = seg + 2;
          bestKind = Tok.DOLLAR_CURLY;
        }
        const pl = this.pathLen(p);
        if (pl > best) {
          best = pl;
          bestKind = Tok.PATH;
        }
      } else if (afterRun === 58 && CLASS[c] & ID_START && c !== 95) {
        const u = this.uriLen(p);
        if (u > best) {
          best = u;
          bestKind = Tok.URI;
        }
      }
      switch (bestKind) {
        case Tok.ID:
          this.push(best >= 2 && best <= 7 ? keyword(text, p, best) : Tok.ID, p, p + best);
          return p + best;
        case Tok.DOLLAR_CURLY:
          return this.emitPath(Tok.PATH, p, seg); // `a/${`: the path start, then `${` in path mode
        case Tok.PATH:
          return this.emitPath(Tok.PATH, p, best);
        case Tok.URI:
          this.push(Tok.URI, p, p + best, text.slice(p, p + best));
          return p + best;
        case Tok.INT:
        case Tok.FLOAT:
        case Tok.ELLIPSIS:
        case Tok.CONCAT:
        case Tok.IMPL:
          this.push(bestKind, p, p + best);
          return p + best;
      }
      // a lone `.`, `+` or `-`
      this.push(c === 46 ? Tok.DOT : c === 43 ? Tok.PLUS : Tok.MINUS, p, p + 1);
      return p + 1;
    }
    switch (c) {
      case 47: {
        // /
        if (c1 === 47) {
          this.push(Tok.UPDATE, p, p + 2);
          return p + 2;
        }
        if (c1 === 36 && text.charCodeAt(p + 2) === 123) return this.emitPath(Tok.PATH, p, 1);
        const pl = this.pathLen(p);
        if (pl > 0) return this.emitPath(Tok.PATH, p, pl);
        this.push(Tok.SLASH, p, p + 1);
        return p + 1;
      }
      case 126: {
        // ~
        if (c1 === 47) {
          if (this.dollarCurlyAfter(p + 2)) return this.emitPath(Tok.HPATH, p, 2);
          const pl = this.pathLen(p + 1);
          if (pl > 0) return this.emitPath(Tok.HPATH, p, pl + 1);
        }
        break;
      }
      case 60: {
        // <
        let i = p + 1;
        let ok = false;
        while (is(text.charCodeAt(i), PATH_CHAR)) {
          const segStart = i;
          while (is(text.charCodeAt(i), PATH_CHAR)) i++;
          if (i === segStart) break;
          if (text.charCodeAt(i) === 62) {
            ok = true;
            break;
          }
          if (text.charCodeAt(i) !== 47) break;
          i++;
        }
        if (ok) {
          this.push(Tok.SPATH, p, i + 1, text.slice(p + 1, i));
          return i + 1;
        }
        if (c1 === 61) {
          this.push(Tok.LEQ, p, p + 2);
          return p + 2;
        }
        if (c1 === 124 && pipeOperators) {
          this.push(Tok.PIPE_FROM, p, p + 2);
          return p + 2;
        }
        this.push(Tok.LT, p, p + 1);
        return p + 1;
      }
      case 62:
        if (c1 === 61) {
          this.push(Tok.GEQ, p, p + 2);
          return p + 2;
        }
        this.push(Tok.GT, p, p + 1);
        return p + 1;
      case 61:
        if (c1 === 61) {
          this.push(Tok.EQ, p, p + 2);
          return p + 2;
        }
        this.push(Tok.ASSIGN, p, p + 1);
        return p + 1;
      case 33:
        if (c1 === 61) {
          this.push(Tok.NEQ, p, p + 2);
          return p + 2;
        }
        this.push(Tok.BANG, p, p + 1);
        return p + 1;
      case 38:
        if (c1 === 38) {
          this.push(Tok.AND, p, p + 2);
          return p + 2;
        }
        break;
      case 124:
        if (c1 === 124) {
          this.push(Tok.OR, p, p + 2);
          return p + 2;
        }
        if (c1 === 62 && pipeOperators) {
          this.push(Tok.PIPE_INTO, p, p + 2);
          return p + 2;
        }
        break;
      case 36:
        if (c1 === 123) {
          this.push(Tok.DOLLAR_CURLY, p, p + 2);
          modes.push(Mode.DEFAULT);
          return p + 2;
        }
        break;
      case 123:
        this.push(Tok.LBRACE, p, p + 1);
        modes.push(Mode.DEFAULT);
        return p + 1;
      case 125:
        this.push(Tok.RBRACE, p, p + 1);
        if (modes.length > 1) modes.pop();
        return p + 1;
      case 34:
        stringOpens.push({ pos: p, token: this.count, depth: modes.length, comments: comments.length, errors: errors.length });
        this.push(Tok.DQUOTE, p, p + 1);
        modes.push(Mode.STRING);
        return p + 1;
      case 39:
        if (c1 === 39) {
          let i = p + 2;
          while (text.charCodeAt(i) === 32) i++;
          const e = text.charCodeAt(i) === 10 ? i + 1 : p + 2;
          this.push(Tok.IND_OPEN, p, e);
          modes.push(Mode.IND_STRING);
          return e;
        }
        break;
      case 40:
        this.push(Tok.LPAREN, p, p + 1);
        return p + 1;
      case 41:
        this.push(Tok.RPAREN, p, p + 1);
        return p + 1;
      case 91:
        this.push(Tok.LBRACK, p, p + 1);
        return p + 1;
      case 93:
        this.push(Tok.RBRACK, p, p + 1);
        return p + 1;
      case 59:
        this.push(Tok.SEMI, p, p + 1);
        return p + 1;
      case 58:
        this.push(Tok.COLON, p, p + 1);
        return p + 1;
      case 64:
        this.push(Tok.AT, p, p + 1);
        return p + 1;
      case 44:
        this.push(Tok.COMMA, p, p + 1);
        return p + 1;
      case 63:
        this.push(Tok.QUESTION, p, p + 1);
        return p + 1;
      case 42:
        this.push(Tok.STAR, p, p + 1);
        return p + 1;
    }
    // Any other character is a token of its own that no grammar rule accepts.
    const w = c >= 0xd800 && c < 0xdc00 && p + 1 < n ? 2 : 1;
    this.push(Tok.UNKNOWN, p, p + w, text.slice(p, p + w));
    return p + w;
  }

  /** A `"` string hit the end of the file: end it at the end of its first line so the rest stays readable. */
  private recoverString(): number {
    const text = this.text,
      n = this.n,
      errors = this.errors,
      comments = this.comments,
      modes = this.modes,
      values = this.values,
      stringOpens = this.stringOpens;
    const open = stringOpens.pop()!;
    this.count = open.token + 1;
    while (values.length > 0 && this.valueTokens[values.length - 1] >= this.count) values.pop();
    modes.length = open.depth;
    comments.length = open.comments;
    errors.length = open.errors;
    let i = open.pos + 1;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 10 || d === 13) break;
      i++;
    }
    this.error(open.pos, i, 'unterminated string', 'nix.unterminated-string');
    if (i > open.pos + 1) this.push(Tok.STR, open.pos + 1, i, cook(text, open.pos + 1, i));
    this.push(Tok.DQUOTE, i, i);
    return i;
  }

  private lexString(p: number): number {
    const text = this.text,
      n = this.n,
      modes = this.modes,
      stringOpens = this.stringOpens;
    const c = text.charCodeAt(p);
    if (c === 34) {
      this.push(Tok.DQUOTE, p, p + 1);
      modes.pop();
      stringOpens.pop();
      return p + 1;
    }
    if (c === 36 && text.charCodeAt(p + 1) === 123) {
      this.push(Tok.DOLLAR_CURLY, p, p + 2);
      modes.push(Mode.DEFAULT);
      return p + 2;
    }
    let i = p;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 34) break;
      if (d === 92) {
        if (i + 1 >= n) return -1;
        i += 2;
        continue;
      }
      if (d === 36) {
        const d1 = text.charCodeAt(i + 1);
        if (d1 === 123) break;
        if (d1 === 34) {
          i++;
          break;
        }
        if (i + 1 >= n) return -1;
        i += d1 === 92 ? 1 : 2;
        continue;
      }
      i++;
    }
    if (i >= n) return -1;
    this.push(Tok.STR, p, i, cook(text, p, i));
    return i;
  }

  private lexIndString(p: number): number {
    const text = this.text,
      n = this.n,
      modes = this.modes;
    const c = text.charCodeAt(p);
    const c1 = text.charCodeAt(p + 1);
    if (c === 39 && c1 === 39) {
      const c2 = text.charCodeAt(p + 2);
      if (c2 === 36) {
        this.push(Tok.IND_STR, p, p + 3, '$');
        return p + 3;
      }
      if (c2 === 39) {
        this.push(Tok.IND_STR, p, p + 3, "''");
        return p + 3;
      }
      if (c2 === 92 && p + 3 < n) {
        this.push(Tok.IND_STR_ESCAPE, p, p + 4, cook(text, p + 2, p + 4));
        return p + 4;
      }
      this.push(Tok.IND_CLOSE, p, p + 2);
      modes.pop();
      return p + 2;
    }
    if (c === 36) {
      if (c1 === 123) {
        this.push(Tok.DOLLAR_CURLY, p, p + 2);
        modes.push(Mode.DEFAULT);
        return p + 2;
      }
      if (c1 === 39 || p + 1 >= n) {
        this.push(Tok.IND_STR, p, p + 1, '$');
        return p + 1;
      }
    }
    if (c === 39 && (c1 === 36 || p + 1 >= n)) {
      this.push(Tok.IND_STR, p, p + 1, "'");
      return p + 1;
    }
    let i = p;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 36) {
        const d1 = text.charCodeAt(i + 1);
        if (d1 === 123 || d1 === 39 || i + 1 >= n) break;
        i += 2;
        continue;
      }
      if (d === 39) {
        const d1 = text.charCodeAt(i + 1);
        if (d1 === 39 || d1 === 36 || i + 1 >= n) break;
        i += 2;
        continue;
      }
      i++;
    }
    this.push(Tok.IND_STR, p, i, text.slice(p, i));
    return i;
  }

  private lexPath(p: number, mode: Mode): number {
    const text = this.text,
      n = this.n,
      modes = this.modes;
    if (this.dollarCurlyAfter(p)) {
      this.push(Tok.DOLLAR_CURLY, p, p + 2);
      modes[modes.length - 1] = Mode.INPATH;
      modes.push(Mode.DEFAULT);
      return p + 2;
    }
    let len = this.pathLen(p);
    const seg = this.pathSegLen(p);
    if (seg > len) len = seg;
    if (len === 0) {
      let i = p;
      while (i < n && is(text.charCodeAt(i), PATH_CHAR)) i++;
      len = i - p;
    }
    if (len > 0) {
      this.push(Tok.STR, p, p + len, text.slice(p, p + len));
      modes[modes.length - 1] = text.charCodeAt(p + len - 1) === 47 ? Mode.INPATH_SLASH : Mode.INPATH;
      return p + len;
    }
    if (mode === Mode.INPATH_SLASH) this.error(p - 1, p, 'path has a trailing slash', 'nix.path-trailing-slash');
    this.push(Tok.PATH_END, p, p);
    modes.pop();
    return p;
  }
}
