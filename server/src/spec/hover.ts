// Hover in spec files: the schema's documentation of the key or value under the cursor, and computed facts
// about the named thing there — a host's system, roles, GPUs and total VRAM; an interface's kind, segment
// and addresses; a segment's subnet; a GPU model from the catalogue; an exo model's memory need.

import { MarkupKind, type Hover, type Position, type Range } from 'vscode-languageserver/node';
import { findExoModel, findGpu } from '#core/catalog';
import {
  clusterInferenceMemory,
  type ClusterSpec,
  effectiveAccelerator,
  effectiveGpus,
  effectiveRoles,
  effectiveSystem,
  type HostSpec,
  inferenceMemoryGB,
  type ParsedSpecFile,
  type SchemaNavigator,
  type SpecFileKind,
  type SpecSymbol,
  totalVramGB,
} from '#core/spec';
import { describeExoModel, describeGpu } from './catalogItems';
import { schemaFileOf } from './schemas';
import { escapeMarkdown } from './markdown';
import type { SpecSnapshot } from '#core/validate';

export interface HoverInput {
  snapshot: SpecSnapshot;
  schemas: SchemaNavigator;
  file: ParsedSpecFile;
  position: Position;
}

export function specHover({ snapshot, schemas, file, position }: HoverInput): Hover | null {
  const sections: string[] = [];
  let range: Range | undefined;

  const hit = snapshot.model.symbols.at(file.uri, position);
  if (hit) {
    const facts = symbolFacts(snapshot, hit.symbol);
    if (facts) sections.push(facts);
    range = hit.symbol.location.range;
  }

  const at = file.pathAt(file.offsetAt(position));
  if (at && at.path.length) {
    const loc = file.locate(at.path);
    range ??= at.onKey ? loc?.key : loc?.value;
    const value = valueAt(file.data, at.path);
    const key = at.path[at.path.length - 1];
    const doc = schemaDoc(schemas, file.kind, at.path);
    if (!at.onKey && typeof value === 'string') {
      if (key === 'model' && at.path.includes('gpus')) {
        const gpu = findGpu(value);
        doc.push(
          gpu
            ? describeGpu(gpu)
            : `\`${value}\` is not in the GPU catalogue: set \`vramGB\` (and \`computeCapability\` for NVIDIA) yourself.`,
        );
      }
      if (key === 'id' && at.path[0] === 'exo') {
        const model = findExoModel(value);
        if (model) doc.push(describeExoModel(model) + clusterMemoryLine(snapshot.model.spec, model.memoryGB));
      }
    }
    if (doc.length) sections.push(docSection(at.path, doc));
  }
  if (!sections.length) return null;
  return { contents: { kind: MarkupKind.Markdown, value: sections.join('\n\n---\n\n') }, range };
}

/** The schema's documentation of the value at `path`: its description, allowed values and default. */
export function schemaDoc(schemas: SchemaNavigator, kind: SpecFileKind, path: readonly (string | number)[]): string[] {
  const nav = schemas.facts(schemas.at(schemaFileOf(kind), path));
  const doc: string[] = [];
  if (nav.description) doc.push(escapeMarkdown(nav.description));
  const constraints: string[] = [];
  if (nav.enum.length && nav.enum.length <= 12) constraints.push(`one of ${nav.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (nav.default !== undefined) constraints.push(`default \`${JSON.stringify(nav.default)}\``);
  if (constraints.length) doc.push(constraints.join(' · '));
  return doc;
}

/** The hover section of a key's documentation, headed by the key (a list item's by its list's key). */
export function docSection(path: readonly (string | number)[], doc: string[]): string {
  const key = path[path.length - 1];
  return `**${typeof key === 'number' ? path[path.length - 2] : key}**\n\n${doc.join('\n\n')}`;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

function clusterMemoryLine(spec: ClusterSpec, needGB: number): string {
  const { totalGB, perHost } = clusterInferenceMemory(spec);
  if (!perHost.size) return '';
  return ` The cluster's exo hosts have ${totalGB} GB in total${totalGB < needGB ? ' — not enough' : ''}.`;
}

function symbolFacts(snapshot: SpecSnapshot, symbol: SpecSymbol): string | undefined {
  const { spec, hostSources } = snapshot.model;
  switch (symbol.kind) {
    case 'host': {
      const source = hostSources.get(symbol.name);
      return source ? hostFacts(spec, source.host, source.uri) : `Host \`${symbol.name}\` is not defined.`;
    }
    case 'interface': {
      const hosts = symbol.host !== undefined ? [symbol.host] : [...hostSources.keys()];
      const lines = hosts.flatMap((h) => {
        const iface = hostSources.get(h)?.host.interfaces?.find((i) => i?.name === symbol.name);
        if (!iface) return [];
        const parts = [
          iface.kind,
          iface.segment && `segment \`${iface.segment}\``,
          iface.addresses?.length && iface.addresses.join(', '),
          iface.dhcp && 'DHCP',
          iface.members?.length && `members ${iface.members.join(', ')}`,
          iface.parent && `on ${iface.parent}`,
          iface.vlanId !== undefined && `VLAN ${iface.vlanId}`,
          iface.mtu && `MTU ${iface.mtu}`,
          iface.rdma && 'RDMA',
        ].filter(Boolean);
        return [`**${h}:${iface.name}** · ${parts.join(' · ')}`];
      });
      return lines.length
        ? lines.slice(0, 10).join('\n\n') + (lines.length > 10 ? `\n\n…and ${lines.length - 10} more hosts` : '')
        : `Interface \`${symbol.name}\` is not defined${symbol.host ? ` on ${symbol.host}` : ''}.`;
    }
    case 'segment': {
      const seg = spec.network?.segments?.find((s) => s?.name === symbol.name);
      if (!seg) return `Segment \`${symbol.name}\` is not defined.`;
      const users = spec.hosts.reduce((n, h) => n + (h.interfaces?.filter((i) => i?.segment === seg.name).length ?? 0), 0);
      return [
        `**segment ${seg.name}** · ${seg.subnet}${seg.vlan !== undefined ? ` · VLAN ${seg.vlan}` : ''}${seg.gateway ? ` · gateway ${seg.gateway}` : ''}`,
        seg.description && escapeMarkdown(seg.description),
        `${users} interface${users === 1 ? '' : 's'} on this segment`,
      ]
        .filter(Boolean)
        .join('\n\n');
    }
    case 'tag': {
      const description = spec.cluster?.tags?.[symbol.name];
      const users = spec.hosts.filter((h) => Array.isArray(h.tags) && h.tags.includes(symbol.name)).length;
      return `**tag ${symbol.name}**${description ? ` · ${escapeMarkdown(description)}` : ' (not declared in `cluster.tags`)'}\n\n${users} host${users === 1 ? '' : 's'}`;
    }
  }
}

function hostFacts(spec: ClusterSpec, host: HostSpec, uri: string): string {
  const lines: string[] = [];
  const system = effectiveSystem(spec, host);
  lines.push(
    `**${host.name}** · ${system}${Array.isArray(host.addresses) && host.addresses.length ? ` · ${host.addresses.join(', ')}` : ''}`,
  );
  const roles = effectiveRoles(spec, host);
  if (roles.length) lines.push(`Roles: ${roles.join(', ')}`);
  const gpus = effectiveGpus(host);
  if (gpus.length) {
    const list = gpus.map(
      (g) =>
        `${g.count} × ${g.model}${g.vramGB !== undefined ? ` (${g.vramGB} GB${g.computeCapability ? `, CC ${g.computeCapability}` : ''})` : ' (VRAM unknown)'}`,
    );
    lines.push(`GPUs: ${list.join(', ')}`);
    lines.push(`**Total VRAM: ${totalVramGB(host)} GB**`);
  } else {
    lines.push('No GPUs');
  }
  const memory = host.hardware?.memoryGB;
  lines.push(
    `${memory !== undefined ? `Memory: ${memory} GB · ` : ''}exo accelerator ${effectiveAccelerator(spec, host)}, ${inferenceMemoryGB(spec, host)} GB for model layers`,
  );
  const ifaces = (host.interfaces ?? []).filter((i) => i && typeof i.name === 'string');
  if (ifaces.length) lines.push(`Interfaces: ${ifaces.map((i) => i.name).join(', ')}`);
  const file = decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
  lines.push(`Defined in ${/[\\/]hosts[\\/]/.test(uri) ? `hosts/${file}` : file}`);
  return lines.join('\n\n');
}
