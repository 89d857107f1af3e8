// Restore Checkpoint (from a checkpoint in the explorer): criu restore --restore-detached, then cuda-checkpoint
// restore and unlock. A checkpoint its host no longer has is taken from the spec's storage (s3 or
// nats-object-store) with core's locateCheckpoint and restoreFromStore, as the CLI's restore does: the store is opened
// only then (missing S3 keys offer Set S3 Credentials), and the download can be cancelled.

import * as vscode from 'vscode';
import { locateCheckpoint, MissingS3CredentialsError, type OpenStore, restoreFromStore } from '#core/checkpoint';
import { checkpointSettings, restoreCheckpoint } from '#core/ops';
import type { NodeArg, OpsContext } from './context';
import { openStoreOrExplain } from './checkpointUpload';

export function registerCheckpointRestore(ops: OpsContext): vscode.Disposable[] {
  const restore = vscode.commands.registerCommand('gpuCluster.checkpoint.restore', async (arg?: NodeArg) => {
    if (!ops.services.requireTrust('Restoring a checkpoint')) return;
    let opened: OpenStore | undefined;
    try {
      if (!arg?.host || !arg.checkpointId) throw new Error('Choose a checkpoint in the Nodes view.');
      const id = arg.checkpointId;
      const host = ops.host(arg.host);
      const endpoint = ops.endpoint(host);
      const baseDir = checkpointSettings(ops.spec().spec.checkpoints).baseDir;
      const located = await locateCheckpoint(ops.pool, endpoint, id, baseDir, () => openStoreOrExplain(ops, 'Restore Checkpoint'));
      opened = located.opened;
      const manifest = located.manifest;
      if (!manifest) throw new Error(`${id} is no longer on ${host.name}${opened ? ` nor in ${opened.store.bucket.description}` : ''}.`);
      const store = opened?.store;
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: store ? `Restoring ${id} from ${store.bucket.description}` : `Restoring ${id}`,
          cancellable: Boolean(store),
        },
        async (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          const onStep = (s: { step: string }) => progress.report({ message: s.step });
          if (!store)
            return restoreCheckpoint(ops.pool, endpoint, manifest, { onStep: (s) => progress.report({ message: s.step, increment: 33 }) });
          progress.report({ message: `downloading ${(manifest.sizeBytes / 2 ** 20).toFixed(1)} MiB to ${host.name}` });
          return restoreFromStore(ops.pool, endpoint, manifest, store, baseDir, { signal: controller.signal, onStep });
        },
      );
      ops.services.operations.recordCheckpoint(host.name, 'restored', {
        id,
        pid: result.pid,
        ...(store ? { store: store.bucket.description } : {}),
      });
      void vscode.window.showInformationMessage(`${id} restored on ${host.name} as process ${result.pid}.`);
    } catch (err) {
      // missing S3 keys were shown with Set S3 Credentials by openStoreOrExplain
      if (err instanceof MissingS3CredentialsError) return;
      const message = (err as Error).name === 'AbortError' ? 'cancelled' : (err as Error).message;
      void vscode.window.showErrorMessage(`Restore Checkpoint: ${message}`);
    } finally {
      await opened?.close();
    }
  });
  // The Nodes view lists what a host has; this lists what the store has (of the host it was run on, else all), so a
  // checkpoint its host lost can be picked, then restored by Restore Checkpoint above.
  const fromStorage = vscode.commands.registerCommand('gpuCluster.checkpoint.restoreFromStorage', async (arg?: NodeArg) => {
    if (!ops.services.requireTrust('Restoring a checkpoint')) return;
    let pick: { host: string; id: string } | undefined;
    try {
      const opened = await openStoreOrExplain(ops, 'Restore Checkpoint from Storage');
      if (!opened) {
        void vscode.window.showInformationMessage('checkpoints.storage is local: checkpoints stay on their hosts.');
        return;
      }
      const where = opened.store.bucket.description;
      try {
        const stored = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Listing ${where}` }, () =>
          opened.store.list(),
        );
        const items = stored
          .filter((m) => !arg?.host || m.host === arg.host)
          .map((m) => ({
            label: `${m.unit ?? `pid ${m.pid}`} @ ${m.createdAt}`,
            description: m.host,
            detail: `${m.id} · ${(m.sizeBytes / 2 ** 20).toFixed(1)} MiB`,
            host: m.host,
            id: m.id,
          }));
        if (!items.length) throw new Error(`${where} has no checkpoints${arg?.host ? ` of ${arg.host}` : ''}.`);
        pick = await vscode.window.showQuickPick(items, {
          title: `Restore a checkpoint from ${where}`,
          matchOnDescription: true,
          matchOnDetail: true,
        });
      } finally {
        await opened.close();
      }
    } catch (err) {
      if (!(err instanceof MissingS3CredentialsError))
        void vscode.window.showErrorMessage(`Restore Checkpoint from Storage: ${(err as Error).message}`);
      return;
    }
    if (pick) await vscode.commands.executeCommand('gpuCluster.checkpoint.restore', { host: pick.host, checkpointId: pick.id });
  });
  return [restore, fromStorage];
}
