// The option database of one module set (NixOS or nix-darwin): a tree of option declarations keyed by
// path segments, where `<name>` (attribute set of submodules) and `*` (list of submodules) levels match
// any name. Sources: the mkOption declarations in nix-templates/ and workspace modules
// (templateOptions.ts), the curated facts (curated-options.json, option-facts.json), and the full option
// set of a real flake (flakeOptions.ts). A name is only ever called unknown below a namespace whose
// complete set of options is known from an authoritative source: recorded facts or an evaluation.

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
  /** Where a recorded fact was read: upstream repository, file and commit. */
  source?: FactSource;
}

export interface FactSource {
  repository: string;
  file: string;
  commit?: string;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** `<name>` or `*`: matches any segment. */
  wildcard?: TrieNode;
  decl?: OptionDecl;
  /** Every option below this node is known (and from where): an unknown child name is an error. */
  complete?: Completeness;
}

/** Who vouches that a namespace is complete: recorded upstream facts, or a flake's evaluated option set. */
export type Completeness = 'facts' | 'evaluation';

export type LookupResult =
  /** The path names an option. */
  | { status: 'option'; decl: OptionDecl }
  /** The path names a set of options (`services.exo`): its value must be an attribute set of them. */
  | { status: 'group' }
  /** The path goes inside an option's value (`services.nats.settings.jetstream`): values are not options. */
  | { status: 'value'; decl: OptionDecl; rest: string[] }
  /** `path[index]` is not an option below a namespace the database knows completely. */
  | { status: 'unknown'; index: number; candidates: string[]; completeBy: Completeness }
  /** Below a namespace the database does not know completely: nothing can be said. */
  | { status: 'unchecked' };

export class OptionDatabase {
  private readonly root: TrieNode = newNode();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Top-level names known to exist (for completion); says nothing about completeness. */
  addGroups(names: readonly string[]): void {
    for (const n of names) this.node(splitOptionName(n));
  }

  /** Every option below `prefix` is in the database, as recorded upstream facts vouch. */
  markComplete(prefix: string): void {
    this.node(splitOptionName(prefix)).complete ??= 'facts';
  }

  add(decl: OptionDecl): void {
    const node = this.node(splitOptionName(decl.name));
    if (!node.decl) this.count++;
    node.decl = decl;
  }

  /** Adds options in nixpkgs' options.json shape (object keyed by name, or a doc list). */
  addRaw(options: Record<string, RawOption> | RawOption[]): void {
    const entries = Array.isArray(options) ? options.map((o) => [o.name ?? '', o] as const) : Object.entries(options);
    for (const [name, raw] of entries) {
      if (!name) continue;
      this.add(fromRaw(name, raw));
    }
  }

  /**
   * Adds a flake's evaluated option set: every namespace on the way to one of its options is complete
   * (an evaluation knows every option), and these declarations win over earlier ones.
   */
  addEvaluated(options: RawOption[]): void {
    for (const raw of options) {
      if (!raw.name) continue;
      const decl = fromRaw(raw.name, raw);
      let node = this.root;
      for (const seg of splitOptionName(raw.name)) {
        node.complete ??= 'evaluation';
        node = this.child(node, seg);
      }
      if (!node.decl) this.count++;
      node.decl = decl;
    }
  }

  lookup(path: readonly string[]): LookupResult {
    let node = this.root;
    for (let i = 0; i < path.length; i++) {
      if (node.decl && isLeafValue(node.decl.type)) return { status: 'value', decl: node.decl, rest: path.slice(i) };
      const next = node.children.get(path[i]) ?? node.wildcard;
      if (!next) {
        return node.complete
          ? { status: 'unknown', index: i, candidates: [...node.children.keys()], completeBy: node.complete }
          : { status: 'unchecked' };
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

  private node(segments: readonly string[]): TrieNode {
    let node = this.root;
    for (const seg of segments) node = this.child(node, seg);
    return node;
  }

  private child(node: TrieNode, seg: string): TrieNode {
    if (seg === '<name>' || seg === '*' || seg === '<name?>') return (node.wildcard ??= newNode());
    let next = node.children.get(seg);
    if (!next) node.children.set(seg, (next = newNode()));
    return next;
  }
}

function newNode(): TrieNode {
  return { children: new Map() };
}

/** Option values of these types are data, not more options. */
function isLeafValue(t: OptionType): boolean {
  return (
    t.kind !== 'submodule' &&
    !(t.kind === 'attrsOf' && t.of.kind === 'submodule') &&
    !(t.kind === 'listOf' && t.of.kind === 'submodule') &&
    !(t.kind === 'nullOr' && t.of.kind === 'submodule')
  );
}

/** `a.b."c.d".<name>` → ['a', 'b', 'c.d', '<name>'] */
export function splitOptionName(name: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of name) {
    if (ch === '"') quoted = !quoted;
    else if (ch === '.' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
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
    declarations: raw.source
      ? [{ file: `${raw.source.repository}: ${raw.source.file}${raw.source.commit ? ` @ ${raw.source.commit.slice(0, 12)}` : ''}` }]
      : (raw.declarations ?? []).map((d) => ({ file: typeof d === 'string' ? d : (d.name ?? d.url ?? '') })),
  };
}
