// The GPUs view: every GPU in the cluster with the host it lives on, sorted by free memory or utilisation.
import * as vscode from 'vscode';
import type { ClusterStateStore } from '../state/store';
import { gpuRows, type GpuSort, type TreeNodeModel } from './model';
import { gpuTreeItem } from './gpuNode';
import { resolveTooltip } from './treeItem';

export class GpusTreeProvider implements vscode.TreeDataProvider<TreeNodeModel>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNodeModel | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly store: ClusterStateStore, private sortValue: GpuSort) {
    this.subscription = store.onDidChange(() => this.changed.fire(undefined));
  }

  get sort(): GpuSort { return this.sortValue; }

  setSort(sort: GpuSort): void {
    this.sortValue = sort;
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNodeModel): vscode.TreeItem {
    return gpuTreeItem(node);
  }

  resolveTreeItem(item: vscode.TreeItem, node: TreeNodeModel): vscode.TreeItem {
    return resolveTooltip(item, node);
  }

  getChildren(node?: TreeNodeModel): TreeNodeModel[] {
    return node ? [] : gpuRows(this.store, this.sortValue);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
