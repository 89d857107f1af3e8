// Place Model Instance: `POST /place_instance` on the cluster's exo API (model id, sharding, minimum nodes from
// the spec's exo.models, or a typed id), then follow the download and the runners in a progress notification.

import * as vscode from 'vscode';
import { placeInstance, placementProgress } from '../../../core/src/ops/exo';
import type { ExoModelSpec } from '../../../core/src/spec/types';
import { exoStateUrl } from '../state/exoSource';
import type { OpsContext } from '../ops/context';

async function chooseModel(models: ExoModelSpec[]): Promise<ExoModelSpec | undefined> {
  const other = { label: '$(edit) Another model id…', model: undefined as ExoModelSpec | undefined };
  const items = [
    ...models.map((m) => ({ label: m.id, description: `${m.sharding ?? 'pipeline'} · min ${m.minNodes ?? 1} node(s)`, model: m as ExoModelSpec | undefined })),
    other,
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Place Model Instance', placeHolder: 'Model (from exo.models in the spec)' });
  if (!picked) return undefined;
  if (picked.model) return picked.model;
  const id = await vscode.window.showInputBox({ title: 'Model id', prompt: 'e.g. mlx-community/Llama-3.2-1B-Instruct-4bit', validateInput: (v) => (v.trim() ? undefined : 'Enter a model id') });
  if (!id) return undefined;
  const sharding = await vscode.window.showQuickPick(['pipeline', 'tensor'], { title: 'Sharding' });
  if (!sharding) return undefined;
  const min = await vscode.window.showInputBox({ title: 'Minimum nodes', value: '1', validateInput: (v) => (/^[1-9]\d*$/.test(v) ? undefined : 'A positive whole number') });
  if (!min) return undefined;
  return { id: id.trim(), sharding: sharding as ExoModelSpec['sharding'], minNodes: Number(min) };
}

export function registerExoPlaceModel(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.exo.placeModel', async () => {
    if (!ops.services.requireTrust('Placing a model on exo')) return;
    try {
      const { spec } = ops.spec();
      const stateUrl = exoStateUrl(spec);
      if (!stateUrl) throw new Error('No host has the exo-api or exo-master role, so there is no exo API to ask.');
      const baseUrl = stateUrl.replace(/\/state$/, '');
      const model = await chooseModel(spec.exo?.models ?? []);
      if (!model) return;
      const interval = ops.setting('exo.pollIntervalMs', 2000);
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Placing ${model.id}`, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          await placeInstance(baseUrl, model, { signal: controller.signal });
          progress.report({ message: 'placed; waiting for download and runners' });
          while (!controller.signal.aborted) {
            try {
              const res = await fetch(stateUrl, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(10_000)]) });
              const p = placementProgress(await res.json(), model.id);
              if (p.failed) throw new Error(p.failed);
              if (p.ready) return 'ready';
              const dl = p.download ? `downloading ${Math.round((100 * p.download.doneBytes) / p.download.totalBytes)}%` : undefined;
              progress.report({ message: [dl, p.runners.length ? `runners: ${p.runners.join(', ')}` : p.placed ? 'instance created' : 'waiting for the instance'].filter(Boolean).join(' · ') });
            } catch (err) {
              if (controller.signal.aborted) break;
              if (!(err instanceof TypeError) && (err as Error).name !== 'TimeoutError') throw err;
              progress.report({ message: `exo does not answer (${(err as Error).message}); retrying` });
            }
            await new Promise((r) => setTimeout(r, interval));
          }
          return 'cancelled';
        },
      );
      if (outcome === 'ready') void vscode.window.showInformationMessage(`${model.id} is placed and its runners are ready.`);
      await vscode.commands.executeCommand('gpuCluster.refresh').then(undefined, () => undefined);
    } catch (err) {
      void vscode.window.showErrorMessage(`Place Model Instance: ${(err as Error).message}`);
    }
  });
}
