// A host: its state in the icon and description; expanding shows its GPUs, services, interfaces, checkpoints.
import type * as vscode from 'vscode';
import { type ClusterSpec, effectiveRoles, effectiveSystem, type HostSpec } from '#core/spec';
import { checkpointNode } from './checkpointNode';
import { containerNodes } from './containerNode';
import { gpuNode } from './gpuNode';
import { interfaceNode } from './interfaceNode';
import { formatGiB, gpuSlots, gpuSummary, HOST_STATUS_LOOK, hostContextValue, hostServices, specIndex, type ExplorerInput } from './look';
import type { NodeBase, TreeNodeModel } from './model';
import { serviceNode } from './serviceNode';
import type { MakeTreeItem } from './treeItem';

export interface HostNode extends NodeBase {
  kind: 'host';
  host: string;
}

export function hostNode(input: ExplorerInput, host: HostSpec, spec: ClusterSpec, idPrefix: string): HostNode {
  const state = input.host(host.name);
  const look = HOST_STATUS_LOOK[state.status];
  const gpus = gpuSummary(host);
  return {
    kind: 'host',
    id: `${idPrefix}host/${host.name}`,
    label: host.name,
    description: [look.text, gpus].filter(Boolean).join(' · '),
    // Built when VS Code asks for it (on hover), not for every host on every refresh.
    get tooltip() {
      const roles = effectiveRoles(spec, host);
      const memory = state.memory
        ? `${formatGiB((state.memory.totalBytes - state.memory.availableBytes) / 2 ** 20)} / ${formatGiB(state.memory.totalBytes / 2 ** 20)} GiB RAM used`
        : undefined;
      return [
        `**${host.name}** — ${look.text}`,
        '',
        state.statusDetail
          ? `${look.explain} ${state.statusDetail}${state.statusSource ? ` (from ${state.statusSource})` : ''}`
          : look.explain,
        '',
        `- System: ${effectiveSystem(spec, host)}`,
        `- Addresses: ${host.addresses?.join(', ') || 'none'}`,
        roles.length ? `- Roles: ${roles.join(', ')}` : '- Roles: none',
        host.tags?.length ? `- Tags: ${host.tags.join(', ')}` : undefined,
        gpus ? `- GPUs: ${gpus}` : undefined,
        memory ? `- Memory: ${memory}` : undefined,
        state.acceleratorUsagePct !== undefined ? `- Accelerator load: ${Math.round(state.acceleratorUsagePct)}%` : undefined,
      ]
        .filter((l) => l !== undefined)
        .join('\n');
    },
    icon: look.icon,
    contextValue: hostContextValue(host, spec),
    collapsible: true,
    host: host.name,
  };
}

/** A host's GPUs, services, interfaces, containers and checkpoints, in that order. */
export function hostChildren(input: ExplorerInput, node: HostNode): TreeNodeModel[] {
  const spec = input.spec;
  const host = spec && specIndex(spec).byName.get(node.host);
  if (!spec || !host) return [];
  const state = input.host(host.name);
  const parentId = node.id;
  const out: TreeNodeModel[] = [];
  for (const slot of gpuSlots(host))
    out.push(
      gpuNode(
        host.name,
        slot,
        state.gpus.find((g) => g.index === slot.index),
        parentId,
      ),
    );
  for (const service of hostServices(host, spec))
    out.push(serviceNode(host.name, service, state.services[service] ?? { status: 'unknown' }, parentId));
  for (const iface of host.interfaces ?? [])
    out.push(
      interfaceNode(
        host.name,
        iface,
        state.interfaces.find((i) => i.name === iface.name),
        parentId,
      ),
    );
  out.push(...containerNodes(host, state, parentId));
  for (const cp of state.checkpoints) out.push(checkpointNode(host.name, cp, parentId));
  return out;
}

export function hostTreeItem(node: HostNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node);
  // Screen readers hear the state, which sighted users get from the icon colour.
  item.accessibilityInformation = { label: `Host ${node.label}, ${node.description ?? 'unknown'}`, role: 'treeitem' };
  return item;
}
