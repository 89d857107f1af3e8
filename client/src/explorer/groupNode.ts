// A tag or segment grouping hosts in the Nodes view; open by default so the hosts show at a glance. Its children
// are its hosts.
import type * as vscode from 'vscode';
import type { HostSpec } from '#core/spec';
import { hostNode, type HostNode } from './hostNode';
import { specIndex, type ExplorerInput } from './look';
import type { NodeBase } from './model';
import type { MakeTreeItem } from './treeItem';

export interface GroupNode extends NodeBase {
  kind: 'group';
  groupHosts: string[];
}

export function groupNode(key: string, label: string, description: string | undefined, hosts: HostSpec[], input: ExplorerInput): GroupNode {
  const running = hosts.filter((h) => input.host(h.name).status === 'running').length;
  const failed = hosts.filter((h) => input.host(h.name).status === 'failed').length;
  return {
    kind: 'group',
    id: `group/${key}`,
    label,
    description: `${hosts.length} host${hosts.length === 1 ? '' : 's'}${running ? ` · ${running} running` : ''}${failed ? ` · ${failed} failed` : ''}`,
    get tooltip() {
      return `**${label}**${description ? ` — ${description}` : ''}\n\n${hosts.map((h) => `- ${h.name}: ${input.host(h.name).status}`).join('\n')}`;
    },
    icon: failed ? { id: 'folder', color: 'charts.red' } : { id: 'folder' },
    contextValue: 'group',
    collapsible: true,
    groupHosts: hosts.map((h) => h.name),
  };
}

export function groupChildren(input: ExplorerInput, node: GroupNode): HostNode[] {
  const spec = input.spec;
  if (!spec) return [];
  const { byName } = specIndex(spec);
  return node.groupHosts.flatMap((name) => {
    const host = byName.get(name);
    return host ? [hostNode(input, host, spec, `${node.id}/`)] : [];
  });
}

export function groupTreeItem(node: GroupNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node, true);
  item.accessibilityInformation = { label: `${node.label}: ${node.description ?? ''}`, role: 'treeitem' };
  return item;
}
