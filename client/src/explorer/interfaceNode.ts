// A network interface of a host (kind, segment, addresses, live link state when a probe reported it).
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function interfaceTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node);
  item.accessibilityInformation = { label: `Interface ${node.label} on ${node.host}: ${node.description ?? ''}`, role: 'treeitem' };
  return item;
}
