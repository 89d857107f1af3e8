// Restore Checkpoint on Another Host (a checkpoint's context menu): every other host of the spec, with whether it
// can take the checkpoint — by the spec's GPUs and roles, then live (driver, GPUs, free memory, MIG) — and the
// reason where not; picking an impossible host says why instead of trying. A checkpoint its host no longer has comes
// from the spec's storage (core's locateCheckpoint and restoreFromStore, as Restore Checkpoint and the CLI).
import * as vscode from 'vscode';
import {
  locateCheckpoint,
  MissingS3CredentialsError,
  type OpenStore,
  plannedMoveProblems,
  restoreFromStore,
  restoreOnHost,
  targetCompatibility,
} from '#core/checkpoint';
import { checkpointSettings } from '#core/ops';
import { openStoreOrExplain } from '../ops/checkpointUpload';
import type { NodeArg, OpsContext } from '../ops/context';

export function registerRestoreOnHost(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.checkpoint.restoreOnHost', async (arg?: NodeArg) => {
    if (!ops.services.requireTrust('Restoring a checkpoint')) return;
    let opened: OpenStore | undefined;
    try {
      if (!arg?.host || !arg.checkpointId) throw new Error('Choose a checkpoint in the Nodes view.');
      const { spec } = ops.spec();
      const from = ops.host(arg.host);
      const source = ops.endpoint(from);
      const baseDir = checkpointSettings(spec.checkpoints).baseDir;
      type Item = vscode.QuickPickItem & { host: string; reasons: string[] };
      const { manifest, items } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Checking where ${arg.checkpointId} can go` },
        async () => {
          const located = await locateCheckpoint(ops.pool, source, arg.checkpointId!, baseDir, () =>
            openStoreOrExplain(ops, 'Restore Checkpoint on Another Host'),
          );
          opened = located.opened;
          const manifest = located.manifest;
          if (!manifest)
            throw new Error(
              `${arg.checkpointId} is no longer on ${from.name}${opened ? ` nor in ${opened.store.bucket.description}` : ''}.`,
            );
          const items: Item[] = await Promise.all(
            spec.hosts
              .filter((h) => h.name !== from.name)
              .map(async (h) => {
                const planned = plannedMoveProblems(spec, from, h).map((p) => p.reason);
                const reasons = planned.length ? planned : (await targetCompatibility(ops.pool, ops.endpoint(h), manifest)).reasons;
                return {
                  host: h.name,
                  reasons,
                  label: `${reasons.length ? '$(error)' : '$(check)'} ${h.name}`,
                  description: reasons.length ? 'cannot take it' : 'can take it',
                  detail: reasons.join('; ') || undefined,
                };
              }),
          );
          return { manifest, items: items.sort((a, b) => a.reasons.length - b.reasons.length) };
        },
      );
      if (!items.length) throw new Error('The spec has no other host.');
      const pick = await vscode.window.showQuickPick(items, {
        title: `Restore ${manifest.id} on…`,
        matchOnDetail: true,
        placeHolder: 'Target host',
      });
      if (!pick) return;
      if (pick.reasons.length) {
        void vscode.window.showErrorMessage(`${manifest.id} cannot be restored on ${pick.host}: ${pick.reasons.join('; ')}.`);
        return;
      }
      const store = opened?.store;
      const target = ops.endpoint(ops.host(pick.host));
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Restoring ${manifest.id} on ${pick.host}${store ? ` from ${store.bucket.description}` : ''}`,
          cancellable: Boolean(store),
        },
        (progress, token) => {
          const onStep = (s: { step: string }) => progress.report({ message: s.step });
          if (!store) return restoreOnHost(ops.pool, source, target, manifest, baseDir, { onStep });
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return restoreFromStore(ops.pool, target, manifest, store, baseDir, { signal: controller.signal, onStep });
        },
      );
      ops.services.operations.recordCheckpoint(pick.host, 'restored', {
        id: manifest.id,
        pid: result.pid,
        from: from.name,
        ...(store ? { store: store.bucket.description } : {}),
      });
      void vscode.window.showInformationMessage(`${manifest.id} restored on ${pick.host} as process ${result.pid}.`);
    } catch (err) {
      if (err instanceof MissingS3CredentialsError) return; // shown with Set S3 Credentials by openStoreOrExplain
      const message = (err as Error).name === 'AbortError' ? 'cancelled' : (err as Error).message;
      void vscode.window.showErrorMessage(`Restore Checkpoint on Another Host: ${message}`);
    } finally {
      await opened?.close();
    }
  });
}
