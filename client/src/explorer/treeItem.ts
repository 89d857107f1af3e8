// The part every explorer node shares: a TreeItem from a model record (label, id, description, themed icon,
// contextValue for the menus). The markdown tooltip is added by resolveTreeItem, when the item is hovered.
import * as vscode from 'vscode';
import type { TreeNodeModel } from './model';

/** How a node's file gets the TreeItem every node shares before adding its own parts. */
export type MakeTreeItem = typeof baseTreeItem;

export function baseTreeItem(node: TreeNodeModel, expanded = false): vscode.TreeItem {
  const state = !node.collapsible
    ? vscode.TreeItemCollapsibleState.None
    : expanded
      ? vscode.TreeItemCollapsibleState.Expanded
      : vscode.TreeItemCollapsibleState.Collapsed;
  const item = new vscode.TreeItem(node.label, state);
  item.id = node.id;
  item.description = node.description;
  item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
  item.contextValue = node.contextValue;
  return item;
}

/** TreeDataProvider.resolveTreeItem for the explorer's views: the tooltip, built only when it is shown. */
export function resolveTooltip(item: vscode.TreeItem, node: TreeNodeModel): vscode.TreeItem {
  item.tooltip = new vscode.MarkdownString(node.tooltip);
  return item;
}
