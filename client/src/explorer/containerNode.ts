// A nixos-container on a host: its state in the icon and description; contextValue offers Start, Stop, Destroy or
// Create from Spec as fits (client/src/containers/model.ts).
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function containerTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node);
  item.accessibilityInformation = { label: `Container ${node.label} on ${node.host}: ${node.description ?? 'unknown'}`, role: 'treeitem' };
  return item;
}
