// A cluster service on a host (exo, NATS, k3s, checkpoint agent) with its state; exo's contextValue says whether
// it runs, so only Launch or Stop is offered.
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function serviceTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node);
  item.accessibilityInformation = { label: `${node.label} on ${node.host}: ${node.description ?? 'unknown'}`, role: 'treeitem' };
  return item;
}
