// "Show Topology": opens the topology panel; its serializer restores it after a window reload.
import * as vscode from 'vscode';
import { TOPOLOGY_VIEW_TYPE, type TopologyPanels } from './panel';

export function registerShowTopology(panels: TopologyPanels): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('gpuCluster.showTopology', () => {
      panels.show();
    }),
    vscode.window.registerWebviewPanelSerializer(TOPOLOGY_VIEW_TYPE, panels.serializer()),
  );
}
