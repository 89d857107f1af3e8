// Nix lexer following lexer.l of Nix 2.8: the same start conditions (strings, indented strings,
// interpolated paths), longest-match rule choice, number and path syntax. The whole text is
// tokenized up front into typed arrays, which keeps the parser's lookahead cheap.
import type { Comment, NixSyntaxError } from './ast';

export enum Tok {
  EOF, ID, INT, FLOAT, URI, SPATH, PATH, HPATH, STR, IND_STR, IND_STR_ESCAPE, DOLLAR_CURLY, DQUOTE, IND_OPEN, IND_CLOSE, PATH_END,
  IF, THEN, ELSE, ASSERT, WITH, LET, IN, REC, INHERIT, OR_KW, ELLIPSIS,
  EQ, NEQ, LEQ, GEQ, AND, OR, IMPL, UPDATE, CONCAT, PIPE_INTO, PIPE_FROM,
  LBRACE, RBRACE, LBRACK, RBRACK, LPAREN, RPAREN, SEMI, COLON, AT, COMMA, DOT, QUESTION, ASSIGN, LT, GT,
  PLUS, MINUS, STAR, SLASH, BANG, UNKNOWN,
}

/** Whether the word at p (as long as `word`, its first letter already matched) is `word`. */
function wordIs(text: string, p: number, word: string): boolean {
  for (let j = 1; j < word.length; j++) if (word.charCodeAt(j) !== text.charCodeAt(p + j)) return false;
  return true;
}

/** The keyword token of the word at [p, p+len), or ID; compares in place to avoid a string per identifier. */
function keyword(text: string, p: number, len: number): Tok {
  switch (text.charCodeAt(p)) {
    case 105: return len === 2 ? (text.charCodeAt(p + 1) === 102 ? Tok.IF : text.charCodeAt(p + 1) === 110 ? Tok.IN : Tok.ID) : len === 7 && wordIs(text, p, 'inherit') ? Tok.INHERIT : Tok.ID;
    case 116: return len === 4 && wordIs(text, p, 'then') ? Tok.THEN : Tok.ID;
    case 101: return len === 4 && wordIs(text, p, 'else') ? Tok.ELSE : Tok.ID;
    case 97: return len === 6 && wordIs(text, p, 'assert') ? Tok.ASSERT : Tok.ID;
    case 119: return len === 4 && wordIs(text, p, 'with') ? Tok.WITH : Tok.ID;
    case 108: return len === 3 && wordIs(text, p, 'let') ? Tok.LET : Tok.ID;
    case 114: return len === 3 && wordIs(text, p, 'rec') ? Tok.REC : Tok.ID;
    case 111: return len === 2 && text.charCodeAt(p + 1) === 114 ? Tok.OR_KW : Tok.ID;
  }
  return Tok.ID;
}

// Character classes of lexer.l, as bits in a table over ASCII.
const ID_START = 1, ID_CHAR = 2, PATH_CHAR = 4, URI_CHAR = 8, SCHEME_CHAR = 16, DIGIT = 32;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alpha = /[a-zA-Z]/.test(ch), digit = /[0-9]/.test(ch);
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

const enum Mode { DEFAULT, STRING, IND_STRING, INPATH, INPATH_SLASH }

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
  let lo = 0, hi = tokens.values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (idx[mid] < i) lo = mid + 1; else hi = mid;
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
  const n = text.length;
  let cap = Math.max(64, Math.ceil(n / 3));
  let kind = new Uint8Array(cap), start = new Int32Array(cap), end = new Int32Array(cap);
  let valueTokens = new Int32Array(Math.max(16, cap >> 3));
  const values: string[] = [];
  let count = 0;
  const modes: Mode[] = [Mode.DEFAULT];
  // Where each open `"` began, to recover from an unterminated string.
  const stringOpens: { pos: number; token: number; depth: number; comments: number; errors: number }[] = [];

  // Nix keeps token texts as C strings: a NUL ends them (checked once, NULs never occur in real files).
  const hasNul = text.indexOf('\0') >= 0;
  const push = (k: Tok, s: number, e: number, v?: string) => {
    if (count === cap) {
      cap *= 2;
      const k2 = new Uint8Array(cap); k2.set(kind); kind = k2;
      const s2 = new Int32Array(cap); s2.set(start); start = s2;
      const e2 = new Int32Array(cap); e2.set(end); end = e2;
    }
    kind[count] = k; start[count] = s; end[count] = e;
    if (v !== undefined) {
      if (hasNul && v.indexOf('\0') >= 0) v = v.slice(0, v.indexOf('\0'));
      if (values.length === valueTokens.length) { const v2 = new Int32Array(valueTokens.length * 2); v2.set(valueTokens); valueTokens = v2; }
      valueTokens[values.length] = count;
      values.push(v);
    }
    count++;
  };
  const error = (s: number, e: number, message: string, code: string) => errors.push({ start: s, end: e, message, code });

  // Lengths of the longest match of each rule at p (0 = no match).
  const pathLen = (p: number): number => {
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
  };
  /** `{PATH_CHAR}*\/` */
  const pathSegLen = (p: number): number => {
    let i = p;
    while (i < n && is(text.charCodeAt(i), PATH_CHAR)) i++;
    return text.charCodeAt(i) === 47 ? i + 1 - p : 0;
  };
  const uriLen = (p: number): number => {
    let i = p + 1;
    while (i < n && is(text.charCodeAt(i), SCHEME_CHAR)) i++;
    if (text.charCodeAt(i) !== 58 || !is(text.charCodeAt(i + 1), URI_CHAR)) return 0;
    i += 2;
    while (i < n && is(text.charCodeAt(i), URI_CHAR)) i++;
    return i - p;
  };
  const floatLen = (p: number): number => {
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
  };
  const dollarCurlyAfter = (i: number) => text.charCodeAt(i) === 36 && text.charCodeAt(i + 1) === 123;

  const emitPath = (k: Tok, p: number, len: number) => {
    push(k, p, p + len, text.slice(p, p + len));
    modes.push(text.charCodeAt(p + len - 1) === 47 ? Mode.INPATH_SLASH : Mode.INPATH);
    return p + len;
  };

  /** Whitespace and comments; returns the next significant position. */
  const skipTrivia = (p: number): number => {
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === 32 || c === 9 || c === 10 || c === 13) { p++; continue; }
      if (c === 35) {
        let i = p + 1;
        while (i < n) { const d = text.charCodeAt(i); if (d === 10 || d === 13) break; i++; }
        comments.push({ type: 'Comment', kind: 'line', start: p, end: i, text: text.slice(p + 1, i) });
        p = i;
        continue;
      }
      if (c === 47 && text.charCodeAt(p + 1) === 42) {
        const close = text.indexOf('*/', p + 2);
        if (close < 0) {
          error(p, n, 'unterminated comment', 'nix.unterminated-comment');
          comments.push({ type: 'Comment', kind: 'block', start: p, end: n, text: text.slice(p + 2) });
          return n;
        }
        const doc = text.charCodeAt(p + 2) === 42 && close > p + 2;
        comments.push({ type: 'Comment', kind: doc ? 'doc' : 'block', start: p, end: close + 2, text: text.slice(p + (doc ? 3 : 2), close) });
        p = close + 2;
        continue;
      }
      return p;
    }
  };

  /** The last run of path characters measured in lexDefault, [runStart, runEnd). */
  let runStart = 0, runEnd = 0;
  const lexDefault = (p: number): number => {
    p = skipTrivia(p);
    if (p >= n) return -1;
    const c = text.charCodeAt(p);
    const c1 = text.charCodeAt(p + 1);
    // Characters that can start a word, number or path: pick the longest rule, as flex does.
    if (c < 128 && (CLASS[c] & (ID_START | PATH_CHAR)) !== 0) {
      let best = 0, bestKind = Tok.UNKNOWN;
      if (CLASS[c] & ID_START) {
        let i = p + 1;
        while (i < n && is(text.charCodeAt(i), ID_CHAR)) i++;
        best = i - p; bestKind = Tok.ID;
        // Most names end at a character that neither continues a path run nor starts `/…` or `:…`;
        // then no longer rule can match (the other rules start with `.`, `+`, `-` or a digit).
        const after = text.charCodeAt(i);
        if (after !== 47 && after !== 58 && !is(after, PATH_CHAR)) {
          push(best >= 2 && best <= 7 ? keyword(text, p, best) : Tok.ID, p, i);
          return i;
        }
      }
      if (c === 46 && c1 === 46 && text.charCodeAt(p + 2) === 46 && best < 3) { best = 3; bestKind = Tok.ELLIPSIS; }
      if (c === 43 && c1 === 43 && best < 2) { best = 2; bestKind = Tok.CONCAT; }
      if (c === 45 && c1 === 62 && best < 2) { best = 2; bestKind = Tok.IMPL; }
      if (CLASS[c] & DIGIT) {
        let i = p + 1;
        while (is(text.charCodeAt(i), DIGIT)) i++;
        if (i - p > best) { best = i - p; bestKind = Tok.INT; }
      }
      if (c === 46 || (CLASS[c] & DIGIT)) {
        const f = floatLen(p);
        if (f > best) { best = f; bestKind = Tok.FLOAT; }
      }
      // Paths need a `/` right after the run of path characters, URIs a `:` right after the scheme.
      // `a.b.c` is one run for each of its names: measure it once.
      if (p < runStart || p >= runEnd) {
        runStart = p; runEnd = p;
        while (runEnd < n && is(text.charCodeAt(runEnd), PATH_CHAR)) runEnd++;
      }
      const afterRun = text.charCodeAt(runEnd);
      let seg = 0;
      if (afterRun === 47) {
        seg = runEnd + 1 - p;
        if (dollarCurlyAfter(p + seg) && seg + 2 > best) { best = seg + 2; bestKind = Tok.DOLLAR_CURLY; }
        const pl = pathLen(p);
        if (pl > best) { best = pl; bestKind = Tok.PATH; }
      } else if (afterRun === 58 && (CLASS[c] & ID_START) && c !== 95) {
        const u = uriLen(p);
        if (u > best) { best = u; bestKind = Tok.URI; }
      }
      switch (bestKind) {
        case Tok.ID: push(best >= 2 && best <= 7 ? keyword(text, p, best) : Tok.ID, p, p + best); return p + best;
        case Tok.DOLLAR_CURLY: return emitPath(Tok.PATH, p, seg); // `a/${`: the path start, then `${` in path mode
        case Tok.PATH: return emitPath(Tok.PATH, p, best);
        case Tok.URI: push(Tok.URI, p, p + best, text.slice(p, p + best)); return p + best;
        case Tok.INT: case Tok.FLOAT: case Tok.ELLIPSIS: case Tok.CONCAT: case Tok.IMPL:
          push(bestKind, p, p + best); return p + best;
      }
      // a lone `.`, `+` or `-`
      push(c === 46 ? Tok.DOT : c === 43 ? Tok.PLUS : Tok.MINUS, p, p + 1);
      return p + 1;
    }
    switch (c) {
      case 47: { // /
        if (c1 === 47) { push(Tok.UPDATE, p, p + 2); return p + 2; }
        if (c1 === 36 && text.charCodeAt(p + 2) === 123) return emitPath(Tok.PATH, p, 1);
        const pl = pathLen(p);
        if (pl > 0) return emitPath(Tok.PATH, p, pl);
        push(Tok.SLASH, p, p + 1); return p + 1;
      }
      case 126: { // ~
        if (c1 === 47) {
          if (dollarCurlyAfter(p + 2)) return emitPath(Tok.HPATH, p, 2);
          const pl = pathLen(p + 1);
          if (pl > 0) return emitPath(Tok.HPATH, p, pl + 1);
        }
        break;
      }
      case 60: { // <
        let i = p + 1;
        let ok = false;
        while (is(text.charCodeAt(i), PATH_CHAR)) {
          const segStart = i;
          while (is(text.charCodeAt(i), PATH_CHAR)) i++;
          if (i === segStart) break;
          if (text.charCodeAt(i) === 62) { ok = true; break; }
          if (text.charCodeAt(i) !== 47) break;
          i++;
        }
        if (ok) { push(Tok.SPATH, p, i + 1, text.slice(p + 1, i)); return i + 1; }
        if (c1 === 61) { push(Tok.LEQ, p, p + 2); return p + 2; }
        if (c1 === 124 && pipeOperators) { push(Tok.PIPE_FROM, p, p + 2); return p + 2; }
        push(Tok.LT, p, p + 1); return p + 1;
      }
      case 62: if (c1 === 61) { push(Tok.GEQ, p, p + 2); return p + 2; } push(Tok.GT, p, p + 1); return p + 1;
      case 61: if (c1 === 61) { push(Tok.EQ, p, p + 2); return p + 2; } push(Tok.ASSIGN, p, p + 1); return p + 1;
      case 33: if (c1 === 61) { push(Tok.NEQ, p, p + 2); return p + 2; } push(Tok.BANG, p, p + 1); return p + 1;
      case 38: if (c1 === 38) { push(Tok.AND, p, p + 2); return p + 2; } break;
      case 124:
        if (c1 === 124) { push(Tok.OR, p, p + 2); return p + 2; }
        if (c1 === 62 && pipeOperators) { push(Tok.PIPE_INTO, p, p + 2); return p + 2; }
        break;
      case 36: if (c1 === 123) { push(Tok.DOLLAR_CURLY, p, p + 2); modes.push(Mode.DEFAULT); return p + 2; } break;
      case 123: push(Tok.LBRACE, p, p + 1); modes.push(Mode.DEFAULT); return p + 1;
      case 125: push(Tok.RBRACE, p, p + 1); if (modes.length > 1) modes.pop(); return p + 1;
      case 34:
        stringOpens.push({ pos: p, token: count, depth: modes.length, comments: comments.length, errors: errors.length });
        push(Tok.DQUOTE, p, p + 1); modes.push(Mode.STRING); return p + 1;
      case 39:
        if (c1 === 39) {
          let i = p + 2;
          while (text.charCodeAt(i) === 32) i++;
          const e = text.charCodeAt(i) === 10 ? i + 1 : p + 2;
          push(Tok.IND_OPEN, p, e); modes.push(Mode.IND_STRING); return e;
        }
        break;
      case 40: push(Tok.LPAREN, p, p + 1); return p + 1;
      case 41: push(Tok.RPAREN, p, p + 1); return p + 1;
      case 91: push(Tok.LBRACK, p, p + 1); return p + 1;
      case 93: push(Tok.RBRACK, p, p + 1); return p + 1;
      case 59: push(Tok.SEMI, p, p + 1); return p + 1;
      case 58: push(Tok.COLON, p, p + 1); return p + 1;
      case 64: push(Tok.AT, p, p + 1); return p + 1;
      case 44: push(Tok.COMMA, p, p + 1); return p + 1;
      case 63: push(Tok.QUESTION, p, p + 1); return p + 1;
      case 42: push(Tok.STAR, p, p + 1); return p + 1;
    }
    // Any other character is a token of its own that no grammar rule accepts.
    const w = c >= 0xd800 && c < 0xdc00 && p + 1 < n ? 2 : 1;
    push(Tok.UNKNOWN, p, p + w, text.slice(p, p + w));
    return p + w;
  };

  /** A `"` string hit the end of the file: end it at the end of its first line so the rest stays readable. */
  const recoverString = (): number => {
    const open = stringOpens.pop()!;
    count = open.token + 1;
    while (values.length > 0 && valueTokens[values.length - 1] >= count) values.pop();
    modes.length = open.depth;
    comments.length = open.comments;
    errors.length = open.errors;
    let i = open.pos + 1;
    while (i < n) { const d = text.charCodeAt(i); if (d === 10 || d === 13) break; i++; }
    error(open.pos, i, 'unterminated string', 'nix.unterminated-string');
    if (i > open.pos + 1) push(Tok.STR, open.pos + 1, i, cook(text, open.pos + 1, i));
    push(Tok.DQUOTE, i, i);
    return i;
  };

  const lexString = (p: number): number => {
    const c = text.charCodeAt(p);
    if (c === 34) { push(Tok.DQUOTE, p, p + 1); modes.pop(); stringOpens.pop(); return p + 1; }
    if (c === 36 && text.charCodeAt(p + 1) === 123) { push(Tok.DOLLAR_CURLY, p, p + 2); modes.push(Mode.DEFAULT); return p + 2; }
    let i = p;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 34) break;
      if (d === 92) { if (i + 1 >= n) return -1; i += 2; continue; }
      if (d === 36) {
        const d1 = text.charCodeAt(i + 1);
        if (d1 === 123) break;
        if (d1 === 34) { i++; break; }
        if (i + 1 >= n) return -1;
        i += d1 === 92 ? 1 : 2;
        continue;
      }
      i++;
    }
    if (i >= n) return -1;
    push(Tok.STR, p, i, cook(text, p, i));
    return i;
  };

  const lexIndString = (p: number): number => {
    const c = text.charCodeAt(p);
    const c1 = text.charCodeAt(p + 1);
    if (c === 39 && c1 === 39) {
      const c2 = text.charCodeAt(p + 2);
      if (c2 === 36) { push(Tok.IND_STR, p, p + 3, '$'); return p + 3; }
      if (c2 === 39) { push(Tok.IND_STR, p, p + 3, "''"); return p + 3; }
      if (c2 === 92 && p + 3 < n) {
        push(Tok.IND_STR_ESCAPE, p, p + 4, cook(text, p + 2, p + 4));
        return p + 4;
      }
      push(Tok.IND_CLOSE, p, p + 2); modes.pop(); return p + 2;
    }
    if (c === 36) {
      if (c1 === 123) { push(Tok.DOLLAR_CURLY, p, p + 2); modes.push(Mode.DEFAULT); return p + 2; }
      if (c1 === 39 || p + 1 >= n) { push(Tok.IND_STR, p, p + 1, '$'); return p + 1; }
    }
    if (c === 39 && (c1 === 36 || p + 1 >= n)) { push(Tok.IND_STR, p, p + 1, "'"); return p + 1; }
    let i = p;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 36) {
        const d1 = text.charCodeAt(i + 1);
        if (d1 === 123 || d1 === 39 || i + 1 >= n) break;
        i += 2; continue;
      }
      if (d === 39) {
        const d1 = text.charCodeAt(i + 1);
        if (d1 === 39 || d1 === 36 || i + 1 >= n) break;
        i += 2; continue;
      }
      i++;
    }
    push(Tok.IND_STR, p, i, text.slice(p, i));
    return i;
  };

  const lexPath = (p: number, mode: Mode): number => {
    if (dollarCurlyAfter(p)) {
      push(Tok.DOLLAR_CURLY, p, p + 2);
      modes[modes.length - 1] = Mode.INPATH;
      modes.push(Mode.DEFAULT);
      return p + 2;
    }
    let len = pathLen(p);
    const seg = pathSegLen(p);
    if (seg > len) len = seg;
    if (len === 0) { let i = p; while (i < n && is(text.charCodeAt(i), PATH_CHAR)) i++; len = i - p; }
    if (len > 0) {
      push(Tok.STR, p, p + len, text.slice(p, p + len));
      modes[modes.length - 1] = text.charCodeAt(p + len - 1) === 47 ? Mode.INPATH_SLASH : Mode.INPATH;
      return p + len;
    }
    if (mode === Mode.INPATH_SLASH) error(p - 1, p, 'path has a trailing slash', 'nix.path-trailing-slash');
    push(Tok.PATH_END, p, p);
    modes.pop();
    return p;
  };

  let p = 0;
  for (;;) {
    const mode = modes[modes.length - 1];
    let next: number;
    if (p >= n && mode !== Mode.INPATH && mode !== Mode.INPATH_SLASH) next = -1;
    else if (mode === Mode.DEFAULT) next = lexDefault(p);
    else if (mode === Mode.STRING) next = lexString(p);
    else if (mode === Mode.IND_STRING) next = lexIndString(p);
    else next = lexPath(p, mode);
    if (next < 0) {
      // End of input: an open `"` string is closed at its first line end and lexing resumes there.
      if (stringOpens.length > 0 && modes.lastIndexOf(Mode.STRING) >= 0) { p = recoverString(); continue; }
      if (modes[modes.length - 1] === Mode.IND_STRING) error(n, n, "unterminated indented string ('' … '')", 'nix.unterminated-string');
      break;
    }
    p = next;
  }
  push(Tok.EOF, n, n);
  return { count, kind, start, end, valueTokens, values };
}
