// What the explorer's commands share: the state store, the two trees and the exo source (while running).
import type * as vscode from 'vscode';
import type { ExtensionServices } from '../services/services';
import type { ClusterStateStore } from '../state/store';
import type { ExoSource } from '../state/exoSource';
import type { GpusTreeProvider } from './gpusTree';
import type { TreeNodeModel } from './model';
import type { NodesTreeProvider } from './nodesTree';
import type { LiveSpecFeed } from './liveSpec';

export interface Explorer {
  services: ExtensionServices;
  store: ClusterStateStore;
  nodes: NodesTreeProvider;
  gpus: GpusTreeProvider;
  nodesView: vscode.TreeView<TreeNodeModel>;
  /** The spec as shown: saved files, with unsaved edits of open spec files in their place. */
  liveSpec: LiveSpecFeed;
  /** The exo source, undefined in an untrusted workspace (it would contact hosts named by the spec). */
  exo(): ExoSource | undefined;
}
