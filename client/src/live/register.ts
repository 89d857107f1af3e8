// The live session feature: "Connect to Cluster" and "Disconnect" (commands, Nodes view title buttons), and the
// status bar item that says whether the extension is connected and to where. The sources themselves (NATS in
// nats/, exo's API in explorer/) follow `services.live`; this file only lets the user switch it and shows it.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services/services';
import { liveTargets, type LiveTarget } from './targets';

export function registerLiveSession(services: ExtensionServices): void {
  const { context, live, output } = services;
  const store = services.state;
  const targets = (): LiveTarget[] => liveTargets(store.spec, services.nats, store);

  context.subscriptions.push(
    vscode.commands.registerCommand('gpuCluster.connect', async () => {
      if (!services.requireTrust('Connecting to the cluster')) return;
      const where = targets();
      if (where.length === 0) {
        void vscode.window.showWarningMessage(
          'The spec names no live source to connect to: set nats.url, or give a host the exo-api or exo-master role.',
        );
        return;
      }
      output.info(`connecting to the cluster: ${where.map(describeTarget).join(', ')}`);
      await live.connect();
    }),
    vscode.commands.registerCommand('gpuCluster.disconnect', async () => {
      if (!live.connected) return;
      output.info('disconnected from the cluster: NATS and exo polling stopped');
      await live.disconnect();
    }),
    createLiveStatusBar(services, targets),
  );
}

function describeTarget(t: LiveTarget): string {
  return `${t.source} ${t.address}`;
}

/**
 * Trusted workspace with a spec: "Connect to cluster" while off; the cluster's name while on, with a tooltip that
 * lists every source, where it points and how it is doing. Hidden in Restricted Mode (VS Code shows that itself).
 */
function createLiveStatusBar(services: ExtensionServices, targets: () => LiveTarget[]): vscode.Disposable {
  const { live } = services;
  const store = services.state;
  const item = vscode.window.createStatusBarItem('gpuCluster.live', vscode.StatusBarAlignment.Left, 11);
  item.name = 'GPU Cluster Connection';
  const render = () => {
    const spec = store.spec;
    if (!vscode.workspace.isTrusted || !spec) {
      item.hide();
      return;
    }
    const where = targets();
    const list = where.map((t) => `- **${t.source}** \`${t.address}\`${live.connected ? `: ${t.status}` : ''}`).join('\n');
    const tooltip = new vscode.MarkdownString();
    if (live.connected) {
      item.text = `$(radio-tower) ${spec.cluster?.name ?? 'cluster'}`;
      item.command = 'gpuCluster.disconnect';
      tooltip.appendMarkdown(`Live state is on. The cluster's live sources:\n\n${list}\n\nClick to disconnect (stops every live source).`);
    } else {
      item.text = '$(plug) Connect to cluster';
      item.command = 'gpuCluster.connect';
      tooltip.appendMarkdown(
        `Live state is off: nothing contacts the machines in the spec until you connect.\n\n${list ? `Connecting reaches:\n\n${list}\n\n` : ''}Click to connect.`,
      );
    }
    item.tooltip = tooltip;
    item.show();
  };
  render();
  const nats = services.nats;
  return vscode.Disposable.from(
    item,
    live.onDidChange(render),
    store.onDidChange(render),
    nats.onDidChangeStatus(render),
    vscode.workspace.onDidGrantWorkspaceTrust(render),
  );
}
