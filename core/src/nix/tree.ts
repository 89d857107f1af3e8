// The parsed tree's storage: one row per node in typed-array columns (kind, flags, range and three
// slots for children or payload), child lists in one shared column, and side tables for the few
// values that are JS strings or numbers. A 10 MB file is a few dozen large arrays instead of millions
// of small objects, so building it costs the garbage collector almost nothing and a big tree does
// not slow the rest of the process down. Readers see the node interfaces of ast.ts through
// `SyntaxNode`, a short-lived view object made on demand (cheap: it dies young).
import type { BinaryOp, Comment, Node } from './ast';

export enum Kind {
  Identifier,
  Int,
  Float,
  String,
  IndString,
  Path,
  SearchPath,
  Uri,
  Paren,
  List,
  AttrSet,
  LegacyLet,
  Let,
  With,
  Assert,
  If,
  Lambda,
  Formals,
  Formal,
  Apply,
  Select,
  HasAttr,
  Binary,
  Unary,
  Missing,
  StringText,
  Interpolation,
  AttrPath,
  Binding,
  Inherit,
}

/** Binary operators by their code in a Binary node's flags. */
export const BINARY_OPS: readonly BinaryOp[] = [
  '->',
  '||',
  '&&',
  '==',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '//',
  '+',
  '-',
  '*',
  '/',
  '++',
  '|>',
  '<|',
];

/** Flag bits (their meaning depends on the kind). */
export const enum Flag {
  /** AttrSet: `rec`; Formals: `...`; StringText: a `''\x` escape; Int: the value is in `numbers`; Unary: `-` (else `!`). */
  Marked = 1,
}

/** No child in an optional slot. */
export const NONE = -1;

const SMALL_INTS: bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/**
 * Slot layout per kind (a, b, c; lists are `a` = offset into `lists`, `b` = length):
 * Identifier a=name · Int a=value or numbers index · Float a=numbers index · StringText, SearchPath, Uri a=texts index ·
 * String, IndString, Path, List, AttrSet, LegacyLet, Formals, AttrPath: list · Let: list, c=body · Inherit: list
 * (attrs), c=from · Paren, Interpolation, Unary a=expr · With a=env b=body · Assert a=cond b=body · If a=cond b=then
 * c=else · Lambda a=param b=formals c=body · Formal a=name b=default · Apply a=fn b=arg · Select a=expr b=path
 * c=default · HasAttr a=expr b=path · Binary a=left b=right c=operator offset (flags=operator) · Binding a=path
 * b=value c=doc comment index.
 */
export class NixTree {
  count = 0;
  kind: Uint8Array;
  flags: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  a: Int32Array;
  b: Int32Array;
  c: Int32Array;
  lists: Int32Array;
  listLength = 0;
  /** Float values and integers too big for a slot. */
  readonly numbers: (number | bigint)[] = [];
  /** StringText values, search paths and URIs. */
  readonly texts: string[] = [];

  constructor(
    /** Identifier names, each once (the parser interns them). */
    readonly names: string[],
    readonly comments: Comment[],
    capacity: number,
  ) {
    capacity = Math.max(16, capacity);
    this.kind = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
    this.c = new Int32Array(capacity);
    this.lists = new Int32Array(capacity >> 1);
  }

  add(kind: Kind, start: number, end: number, a: number, b: number, c: number, flags = 0): number {
    const id = this.count;
    if (id === this.kind.length) this.grow();
    this.kind[id] = kind;
    this.flags[id] = flags;
    this.start[id] = start;
    this.end[id] = end;
    this.a[id] = a;
    this.b[id] = b;
    this.c[id] = c;
    this.count = id + 1;
    return id;
  }

  /** Appends `items[from, to)` to the list column; returns the list's offset. */
  addList(items: Int32Array, from: number, to: number): number {
    const offset = this.listLength,
      n = to - from;
    if (offset + n > this.lists.length) this.lists = grown(this.lists, offset + n);
    // A loop, not set(subarray()): most lists hold one or two items, and a subarray is an object.
    const lists = this.lists;
    for (let i = 0; i < n; i++) lists[offset + i] = items[from + i];
    this.listLength = offset + n;
    return offset;
  }

  addText(value: string): number {
    this.texts.push(value);
    return this.texts.length - 1;
  }

  addNumber(value: number | bigint): number {
    this.numbers.push(value);
    return this.numbers.length - 1;
  }

  /** The value of an Int node. */
  intValue(id: number): bigint {
    const v = this.a[id];
    if (this.flags[id] & Flag.Marked) return this.numbers[v] as bigint;
    return v < SMALL_INTS.length ? SMALL_INTS[v] : BigInt(v);
  }

  /** A view of node `id` with the fields of its ast.ts interface. */
  node(id: number): Node {
    return new SyntaxNode(this, id) as unknown as Node;
  }

  private grow(): void {
    const size = this.kind.length * 2;
    this.kind = grown(this.kind, size);
    this.flags = grown(this.flags, size);
    this.start = grown(this.start, size);
    this.end = grown(this.end, size);
    this.a = grown(this.a, size);
    this.b = grown(this.b, size);
    this.c = grown(this.c, size);
  }
}

function grown<T extends Uint8Array | Int32Array>(array: T, atLeast: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(atLeast, array.length * 2));
  bigger.set(array);
  return bigger;
}

/**
 * A node as ast.ts describes it. Fields are getters over the tree's columns; lists are fresh arrays of
 * fresh views, so compare nodes by `id`, not by identity.
 */
class SyntaxNode {
  constructor(
    readonly tree: NixTree,
    readonly id: number,
  ) {}

  get type(): Node['type'] {
    return Kind[this.tree.kind[this.id]] as Node['type'];
  }
  get start(): number {
    return this.tree.start[this.id];
  }
  get end(): number {
    return this.tree.end[this.id];
  }

  private slot(column: Int32Array): Node | undefined {
    const child = column[this.id];
    return child === NONE ? undefined : this.tree.node(child);
  }

  private list(): Node[] {
    const t = this.tree,
      offset = t.a[this.id],
      n = t.b[this.id];
    const out = new Array<Node>(n);
    for (let i = 0; i < n; i++) out[i] = t.node(t.lists[offset + i]);
    return out;
  }

  private marked(): boolean {
    return (this.tree.flags[this.id] & Flag.Marked) !== 0;
  }

  get name(): string | Node | undefined {
    return this.tree.kind[this.id] === Kind.Identifier ? this.tree.names[this.tree.a[this.id]] : this.slot(this.tree.a);
  }

  get value(): unknown {
    const t = this.tree,
      id = this.id;
    switch (t.kind[id]) {
      case Kind.Int:
        return t.intValue(id);
      case Kind.Float:
        return t.numbers[t.a[id]];
      case Kind.Binding:
        return this.slot(t.b);
      default:
        return t.texts[t.a[id]];
    }
  }

  get expr(): Node | undefined {
    return this.slot(this.tree.a);
  }
  get env(): Node | undefined {
    return this.slot(this.tree.a);
  }
  get cond(): Node | undefined {
    return this.slot(this.tree.a);
  }
  get then(): Node | undefined {
    return this.slot(this.tree.b);
  }
  get else(): Node | undefined {
    return this.slot(this.tree.c);
  }
  get fn(): Node | undefined {
    return this.slot(this.tree.a);
  }
  get arg(): Node | undefined {
    return this.slot(this.tree.b);
  }
  get left(): Node | undefined {
    return this.slot(this.tree.a);
  }
  get right(): Node | undefined {
    return this.slot(this.tree.b);
  }
  get param(): Node | undefined {
    return this.slot(this.tree.a);
  }
  get from(): Node | undefined {
    return this.slot(this.tree.c);
  }

  get body(): Node | undefined {
    const k = this.tree.kind[this.id];
    return this.slot(k === Kind.With || k === Kind.Assert ? this.tree.b : this.tree.c);
  }

  get path(): Node | undefined {
    return this.slot(this.tree.kind[this.id] === Kind.Binding ? this.tree.a : this.tree.b);
  }

  get default(): Node | undefined {
    return this.slot(this.tree.kind[this.id] === Kind.Formal ? this.tree.b : this.tree.c);
  }

  get formals(): Node | Node[] | undefined {
    return this.tree.kind[this.id] === Kind.Lambda ? this.slot(this.tree.b) : this.list();
  }

  get parts(): Node[] {
    return this.list();
  }
  get elements(): Node[] {
    return this.list();
  }
  get bindings(): Node[] {
    return this.list();
  }
  get attrs(): Node[] {
    return this.list();
  }

  get rec(): boolean {
    return this.marked();
  }
  get ellipsis(): boolean {
    return this.marked();
  }
  get escape(): boolean {
    return this.marked();
  }

  get op(): string {
    return this.tree.kind[this.id] === Kind.Unary ? (this.marked() ? '-' : '!') : BINARY_OPS[this.tree.flags[this.id]];
  }

  get opStart(): number {
    return this.tree.c[this.id];
  }

  get doc(): Comment | undefined {
    const index = this.tree.c[this.id];
    return index === NONE ? undefined : this.tree.comments[index];
  }
}
