// Error-tolerant recursive-descent/Pratt parser for the Nix grammar of parser.y (Nix 2.8 semantics,
// plus the optional `|>`/`<|` pipe operators of later Nix). On an error it records a diagnostic,
// inserts a `Missing` node where something was expected and resynchronises on `;`, `}`, `in` or a
// closing bracket, so one broken binding leaves the rest of the file parsed.
import type {
  AttrName, AttrPath, Binding, BindingOrInherit, Comment, Expr, Formal, Formals, Identifier, Inherit, Interpolation,
  Missing, NixSyntaxError, StringPart, StringText, BinaryOp,
} from './ast';
import { AttrsBuilder, checkBindings } from './desugar';
import { Tok, tokenValue, tokenize, type Tokens } from './lexer';

export interface ParseOptions {
  /** Accept `|>` and `<|` (Nix's experimental pipe-operators feature). Off by default, as in Nix 2.8. */
  pipeOperators?: boolean;
}

export interface ParseResult {
  root: Expr;
  errors: NixSyntaxError[];
  comments: Comment[];
}

export function parseNix(text: string, options: ParseOptions = {}): ParseResult {
  const errors: NixSyntaxError[] = [];
  const comments: Comment[] = [];
  const tokens = tokenize(text, options.pipeOperators === true, errors, comments);
  const parser = new Parser(text, tokens, errors, comments);
  const root = parser.parseFile();
  errors.sort((a, b) => a.start - b.start);
  return { root, errors, comments };
}

// Binding powers of binary operators (parser.y's %left/%right/%nonassoc lines, lowest first).
const PREC_PIPE = 0, PREC_NOT = 7, PREC_HAS_ATTR = 11, PREC_NEGATE = 12;
const enum Assoc { LEFT, RIGHT, NONE }
const BINARY: { [k: number]: [BinaryOp, number, Assoc] | undefined } = {
  [Tok.PIPE_INTO]: ['|>', PREC_PIPE, Assoc.LEFT],
  [Tok.PIPE_FROM]: ['<|', PREC_PIPE, Assoc.RIGHT],
  [Tok.IMPL]: ['->', 1, Assoc.RIGHT],
  [Tok.OR]: ['||', 2, Assoc.LEFT],
  [Tok.AND]: ['&&', 3, Assoc.LEFT],
  [Tok.EQ]: ['==', 4, Assoc.NONE], [Tok.NEQ]: ['!=', 4, Assoc.NONE],
  [Tok.LT]: ['<', 5, Assoc.NONE], [Tok.GT]: ['>', 5, Assoc.NONE], [Tok.LEQ]: ['<=', 5, Assoc.NONE], [Tok.GEQ]: ['>=', 5, Assoc.NONE],
  [Tok.UPDATE]: ['//', 6, Assoc.RIGHT],
  [Tok.PLUS]: ['+', 8, Assoc.LEFT], [Tok.MINUS]: ['-', 8, Assoc.LEFT],
  [Tok.STAR]: ['*', 9, Assoc.LEFT], [Tok.SLASH]: ['/', 9, Assoc.LEFT],
  [Tok.CONCAT]: ['++', 10, Assoc.RIGHT],
};

const TOKEN_NAMES: { [k: number]: string } = {
  [Tok.EOF]: 'end of file', [Tok.ID]: 'identifier', [Tok.INT]: 'integer', [Tok.FLOAT]: 'float', [Tok.URI]: 'URI',
  [Tok.SPATH]: 'search path', [Tok.PATH]: 'path', [Tok.HPATH]: 'path', [Tok.STR]: 'string', [Tok.IND_STR]: 'string', [Tok.IND_STR_ESCAPE]: 'string',
  [Tok.DOLLAR_CURLY]: "'${'", [Tok.DQUOTE]: "'\"'", [Tok.IND_OPEN]: "''", [Tok.IND_CLOSE]: "''", [Tok.PATH_END]: 'end of path',
  [Tok.IF]: "'if'", [Tok.THEN]: "'then'", [Tok.ELSE]: "'else'", [Tok.ASSERT]: "'assert'", [Tok.WITH]: "'with'",
  [Tok.LET]: "'let'", [Tok.IN]: "'in'", [Tok.REC]: "'rec'", [Tok.INHERIT]: "'inherit'", [Tok.OR_KW]: "'or'",
  [Tok.ELLIPSIS]: "'...'", [Tok.EQ]: "'=='", [Tok.NEQ]: "'!='", [Tok.LEQ]: "'<='", [Tok.GEQ]: "'>='", [Tok.AND]: "'&&'",
  [Tok.OR]: "'||'", [Tok.IMPL]: "'->'", [Tok.UPDATE]: "'//'", [Tok.CONCAT]: "'++'", [Tok.PIPE_INTO]: "'|>'",
  [Tok.PIPE_FROM]: "'<|'", [Tok.LBRACE]: "'{'", [Tok.RBRACE]: "'}'", [Tok.LBRACK]: "'['", [Tok.RBRACK]: "']'",
  [Tok.LPAREN]: "'('", [Tok.RPAREN]: "')'", [Tok.SEMI]: "';'", [Tok.COLON]: "':'", [Tok.AT]: "'@'", [Tok.COMMA]: "','",
  [Tok.DOT]: "'.'", [Tok.QUESTION]: "'?'", [Tok.ASSIGN]: "'='", [Tok.LT]: "'<'", [Tok.GT]: "'>'", [Tok.PLUS]: "'+'",
  [Tok.MINUS]: "'-'", [Tok.STAR]: "'*'", [Tok.SLASH]: "'/'", [Tok.BANG]: "'!'",
};

const MAX_INT = 9223372036854775807n;
/** Shared values for the small integers that make up most literals. */
const SMALL_INTS: bigint[] = Array.from({ length: 1000 }, (_, i) => BigInt(i));
/** Deepest nesting of expressions we parse; deeper input gets an error instead of a stack overflow. */
const MAX_NESTING = 400;
const MAX_OPERATOR_NESTING = 3000;

class Parser {
  private i = 0;
  private readonly kind: Uint8Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  /** Start offset of the token where the last error was reported, to avoid cascades. */
  private lastErrorAt = -1;
  private readonly attrs: AttrsBuilder;

  constructor(private readonly text: string, private readonly tokens: Tokens, private readonly errors: NixSyntaxError[], private readonly comments: Comment[]) {
    this.attrs = new AttrsBuilder(errors);
    this.kind = tokens.kind; this.start = tokens.start; this.end = tokens.end;
  }

  parseFile(): Expr {
    const root = this.parseExpr();
    if (this.kind[this.i] !== Tok.EOF) {
      this.unexpected('end of file');
      this.i = this.tokens.count - 1;
    }
    return root;
  }

  // ---- helpers

  /**
   * One string per distinct name, looked up by the name's characters in the text (FNV-1a hash, open
   * addressing), so an identifier seen before costs no string at all: a big file repeats few names.
   */
  private nameSlots = new Int32Array(1024); // 1 + index into nameList; 0 = empty
  private readonly nameList: string[] = [];
  private readonly nameHashes: number[] = [];
  private nameAt(s: number, e: number): string {
    const text = this.text;
    let h = 0x811c9dc5;
    for (let j = s; j < e; j++) h = Math.imul(h ^ text.charCodeAt(j), 16777619);
    const slots = this.nameSlots, mask = slots.length - 1;
    let slot = h & mask;
    for (let id = slots[slot]; id !== 0; slot = (slot + 1) & mask, id = slots[slot]) {
      const name = this.nameList[id - 1];
      if (this.nameHashes[id - 1] !== h || name.length !== e - s) continue;
      let j = 0;
      while (j < name.length && name.charCodeAt(j) === text.charCodeAt(s + j)) j++;
      if (j === name.length) return name;
    }
    const name = text.slice(s, e);
    this.nameList.push(name);
    this.nameHashes.push(h);
    slots[slot] = this.nameList.length;
    if (this.nameList.length * 2 > slots.length) this.growNameSlots();
    return name;
  }

  private growNameSlots(): void {
    const slots = new Int32Array(this.nameSlots.length * 2), mask = slots.length - 1;
    for (let id = 1; id <= this.nameList.length; id++) {
      let slot = this.nameHashes[id - 1] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.nameSlots = slots;
  }

  /**
   * Children of the node being built collect on one shared stack and are copied out to an array of
   * exactly their number: an array grown by push keeps room for 17 elements, and most node lists
   * hold one or two, so this keeps a large tree about a fifth smaller (less to allocate and to GC).
   */
  private readonly scratch: unknown[] = [];
  private scratchTop = 0;
  private collect(item: unknown): void { this.scratch[this.scratchTop++] = item; }
  /** The items collected since `base`, as an exact-size array; the stack drops back to `base`. */
  private collected<T>(base: number): T[] {
    const items = this.scratch.slice(base, this.scratchTop) as T[];
    this.scratchTop = base;
    return items;
  }

  /** The text a STR/IND_STR/path/URI token carries. */
  private value(i: number): string { return tokenValue(this.tokens, i); }

  private peek(): Tok { return this.kind[this.i]; }
  private get pos(): number { return this.start[this.i]; }
  /** End of the previous token: where a node that ends before the current token stops. */
  private get prevEnd(): number { return this.i > 0 ? this.end[this.i - 1] : 0; }

  private error(start: number, end: number, message: string, code = 'nix.syntax'): void {
    this.errors.push({ start, end, message, code });
  }

  private describe(i: number): string {
    const k = this.kind[i];
    if (k === Tok.UNKNOWN) return `character '${this.value(i)}'`;
    if (k === Tok.ID) return `identifier '${this.text.slice(this.start[i], this.end[i])}'`;
    return TOKEN_NAMES[k] ?? 'token';
  }

  private unexpected(expected: string): void {
    const at = this.pos;
    if (at === this.lastErrorAt) return;
    this.lastErrorAt = at;
    const end = Math.max(this.end[this.i], at);
    this.error(at, end, `unexpected ${this.describe(this.i)}, expected ${expected}`);
  }

  private expect(k: Tok, what: string): boolean {
    if (this.kind[this.i] === k) { this.i++; return true; }
    this.unexpected(what);
    return false;
  }

  /** A zero-width placeholder right after the last consumed token, so it never lies outside its parent. */
  private missing(): Missing {
    const at = this.prevEnd;
    return { type: 'Missing', start: at, end: at };
  }

  /**
   * Error recovery: skip tokens until, at bracket depth 0, a closing bracket (consumed when it is
   * `closer`), a `;` (consumed when `consumeSemi`), `in` (when `stopAtIn`) or, with `stopAtClauses`,
   * `then`, `else` or `,`.
   */
  private skipTo(options: { closer?: Tok; consumeSemi?: boolean; stopAtIn?: boolean; stopAtClauses?: boolean }): void {
    let depth = 0;
    for (;;) {
      const k = this.kind[this.i];
      if (k === Tok.EOF) return;
      if (k === Tok.LBRACE || k === Tok.LBRACK || k === Tok.LPAREN || k === Tok.DOLLAR_CURLY) depth++;
      else if (k === Tok.RBRACE || k === Tok.RBRACK || k === Tok.RPAREN) {
        if (depth === 0) { if (k === options.closer) this.i++; return; }
        depth--;
      } else if (depth === 0) {
        if (k === Tok.SEMI) { if (options.consumeSemi) this.i++; return; }
        if (k === Tok.IN && options.stopAtIn) return;
        if (options.stopAtClauses && (k === Tok.THEN || k === Tok.ELSE || k === Tok.COMMA)) return;
      }
      this.i++;
    }
  }

  /** After a broken binding or clause: on to the next one (past its `;`). */
  private synchronize(stopAtIn: boolean): void {
    this.skipTo({ consumeSemi: true, stopAtIn });
  }

  /** Inside brackets: on to the closing bracket, leaving a `;` to the enclosing binding. */
  private skipToCloser(closer: Tok): void {
    this.skipTo({ closer, stopAtIn: true });
  }

  // ---- expressions

  /** Nesting guard: recursion this deep would overflow the JS stack (Nix's bison stack takes ~10000). */
  private depth = 0;
  private tooDeepReported = false;

  parseExpr(): Expr {
    if (this.depth >= MAX_NESTING) return this.tooDeep();
    this.depth++;
    const e = this.parseExprInner();
    this.depth--;
    return e;
  }

  /** Operator chains (`a ++ b ++ …`) recurse with small frames, so they get a larger budget of their own. */
  private opDepth = 0;

  private parseOpNested(minPrec: number): Expr {
    if (this.opDepth >= MAX_OPERATOR_NESTING) return this.tooDeep();
    this.opDepth++;
    const e = this.parseOp(minPrec);
    this.opDepth--;
    return e;
  }

  /** Past the nesting limit: one error, and the rest of this subexpression is skipped. */
  private tooDeep(): Expr {
    const m = this.missing();
    if (!this.tooDeepReported) {
      this.tooDeepReported = true;
      this.error(m.start, m.end, 'expression nested too deeply for this parser', 'nix.too-deep');
    }
    this.skipTo({ stopAtIn: true, stopAtClauses: true });
    this.lastErrorAt = this.pos;
    return m;
  }

  private parseExprInner(): Expr {
    const k = this.peek();
    const s = this.pos;
    switch (k) {
      case Tok.ID: {
        const next = this.kind[this.i + 1];
        if (next === Tok.COLON) {
          const param = this.identifier();
          this.i++;
          const body = this.parseExpr();
          return { type: 'Lambda', start: s, end: body.end, param, body };
        }
        if (next === Tok.AT && this.kind[this.i + 2] === Tok.LBRACE) {
          const param = this.identifier();
          this.i++;
          const formals = this.parseFormals();
          this.expect(Tok.COLON, "':'");
          const body = this.parseExpr();
          this.checkFormals(formals, param);
          return { type: 'Lambda', start: s, end: body.end, param, formals, body };
        }
        break;
      }
      case Tok.LBRACE: {
        if (!this.isFormals()) break;
        const formals = this.parseFormals();
        let param: Identifier | undefined;
        if (this.peek() === Tok.AT) {
          this.i++;
          if (this.peek() === Tok.ID) param = this.identifier();
          else this.unexpected('identifier');
        }
        this.expect(Tok.COLON, "':'");
        const body = this.parseExpr();
        this.checkFormals(formals, param);
        return { type: 'Lambda', start: s, end: body.end, param, formals, body };
      }
      case Tok.ASSERT: case Tok.WITH: {
        this.i++;
        const first = this.parseExpr();
        if (!this.expect(Tok.SEMI, "';'")) this.synchronize(false);
        const body = this.parseExpr();
        return k === Tok.ASSERT
          ? { type: 'Assert', start: s, end: body.end, cond: first, body }
          : { type: 'With', start: s, end: body.end, env: first, body };
      }
      case Tok.LET: {
        if (this.kind[this.i + 1] === Tok.LBRACE) break;
        this.i++;
        const bindings = this.parseBindings(Tok.IN);
        this.expect(Tok.IN, "'in'");
        const body = this.parseExpr();
        const node: Expr = { type: 'Let', start: s, end: body.end, bindings, body };
        checkBindings(node, this.attrs, this.errors);
        return node;
      }
      case Tok.IF: {
        this.i++;
        const cond = this.parseExpr();
        this.expect(Tok.THEN, "'then'");
        const then = this.parseExpr();
        this.expect(Tok.ELSE, "'else'");
        const els = this.parseExpr();
        return { type: 'If', start: s, end: els.end, cond, then, else: els };
      }
    }
    return this.parseOp(PREC_PIPE);
  }

  private parseOp(minPrec: number): Expr {
    let left: Expr;
    const s = this.pos;
    const k = this.peek();
    if (k === Tok.BANG || k === Tok.MINUS) {
      this.i++;
      const operand = this.parseOpNested(k === Tok.BANG ? PREC_NOT + 1 : PREC_NEGATE + 1);
      left = { type: 'Unary', start: s, end: operand.end, op: k === Tok.BANG ? '!' : '-', expr: operand };
    } else {
      left = this.parseApp();
    }
    let pipeKind: Tok | undefined;
    for (;;) {
      const op = this.peek();
      if (op === Tok.QUESTION) {
        if (PREC_HAS_ATTR < minPrec) break;
        this.i++;
        const path = this.parseAttrPath();
        left = { type: 'HasAttr', start: left.start, end: path.end, expr: left, path };
        continue;
      }
      const info = BINARY[op];
      if (info === undefined || info[1] < minPrec) break;
      const name = info[0], prec = info[1], assoc = info[2];
      const opStart = this.pos;
      if (prec === PREC_PIPE) {
        if (pipeKind !== undefined && pipeKind !== op) this.error(opStart, this.end[this.i], "'|>' and '<|' cannot be mixed without parentheses");
        pipeKind = op;
      }
      this.i++;
      const right = this.parseOpNested(assoc === Assoc.RIGHT ? prec : prec + 1);
      left = { type: 'Binary', start: left.start, end: right.end, op: name, opStart, left, right };
      if (assoc === Assoc.NONE) {
        const nextInfo = BINARY[this.peek()];
        if (nextInfo && nextInfo[1] === prec) {
          this.unexpected('an operand in parentheses (the operator is not associative)');
          this.lastErrorAt = this.pos;
        }
      }
    }
    return left;
  }

  private startsSimple(k: Tok): boolean {
    switch (k) {
      case Tok.ID: case Tok.INT: case Tok.FLOAT: case Tok.DQUOTE: case Tok.IND_OPEN: case Tok.PATH: case Tok.HPATH:
      case Tok.SPATH: case Tok.URI: case Tok.LPAREN: case Tok.REC: case Tok.LBRACE: case Tok.LBRACK:
        return true;
      case Tok.LET:
        return this.kind[this.i + 1] === Tok.LBRACE;
    }
    return false;
  }

  private parseApp(): Expr {
    let fn = this.parseSelect();
    while (this.startsSimple(this.peek())) {
      const arg = this.parseSelect();
      fn = { type: 'Apply', start: fn.start, end: arg.end, fn, arg };
    }
    return fn;
  }

  private parseSelect(): Expr {
    const simple = this.parseSimple();
    if (this.peek() === Tok.DOT) {
      this.i++;
      const path = this.parseAttrPath();
      if (this.peek() === Tok.OR_KW) {
        this.i++;
        const def = this.parseSelect();
        return { type: 'Select', start: simple.start, end: def.end, expr: simple, path, default: def };
      }
      return { type: 'Select', start: simple.start, end: path.end, expr: simple, path };
    }
    if (this.peek() === Tok.OR_KW && simple.type !== 'Missing') {
      // parser.y keeps `f or` as the application of f to a variable named `or`.
      const orVar = this.identifierNamed('or');
      return { type: 'Apply', start: simple.start, end: orVar.end, fn: simple, arg: orVar };
    }
    return simple;
  }

  private identifier(): Identifier {
    const s = this.start[this.i], e = this.end[this.i];
    const node: Identifier = { type: 'Identifier', start: s, end: e, name: this.nameAt(s, e) };
    this.i++;
    return node;
  }

  private identifierNamed(name: string): Identifier {
    const node: Identifier = { type: 'Identifier', start: this.pos, end: this.end[this.i], name };
    this.i++;
    return node;
  }

  private parseSimple(): Expr {
    const s = this.pos;
    const e = this.end[this.i];
    switch (this.peek()) {
      case Tok.ID: return this.identifier();
      case Tok.INT: {
        this.i++;
        let value: bigint;
        if (e - s <= 3) {
          let small = 0;
          for (let j = s; j < e; j++) small = small * 10 + this.text.charCodeAt(j) - 48;
          value = small < SMALL_INTS.length ? SMALL_INTS[small] : BigInt(small);
        } else value = BigInt(this.text.slice(s, e));
        if (value > MAX_INT) this.error(s, e, `invalid integer '${this.text.slice(s, e)}'`, 'nix.invalid-integer');
        return { type: 'Int', start: s, end: e, value };
      }
      case Tok.FLOAT: {
        this.i++;
        const raw = this.text.slice(s, e);
        const value = Number(raw);
        if (!isFinite(value) || (value !== 0 && Math.abs(value) < 2.2250738585072014e-308) || (value === 0 && /[1-9]/.test(raw.replace(/[eE].*/, '')))) {
          this.error(s, e, `invalid float '${raw}'`, 'nix.invalid-float');
        }
        return { type: 'Float', start: s, end: e, value };
      }
      case Tok.URI: this.i++; return { type: 'Uri', start: s, end: e, value: this.value(this.i - 1) };
      case Tok.SPATH: this.i++; return { type: 'SearchPath', start: s, end: e, value: this.value(this.i - 1) };
      case Tok.DQUOTE: return this.parseString();
      case Tok.IND_OPEN: return this.parseIndString();
      case Tok.PATH: case Tok.HPATH: return this.parsePath();
      case Tok.LPAREN: {
        this.i++;
        const expr = this.parseExpr();
        if (!this.expect(Tok.RPAREN, "')'")) this.skipToCloser(Tok.RPAREN);
        return { type: 'Paren', start: s, end: this.prevEnd, expr };
      }
      case Tok.LET: case Tok.REC: case Tok.LBRACE: {
        const legacyLet = this.peek() === Tok.LET;
        const rec = this.peek() === Tok.REC;
        if (legacyLet || rec) {
          this.i++;
          if (!this.expect(Tok.LBRACE, "'{'")) return this.missing();
        } else this.i++;
        const bindings = this.parseBindings(Tok.RBRACE);
        this.expect(Tok.RBRACE, "'}'");
        const node: Expr = legacyLet
          ? { type: 'LegacyLet', start: s, end: this.prevEnd, bindings }
          : { type: 'AttrSet', start: s, end: this.prevEnd, rec, bindings };
        checkBindings(node, this.attrs, this.errors);
        return node;
      }
      case Tok.LBRACK: {
        this.i++;
        const base = this.scratchTop;
        for (;;) {
          const k = this.peek();
          if (k === Tok.RBRACK) { this.i++; break; }
          if (this.startsSimple(k)) {
            if (this.depth >= MAX_NESTING) { this.collect(this.tooDeep()); continue; }
            this.depth++;
            this.collect(this.parseSelect());
            this.depth--;
            continue;
          }
          this.unexpected("']'");
          if (k === Tok.EOF || k === Tok.RPAREN || k === Tok.RBRACE || k === Tok.SEMI || k === Tok.IN) break;
          this.i++;
        }
        const elements = this.collected<Expr>(base);
        return { type: 'List', start: s, end: this.prevEnd, elements };
      }
    }
    this.unexpected('an expression');
    const m = this.missing();
    // Skip a token nothing can start with, so the callers make progress.
    if (this.peek() === Tok.UNKNOWN || this.peek() === Tok.DOT || this.peek() === Tok.OR_KW) this.i++;
    return m;
  }

  private interpolation(): Interpolation {
    const s = this.pos;
    this.i++;
    const expr = this.parseExpr();
    if (!this.expect(Tok.RBRACE, "'}'")) this.skipToCloser(Tok.RBRACE);
    return { type: 'Interpolation', start: s, end: this.prevEnd, expr };
  }

  private parseString(): Expr {
    const s = this.pos;
    this.i++;
    const base = this.scratchTop;
    for (;;) {
      const k = this.peek();
      if (k === Tok.STR) { this.collect({ type: 'StringText', start: this.pos, end: this.end[this.i], value: this.value(this.i) }); this.i++; }
      else if (k === Tok.DOLLAR_CURLY) this.collect(this.interpolation());
      else { this.expect(Tok.DQUOTE, "'\"'"); break; }
    }
    const parts = this.collected<StringPart>(base);
    return { type: 'String', start: s, end: this.prevEnd, parts };
  }

  private parseIndString(): Expr {
    const s = this.pos;
    this.i++;
    const base = this.scratchTop;
    for (;;) {
      const k = this.peek();
      if (k === Tok.IND_STR || k === Tok.IND_STR_ESCAPE) {
        const st = this.pos, en = this.end[this.i], value = this.value(this.i);
        const part: StringText = k === Tok.IND_STR_ESCAPE ? { type: 'StringText', start: st, end: en, value, escape: true } : { type: 'StringText', start: st, end: en, value };
        this.collect(part);
        this.i++;
      } else if (k === Tok.DOLLAR_CURLY) this.collect(this.interpolation());
      else { this.expect(Tok.IND_CLOSE, "''"); break; }
    }
    const parts = this.collected<StringPart>(base);
    stripIndentation(parts);
    return { type: 'IndString', start: s, end: this.prevEnd, parts };
  }

  private parsePath(): Expr {
    const s = this.pos;
    const base = this.scratchTop;
    this.collect({ type: 'StringText', start: s, end: this.end[this.i], value: this.value(this.i) });
    this.i++;
    for (;;) {
      const k = this.peek();
      if (k === Tok.STR) { this.collect({ type: 'StringText', start: this.pos, end: this.end[this.i], value: this.value(this.i) }); this.i++; }
      else if (k === Tok.DOLLAR_CURLY) this.collect(this.interpolation());
      else { if (k === Tok.PATH_END) this.i++; break; }
    }
    const parts = this.collected<StringPart>(base);
    return { type: 'Path', start: s, end: parts[parts.length - 1].end, parts };
  }

  // ---- attribute paths and bindings

  private parseAttrName(): AttrName {
    switch (this.peek()) {
      case Tok.ID: return this.identifier();
      case Tok.OR_KW: return this.identifierNamed('or');
      case Tok.DQUOTE: return this.parseString() as AttrName;
      case Tok.DOLLAR_CURLY: return this.interpolation();
    }
    this.unexpected('an attribute name');
    return this.missing();
  }

  private parseAttrPath(): AttrPath {
    const s = this.pos;
    const first = this.parseAttrName();
    let attrs: AttrName[];
    if (this.peek() !== Tok.DOT || first.type === 'Missing') attrs = [first];
    else {
      const base = this.scratchTop;
      this.collect(first);
      let last: AttrName = first;
      while (this.peek() === Tok.DOT && last.type !== 'Missing') {
        this.i++;
        last = this.parseAttrName();
        this.collect(last);
      }
      attrs = this.collected<AttrName>(base);
    }
    const start = Math.min(s, attrs[0].start);
    return { type: 'AttrPath', start, end: Math.max(start, attrs[attrs.length - 1].end), attrs };
  }

  private parseBindings(closer: Tok): BindingOrInherit[] {
    const base = this.scratchTop;
    for (;;) {
      const k = this.peek();
      const s = this.pos;
      if (k === closer || k === Tok.EOF) break;
      if (k === Tok.INHERIT) {
        this.i++;
        let from: Expr | undefined;
        if (this.peek() === Tok.LPAREN) {
          this.i++;
          from = this.parseExpr();
          if (!this.expect(Tok.RPAREN, "')'")) this.skipToCloser(Tok.RPAREN);
        }
        const attrsBase = this.scratchTop;
        for (;;) {
          const a = this.peek();
          if (a === Tok.ID || a === Tok.OR_KW || a === Tok.DQUOTE || a === Tok.DOLLAR_CURLY) this.collect(this.parseAttrName());
          else break;
        }
        const attrs = this.collected<AttrName>(attrsBase);
        const node: Inherit = { type: 'Inherit', start: s, end: this.end[this.i], from, attrs };
        if (!this.expect(Tok.SEMI, "';'")) { node.end = this.prevEnd; this.synchronize(closer === Tok.IN); }
        this.collect(node);
        continue;
      }
      if (k === Tok.ID || k === Tok.OR_KW || k === Tok.DQUOTE || k === Tok.DOLLAR_CURLY) {
        const doc = this.docCommentBefore(s);
        const path = this.parseAttrPath();
        let value: Expr;
        if (this.expect(Tok.ASSIGN, "'='")) {
          const valueIndex = this.i, errorCount = this.errors.length;
          value = this.parseExpr();
          const after = this.peek();
          const reparsed = after === Tok.ASSIGN || after === Tok.DOT ? this.reparseBeforeMissingSemicolon(value, valueIndex, errorCount) : undefined;
          if (reparsed) value = reparsed;
          else if (!this.expect(Tok.SEMI, "';'")) this.synchronize(closer === Tok.IN);
        } else {
          value = this.missing();
          this.synchronize(closer === Tok.IN);
        }
        const node: Binding = { type: 'Binding', start: s, end: Math.max(this.prevEnd, value.end), path, value, doc };
        this.collect(node);
        continue;
      }
      this.unexpected(closer === Tok.IN ? "an attribute name or 'in'" : "an attribute name or '}'");
      const before = this.i;
      this.synchronize(closer === Tok.IN);
      if (this.i === before) {
        // A closer of another bracket: leave it to the enclosing construct.
        break;
      }
    }
    return this.collected<BindingOrInherit>(base);
  }

  /**
   * `a = f x⏎ b = 2;` reads as `a = f x b` followed by a stray `=`. When an argument on a later line
   * looks like the start of the next binding, parse the value again with a `;` assumed before it.
   */
  private reparseBeforeMissingSemicolon(value: Expr, valueIndex: number, errorCount: number): Expr | undefined {
    const split = this.nextBindingInside(value);
    if (split === undefined) return undefined;
    const splitIndex = this.tokenAt(split);
    if (splitIndex <= valueIndex) return undefined;
    this.errors.length = errorCount;
    this.tooDeepReported = false;
    const saved = this.kind[splitIndex];
    this.kind[splitIndex] = Tok.SEMI;
    this.i = valueIndex;
    const reparsed = this.parseExpr();
    this.kind[splitIndex] = saved;
    const stoppedAt = this.i;
    this.i = splitIndex;
    if (stoppedAt !== splitIndex) this.error(this.start[stoppedAt], this.end[stoppedAt], `unexpected ${this.describe(stoppedAt)}, expected ';'`);
    const at = this.end[splitIndex - 1];
    this.error(at, at, "missing ';' after the value", 'nix.missing-semicolon');
    this.lastErrorAt = this.pos;
    return reparsed;
  }

  /** Offset of an application argument that starts a line with an attribute name, on the value's right spine. */
  private nextBindingInside(e: Expr): number | undefined {
    for (;;) {
      switch (e.type) {
        case 'Binary': e = e.right; continue;
        case 'Unary': case 'Lambda': case 'With': case 'Assert': case 'Let': e = e.type === 'Unary' ? e.expr : e.body; continue;
        case 'If': e = e.else; continue;
        case 'Select': if (e.default) { e = e.default; continue; } return undefined;
        case 'Apply': {
          const args: Expr[] = [];
          let f: Expr = e;
          while (f.type === 'Apply') { args.unshift(f.arg); f = f.fn; }
          for (const arg of args) {
            const head = arg.type === 'Select' ? arg.expr : arg;
            if ((head.type === 'Identifier' || head.type === 'String') && this.startsLine(arg.start)) return arg.start;
          }
          e = args[args.length - 1];
          continue;
        }
      }
      return undefined;
    }
  }

  private startsLine(offset: number): boolean {
    for (let j = offset - 1; j >= 0; j--) {
      const c = this.text.charCodeAt(j);
      if (c === 10 || c === 13) return true;
      if (c !== 32 && c !== 9) return false;
    }
    return true;
  }

  /** Index of the token starting at `offset` (binary search). */
  private tokenAt(offset: number): number {
    let lo = 0, hi = this.tokens.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.start[mid] < offset) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** The `/** … *\/` comment that ends right before `offset` with only whitespace between. */
  private docCommentBefore(offset: number): Comment | undefined {
    const comments = this.comments;
    let lo = 0, hi = comments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comments[mid].end <= offset) lo = mid + 1; else hi = mid;
    }
    const c = comments[lo - 1];
    if (!c || c.kind !== 'doc') return undefined;
    for (let j = c.end; j < offset; j++) {
      const ch = this.text.charCodeAt(j);
      if (ch !== 32 && ch !== 9 && ch !== 10 && ch !== 13) return undefined;
    }
    return c;
  }

  // ---- lambdas

  /** At `{`: formals (`{ a, b ? 1, ... }:`) or an attribute set? parser.y decides with GLR; one look ahead suffices. */
  private isFormals(): boolean {
    const k1 = this.kind[this.i + 1];
    if (k1 === Tok.ELLIPSIS) return true;
    if (k1 === Tok.RBRACE) { const k2 = this.kind[this.i + 2]; return k2 === Tok.COLON || k2 === Tok.AT; }
    if (k1 === Tok.ID) {
      const k2 = this.kind[this.i + 2];
      if (k2 === Tok.COMMA || k2 === Tok.QUESTION) return true;
      if (k2 === Tok.RBRACE) { const k3 = this.kind[this.i + 3]; return k3 === Tok.COLON || k3 === Tok.AT; }
    }
    return false;
  }

  private parseFormals(): Formals {
    const s = this.pos;
    this.i++; // {
    const base = this.scratchTop;
    let ellipsis = false;
    for (;;) {
      const k = this.peek();
      if (k === Tok.RBRACE) break;
      if (k === Tok.ELLIPSIS) {
        ellipsis = true;
        this.i++;
        if (this.peek() !== Tok.RBRACE) this.unexpected("'}' ('...' must come last)");
        break;
      }
      if (k !== Tok.ID) { this.unexpected("an argument name or '}'"); break; }
      const fs = this.pos;
      const name = this.identifier();
      let def: Expr | undefined;
      if (this.peek() === Tok.QUESTION) { this.i++; def = this.parseExpr(); }
      // One literal per shape: adding `default` afterwards would move it out of the object.
      const formal: Formal = def ? { type: 'Formal', start: fs, end: def.end, name, default: def } : { type: 'Formal', start: fs, end: name.end, name };
      this.collect(formal);
      if (this.peek() === Tok.COMMA) { this.i++; continue; }
      if (this.peek() !== Tok.RBRACE) this.unexpected("',' or '}'");
      break;
    }
    if (this.peek() !== Tok.RBRACE) this.synchronize(false);
    if (this.peek() === Tok.RBRACE) this.i++;
    const formals = this.collected<Formal>(base);
    return { type: 'Formals', start: s, end: this.prevEnd, formals, ellipsis };
  }

  private checkFormals(formals: Formals, param: Identifier | undefined): void {
    const seen = new Set<string>();
    for (const f of formals.formals) {
      if (seen.has(f.name.name)) this.error(f.name.start, f.name.end, `duplicate formal function argument '${f.name.name}'`, 'nix.duplicate-formal');
      seen.add(f.name.name);
    }
    if (param && seen.has(param.name)) this.error(param.start, param.end, `duplicate formal function argument '${param.name}'`, 'nix.duplicate-formal');
  }
}

/**
 * Nix's stripIndentation over the parts of an indented string, in place: the smallest indentation
 * (in spaces) of the non-blank lines is removed from every line, and a last line of only spaces is
 * dropped. As in Nix 2.8, interpolations and `''\x` escapes end a line's indentation when measuring,
 * but escapes are stripped like text (an escaped newline starts a line).
 */
function stripIndentation(parts: StringPart[]): void {
  let atStartOfLine = true;
  let minIndent = 1000000;
  let curIndent = 0;
  for (const part of parts) {
    if (part.type !== 'StringText' || part.escape) {
      if (atStartOfLine) { atStartOfLine = false; if (curIndent < minIndent) minIndent = curIndent; }
      continue;
    }
    const v = part.value;
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (atStartOfLine) {
        if (c === 32) curIndent++;
        else if (c === 10) curIndent = 0;
        else { atStartOfLine = false; if (curIndent < minIndent) minIndent = curIndent; }
      } else if (c === 10) { atStartOfLine = true; curIndent = 0; }
    }
  }
  atStartOfLine = true;
  let curDropped = 0;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (part.type !== 'StringText') { atStartOfLine = false; curDropped = 0; continue; }
    const v = part.value;
    let out = '';
    let seg = 0;
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (atStartOfLine) {
        if (c === 32) {
          if (curDropped++ < minIndent) { out += v.slice(seg, j); seg = j + 1; }
        } else if (c === 10) curDropped = 0;
        else { atStartOfLine = false; curDropped = 0; }
      } else if (c === 10) atStartOfLine = true;
    }
    out += v.slice(seg);
    if (p === parts.length - 1) {
      const nl = out.lastIndexOf('\n');
      if (nl >= 0) {
        let onlySpaces = true;
        for (let j = nl + 1; j < out.length; j++) if (out.charCodeAt(j) !== 32) { onlySpaces = false; break; }
        if (onlySpaces) out = out.slice(0, nl + 1);
      }
    }
    part.value = out;
  }
}
