// Checkpoints into the spec's storage (`checkpoints.storage` s3 or nats-object-store) from the editor, as the CLI
// does: after Checkpoint GPU Process, and with Upload Checkpoint on a checkpoint in the explorer (again, e.g. after
// a cancelled upload). The store is core's (openCheckpointStore, uploadCheckpoint); S3 keys live in SecretStorage
// and Set S3 Credentials stores or forgets them. Missing keys are a clear error with the action that sets them.

import * as vscode from 'vscode';
import { MissingS3CredentialsError, type OpenStore, uploadCheckpoint } from '#core/checkpoint';
import { checkpointSettings, listCheckpoints, type CheckpointManifest } from '#core/ops';
import type { HostSpec } from '#core/spec';
import type { NodeArg, OpsContext } from './context';
import { openEditorCheckpointStore, readS3Credentials, SET_S3_CREDENTIALS_COMMAND, writeS3Credentials } from './checkpointStoreAccess';

/** The spec's store (undefined for local storage); shows the error (with Set S3 Credentials when keys are missing) and rethrows. */
export async function openStoreOrExplain(ops: OpsContext, title: string): Promise<OpenStore | undefined> {
  const nats = ops.services.nats;
  try {
    return await openEditorCheckpointStore(ops.spec().spec.checkpoints?.storage, {
      secrets: ops.services.context.secrets,
      liveNats: () => (nats.status.state === 'connected' ? nats.connection : undefined),
      dialNats: () => nats.dialOnce('checkpoint upload'),
    });
  } catch (err) {
    if (err instanceof MissingS3CredentialsError) {
      const set = 'Set S3 Credentials';
      void vscode.window.showErrorMessage(`${title}: ${err.message}`, set).then((choice) => {
        if (choice === set) void vscode.commands.executeCommand(SET_S3_CREDENTIALS_COMMAND);
      });
    }
    throw err;
  }
}

/**
 * Uploads one checkpoint with cancellable progress; resolves true when it is in the store. A cancelled or failed
 * upload leaves the checkpoint on its host (Upload Checkpoint tries again).
 */
export async function uploadWithProgress(
  ops: OpsContext,
  host: HostSpec,
  manifest: CheckpointManifest,
  opened: OpenStore,
): Promise<boolean> {
  const where = opened.store.bucket.description;
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Uploading ${manifest.id} to ${where}`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: `reading ${(manifest.sizeBytes / 2 ** 20).toFixed(1)} MiB from ${host.name}` });
        await uploadCheckpoint(ops.pool, ops.endpoint(host), manifest, opened.store, undefined, controller.signal);
        if (controller.signal.aborted) throw new Error('cancelled');
      },
    );
  } catch (err) {
    const message = (err as Error).name === 'AbortError' ? 'cancelled' : (err as Error).message;
    ops.services.output.warn(`upload of ${manifest.id} to ${where}: ${message}`);
    void vscode.window.showWarningMessage(
      `${manifest.id} stays on ${host.name} only: the upload to ${where} ${message === 'cancelled' ? 'was cancelled' : `failed: ${message}`}.`,
    );
    return false;
  }
  ops.services.output.info(`checkpoint ${manifest.id} uploaded to ${where}`);
  ops.services.operations.recordCheckpoint(host.name, 'uploaded', { id: manifest.id, store: where });
  return true;
}

export function registerCheckpointUpload(ops: OpsContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('gpuCluster.checkpoint.upload', async (arg?: NodeArg) => {
      if (!ops.services.requireTrust('Uploading a checkpoint')) return;
      let opened: OpenStore | undefined;
      try {
        if (!arg?.host || !arg.checkpointId) throw new Error('Choose a checkpoint in the Nodes view.');
        const host = ops.host(arg.host);
        opened = await openStoreOrExplain(ops, 'Upload Checkpoint');
        if (!opened) {
          void vscode.window.showInformationMessage('checkpoints.storage is local: checkpoints stay on their hosts.');
          return;
        }
        const baseDir = checkpointSettings(ops.spec().spec.checkpoints).baseDir;
        const manifest = (await listCheckpoints(ops.pool, ops.endpoint(host), baseDir)).find((m) => m.id === arg.checkpointId);
        if (!manifest) throw new Error(`${arg.checkpointId} is no longer on ${host.name}.`);
        if (await uploadWithProgress(ops, host, manifest, opened))
          void vscode.window.showInformationMessage(`${manifest.id} uploaded to ${opened.store.bucket.description}.`);
      } catch (err) {
        if (!(err instanceof MissingS3CredentialsError))
          void vscode.window.showErrorMessage(`Upload Checkpoint: ${(err as Error).message}`);
      } finally {
        await opened?.close();
      }
    }),
    vscode.commands.registerCommand(SET_S3_CREDENTIALS_COMMAND, async () => {
      try {
        const storage = ops.spec().spec.checkpoints?.storage;
        if (storage?.kind !== 's3' || !storage.bucket)
          throw new Error('The spec keeps no checkpoints in S3 (checkpoints.storage.kind s3 with a bucket).');
        const where = `${storage.bucket}${storage.endpoint ? ` at ${storage.endpoint}` : ''}`;
        const current = await readS3Credentials(ops.services.context.secrets, storage);
        const accessKeyId = await vscode.window.showInputBox({
          title: `S3 access key id for ${where}`,
          prompt: "Leave empty to forget the stored keys. They are kept in VS Code's secret storage, never in settings or files.",
          value: current?.accessKeyId ?? '',
          ignoreFocusOut: true,
        });
        if (accessKeyId === undefined) return;
        if (accessKeyId.trim() === '') {
          await writeS3Credentials(ops.services.context.secrets, storage, undefined);
          void vscode.window.showInformationMessage(`S3 credentials for ${where} forgotten.`);
          return;
        }
        const secretAccessKey = await vscode.window.showInputBox({
          title: `S3 secret access key for ${where}`,
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (v ? undefined : 'Enter the secret access key'),
        });
        if (!secretAccessKey) return;
        const sessionToken = await vscode.window.showInputBox({
          title: 'S3 session token (optional)',
          prompt: 'Only for temporary credentials; leave empty otherwise.',
          password: true,
          ignoreFocusOut: true,
        });
        if (sessionToken === undefined) return;
        // The spec's checkpoints.storage.region wins (core's openCheckpointStore), so it is asked for only without one.
        const region = storage.region
          ? ''
          : await vscode.window.showInputBox({
              title: 'S3 region',
              prompt: 'The region requests are signed for (us-east-1 when empty; checkpoints.storage.region in the spec wins).',
              value: current?.region ?? '',
              ignoreFocusOut: true,
              validateInput: (v) => (/^[a-z0-9-]*$/.test(v.trim()) ? undefined : 'A region name: lower-case letters, digits and -'),
            });
        if (region === undefined) return;
        await writeS3Credentials(ops.services.context.secrets, storage, {
          accessKeyId: accessKeyId.trim(),
          secretAccessKey,
          sessionToken: sessionToken || undefined,
          region: region.trim() || undefined,
        });
        void vscode.window.showInformationMessage(`S3 credentials for ${where} stored in secret storage.`);
      } catch (err) {
        void vscode.window.showErrorMessage(`Set S3 Credentials: ${(err as Error).message}`);
      }
    }),
  ];
}
