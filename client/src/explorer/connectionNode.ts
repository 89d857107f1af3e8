// The row at the top of the Nodes view while no live state flows: clicked, it connects to the cluster, or in
// Restricted Mode opens the workspace trust editor.
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function connectionTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node);
  item.command = node.contextValue === 'connection.untrusted'
    ? { command: 'workbench.trust.manage', title: 'Manage Workspace Trust' }
    : { command: 'gpuCluster.connect', title: 'Connect to Cluster' };
  return item;
}
