// The outline of a spec file: top-level sections, named list items (hosts, interfaces, segments, links,
// GPUs, disks, …) and their settings, down to a few levels.

import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver/node';
import { isRecord, type ParsedSpecFile } from '#core/spec';

/** Containers deeper than this are shown without children; scalars deeper than LEAF_DEPTH are left out. */
const MAX_DEPTH = 5;
const LEAF_DEPTH = 3;
/** In a file this big (thousands of hosts) the outline stops at the named items: tens of thousands of
 *  symbols would cost the editor more than they help. */
const BIG_FILE_CHARS = 256 * 1024;

const SECTION_KINDS: Record<string, SymbolKind> = {
  cluster: SymbolKind.Namespace,
  defaults: SymbolKind.Namespace,
  network: SymbolKind.Namespace,
  hosts: SymbolKind.Namespace,
  nats: SymbolKind.Module,
  exo: SymbolKind.Module,
  k3s: SymbolKind.Module,
  checkpoints: SymbolKind.Module,
  security: SymbolKind.Module,
};

const ITEM_KINDS: Record<string, SymbolKind> = {
  hosts: SymbolKind.Class,
  interfaces: SymbolKind.Interface,
  segments: SymbolKind.Struct,
  links: SymbolKind.Event,
  gpus: SymbolKind.Object,
  disks: SymbolKind.Object,
  models: SymbolKind.Object,
  policies: SymbolKind.Object,
};

/** The label of a list item: its name, id, model, device, or `from → to` for links. */
function itemLabel(item: unknown, index: number): { label: string; detail?: string } {
  if (!isRecord(item)) return { label: typeof item === 'object' || item === undefined ? `[${index}]` : String(item) };
  const s = (k: string) => (typeof item[k] === 'string' || typeof item[k] === 'number' ? String(item[k]) : undefined);
  if (s('from') && s('to')) return { label: `${s('from')} → ${s('to')}`, detail: s('kind') };
  const label = s('name') ?? s('id') ?? s('model') ?? s('device') ?? s('url') ?? `[${index}]`;
  const detail = Array.isArray(item.roles) ? item.roles.join(', ') : (s('kind') ?? s('vendor') ?? s('layout') ?? s('subnet'));
  return { label, detail };
}

function kindOfValue(value: unknown): SymbolKind {
  if (Array.isArray(value)) return SymbolKind.Array;
  if (isRecord(value)) return SymbolKind.Object;
  if (typeof value === 'number') return SymbolKind.Number;
  if (typeof value === 'boolean') return SymbolKind.Boolean;
  return SymbolKind.Property;
}

function scalarDetail(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.every((v) => typeof v !== 'object') ? value.join(', ') : `${value.length} items`;
  if (value === null || typeof value === 'object') return undefined;
  return String(value);
}

export function specDocumentSymbols(file: ParsedSpecFile): DocumentSymbol[] {
  const big = file.text.length > BIG_FILE_CHARS;
  const maxDepth = big ? 1 : MAX_DEPTH;
  const leafDepth = big ? 0 : LEAF_DEPTH;
  const walk = (value: unknown, path: (string | number)[], depth: number, listKey?: string): DocumentSymbol[] => {
    const out: DocumentSymbol[] = [];
    if (isRecord(value)) {
      for (const [key, child] of Object.entries(value)) {
        const childIsContainer = typeof child === 'object' && child !== null;
        if (!childIsContainer && depth > leafDepth) continue;
        const at = [...path, key];
        const loc = file.locate(at);
        if (!loc) continue;
        const selection = loc.key ?? loc.value;
        const hasNamedItems = Array.isArray(child) && child.some(isRecord);
        out.push({
          name: key,
          detail: hasNamedItems ? `${(child as unknown[]).length}` : scalarDetail(child),
          kind: depth === 0 && file.kind === 'cluster' ? (SECTION_KINDS[key] ?? kindOfValue(child)) : kindOfValue(child),
          range: span(selection, loc.value),
          selectionRange: selection,
          children:
            childIsContainer && depth < maxDepth && (isRecord(child) || hasNamedItems) ? walk(child, at, depth + 1, key) : undefined,
        });
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (!isRecord(item)) return;
        const at = [...path, i];
        const loc = file.locate(at);
        if (!loc) return;
        const { label, detail } = itemLabel(item, i);
        const nameLoc = file.locate([...at, 'name']) ?? file.locate([...at, 'id']);
        out.push({
          name: label,
          detail,
          kind: (listKey ? ITEM_KINDS[listKey] : undefined) ?? SymbolKind.Object,
          range: loc.value,
          selectionRange: nameLoc && within(nameLoc.value, loc.value) ? nameLoc.value : loc.value,
          children: depth < maxDepth ? walk(item, at, depth + 1) : undefined,
        });
      });
    }
    return out;
  };
  // A host file is one host: show it as such, with its settings as children.
  if (file.kind === 'host' && isRecord(file.data)) {
    const whole = file.locate([]);
    if (!whole) return [];
    const { label, detail } = itemLabel(file.data, 0);
    const nameLoc = file.locate(['name']);
    return [
      {
        name: typeof file.data.name === 'string' ? label : 'host',
        detail,
        kind: SymbolKind.Class,
        range: whole.value,
        selectionRange: nameLoc?.value ?? { start: whole.value.start, end: whole.value.start },
        children: walk(file.data, [], 1),
      },
    ];
  }
  return walk(file.data, [], 0);
}

function span(a: Range, b: Range): Range {
  return {
    start: a.start,
    end: b.end.line > a.end.line || (b.end.line === a.end.line && b.end.character >= a.end.character) ? b.end : a.end,
  };
}

function within(inner: Range, outer: Range): boolean {
  const le = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character <= q.character);
  return le(outer.start, inner.start) && le(inner.end, outer.end);
}
