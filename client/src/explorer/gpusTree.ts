// The GPUs view: every GPU in the cluster with the host it lives on, sorted by free memory or utilisation.
import * as vscode from 'vscode';
import type { ClusterStateStore } from '../state/store';
import { gpuRows, gpuTreeItem, type GpuNode } from './gpuNode';
import type { GpuSort } from './model';
import { baseTreeItem, resolveTooltip } from './treeItem';

export class GpusTreeProvider implements vscode.TreeDataProvider<GpuNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<GpuNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly store: ClusterStateStore,
    private sortValue: GpuSort,
  ) {
    this.subscription = store.onDidChange(() => this.changed.fire(undefined));
  }

  get sort(): GpuSort {
    return this.sortValue;
  }

  setSort(sort: GpuSort): void {
    this.sortValue = sort;
    this.changed.fire(undefined);
  }

  getTreeItem(node: GpuNode): vscode.TreeItem {
    return gpuTreeItem(node, baseTreeItem);
  }

  resolveTreeItem(item: vscode.TreeItem, node: GpuNode): vscode.TreeItem {
    return resolveTooltip(item, node);
  }

  getChildren(node?: GpuNode): GpuNode[] {
    return node ? [] : gpuRows(this.store, this.sortValue);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
