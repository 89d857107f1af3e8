// Seeded generator of random Nix expressions for the differential tests: well-formed ones that
// reach every construct of the grammar (with random spacing and comments), and malformed ones made
// by mutating them. The same seed always yields the same cases, so a failure can be replayed.

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IDS = ['a', 'b', 'x', 'y', 'foo', 'bar', "x'", 'a-b', '_c', 'pkgs', 'lib', 'config', 'true', 'null', '__curPos'];
const ATTR_NAMES = ['a', 'b', 'c', 'foo', 'bar', 'or', 'enable', 'x-y', "p'"];
const INTS = ['0', '1', '42', '007', '123456789', '9223372036854775807'];
const FLOATS = ['1.5', '.5', '1.e3', '2.5e-3', '0.001', '3.0', '1.25E+2', '123456.789', '0.1e10'];
const PATHS = ['./a', '../b/c', '/abs/x.nix', '~/h', 'a/b', './a/b.nix', 'a+b/-c_.d', './.', '../.'];
const SPATHS = ['<nixpkgs>', '<nixpkgs/lib>', '<a.b/c-d>'];
const URIS = ['https://example.org/a?b=c', 'github:NixOS/nixpkgs', 'x:y', 'mailto:a@b.c'];
const STRING_BITS = ['a', 'hello world', '\\n', '\\t', '\\"', '\\\\', '$', '$$', '\\${', "''", '\\$', 'é', '{', '}', 'x\\y', '\r\n'];
const IND_BITS = ["''$", "'''", "''\\n", "''\\t", '$', "'", 'text', ' ', '\t', '$$', '{', "'a", '"q"', '\\'];
const BINARY_OPS = ['->', '||', '&&', '==', '!=', '<', '>', '<=', '>=', '//', '+', '-', '*', '/', '++'];

export class NixGen {
  private readonly r: () => number;
  constructor(readonly seed: number) {
    this.r = rng(seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }
  private chance(p: number): boolean {
    return this.r() < p;
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }

  /** Whitespace or comments between tokens. */
  private ws(): string {
    const x = this.r();
    if (x < 0.7) return ' ';
    if (x < 0.85) return '\n  ';
    if (x < 0.92) return ' /* c */ ';
    if (x < 0.97) return ' # note\n';
    return '\t';
  }

  /** A full expression (expr_function level). */
  expr(depth: number): string {
    if (depth <= 0) return this.operand(0);
    const x = this.r();
    const w = () => this.ws();
    if (x < 0.08) return `${this.pick(['x', 'a', 'args'])}:${w()}${this.expr(depth - 1)}`;
    if (x < 0.14) return `${this.formals(depth)}${w()}${this.expr(depth - 1)}`;
    if (x < 0.2) return `let${w()}${this.bindings(depth - 1, true)}in${w()}${this.expr(depth - 1)}`;
    if (x < 0.24) return `with${w()}${this.operand(depth - 1)};${w()}${this.expr(depth - 1)}`;
    if (x < 0.27) return `assert${w()}${this.operandExpr(depth - 1)};${w()}${this.expr(depth - 1)}`;
    if (x < 0.32) return `if ${this.operandExpr(depth - 1)} then ${this.expr(depth - 1)} else ${this.expr(depth - 1)}`;
    return this.operandExpr(depth);
  }

  /** An operator expression (expr_op level). */
  private operandExpr(depth: number): string {
    if (depth <= 0) return this.app(0);
    const x = this.r();
    if (x < 0.35) return `${this.operandExpr(depth - 1)}${this.ws()}${this.pick(BINARY_OPS)}${this.ws()}${this.operandExpr(depth - 1)}`;
    if (x < 0.42) return `!${this.operandExpr(depth - 1)}`;
    if (x < 0.49) return `-${this.chance(0.5) ? ' ' : ''}${this.operandExpr(depth - 1)}`;
    if (x < 0.55) return `${this.operandExpr(depth - 1)} ? ${this.attrPath(depth - 1)}`;
    return this.app(depth);
  }

  private app(depth: number): string {
    let s = this.select(depth);
    const n = this.chance(0.3) ? this.int(1, 3) : 0;
    for (let i = 0; i < n; i++) s += ' ' + this.select(depth - 1);
    if (this.chance(0.03)) s += ' or';
    return s;
  }

  private select(depth: number): string {
    const base = this.operand(depth);
    if (!this.chance(0.25)) return base;
    let s = `${base}.${this.attrPath(depth - 1)}`;
    if (this.chance(0.4)) s += ` or ${this.select(depth - 1)}`;
    return s;
  }

  private attrName(depth: number): string {
    const x = this.r();
    if (x < 0.7 || depth <= 0) return this.pick(ATTR_NAMES);
    if (x < 0.85) return `"${this.pick(['a b', 'c', '', 'd.e', 'if'])}"`;
    if (x < 0.93) return `\${${this.expr(depth - 1)}}`;
    return `"${this.pick(['x', ''])}\${${this.operand(depth - 1)}}"`;
  }

  private attrPath(depth: number): string {
    const n = this.chance(0.7) ? 1 : this.int(2, 3);
    return Array.from({ length: n }, () => this.attrName(depth)).join('.');
  }

  private bindings(depth: number, isLet: boolean): string {
    const n = this.int(0, 4);
    let s = '';
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      const x = this.r();
      if (x < 0.12) {
        s += `inherit ${this.pick(['a', 'b', 'x', '"q"'])};${this.ws()}`;
        continue;
      }
      if (x < 0.2) {
        s += `inherit (${this.expr(depth - 1)}) ${this.pick(['c', 'd', 'e f'])};${this.ws()}`;
        continue;
      }
      let path = this.attrPath(depth);
      if (isLet && path.includes('${') && this.chance(0.8)) path = 'l' + i;
      if (used.has(path) && this.chance(0.8)) path = path + i;
      used.add(path);
      s += `${path}${this.ws()}=${this.ws()}${this.expr(depth - 1)};${this.ws()}`;
    }
    return s;
  }

  private formals(depth: number): string {
    const names = ['a', 'b', 'c', 'pkgs', 'lib', 'config'];
    const n = this.int(0, 3);
    const items: string[] = [];
    for (let i = 0; i < n; i++) items.push(this.chance(0.3) ? `${names[i]} ? ${this.operand(depth - 1)}` : names[i]);
    if (this.chance(0.4)) items.push('...');
    let s = `{ ${items.join(', ')}${this.chance(0.1) && items.length && items[items.length - 1] !== '...' ? ',' : ''} }`;
    if (this.chance(0.2)) s = `${s} @ args`;
    else if (this.chance(0.1)) s = `args@${s}`;
    return s + ':';
  }

  private string(depth: number): string {
    let s = '"';
    const n = this.int(0, 4);
    for (let i = 0; i < n; i++) s += this.chance(0.25) && depth > 0 ? `\${${this.expr(depth - 1)}}` : this.pick(STRING_BITS);
    return s.endsWith('\\') ? s + '\\"' : s + '"';
  }

  private indString(depth: number): string {
    const indent = ' '.repeat(this.int(0, 4));
    let s = this.chance(0.7) ? "''\n" : "''";
    const lines = this.int(0, 4);
    for (let l = 0; l < lines; l++) {
      s += indent + ' '.repeat(this.int(0, 3));
      const n = this.int(0, 3);
      for (let i = 0; i < n; i++) s += this.chance(0.25) && depth > 0 ? `\${${this.expr(depth - 1)}}` : this.pick(IND_BITS);
      s += '\n';
    }
    if (this.chance(0.5)) s += indent;
    return s + "''";
  }

  private path(depth: number): string {
    const p = this.pick(PATHS);
    if (depth <= 0 || !this.chance(0.3)) return p;
    const x = this.r();
    if (x < 0.4) return `${p}\${${this.expr(depth - 1)}}`;
    if (x < 0.7) return `${p}/\${${this.expr(depth - 1)}}.nix`;
    return `./\${${this.operand(depth - 1)}}/x`;
  }

  /** expr_simple */
  operand(depth: number): string {
    const x = this.r();
    if (depth <= 0 || x < 0.35) {
      const y = this.r();
      if (y < 0.4) return this.pick(IDS);
      if (y < 0.55) return this.pick(INTS);
      if (y < 0.65) return this.pick(FLOATS);
      if (y < 0.75) return this.string(0);
      if (y < 0.8) return this.pick(PATHS);
      if (y < 0.85) return this.pick(SPATHS);
      if (y < 0.9) return this.pick(URIS);
      if (y < 0.95) return '[ ]';
      return '{ }';
    }
    if (x < 0.45) return `(${this.expr(depth - 1)})`;
    if (x < 0.55) return this.string(depth);
    if (x < 0.62) return this.indString(depth);
    if (x < 0.67) return this.path(depth);
    if (x < 0.77) return `[${Array.from({ length: this.int(0, 4) }, () => ' ' + this.select(depth - 1)).join('')} ]`;
    if (x < 0.92) return `${this.chance(0.2) ? 'rec ' : ''}{${this.ws()}${this.bindings(depth - 1, false)}}`;
    return `let { ${this.bindings(depth - 1, false)}${this.chance(0.7) ? `body = ${this.expr(depth - 1)}; ` : ''}}`;
  }

  wellFormed(): string {
    return this.expr(this.int(1, 4));
  }

  /** A mutated expression: characters deleted, inserted or the text cut short. */
  malformed(): string {
    let s = this.wellFormed();
    const edits = this.int(1, 2);
    const inserts = [
      '{',
      '}',
      '(',
      ')',
      '[',
      ']',
      ';',
      '=',
      ':',
      '.',
      ',',
      '?',
      '@',
      '"',
      "''",
      '${',
      ' or ',
      ' in ',
      ' let ',
      '/',
      '~/',
      '<',
      '>',
      '-',
      '!',
      '...',
      '#',
      '\n',
      '$',
    ];
    for (let e = 0; e < edits; e++) {
      const at = this.int(0, s.length);
      const x = this.r();
      if (x < 0.4 && s.length > 1) s = s.slice(0, at) + s.slice(at + 1);
      else if (x < 0.85) s = s.slice(0, at) + this.pick(inserts) + s.slice(at);
      else s = s.slice(0, Math.max(1, at));
    }
    return s;
  }
}
