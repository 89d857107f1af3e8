// A live source that is not answering (e.g. exo's API), shown at the top of the Nodes view instead of a popup;
// clicking it retries now.
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function sourceErrorTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node);
  item.command = { command: 'gpuCluster.refresh', title: 'Retry now' };
  return item;
}
