// Error-tolerant recursive-descent/Pratt parser for the Nix grammar of parser.y (Nix 2.8 semantics,
// plus the optional `|>`/`<|` pipe operators of later Nix). On an error it records a diagnostic,
// inserts a `Missing` node where something was expected and resynchronises on `;`, `}`, `in` or a
// closing bracket, so one broken binding leaves the rest of the file parsed. Nodes are rows of a
// NixTree (tree.ts) and the parser works on their ids.
import type { AttrSet, Comment, Expr, LegacyLet, Let, NixSyntaxError } from './ast';
import { AttrsBuilder, checkBindings } from './desugar';
import { Tok, tokenValue, tokenize, type Tokens } from './lexer';
import { BINARY_OPS, Flag, Kind, NONE, NixTree } from './tree';

export interface ParseOptions {
  /** Accept `|>` and `<|` (Nix's experimental pipe-operators feature). Off by default, as in Nix 2.8. */
  pipeOperators?: boolean;
}

export interface ParseResult {
  root: Expr;
  errors: NixSyntaxError[];
  comments: Comment[];
  /** The storage behind `root` (node count, columns). */
  tree: NixTree;
}

export function parseNix(text: string, options: ParseOptions = {}): ParseResult {
  const errors: NixSyntaxError[] = [];
  const comments: Comment[] = [];
  const tokens = tokenize(text, options.pipeOperators === true, errors, comments);
  const parser = new Parser(text, tokens, errors, comments);
  const root = parser.parseFile();
  errors.sort((a, b) => a.start - b.start);
  return { root: parser.tree.node(root) as Expr, errors, comments, tree: parser.tree };
}

// Binding powers of binary operators (parser.y's %left/%right/%nonassoc lines, lowest first).
const PREC_PIPE = 0,
  PREC_NOT = 7,
  PREC_HAS_ATTR = 11,
  PREC_NEGATE = 12;
const enum Assoc {
  LEFT,
  RIGHT,
  NONE,
}
const op = (name: string) => BINARY_OPS.indexOf(name as never);
/** Per operator token: [code in BINARY_OPS, precedence, associativity]. */
const BINARY: { [k: number]: [number, number, Assoc] | undefined } = {
  [Tok.PIPE_INTO]: [op('|>'), PREC_PIPE, Assoc.LEFT],
  [Tok.PIPE_FROM]: [op('<|'), PREC_PIPE, Assoc.RIGHT],
  [Tok.IMPL]: [op('->'), 1, Assoc.RIGHT],
  [Tok.OR]: [op('||'), 2, Assoc.LEFT],
  [Tok.AND]: [op('&&'), 3, Assoc.LEFT],
  [Tok.EQ]: [op('=='), 4, Assoc.NONE],
  [Tok.NEQ]: [op('!='), 4, Assoc.NONE],
  [Tok.LT]: [op('<'), 5, Assoc.NONE],
  [Tok.GT]: [op('>'), 5, Assoc.NONE],
  [Tok.LEQ]: [op('<='), 5, Assoc.NONE],
  [Tok.GEQ]: [op('>='), 5, Assoc.NONE],
  [Tok.UPDATE]: [op('//'), 6, Assoc.RIGHT],
  [Tok.PLUS]: [op('+'), 8, Assoc.LEFT],
  [Tok.MINUS]: [op('-'), 8, Assoc.LEFT],
  [Tok.STAR]: [op('*'), 9, Assoc.LEFT],
  [Tok.SLASH]: [op('/'), 9, Assoc.LEFT],
  [Tok.CONCAT]: [op('++'), 10, Assoc.RIGHT],
};

const TOKEN_NAMES: { [k: number]: string } = {
  [Tok.EOF]: 'end of file',
  [Tok.ID]: 'identifier',
  [Tok.INT]: 'integer',
  [Tok.FLOAT]: 'float',
  [Tok.URI]: 'URI',
  [Tok.SPATH]: 'search path',
  [Tok.PATH]: 'path',
  [Tok.HPATH]: 'path',
  [Tok.STR]: 'string',
  [Tok.IND_STR]: 'string',
  [Tok.IND_STR_ESCAPE]: 'string',
  [Tok.DOLLAR_CURLY]: "'${'",
  [Tok.DQUOTE]: "'\"'",
  [Tok.IND_OPEN]: "''",
  [Tok.IND_CLOSE]: "''",
  [Tok.PATH_END]: 'end of path',
  [Tok.IF]: "'if'",
  [Tok.THEN]: "'then'",
  [Tok.ELSE]: "'else'",
  [Tok.ASSERT]: "'assert'",
  [Tok.WITH]: "'with'",
  [Tok.LET]: "'let'",
  [Tok.IN]: "'in'",
  [Tok.REC]: "'rec'",
  [Tok.INHERIT]: "'inherit'",
  [Tok.OR_KW]: "'or'",
  [Tok.ELLIPSIS]: "'...'",
  [Tok.EQ]: "'=='",
  [Tok.NEQ]: "'!='",
  [Tok.LEQ]: "'<='",
  [Tok.GEQ]: "'>='",
  [Tok.AND]: "'&&'",
  [Tok.OR]: "'||'",
  [Tok.IMPL]: "'->'",
  [Tok.UPDATE]: "'//'",
  [Tok.CONCAT]: "'++'",
  [Tok.PIPE_INTO]: "'|>'",
  [Tok.PIPE_FROM]: "'<|'",
  [Tok.LBRACE]: "'{'",
  [Tok.RBRACE]: "'}'",
  [Tok.LBRACK]: "'['",
  [Tok.RBRACK]: "']'",
  [Tok.LPAREN]: "'('",
  [Tok.RPAREN]: "')'",
  [Tok.SEMI]: "';'",
  [Tok.COLON]: "':'",
  [Tok.AT]: "'@'",
  [Tok.COMMA]: "','",
  [Tok.DOT]: "'.'",
  [Tok.QUESTION]: "'?'",
  [Tok.ASSIGN]: "'='",
  [Tok.LT]: "'<'",
  [Tok.GT]: "'>'",
  [Tok.PLUS]: "'+'",
  [Tok.MINUS]: "'-'",
  [Tok.STAR]: "'*'",
  [Tok.SLASH]: "'/'",
  [Tok.BANG]: "'!'",
};

const MAX_INT = 9223372036854775807n;
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
  readonly tree: NixTree;

  constructor(
    private readonly text: string,
    private readonly tokens: Tokens,
    private readonly errors: NixSyntaxError[],
    private readonly comments: Comment[],
  ) {
    this.attrs = new AttrsBuilder(errors);
    this.kind = tokens.kind;
    this.start = tokens.start;
    this.end = tokens.end;
    // About one node per token in NixOS modules; the tree grows if a file needs more.
    this.tree = new NixTree(this.nameList, comments, tokens.count + 16);
  }

  parseFile(): number {
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
   * Identifier nodes hold the name's index.
   */
  private nameSlots = new Int32Array(1024); // 1 + index into nameList; 0 = empty
  private readonly nameList: string[] = [];
  private readonly nameHashes: number[] = [];
  private nameAt(s: number, e: number): number {
    const text = this.text;
    let h = 0x811c9dc5;
    for (let j = s; j < e; j++) h = Math.imul(h ^ text.charCodeAt(j), 16777619);
    const slots = this.nameSlots,
      mask = slots.length - 1;
    let slot = h & mask;
    for (let id = slots[slot]; id !== 0; slot = (slot + 1) & mask, id = slots[slot]) {
      const name = this.nameList[id - 1];
      if (this.nameHashes[id - 1] !== h || name.length !== e - s) continue;
      let j = 0;
      while (j < name.length && name.charCodeAt(j) === text.charCodeAt(s + j)) j++;
      if (j === name.length) return id - 1;
    }
    this.nameList.push(text.slice(s, e));
    this.nameHashes.push(h);
    slots[slot] = this.nameList.length;
    if (this.nameList.length * 2 > slots.length) this.growNameSlots();
    return this.nameList.length - 1;
  }

  private growNameSlots(): void {
    const slots = new Int32Array(this.nameSlots.length * 2),
      mask = slots.length - 1;
    for (let id = 1; id <= this.nameList.length; id++) {
      let slot = this.nameHashes[id - 1] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.nameSlots = slots;
  }

  /** Children of the node being built collect on one shared stack, then move to the tree's list column. */
  private scratch = new Int32Array(256);
  private scratchTop = 0;
  private collect(id: number): void {
    if (this.scratchTop === this.scratch.length) {
      const bigger = new Int32Array(this.scratch.length * 2);
      bigger.set(this.scratch);
      this.scratch = bigger;
    }
    this.scratch[this.scratchTop++] = id;
  }

  /** A node whose children are the items collected since `base` (a = list offset, b = length); the stack drops back to `base`. */
  private listNode(kind: Kind, start: number, end: number, base: number, c = NONE, flags = 0): number {
    const offset = this.tree.addList(this.scratch, base, this.scratchTop);
    const n = this.scratchTop - base;
    this.scratchTop = base;
    return this.tree.add(kind, start, end, offset, n, c, flags);
  }

  private isMissing(id: number): boolean {
    return this.tree.kind[id] === Kind.Missing;
  }

  /** The text a STR/IND_STR/path/URI token carries. */
  private value(i: number): string {
    return tokenValue(this.tokens, i);
  }

  private peek(): Tok {
    return this.kind[this.i];
  }
  private get pos(): number {
    return this.start[this.i];
  }
  /** End of the previous token: where a node that ends before the current token stops. */
  private get prevEnd(): number {
    return this.i > 0 ? this.end[this.i - 1] : 0;
  }

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
    if (this.kind[this.i] === k) {
      this.i++;
      return true;
    }
    this.unexpected(what);
    return false;
  }

  /** A zero-width placeholder right after the last consumed token, so it never lies outside its parent. */
  private missing(): number {
    const at = this.prevEnd;
    return this.tree.add(Kind.Missing, at, at, NONE, NONE, NONE);
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
        if (depth === 0) {
          if (k === options.closer) this.i++;
          return;
        }
        depth--;
      } else if (depth === 0) {
        if (k === Tok.SEMI) {
          if (options.consumeSemi) this.i++;
          return;
        }
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

  parseExpr(): number {
    if (this.depth >= MAX_NESTING) return this.tooDeep();
    this.depth++;
    const e = this.parseExprInner();
    this.depth--;
    return e;
  }

  /** Operator chains (`a ++ b ++ …`) recurse with small frames, so they get a larger budget of their own. */
  private opDepth = 0;

  private parseOpNested(minPrec: number): number {
    if (this.opDepth >= MAX_OPERATOR_NESTING) return this.tooDeep();
    this.opDepth++;
    const e = this.parseOp(minPrec);
    this.opDepth--;
    return e;
  }

  /** Past the nesting limit: one error, and the rest of this subexpression is skipped. */
  private tooDeep(): number {
    const m = this.missing();
    if (!this.tooDeepReported) {
      this.tooDeepReported = true;
      this.error(this.tree.start[m], this.tree.end[m], 'expression nested too deeply for this parser', 'nix.too-deep');
    }
    this.skipTo({ stopAtIn: true, stopAtClauses: true });
    this.lastErrorAt = this.pos;
    return m;
  }

  private parseExprInner(): number {
    const t = this.tree;
    const k = this.peek();
    const s = this.pos;
    switch (k) {
      case Tok.ID: {
        const next = this.kind[this.i + 1];
        if (next === Tok.COLON) {
          const param = this.identifier();
          this.i++;
          const body = this.parseExpr();
          return t.add(Kind.Lambda, s, t.end[body], param, NONE, body);
        }
        if (next === Tok.AT && this.kind[this.i + 2] === Tok.LBRACE) {
          const param = this.identifier();
          this.i++;
          const formals = this.parseFormals();
          this.expect(Tok.COLON, "':'");
          const body = this.parseExpr();
          this.checkFormals(formals, param);
          return t.add(Kind.Lambda, s, t.end[body], param, formals, body);
        }
        break;
      }
      case Tok.LBRACE: {
        if (!this.isFormals()) break;
        const formals = this.parseFormals();
        let param = NONE;
        if (this.peek() === Tok.AT) {
          this.i++;
          if (this.peek() === Tok.ID) param = this.identifier();
          else this.unexpected('identifier');
        }
        this.expect(Tok.COLON, "':'");
        const body = this.parseExpr();
        this.checkFormals(formals, param);
        return t.add(Kind.Lambda, s, t.end[body], param, formals, body);
      }
      case Tok.ASSERT:
      case Tok.WITH: {
        this.i++;
        const first = this.parseExpr();
        if (!this.expect(Tok.SEMI, "';'")) this.synchronize(false);
        const body = this.parseExpr();
        return t.add(k === Tok.ASSERT ? Kind.Assert : Kind.With, s, t.end[body], first, body, NONE);
      }
      case Tok.LET: {
        if (this.kind[this.i + 1] === Tok.LBRACE) break;
        this.i++;
        const base = this.parseBindings(Tok.IN);
        this.expect(Tok.IN, "'in'");
        const body = this.parseExpr();
        const node = this.listNode(Kind.Let, s, t.end[body], base, body);
        this.checkBindings(node);
        return node;
      }
      case Tok.IF: {
        this.i++;
        const cond = this.parseExpr();
        this.expect(Tok.THEN, "'then'");
        const then = this.parseExpr();
        this.expect(Tok.ELSE, "'else'");
        const els = this.parseExpr();
        return t.add(Kind.If, s, t.end[els], cond, then, els);
      }
    }
    return this.parseOp(PREC_PIPE);
  }

  private parseOp(minPrec: number): number {
    const t = this.tree;
    let left: number;
    const s = this.pos;
    const k = this.peek();
    if (k === Tok.BANG || k === Tok.MINUS) {
      this.i++;
      const operand = this.parseOpNested(k === Tok.BANG ? PREC_NOT + 1 : PREC_NEGATE + 1);
      left = t.add(Kind.Unary, s, t.end[operand], operand, NONE, NONE, k === Tok.MINUS ? Flag.Marked : 0);
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
        left = t.add(Kind.HasAttr, t.start[left], t.end[path], left, path, NONE);
        continue;
      }
      const info = BINARY[op];
      if (info === undefined || info[1] < minPrec) break;
      const code = info[0],
        prec = info[1],
        assoc = info[2];
      const opStart = this.pos;
      if (prec === PREC_PIPE) {
        if (pipeKind !== undefined && pipeKind !== op)
          this.error(opStart, this.end[this.i], "'|>' and '<|' cannot be mixed without parentheses");
        pipeKind = op;
      }
      this.i++;
      const right = this.parseOpNested(assoc === Assoc.RIGHT ? prec : prec + 1);
      left = t.add(Kind.Binary, t.start[left], t.end[right], left, right, opStart, code);
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
      case Tok.ID:
      case Tok.INT:
      case Tok.FLOAT:
      case Tok.DQUOTE:
      case Tok.IND_OPEN:
      case Tok.PATH:
      case Tok.HPATH:
      case Tok.SPATH:
      case Tok.URI:
      case Tok.LPAREN:
      case Tok.REC:
      case Tok.LBRACE:
      case Tok.LBRACK:
        return true;
      case Tok.LET:
        return this.kind[this.i + 1] === Tok.LBRACE;
    }
    return false;
  }

  private parseApp(): number {
    const t = this.tree;
    let fn = this.parseSelect();
    while (this.startsSimple(this.peek())) {
      const arg = this.parseSelect();
      fn = t.add(Kind.Apply, t.start[fn], t.end[arg], fn, arg, NONE);
    }
    return fn;
  }

  private parseSelect(): number {
    const t = this.tree;
    const simple = this.parseSimple();
    if (this.peek() === Tok.DOT) {
      this.i++;
      const path = this.parseAttrPath();
      if (this.peek() === Tok.OR_KW) {
        this.i++;
        const def = this.parseSelect();
        return t.add(Kind.Select, t.start[simple], t.end[def], simple, path, def);
      }
      return t.add(Kind.Select, t.start[simple], t.end[path], simple, path, NONE);
    }
    if (this.peek() === Tok.OR_KW && !this.isMissing(simple)) {
      // parser.y keeps `f or` as the application of f to a variable named `or`.
      const orVar = this.identifier();
      return t.add(Kind.Apply, t.start[simple], t.end[orVar], simple, orVar, NONE);
    }
    return simple;
  }

  /** An Identifier node for the current token (an ID, or the `or` keyword used as a name). */
  private identifier(): number {
    const s = this.start[this.i],
      e = this.end[this.i];
    this.i++;
    return this.tree.add(Kind.Identifier, s, e, this.nameAt(s, e), NONE, NONE);
  }

  private parseSimple(): number {
    const t = this.tree;
    const s = this.pos;
    const e = this.end[this.i];
    switch (this.peek()) {
      case Tok.ID:
        return this.identifier();
      case Tok.INT: {
        this.i++;
        if (e - s <= 9) {
          let small = 0;
          for (let j = s; j < e; j++) small = small * 10 + this.text.charCodeAt(j) - 48;
          return t.add(Kind.Int, s, e, small, NONE, NONE);
        }
        const value = BigInt(this.text.slice(s, e));
        if (value > MAX_INT) this.error(s, e, `invalid integer '${this.text.slice(s, e)}'`, 'nix.invalid-integer');
        return t.add(Kind.Int, s, e, t.addNumber(value), NONE, NONE, Flag.Marked);
      }
      case Tok.FLOAT: {
        this.i++;
        const raw = this.text.slice(s, e);
        const value = Number(raw);
        if (
          !isFinite(value) ||
          (value !== 0 && Math.abs(value) < 2.2250738585072014e-308) ||
          (value === 0 && /[1-9]/.test(raw.replace(/[eE].*/, '')))
        ) {
          this.error(s, e, `invalid float '${raw}'`, 'nix.invalid-float');
        }
        return t.add(Kind.Float, s, e, t.addNumber(value), NONE, NONE);
      }
      case Tok.URI:
        this.i++;
        return t.add(Kind.Uri, s, e, t.addText(this.value(this.i - 1)), NONE, NONE);
      case Tok.SPATH:
        this.i++;
        return t.add(Kind.SearchPath, s, e, t.addText(this.value(this.i - 1)), NONE, NONE);
      case Tok.DQUOTE:
        return this.parseString();
      case Tok.IND_OPEN:
        return this.parseIndString();
      case Tok.PATH:
      case Tok.HPATH:
        return this.parsePath();
      case Tok.LPAREN: {
        this.i++;
        const expr = this.parseExpr();
        if (!this.expect(Tok.RPAREN, "')'")) this.skipToCloser(Tok.RPAREN);
        return t.add(Kind.Paren, s, this.prevEnd, expr, NONE, NONE);
      }
      case Tok.LET:
      case Tok.REC:
      case Tok.LBRACE: {
        const legacyLet = this.peek() === Tok.LET;
        const rec = this.peek() === Tok.REC;
        if (legacyLet || rec) {
          this.i++;
          if (!this.expect(Tok.LBRACE, "'{'")) return this.missing();
        } else this.i++;
        const base = this.parseBindings(Tok.RBRACE);
        this.expect(Tok.RBRACE, "'}'");
        const node = legacyLet
          ? this.listNode(Kind.LegacyLet, s, this.prevEnd, base)
          : this.listNode(Kind.AttrSet, s, this.prevEnd, base, NONE, rec ? Flag.Marked : 0);
        this.checkBindings(node);
        return node;
      }
      case Tok.LBRACK: {
        this.i++;
        const base = this.scratchTop;
        for (;;) {
          const k = this.peek();
          if (k === Tok.RBRACK) {
            this.i++;
            break;
          }
          if (this.startsSimple(k)) {
            if (this.depth >= MAX_NESTING) {
              this.collect(this.tooDeep());
              continue;
            }
            this.depth++;
            this.collect(this.parseSelect());
            this.depth--;
            continue;
          }
          this.unexpected("']'");
          if (k === Tok.EOF || k === Tok.RPAREN || k === Tok.RBRACE || k === Tok.SEMI || k === Tok.IN) break;
          this.i++;
        }
        return this.listNode(Kind.List, s, this.prevEnd, base);
      }
    }
    this.unexpected('an expression');
    const m = this.missing();
    // Skip a token nothing can start with, so the callers make progress.
    if (this.peek() === Tok.UNKNOWN || this.peek() === Tok.DOT || this.peek() === Tok.OR_KW) this.i++;
    return m;
  }

  private interpolation(): number {
    const s = this.pos;
    this.i++;
    const expr = this.parseExpr();
    if (!this.expect(Tok.RBRACE, "'}'")) this.skipToCloser(Tok.RBRACE);
    return this.tree.add(Kind.Interpolation, s, this.prevEnd, expr, NONE, NONE);
  }

  /** A StringText node for the current token's value. */
  private stringText(flags = 0): number {
    const id = this.tree.add(Kind.StringText, this.pos, this.end[this.i], this.tree.addText(this.value(this.i)), NONE, NONE, flags);
    this.i++;
    return id;
  }

  private parseString(): number {
    const s = this.pos;
    this.i++;
    const base = this.scratchTop;
    for (;;) {
      const k = this.peek();
      if (k === Tok.STR) this.collect(this.stringText());
      else if (k === Tok.DOLLAR_CURLY) this.collect(this.interpolation());
      else {
        this.expect(Tok.DQUOTE, "'\"'");
        break;
      }
    }
    return this.listNode(Kind.String, s, this.prevEnd, base);
  }

  private parseIndString(): number {
    const s = this.pos;
    this.i++;
    const base = this.scratchTop;
    for (;;) {
      const k = this.peek();
      if (k === Tok.IND_STR) this.collect(this.stringText());
      else if (k === Tok.IND_STR_ESCAPE) this.collect(this.stringText(Flag.Marked));
      else if (k === Tok.DOLLAR_CURLY) this.collect(this.interpolation());
      else {
        this.expect(Tok.IND_CLOSE, "''");
        break;
      }
    }
    stripIndentation(this.tree, this.scratch.subarray(base, this.scratchTop));
    return this.listNode(Kind.IndString, s, this.prevEnd, base);
  }

  private parsePath(): number {
    const s = this.pos;
    const base = this.scratchTop;
    this.collect(this.stringText());
    for (;;) {
      const k = this.peek();
      if (k === Tok.STR) this.collect(this.stringText());
      else if (k === Tok.DOLLAR_CURLY) this.collect(this.interpolation());
      else {
        if (k === Tok.PATH_END) this.i++;
        break;
      }
    }
    return this.listNode(Kind.Path, s, this.tree.end[this.scratch[this.scratchTop - 1]], base);
  }

  // ---- attribute paths and bindings

  private parseAttrName(): number {
    switch (this.peek()) {
      case Tok.ID:
      case Tok.OR_KW:
        return this.identifier();
      case Tok.DQUOTE:
        return this.parseString();
      case Tok.DOLLAR_CURLY:
        return this.interpolation();
    }
    this.unexpected('an attribute name');
    return this.missing();
  }

  private parseAttrPath(): number {
    const t = this.tree;
    const s = this.pos;
    const base = this.scratchTop;
    let last = this.parseAttrName();
    this.collect(last);
    while (this.peek() === Tok.DOT && !this.isMissing(last)) {
      this.i++;
      last = this.parseAttrName();
      this.collect(last);
    }
    const start = Math.min(s, t.start[this.scratch[base]]);
    return this.listNode(Kind.AttrPath, start, Math.max(start, t.end[last]), base);
  }

  /** Parses bindings up to `closer`, leaving their ids on the scratch stack from the returned base. */
  private parseBindings(closer: Tok): number {
    const t = this.tree;
    const base = this.scratchTop;
    for (;;) {
      const k = this.peek();
      const s = this.pos;
      if (k === closer || k === Tok.EOF) break;
      if (k === Tok.INHERIT) {
        this.i++;
        let from = NONE;
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
        const end = this.end[this.i];
        const node = this.listNode(Kind.Inherit, s, end, attrsBase, from);
        if (!this.expect(Tok.SEMI, "';'")) {
          t.end[node] = this.prevEnd;
          this.synchronize(closer === Tok.IN);
        }
        this.collect(node);
        continue;
      }
      if (k === Tok.ID || k === Tok.OR_KW || k === Tok.DQUOTE || k === Tok.DOLLAR_CURLY) {
        const doc = this.docCommentBefore(s);
        const path = this.parseAttrPath();
        let value: number;
        if (this.expect(Tok.ASSIGN, "'='")) {
          const valueIndex = this.i,
            errorCount = this.errors.length;
          value = this.parseExpr();
          const after = this.peek();
          const reparsed =
            after === Tok.ASSIGN || after === Tok.DOT ? this.reparseBeforeMissingSemicolon(value, valueIndex, errorCount) : NONE;
          if (reparsed !== NONE) value = reparsed;
          else if (!this.expect(Tok.SEMI, "';'")) this.synchronize(closer === Tok.IN);
        } else {
          value = this.missing();
          this.synchronize(closer === Tok.IN);
        }
        this.collect(t.add(Kind.Binding, s, Math.max(this.prevEnd, t.end[value]), path, value, doc));
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
    return base;
  }

  /**
   * `a = f x⏎ b = 2;` reads as `a = f x b` followed by a stray `=`. When an argument on a later line
   * looks like the start of the next binding, parse the value again with a `;` assumed before it.
   */
  private reparseBeforeMissingSemicolon(value: number, valueIndex: number, errorCount: number): number {
    const split = this.nextBindingInside(value);
    if (split === NONE) return NONE;
    const splitIndex = this.tokenAt(split);
    if (splitIndex <= valueIndex) return NONE;
    this.errors.length = errorCount;
    this.tooDeepReported = false;
    const saved = this.kind[splitIndex];
    this.kind[splitIndex] = Tok.SEMI;
    this.i = valueIndex;
    const reparsed = this.parseExpr();
    this.kind[splitIndex] = saved;
    const stoppedAt = this.i;
    this.i = splitIndex;
    if (stoppedAt !== splitIndex)
      this.error(this.start[stoppedAt], this.end[stoppedAt], `unexpected ${this.describe(stoppedAt)}, expected ';'`);
    const at = this.end[splitIndex - 1];
    this.error(at, at, "missing ';' after the value", 'nix.missing-semicolon');
    this.lastErrorAt = this.pos;
    return reparsed;
  }

  /** Offset of an application argument that starts a line with an attribute name, on the value's right spine. */
  private nextBindingInside(e: number): number {
    const t = this.tree;
    for (;;) {
      switch (t.kind[e]) {
        case Kind.Binary:
        case Kind.With:
        case Kind.Assert:
          e = t.b[e];
          continue;
        case Kind.Unary:
          e = t.a[e];
          continue;
        case Kind.Lambda:
        case Kind.Let:
        case Kind.If:
          e = t.c[e];
          continue;
        case Kind.Select:
          if (t.c[e] !== NONE) {
            e = t.c[e];
            continue;
          }
          return NONE;
        case Kind.Apply: {
          const args: number[] = [];
          let f = e;
          while (t.kind[f] === Kind.Apply) {
            args.unshift(t.b[f]);
            f = t.a[f];
          }
          for (const arg of args) {
            const head = t.kind[arg] === Kind.Select ? t.a[arg] : arg;
            if ((t.kind[head] === Kind.Identifier || t.kind[head] === Kind.String) && this.startsLine(t.start[arg])) return t.start[arg];
          }
          e = args[args.length - 1];
          continue;
        }
      }
      return NONE;
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
    let lo = 0,
      hi = this.tokens.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.start[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the `/** … *\/` comment that ends right before `offset` with only whitespace between, or NONE. */
  private docCommentBefore(offset: number): number {
    const comments = this.comments;
    let lo = 0,
      hi = comments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comments[mid].end <= offset) lo = mid + 1;
      else hi = mid;
    }
    const c = comments[lo - 1];
    if (!c || c.kind !== 'doc') return NONE;
    for (let j = c.end; j < offset; j++) {
      const ch = this.text.charCodeAt(j);
      if (ch !== 32 && ch !== 9 && ch !== 10 && ch !== 13) return NONE;
    }
    return lo - 1;
  }

  /**
   * Reports what Nix rejects in the bindings of a set or `let` (duplicates, dynamic names in `let`).
   * When every binding path is made of plain names and no path is a prefix of another (`a.b = 1;
   * a.c = 2;`, `inherit x;`), nothing merges and nothing clashes, so the costly attribute model of
   * desugar.ts is built only for the rest (`a = { }; a.b = 1;`, `"a" = 1;`, `${x} = 1;`, duplicates).
   */
  private checkBindings(node: number): void {
    if (this.distinctFirstNames(node) || this.prefixFreePaths(node)) return;
    checkBindings(this.tree.node(node) as AttrSet | LegacyLet | Let, this.attrs, this.errors);
  }

  /** Per name id, the `stamp` of the last check that saw it: a set of names without a Set. */
  private seenStamp = new Int32Array(1024);
  private stamp = 0;

  private newStamp(): number {
    if (this.seenStamp.length < this.nameList.length) this.seenStamp = new Int32Array(this.nameList.length * 2);
    return ++this.stamp;
  }

  /** Whether `attr` is a plain name not seen since `stamp` began (and marks it seen). */
  private firstSeen(attr: number, stamp: number): boolean {
    const t = this.tree;
    if (t.kind[attr] !== Kind.Identifier || this.seenStamp[t.a[attr]] === stamp) return false;
    this.seenStamp[t.a[attr]] = stamp;
    return true;
  }

  /** The common case, in one pass: every binding starts with a plain name, and no two with the same one. */
  private distinctFirstNames(node: number): boolean {
    const t = this.tree,
      lists = t.lists,
      stamp = this.newStamp();
    for (let i = t.a[node], n = i + t.b[node]; i < n; i++) {
      const b = lists[i];
      if (t.kind[b] === Kind.Inherit) {
        for (let j = t.a[b], m = j + t.b[b]; j < m; j++) if (!this.firstSeen(lists[j], stamp)) return false;
      } else if (!this.firstSeen(lists[t.a[t.a[b]]], stamp)) return false;
    }
    return true;
  }

  /** Binding paths of the set being checked, as (offset into the list column, length). */
  private readonly pathOffsets: number[] = [];
  private readonly pathLengths: number[] = [];
  /** Orders paths by name ids, a prefix before the paths it starts. */
  private readonly byPath = (x: number, y: number): number => this.comparePaths(x, y) || this.pathLengths[x] - this.pathLengths[y];

  /** Compares two paths by name ids; 0 when one is a prefix of the other. */
  private comparePaths(x: number, y: number): number {
    const t = this.tree,
      lists = t.lists,
      ox = this.pathOffsets[x],
      oy = this.pathOffsets[y];
    for (let j = 0, n = Math.min(this.pathLengths[x], this.pathLengths[y]); j < n; j++) {
      const d = t.a[lists[ox + j]] - t.a[lists[oy + j]];
      if (d !== 0) return d;
    }
    return 0;
  }

  /**
   * Sorts the binding paths (an inherited name is a path of one) by their name ids: a path that is a
   * prefix of another, or equal to it, then sits right before it.
   */
  private prefixFreePaths(node: number): boolean {
    const t = this.tree,
      lists = t.lists,
      offsets = this.pathOffsets,
      lengths = this.pathLengths;
    offsets.length = 0;
    lengths.length = 0;
    for (let i = t.a[node], n = i + t.b[node]; i < n; i++) {
      const b = lists[i];
      if (t.kind[b] === Kind.Inherit) {
        for (let j = t.a[b], m = j + t.b[b]; j < m; j++) {
          if (t.kind[lists[j]] !== Kind.Identifier) return false;
          offsets.push(j);
          lengths.push(1);
        }
        continue;
      }
      const path = t.a[b];
      for (let j = t.a[path], m = j + t.b[path]; j < m; j++) if (t.kind[lists[j]] !== Kind.Identifier) return false;
      offsets.push(t.a[path]);
      lengths.push(t.b[path]);
    }
    const order = offsets.map((_, k) => k).sort(this.byPath);
    for (let k = 1; k < order.length; k++) if (this.comparePaths(order[k - 1], order[k]) === 0) return false;
    return true;
  }

  // ---- lambdas

  /** At `{`: formals (`{ a, b ? 1, ... }:`) or an attribute set? parser.y decides with GLR; one look ahead suffices. */
  private isFormals(): boolean {
    const k1 = this.kind[this.i + 1];
    if (k1 === Tok.ELLIPSIS) return true;
    if (k1 === Tok.RBRACE) {
      const k2 = this.kind[this.i + 2];
      return k2 === Tok.COLON || k2 === Tok.AT;
    }
    if (k1 === Tok.ID) {
      const k2 = this.kind[this.i + 2];
      if (k2 === Tok.COMMA || k2 === Tok.QUESTION) return true;
      if (k2 === Tok.RBRACE) {
        const k3 = this.kind[this.i + 3];
        return k3 === Tok.COLON || k3 === Tok.AT;
      }
    }
    return false;
  }

  private parseFormals(): number {
    const t = this.tree;
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
      if (k !== Tok.ID) {
        this.unexpected("an argument name or '}'");
        break;
      }
      const fs = this.pos;
      const name = this.identifier();
      let def = NONE;
      if (this.peek() === Tok.QUESTION) {
        this.i++;
        def = this.parseExpr();
      }
      this.collect(t.add(Kind.Formal, fs, t.end[def === NONE ? name : def], name, def, NONE));
      if (this.peek() === Tok.COMMA) {
        this.i++;
        continue;
      }
      if (this.peek() !== Tok.RBRACE) this.unexpected("',' or '}'");
      break;
    }
    if (this.peek() !== Tok.RBRACE) this.synchronize(false);
    if (this.peek() === Tok.RBRACE) this.i++;
    return this.listNode(Kind.Formals, s, this.prevEnd, base, NONE, ellipsis ? Flag.Marked : 0);
  }

  private checkFormals(formals: number, param: number): void {
    const t = this.tree,
      stamp = this.newStamp();
    const count = t.b[formals];
    for (let k = 0; k <= count; k++) {
      const identifier = k < count ? t.a[t.lists[t.a[formals] + k]] : param;
      if (identifier === NONE || this.firstSeen(identifier, stamp)) continue;
      this.error(
        t.start[identifier],
        t.end[identifier],
        `duplicate formal function argument '${this.nameList[t.a[identifier]]}'`,
        'nix.duplicate-formal',
      );
    }
  }
}

/**
 * Nix's stripIndentation over the parts of an indented string (their StringText values are rewritten
 * in the tree): the smallest indentation (in spaces) of the non-blank lines is removed from every line,
 * and a last line of only spaces is dropped. As in Nix 2.8, interpolations and `''\x` escapes end a
 * line's indentation when measuring, but escapes are stripped like text (an escaped newline starts a line).
 */
function stripIndentation(tree: NixTree, parts: Int32Array): void {
  const isText = (part: number) => tree.kind[part] === Kind.StringText;
  let atStartOfLine = true;
  let minIndent = 1000000;
  let curIndent = 0;
  for (const part of parts) {
    if (!isText(part) || (tree.flags[part] & Flag.Marked) !== 0) {
      if (atStartOfLine) {
        atStartOfLine = false;
        if (curIndent < minIndent) minIndent = curIndent;
      }
      continue;
    }
    const v = tree.texts[tree.a[part]];
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (atStartOfLine) {
        if (c === 32) curIndent++;
        else if (c === 10) curIndent = 0;
        else {
          atStartOfLine = false;
          if (curIndent < minIndent) minIndent = curIndent;
        }
      } else if (c === 10) {
        atStartOfLine = true;
        curIndent = 0;
      }
    }
  }
  atStartOfLine = true;
  let curDropped = 0;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (!isText(part)) {
      atStartOfLine = false;
      curDropped = 0;
      continue;
    }
    const v = tree.texts[tree.a[part]];
    let out = '';
    let seg = 0;
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (atStartOfLine) {
        if (c === 32) {
          if (curDropped++ < minIndent) {
            out += v.slice(seg, j);
            seg = j + 1;
          }
        } else if (c === 10) curDropped = 0;
        else {
          atStartOfLine = false;
          curDropped = 0;
        }
      } else if (c === 10) atStartOfLine = true;
    }
    out += v.slice(seg);
    if (p === parts.length - 1) {
      const nl = out.lastIndexOf('\n');
      if (nl >= 0) {
        let onlySpaces = true;
        for (let j = nl + 1; j < out.length; j++)
          if (out.charCodeAt(j) !== 32) {
            onlySpaces = false;
            break;
          }
        if (onlySpaces) out = out.slice(0, nl + 1);
      }
    }
    tree.texts[tree.a[part]] = out;
  }
}
