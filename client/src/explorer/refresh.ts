// "Refresh": reloads the spec, polls exo now (ending any back-off) and redraws the trees.
import * as vscode from 'vscode';
import type { Explorer } from './explorer';

export function registerRefresh(explorer: Explorer): void {
  explorer.services.context.subscriptions.push(
    vscode.commands.registerCommand('gpuCluster.refresh', async () => {
      explorer.exo()?.pollNow();
      await explorer.services.specStore.reload();
      explorer.nodes.refresh();
    }),
  );
}
