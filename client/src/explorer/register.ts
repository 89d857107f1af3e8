// The cluster explorer feature: the shared state store fed by the spec and (in a trusted workspace) exo's API,
// the Nodes and GPUs trees, the topology panel and their commands.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ExtensionServices } from '../services/services';
import { SpecSource } from '../state/specSource';
import { LiveSpecFeed } from './liveSpec';
import { ExoSource } from '../state/exoSource';
import { GpusTreeProvider } from './gpusTree';
import { NodesTreeProvider } from './nodesTree';
import type { GpuSort, Grouping, TreeNodeModel } from './model';
import type { Explorer } from './explorer';
import { GROUPING_KEY, registerGroupBy } from './groupBy';
import { GPU_SORT_KEY, registerSortGpus } from './sortGpus';
import { registerRefresh } from './refresh';
import { registerRevealInSpec } from './revealInSpec';

export function registerExplorer(services: ExtensionServices): void {
  const { context, specStore } = services;
  const store = services.state;
  const subscriptions = context.subscriptions;
  const liveSpec = new LiveSpecFeed(specStore, services.output);
  subscriptions.push(liveSpec, services.addStateSource(new SpecSource(liveSpec)));

  // exo's API is on a host the spec names: it is polled only while the live session is on (the user chose
  // Connect to Cluster in a trusted workspace).
  let exo: ExoSource | undefined;
  let exoSubscription: { dispose(): void } | undefined;
  const restartExo = () => {
    exoSubscription?.dispose();
    exoSubscription = undefined;
    exo = undefined;
    if (!services.live.connected) return;
    const intervalMs = vscode.workspace.getConfiguration('gpuCluster').get<number>('exo.pollIntervalMs', 2000);
    exo = new ExoSource({ spec: () => store.spec, intervalMs: Math.max(250, intervalMs) });
    exoSubscription = services.addStateSource(exo);
  };
  restartExo();
  subscriptions.push(
    services.live.onDidChange(restartExo),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('gpuCluster.exo.pollIntervalMs')) restartExo();
    }),
    { dispose: () => exoSubscription?.dispose() },
  );

  const nodes = new NodesTreeProvider(store, context.workspaceState.get<Grouping>(GROUPING_KEY, 'tag'), () => ({
    trusted: vscode.workspace.isTrusted,
    connected: services.live.connected,
  }));
  subscriptions.push(
    services.live.onDidChange(() => nodes.refresh()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => nodes.refresh()),
  );
  const gpus = new GpusTreeProvider(store, context.workspaceState.get<GpuSort>(GPU_SORT_KEY, 'freeMemory'));
  const nodesView = vscode.window.createTreeView<TreeNodeModel>('gpuCluster.nodes', { treeDataProvider: nodes, showCollapseAll: true });
  const gpusView = vscode.window.createTreeView<TreeNodeModel>('gpuCluster.gpus', { treeDataProvider: gpus });
  subscriptions.push(nodes, gpus, nodesView, gpusView);

  // Which cluster the views show; in a multi-root workspace also which folder it comes from.
  const describe = () => {
    const name = store.spec?.cluster?.name;
    const uri = specStore.specUri;
    const folder =
      uri && specStore.specUris.length > 1
        ? (vscode.workspace.getWorkspaceFolder(uri)?.name ?? path.basename(path.dirname(uri.fsPath)))
        : undefined;
    const description = name ? (folder ? `${name} (${folder})` : name) : undefined;
    nodesView.description = description;
    gpusView.description = description;
  };
  subscriptions.push(
    store.onDidChange((c) => {
      if (c.specChanged) describe();
    }),
  );
  describe();

  // Selecting a host in the tree points it out in the topology panel, if open (gpuCluster.topology.focusHost is the
  // topology feature's internal command).
  subscriptions.push(
    nodesView.onDidChangeSelection((e) => {
      const host = e.selection[0]?.host;
      if (host) void vscode.commands.executeCommand('gpuCluster.topology.focusHost', host);
    }),
  );

  const explorer: Explorer = {
    services,
    store,
    nodes,
    gpus,
    nodesView,
    liveSpec,
    exo: () => exo,
  };
  registerRevealInSpec(explorer);
  registerRefresh(explorer);
  registerGroupBy(explorer);
  registerSortGpus(explorer);
}
