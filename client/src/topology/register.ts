// The topology feature: the panel drawing the cluster from the spec and the state store (Show Topology, restored
// after a reload), and the host selected in the Nodes view pointed out in it.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services/services';
import { TopologyPanels } from './panel';
import { registerShowTopology } from './showTopology';

/** Internal command (not in the manifest): the explorer calls it when a host is selected in the Nodes view. */
export const FOCUS_HOST_COMMAND = 'gpuCluster.topology.focusHost';

export function registerTopology(services: ExtensionServices): void {
  const panels = new TopologyPanels({
    extensionUri: services.context.extensionUri,
    store: services.state,
    output: services.output,
    revealHost: (host) => vscode.commands.executeCommand('gpuCluster.revealInSpec', host),
  });
  services.context.subscriptions.push(
    panels,
    registerShowTopology(panels),
    vscode.commands.registerCommand(FOCUS_HOST_COMMAND, (host: string) => panels.focusHost(host)),
  );
}
