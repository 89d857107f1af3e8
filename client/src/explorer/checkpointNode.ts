// A checkpoint of a GPU process on a host; restore and delete are its inline actions.
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function checkpointTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node);
  item.accessibilityInformation = { label: `Checkpoint ${node.label} on ${node.host}`, role: 'treeitem' };
  return item;
}
