// The Nodes view: hosts grouped by tag or segment, each with its GPUs, services, interfaces and checkpoints,
// redrawn when the state store reports a change (already coalesced by the store).
import * as vscode from 'vscode';
import type { ClusterStateStore } from '../state/store';
import { childrenOf, connectionNode, nodeRoots, type ConnectionView, type Grouping, type TreeNodeModel } from './model';
import { checkpointTreeItem } from './checkpointNode';
import { connectionTreeItem } from './connectionNode';
import { containerTreeItem } from './containerNode';
import { gpuTreeItem } from './gpuNode';
import { groupTreeItem } from './groupNode';
import { hostTreeItem } from './hostNode';
import { interfaceTreeItem } from './interfaceNode';
import { serviceTreeItem } from './serviceNode';
import { sourceErrorTreeItem } from './sourceErrorNode';
import { baseTreeItem, resolveTooltip, type MakeTreeItem } from './treeItem';

/** Each kind's TreeItem, from the kind's own file. */
const ITEM_FOR: { [K in TreeNodeModel['kind']]: (node: Extract<TreeNodeModel, { kind: K }>, make: MakeTreeItem) => vscode.TreeItem } = {
  connection: connectionTreeItem,
  sourceError: sourceErrorTreeItem,
  group: groupTreeItem,
  host: hostTreeItem,
  gpu: gpuTreeItem,
  service: serviceTreeItem,
  interface: interfaceTreeItem,
  checkpoint: checkpointTreeItem,
  container: containerTreeItem,
};

export function treeItemFor(node: TreeNodeModel): vscode.TreeItem {
  return (ITEM_FOR[node.kind] as (node: TreeNodeModel, make: MakeTreeItem) => vscode.TreeItem)(node, baseTreeItem);
}

export class NodesTreeProvider implements vscode.TreeDataProvider<TreeNodeModel>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNodeModel | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly parents = new Map<string, TreeNodeModel>();
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly store: ClusterStateStore,
    private groupingValue: Grouping,
    private readonly connection: () => ConnectionView,
  ) {
    this.subscription = store.onDidChange(() => this.refresh());
  }

  get grouping(): Grouping {
    return this.groupingValue;
  }

  setGrouping(grouping: Grouping): void {
    this.groupingValue = grouping;
    this.refresh();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNodeModel): vscode.TreeItem {
    return treeItemFor(node);
  }

  resolveTreeItem(item: vscode.TreeItem, node: TreeNodeModel): vscode.TreeItem {
    return resolveTooltip(item, node);
  }

  getChildren(node?: TreeNodeModel): TreeNodeModel[] {
    if (!node) {
      this.parents.clear();
      // Without a spec the view is empty, so its welcome (Create Example Cluster Spec) shows instead.
      const status = this.store.spec ? connectionNode(this.connection()) : undefined;
      return status ? [status, ...nodeRoots(this.store, this.groupingValue)] : nodeRoots(this.store, this.groupingValue);
    }
    const children = childrenOf(this.store, node);
    for (const child of children) this.parents.set(child.id, node);
    return children;
  }

  getParent(node: TreeNodeModel): TreeNodeModel | undefined {
    return this.parents.get(node.id);
  }

  /** The first item of a host (under its first group), for revealing it from elsewhere (the topology panel). */
  findHost(name: string): TreeNodeModel | undefined {
    for (const root of nodeRoots(this.store, this.groupingValue)) {
      const host = this.getChildren(root).find((n) => n.kind === 'host' && n.host === name);
      if (host) return host;
    }
    return undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
