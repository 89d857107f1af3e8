// Restore Checkpoint (from a checkpoint in the explorer): criu restore --restore-detached, then
// cuda-checkpoint restore and unlock.

import * as vscode from 'vscode';
import { checkpointSettings, listCheckpoints, restoreCheckpoint } from '#core/ops';
import type { NodeArg, OpsContext } from './context';

export function registerCheckpointRestore(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.checkpoint.restore', async (arg?: NodeArg) => {
    if (!ops.services.requireTrust('Restoring a checkpoint')) return;
    try {
      if (!arg?.host || !arg.checkpointId) throw new Error('Choose a checkpoint in the Nodes view.');
      const host = ops.host(arg.host);
      const endpoint = ops.endpoint(host);
      const baseDir = checkpointSettings(ops.spec().spec.checkpoints).baseDir;
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Restoring ${arg.checkpointId}`, cancellable: false },
        async (progress) => {
          const manifest = (await listCheckpoints(ops.pool, endpoint, baseDir)).find((m) => m.id === arg.checkpointId);
          if (!manifest) throw new Error(`${arg.checkpointId} is no longer on ${host.name}.`);
          return restoreCheckpoint(ops.pool, endpoint, manifest, { onStep: (s) => progress.report({ message: s.step, increment: 33 }) });
        },
      );
      ops.services.operations.recordCheckpoint(host.name, 'restored', { id: arg.checkpointId, pid: result.pid });
      void vscode.window.showInformationMessage(`${arg.checkpointId} restored on ${host.name} as process ${result.pid}.`);
    } catch (err) {
      void vscode.window.showErrorMessage(`Restore Checkpoint: ${(err as Error).message}`);
    }
  });
}
