// A GPU: model, VRAM used / total, utilisation and temperature; in the GPUs view also the host it lives on.
import type * as vscode from 'vscode';
import type { TreeNodeModel } from './model';
import { baseTreeItem } from './treeItem';

export function gpuTreeItem(node: TreeNodeModel): vscode.TreeItem {
  const item = baseTreeItem(node);
  item.accessibilityInformation = { label: `GPU ${node.gpuIndex} on ${node.host}: ${node.label}, ${node.description ?? 'no live figures'}`, role: 'treeitem' };
  return item;
}
