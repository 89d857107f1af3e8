// Completion in spec files: keys and enum values from the schema (with their docs); host, interface,
// segment and tag names where a reference is expected (`from: |`, `from: hub-1:|`, `segment: |`, …);
// GPU models from the catalogue; exo model ids with their memory need.
//
// The path at the cursor comes from parsing the text with a placeholder where the user is typing: that
// makes half-typed lines parse, and the spec parser reuses every unchanged chunk of a big cluster file.

import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type CompletionList,
  type Range,
} from 'vscode-languageserver/node';
import {
  fileStem,
  inferSpecFileKind,
  isRecord,
  type ParsedSpecFile,
  parseSpecFile,
  type SchemaNavigator,
  type SpecFileKind,
} from '#core/spec';
import { gpuCatalogItems, exoModelItems } from './catalogItems';
import { schemaFileOf } from './schemas';
import type { SpecSnapshot } from '#core/validate';
import { escapeMarkdown } from './markdown';

export interface CompletionInput {
  snapshot: SpecSnapshot;
  schemas: SchemaNavigator;
  uri: string;
  text: string;
  offset: number;
}

const PLACEHOLDER = '__completion__';
const RETRIGGER = { title: 'Suggest', command: 'editor.action.triggerSuggest' };

type Path = (string | number)[];

/** Where the cursor is: completing a key of the object at `parent`, or the value at `path`. */
type Site =
  | { mode: 'key'; parent: Path; existing: Set<string>; replace: Range; column: number; flow: boolean }
  | { mode: 'value'; path: Path; partial: string; replace: Range; spaceBefore: boolean; data: unknown; root: unknown };

export function specCompletion(input: CompletionInput): CompletionList {
  const kind = input.snapshot.file(input.uri)?.kind ?? inferSpecFileKind(input.uri);
  const site = findSite(input, kind);
  if (!site) return { isIncomplete: false, items: [] };
  const items = site.mode === 'key' ? keyItems(input, kind, site) : valueItems(input, kind, site);
  return { isIncomplete: false, items };
}

function findSite(input: CompletionInput, kind: SpecFileKind): Site | undefined {
  const { text, offset } = input;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = text.length;
  const before = text.slice(lineStart, offset);
  const after = text.slice(offset, lineEnd).replace(/\r$/, '');
  if (/(^|\s)#/.test(before.replace(/(["'])(?:(?!\1).)*\1/g, ''))) return undefined; // in a comment

  const keyLine = /^(\s*)([\w.-]*)$/.exec(before);
  const flow = /[[{][^\]}]*$/.test(before);
  let start: number;
  let end: number;
  let placeholder: string;
  let spaceBefore = false;
  if (keyLine && !flow) {
    // A new or half-typed key on its own line.
    start = offset - keyLine[2].length;
    const rest = /^([\w.-]*)(\s*:)?/.exec(after)!;
    end = offset + rest[1].length;
    placeholder = rest[2] ? PLACEHOLDER : `${PLACEHOLDER}: `;
  } else if (/^\s*(?:-\s+)*[\w.-]+:$/.test(before)) {
    // Right after `key:` with no space yet: the value needs one.
    start = end = offset;
    placeholder = ` ${PLACEHOLDER}`;
    spaceBefore = true;
  } else {
    const word = /[^\s,[\]{}'"]*$/.exec(before)![0];
    start = offset - word.length;
    end = offset + /^[^\s,[\]{}'"]*/.exec(after)![0].length;
    placeholder = PLACEHOLDER;
  }

  const probe = parseSpecFile(input.uri, text.slice(0, start) + placeholder + text.slice(end), -1, kind);
  const at = probe.pathAt(start + placeholder.indexOf(PLACEHOLDER) + 1);
  if (!at) return undefined;
  // The text before the placeholder is the real text, and the replaced token lies within one line.
  const from = probe.positionAt(start);
  const realReplace = { start: from, end: { line: from.line, character: from.character + (end - start) } };
  const last = at.path[at.path.length - 1];
  if (last === PLACEHOLDER) {
    const parent = at.path.slice(0, -1);
    const data = valueAt(probe, parent);
    const existing = new Set(isRecord(data) ? Object.keys(data).filter((k) => k !== PLACEHOLDER) : []);
    return { mode: 'key', parent, existing, replace: realReplace, column: start - lineStart, flow };
  }
  const data = valueAt(probe, at.path.slice(0, -1));
  const partial = text.slice(start, offset);
  const site: Site = { mode: 'value', path: at.path, partial, replace: realReplace, spaceBefore, data, root: probe.data };
  // `- |` in a list of objects: the user is starting a new item, offer its keys.
  if (isObjectSchema(input.schemas, kind, at.path) && /^\s*-\s+[\w.-]*$/.test(before)) {
    return { mode: 'key', parent: at.path, existing: new Set(), replace: realReplace, column: start - lineStart, flow: false };
  }
  return site;
}

function valueAt(file: ParsedSpecFile, path: Path): unknown {
  return valueAtPath(file.data, path);
}

function valueAtPath(data: unknown, path: Path): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

function isObjectSchema(schemas: SchemaNavigator, kind: SpecFileKind, path: Path): boolean {
  const at = schemas.at(schemaFileOf(kind), path);
  return schemas.properties(at).length > 0;
}

function markdown(value: string | undefined) {
  return value ? { kind: MarkupKind.Markdown, value: escapeMarkdown(value) } : undefined;
}

function keyItems(input: CompletionInput, kind: SpecFileKind, site: Extract<Site, { mode: 'key' }>): CompletionItem[] {
  const nav = input.schemas;
  const props = nav.properties(nav.at(schemaFileOf(kind), site.parent));
  const indent = ' '.repeat(site.column + 2);
  return props
    .filter((p) => !site.existing.has(p.name))
    .map((p): CompletionItem => {
      const facts = nav.facts(p.schemas);
      const isObject = nav.properties(p.schemas).length > 0 || (facts.types.includes('object') && !facts.types.includes('array'));
      const isList = facts.types.includes('array');
      const listOfObjects = isList && nav.properties(nav.child(p.schemas, 0)).length > 0;
      let newText = `${p.name}: `;
      let command;
      if (!site.flow && listOfObjects) newText = `${p.name}:\n${indent}- `;
      else if (!site.flow && isObject) newText = `${p.name}:\n${indent}`;
      else if (isList) newText = `${p.name}: [`;
      if (!isObject && !isList && (facts.enum.length || facts.types.includes('boolean'))) command = RETRIGGER;
      if (listOfObjects && !site.flow) command = RETRIGGER;
      const type = facts.enum.length ? facts.enum.map((v) => JSON.stringify(v)).join(' | ') : facts.types.join(' | ');
      return {
        label: p.name,
        kind: isObject || listOfObjects ? CompletionItemKind.Module : CompletionItemKind.Property,
        detail: `${type}${p.required ? ' (required)' : ''}`,
        documentation: markdown(facts.description),
        sortText: `${p.required ? 0 : 1}${p.name}`,
        textEdit: { range: site.replace, newText },
        insertTextFormat: InsertTextFormat.PlainText,
        command,
        deprecated: facts.deprecated || undefined,
      };
    });
}

/** Which named thing a value refers to, by where it is. */
type Reference = 'endpoint' | 'host' | 'interface' | 'interface-of-host' | 'segment' | 'tag' | 'gpu-model' | 'exo-model';

function referenceAt(kind: SpecFileKind, path: Path): Reference | undefined {
  const p = path.map((s) => (typeof s === 'number' ? '#' : s)).join('/');
  const inHost = kind === 'host' ? p : p.startsWith('hosts/#/') ? p.slice('hosts/#/'.length) : undefined;
  if (inHost !== undefined) {
    switch (inHost) {
      case 'interfaces/#/segment':
        return 'segment';
      case 'interfaces/#/parent':
      case 'interfaces/#/members/#':
      case 'k3s/interface':
        return 'interface-of-host';
      case 'ssh/jump':
        return 'host';
      case 'tags/#':
        return 'tag';
      case 'hardware/gpus/#/model':
        return 'gpu-model';
    }
  }
  if (kind !== 'cluster') return undefined;
  switch (p) {
    case 'network/links/#/from':
    case 'network/links/#/to':
      return 'endpoint';
    case 'k3s/interfaces/#':
    case 'security/firewall/trustedInterfaces/#':
      return 'interface';
    case 'k3s/segment':
      return 'segment';
    case 'defaults/ssh/jump':
      return 'host';
    case 'checkpoints/policies/#/tags/#':
      return 'tag';
    case 'exo/models/#/id':
      return 'exo-model';
  }
  return undefined;
}

function valueItems(input: CompletionInput, kind: SpecFileKind, site: Extract<Site, { mode: 'value' }>): CompletionItem[] {
  const { snapshot, schemas } = input;
  const symbols = snapshot.model.symbols;
  const lead = site.spaceBefore ? ' ' : '';
  const item = (label: string, itemKind: CompletionItemKind, detail?: string, doc?: string, range = site.replace): CompletionItem => ({
    label,
    kind: itemKind,
    detail,
    documentation: markdown(doc),
    textEdit: { range, newText: lead + label },
  });
  const hostDetail = (name: string) => {
    const host = snapshot.model.hostSources.get(name)?.host;
    return host ? [host.roles?.join(', '), host.addresses?.[0]].filter(Boolean).join(' · ') : undefined;
  };
  const hostNames = () => [...new Set(symbols.definitionsOf('host').map((d) => d.name))];
  const interfacesOf = (host: string) => [...new Set(symbols.definitionsOf('interface', host).map((d) => d.name))];
  const interfaceDetail = (host: string, name: string) => {
    const iface = snapshot.model.hostSources.get(host)?.host.interfaces?.find((i) => i?.name === name);
    return iface
      ? [iface.kind, iface.segment && `segment ${iface.segment}`, iface.addresses?.join(', ')].filter(Boolean).join(' · ')
      : undefined;
  };

  const reference = referenceAt(kind, site.path);
  const items: CompletionItem[] = [];
  switch (reference) {
    case 'endpoint': {
      const colon = site.partial.indexOf(':');
      if (colon >= 0) {
        const host = site.partial.slice(0, colon);
        const range = {
          start: { line: site.replace.start.line, character: site.replace.start.character + colon + 1 },
          end: site.replace.end,
        };
        for (const name of interfacesOf(host))
          items.push({
            ...item(name, CompletionItemKind.Interface, interfaceDetail(host, name), undefined, range),
            textEdit: { range, newText: name },
          });
      } else {
        for (const name of hostNames())
          items.push({
            ...item(name, CompletionItemKind.Class, hostDetail(name)),
            textEdit: { range: site.replace, newText: `${lead}${name}:` },
            command: RETRIGGER,
          });
      }
      return items;
    }
    case 'host':
      return hostNames().map((n) => item(n, CompletionItemKind.Class, hostDetail(n)));
    case 'interface': {
      const all = new Map<string, string[]>();
      for (const d of symbols.definitionsOf('interface')) all.set(d.name, [...(all.get(d.name) ?? []), d.host ?? '?']);
      return [...all].map(([name, hosts]) =>
        item(
          name,
          CompletionItemKind.Interface,
          `on ${hosts.slice(0, 5).join(', ')}${hosts.length > 5 ? ` and ${hosts.length - 5} more` : ''}`,
        ),
      );
    }
    case 'interface-of-host': {
      const host = hostNameAt(input.uri, kind, site.path, site.root);
      // an interface does not list itself as its own member or parent
      const at = site.path.lastIndexOf('interfaces');
      const iface = at >= 0 ? valueAtPath(site.root, site.path.slice(0, at + 2)) : undefined;
      const own = isRecord(iface) && typeof iface.name === 'string' ? iface.name : undefined;
      return host
        ? interfacesOf(host)
            .filter((n) => n !== own)
            .map((n) => item(n, CompletionItemKind.Interface, interfaceDetail(host, n)))
        : [];
    }
    case 'segment': {
      const segments = snapshot.model.spec.network?.segments ?? [];
      return [...new Set(symbols.definitionsOf('segment').map((d) => d.name))].map((name) => {
        const seg = segments.find((s) => s?.name === name);
        return item(
          name,
          CompletionItemKind.Struct,
          seg ? [seg.subnet, seg.vlan !== undefined && `VLAN ${seg.vlan}`].filter(Boolean).join(' · ') : undefined,
          seg?.description,
        );
      });
    }
    case 'tag': {
      const tags = snapshot.model.spec.cluster?.tags ?? {};
      return [...new Set(symbols.definitionsOf('tag').map((d) => d.name))].map((name) =>
        item(name, CompletionItemKind.Constant, undefined, typeof tags[name] === 'string' ? tags[name] : undefined),
      );
    }
    case 'gpu-model':
      return gpuCatalogItems(isRecord(site.data) ? site.data.vendor : undefined).map((g) => ({
        ...g,
        textEdit: { range: site.replace, newText: lead + g.label },
      }));
    case 'exo-model':
      return exoModelItems().map((m) => ({ ...m, textEdit: { range: site.replace, newText: lead + m.label } }));
  }

  const facts = schemas.facts(schemas.at(schemaFileOf(kind), site.path));
  for (const v of facts.enum) {
    const label = typeof v === 'string' ? v : JSON.stringify(v);
    items.push({
      ...item(label, CompletionItemKind.EnumMember, v === facts.default ? 'default' : undefined, facts.description),
      sortText: v === facts.default ? `0${label}` : `1${label}`,
    });
  }
  if (!facts.enum.length && facts.types.includes('boolean')) {
    for (const b of ['true', 'false'])
      items.push(item(b, CompletionItemKind.Value, String(facts.default) === b ? 'default' : undefined, facts.description));
  }
  return items;
}

/** The name of the host whose entry holds `path` (a host file's name defaults to its file name). */
function hostNameAt(uri: string, kind: SpecFileKind, path: Path, root: unknown): string | undefined {
  const host = kind === 'cluster' ? valueAtPath(root, path.slice(0, 2)) : root;
  if (isRecord(host) && typeof host.name === 'string') return host.name;
  return kind === 'host' ? fileStem(uri) : undefined;
}
