// A host: its state in the icon and description; expanding shows its GPUs, services, interfaces, checkpoints.
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function hostTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node);
  // Screen readers hear the state, which sighted users get from the icon colour.
  item.accessibilityInformation = { label: `Host ${node.label}, ${node.description ?? 'unknown'}`, role: 'treeitem' };
  return item;
}
