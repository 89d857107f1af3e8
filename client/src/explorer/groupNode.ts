// A tag or segment grouping hosts in the Nodes view; open by default so the hosts show at a glance.
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function groupTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node, true);
  item.accessibilityInformation = { label: `${node.label}: ${node.description ?? ''}`, role: 'treeitem' };
  return item;
}
