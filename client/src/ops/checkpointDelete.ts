// Delete Checkpoint (from a checkpoint in the explorer): removes its images and manifest on the host.

import * as vscode from 'vscode';
import { checkpointSettings, deleteCheckpoint } from '#core/ops';
import type { NodeArg, OpsContext } from './context';
import { refreshCheckpoints } from './checkpointCreate';

export function registerCheckpointDelete(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.checkpoint.delete', async (arg?: NodeArg) => {
    if (!ops.services.requireTrust('Deleting a checkpoint')) return;
    try {
      if (!arg?.host || !arg.checkpointId) throw new Error('Choose a checkpoint in the Nodes view.');
      const host = ops.host(arg.host);
      const del = 'Delete';
      if (
        (await vscode.window.showWarningMessage(
          `Delete checkpoint ${arg.checkpointId} on ${host.name}?`,
          { modal: true, detail: 'Its images cannot be recovered.' },
          del,
        )) !== del
      )
        return;
      await deleteCheckpoint(ops.pool, ops.endpoint(host), checkpointSettings(ops.spec().spec.checkpoints).baseDir, arg.checkpointId);
      await refreshCheckpoints(ops, host);
    } catch (err) {
      void vscode.window.showErrorMessage(`Delete Checkpoint: ${(err as Error).message}`);
    }
  });
}
