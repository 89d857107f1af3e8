// "Sort GPUs by Free Memory / by Utilization": reorders the GPUs view and remembers the choice.
import * as vscode from 'vscode';
import type { Explorer } from './explorer';
import type { GpuSort } from './model';

export const GPU_SORT_KEY = 'gpuCluster.gpus.sort';

export function registerSortGpus(explorer: Explorer): void {
  const { context } = explorer.services;
  const set = async (sort: GpuSort) => {
    explorer.gpus.setSort(sort);
    await context.workspaceState.update(GPU_SORT_KEY, sort);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('gpuCluster.gpus.sortByFreeMemory', () => set('freeMemory')),
    vscode.commands.registerCommand('gpuCluster.gpus.sortByUtilization', () => set('utilization')),
  );
}
