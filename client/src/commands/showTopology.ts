// "Show Topology": opens the topology panel; its serializer restores it after a window reload.
import * as vscode from 'vscode';
import type { Explorer } from '../explorer/explorer';
import { TOPOLOGY_VIEW_TYPE, TopologyPanel } from '../topology/panel';

export function registerShowTopology(explorer: Explorer): void {
  explorer.services.context.subscriptions.push(
    vscode.commands.registerCommand('gpuCluster.showTopology', () => { TopologyPanel.show(explorer.topology); }),
    vscode.window.registerWebviewPanelSerializer(TOPOLOGY_VIEW_TYPE, TopologyPanel.serializer(explorer.topology)),
    { dispose: () => TopologyPanel.open?.dispose() },
  );
}
