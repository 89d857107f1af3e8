// "Group Nodes by Tag / by Segment": switches the Nodes view's grouping and remembers it for the workspace.
import * as vscode from 'vscode';
import type { Explorer } from './explorer';
import type { Grouping } from './model';

export const GROUPING_KEY = 'gpuCluster.nodes.grouping';

export function registerGroupBy(explorer: Explorer): void {
  const { context } = explorer.services;
  const set = async (grouping: Grouping) => {
    explorer.nodes.setGrouping(grouping);
    await context.workspaceState.update(GROUPING_KEY, grouping);
    await vscode.commands.executeCommand('setContext', GROUPING_KEY, grouping);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('gpuCluster.nodes.groupByTag', () => set('tag')),
    vscode.commands.registerCommand('gpuCluster.nodes.groupBySegment', () => set('segment')),
  );
  void vscode.commands.executeCommand('setContext', GROUPING_KEY, explorer.nodes.grouping);
}
