// The option database: a tree of option declarations keyed by path segments, where `<name>` (attribute
// set of submodules) and `*` (list of submodules) levels match any name. Three sources feed it: the
// mkOption declarations in nix-templates/ (templateOptions.ts), the curated set (curated-options.json),
// and the full option set of a real flake (flakeOptions.ts).

import type { OptionDecl, OptionType } from './types';
import { parseTypeDescription } from './typeDescription';

/** One option as nixpkgs' `optionAttrSetToDocList` / options.json describes it. */
export interface RawOption {
  name?: string;
  type: string;
  description?: string | { text?: string; _type?: string };
  default?: unknown;
  example?: unknown;
  readOnly?: boolean;
  declarations?: (string | { name?: string; url?: string })[];
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** `<name>` or `*`: matches any segment. */
  wildcard?: TrieNode;
  decl?: OptionDecl;
  /** Every option below this node is known: an unknown child name is an error. */
  complete: boolean;
}

export type LookupResult =
  /** The path names an option. */
  | { status: 'option'; decl: OptionDecl }
  /** The path names a set of options (`services.exo`): its value must be an attribute set of them. */
  | { status: 'group' }
  /** The path goes inside an option's value (`services.nats.settings.jetstream`): values are not options. */
  | { status: 'value'; decl: OptionDecl; rest: string[] }
  /** `path[index]` is not an option below a namespace the database knows completely. */
  | { status: 'unknown'; index: number; candidates: string[] }
  /** Below a namespace the database does not know completely: nothing can be said. */
  | { status: 'unchecked' };

export class OptionDatabase {
  private readonly root: TrieNode = newNode(false);
  private count = 0;

  get size(): number { return this.count; }

  /** Marks the root as complete for these top-level names, so `servics.x` is reported. */
  setTopLevel(names: readonly string[], complete: boolean): void {
    for (const n of names) this.node(n.split('.'), true);
    this.root.complete = complete;
  }

  /** Declares that every option below `prefix` is in the database. */
  markComplete(prefix: string): void {
    this.node(splitOptionName(prefix), true).complete = true;
  }

  add(decl: OptionDecl, complete = false): void {
    const node = this.node(splitOptionName(decl.name), true);
    if (!node.decl) this.count++;
    node.decl = decl;
    if (complete) node.complete = true;
  }

  /** Adds options in nixpkgs' options.json shape (object keyed by name, or a doc list). */
  addRaw(options: Record<string, RawOption> | RawOption[], complete = false): void {
    const entries = Array.isArray(options) ? options.map((o) => [o.name ?? '', o] as const) : Object.entries(options);
    for (const [name, raw] of entries) {
      if (!name) continue;
      this.add(fromRaw(name, raw), complete);
    }
  }

  /** Marks every declared group below the root complete (a database loaded from a real evaluation knows everything). */
  markAllComplete(): void {
    const visit = (n: TrieNode) => {
      n.complete = true;
      for (const c of n.children.values()) visit(c);
      if (n.wildcard) visit(n.wildcard);
    };
    visit(this.root);
  }

  lookup(path: readonly string[]): LookupResult {
    let node = this.root;
    for (let i = 0; i < path.length; i++) {
      if (node.decl && isLeafValue(node.decl.type)) return { status: 'value', decl: node.decl, rest: path.slice(i) };
      const next = node.children.get(path[i]) ?? node.wildcard;
      if (!next) {
        return node.complete ? { status: 'unknown', index: i, candidates: [...node.children.keys()] } : { status: 'unchecked' };
      }
      node = next;
    }
    if (node.decl) return { status: 'option', decl: node.decl };
    return node.children.size || node.wildcard ? { status: 'group' } : { status: 'unchecked' };
  }

  /** The names that may follow `path` (for completion), each with its declaration when it is an option. */
  childrenOf(path: readonly string[]): { name: string; decl?: OptionDecl; isGroup: boolean }[] {
    let node: TrieNode | undefined = this.root;
    for (const seg of path) {
      node = node.children.get(seg) ?? node.wildcard;
      if (!node) return [];
    }
    return [...node.children.entries()].map(([name, child]) => ({
      name,
      decl: child.decl,
      isGroup: child.children.size > 0 || child.wildcard !== undefined,
    }));
  }

  /** Every option (for workspace-wide listings and tests). */
  all(): OptionDecl[] {
    const out: OptionDecl[] = [];
    const visit = (n: TrieNode) => {
      if (n.decl) out.push(n.decl);
      for (const c of n.children.values()) visit(c);
      if (n.wildcard) visit(n.wildcard);
    };
    visit(this.root);
    return out;
  }

  private node(segments: readonly string[], create: true): TrieNode {
    let node = this.root;
    for (const seg of segments) {
      if (seg === '<name>' || seg === '*' || seg === '<name?>') {
        node = node.wildcard ??= newNode(false);
        continue;
      }
      let next = node.children.get(seg);
      if (!next && create) node.children.set(seg, (next = newNode(false)));
      node = next!;
    }
    return node;
  }
}

function newNode(complete: boolean): TrieNode {
  return { children: new Map(), complete };
}

/** Option values of these types are data, not more options. */
function isLeafValue(t: OptionType): boolean {
  return t.kind !== 'submodule' && !(t.kind === 'attrsOf' && t.of.kind === 'submodule')
    && !(t.kind === 'listOf' && t.of.kind === 'submodule') && !(t.kind === 'nullOr' && t.of.kind === 'submodule');
}

/** `a.b."c.d".<name>` → ['a', 'b', 'c.d', '<name>'] */
export function splitOptionName(name: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of name) {
    if (ch === '"') quoted = !quoted;
    else if (ch === '.' && !quoted) { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

function fromRaw(name: string, raw: RawOption): OptionDecl {
  const text = (v: unknown): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && 'text' in v) return String((v as { text: unknown }).text);
    return JSON.stringify(v);
  };
  return {
    name,
    type: parseTypeDescription(raw.type),
    typeDescription: raw.type,
    description: text(raw.description),
    default: text(raw.default),
    example: text(raw.example),
    readOnly: raw.readOnly,
    declarations: (raw.declarations ?? []).map((d) => ({ file: typeof d === 'string' ? d : d.name ?? d.url ?? '' })),
  };
}
