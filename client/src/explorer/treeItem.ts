// The part every explorer node shares: a TreeItem from a model record (label, id, description, markdown
// tooltip, themed icon, contextValue for the menus).
import * as vscode from 'vscode';
import type { TreeNodeModel } from './model';

export function baseTreeItem(node: TreeNodeModel, expanded = false): vscode.TreeItem {
  const state = !node.collapsible ? vscode.TreeItemCollapsibleState.None
    : expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
  const item = new vscode.TreeItem(node.label, state);
  item.id = node.id;
  item.description = node.description;
  item.tooltip = new vscode.MarkdownString(node.tooltip);
  item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
  item.contextValue = node.contextValue;
  return item;
}
