// Place Model Instance: choose a model (the spec's exo.models, exo's model cards, or a typed id), then one of
// exo's previews (`GET /instance/previews`: sharding, nodes, memory per node, the links it would use), then
// `POST /place_instance` and follow it per host in a cancellable notification: download %, runner states, the
// failure reason. Cancelling deletes the instance (`DELETE /instance/{id}`). exo answers 200 even when its
// master then finds no placement, so an instance that does not appear in time ends the wait with that reason.

import * as vscode from 'vscode';
import { EXO_MODELS } from '#core/catalog';
import { deleteInstance, type ExoState, placeInstance, type PlacementPreview, placementPreviews, placementProgress } from '#core/ops';
import type { ClusterSpec, ExoModelSpec } from '#core/spec';
import { exoStateUrl } from '../state/exoSource';
import { placementChoices, progressLines } from '../state/exoPlacement';
import type { OpsContext } from './context';

/** Arguments for running the command without its pickers (tests, other commands). */
export interface PlaceModelArgs {
  model: ExoModelSpec;
  /** Use exo's preview with this many nodes (and the model's sharding); without it the spec's values are sent as they are. */
  nodes?: number;
  instanceMeta?: 'MlxRing' | 'MlxJaccl';
}

export interface PlaceModelResult {
  outcome: 'ready' | 'failed' | 'cancelled';
  reason?: string;
  /** Every progress message shown, in order. */
  progress: string[];
}

/** How long exo may take to create the instance after accepting the request. */
const INSTANCE_APPEARS_WITHIN_MS = 60_000;

async function chooseModel(models: ExoModelSpec[]): Promise<ExoModelSpec | undefined> {
  type Item = vscode.QuickPickItem & { model?: ExoModelSpec; typed?: boolean };
  const fromSpec = new Set(models.map((m) => m.id));
  const items: Item[] = [
    ...(models.length ? [{ label: 'In the spec (exo.models)', kind: vscode.QuickPickItemKind.Separator }] : []),
    ...models.map((m) => ({ label: m.id, description: `${m.sharding ?? 'pipeline'} · min ${m.minNodes ?? 1} node(s)`, model: m })),
    { label: "exo's model cards", kind: vscode.QuickPickItemKind.Separator },
    ...EXO_MODELS.filter((m) => !fromSpec.has(m.id)).map((m) => ({
      label: m.id,
      description: `${m.memoryGB} GB · ${m.name} · ${m.quantization}`,
      model: { id: m.id },
    })),
    { label: '$(edit) Another Hugging Face repo id…', typed: true },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Place Model Instance',
    placeHolder: 'Model to place on exo',
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  if (picked.model) return picked.model;
  const id = await vscode.window.showInputBox({
    title: 'Model id',
    prompt: 'A Hugging Face repo id, e.g. mlx-community/Llama-3.2-1B-Instruct-4bit',
    validateInput: (v) => (/^[\w.-]+\/[\w.-]+$/.test(v.trim()) ? undefined : 'owner/name, as on Hugging Face'),
  });
  return id ? { id: id.trim() } : undefined;
}

async function choosePreview(
  previews: PlacementPreview[],
  state: ExoState,
  spec: ClusterSpec,
  model: ExoModelSpec,
): Promise<PlacementPreview | undefined> {
  const choices = placementChoices(previews, state, spec);
  if (!choices.some((c) => c.possible)) {
    throw new Error(
      `exo cannot place ${model.id} on this cluster: ${[...new Set(choices.map((c) => c.detail))].join('; ') || 'its cluster has no nodes'}`,
    );
  }
  const wanted = (c: (typeof choices)[number]) =>
    c.preview.sharding === (model.sharding === 'tensor' ? 'Tensor' : 'Pipeline') &&
    c.preview.instance &&
    c.preview.instance.shards.length >= (model.minNodes ?? 1);
  const ordered = [
    ...choices.filter((c) => c.possible && wanted(c)),
    ...choices.filter((c) => c.possible && !wanted(c)),
    ...choices.filter((c) => !c.possible),
  ];
  for (;;) {
    const picked = await vscode.window.showQuickPick(
      ordered.map((c) => ({ label: c.label, description: c.description, detail: c.detail, choice: c })),
      {
        title: `Place ${model.id}: how exo would place it`,
        placeHolder: 'Sharding, nodes (memory each takes on) and the links between them',
        matchOnDetail: true,
      },
    );
    if (!picked) return undefined;
    if (picked.choice.possible) return picked.choice.preview;
    void vscode.window.showWarningMessage(
      `exo cannot place it as ${picked.choice.label.replace(/^\$\([^)]+\) /, '')}: ${picked.choice.detail}`,
    );
  }
}

async function getState(stateUrl: string, signal: AbortSignal): Promise<ExoState> {
  const res = await fetch(stateUrl, {
    signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    headers: { accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`${stateUrl} answered ${res.status} ${res.statusText}`);
  return (await res.json()) as ExoState;
}

export function registerExoPlaceModel(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand(
    'gpuCluster.exo.placeModel',
    async (args?: PlaceModelArgs): Promise<PlaceModelResult | undefined> => {
      if (!ops.services.requireTrust('Placing a model on exo')) return undefined;
      const shown: string[] = [];
      try {
        const { spec } = ops.spec();
        const stateUrl = exoStateUrl(spec);
        if (!stateUrl) throw new Error('No host has the exo-api or exo-master role, so there is no exo API to ask.');
        const baseUrl = stateUrl.replace(/\/state$/, '');
        const model = args?.model ?? (await chooseModel(spec.exo?.models ?? []));
        if (!model) return undefined;

        // Before placing: exo's own previews of where it would go.
        const setup = new AbortController();
        const [previews, before] = await Promise.all([
          placementPreviews(baseUrl, model.id, { signal: setup.signal }),
          getState(stateUrl, setup.signal),
        ]);
        let preview: PlacementPreview | undefined;
        if (args) {
          const sharding = args.model.sharding === 'tensor' ? 'Tensor' : 'Pipeline';
          preview = previews.find(
            (p) =>
              p.instance &&
              p.sharding === sharding &&
              (args.instanceMeta ?? 'MlxRing') === p.instanceMeta &&
              p.instance.shards.length === (args.nodes ?? args.model.minNodes ?? 1),
          );
          if (!preview)
            throw new Error(
              `exo has no ${sharding} placement of ${model.id} on ${args.nodes ?? args.model.minNodes ?? 1} node(s): ${
                previews
                  .map((p) => p.error)
                  .filter(Boolean)
                  .join('; ') || 'none of its previews matches'
              }`,
            );
        } else {
          preview = await choosePreview(previews, before, spec, model);
          if (!preview) return undefined;
        }
        const chosen: ExoModelSpec = {
          id: model.id,
          sharding: preview.sharding === 'Tensor' ? 'tensor' : 'pipeline',
          minNodes: preview.instance!.shards.length,
        };

        const interval = Math.max(250, ops.setting('exo.pollIntervalMs', 2000));
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Placing ${model.id}`, cancellable: true },
          async (progress, token): Promise<PlaceModelResult> => {
            const controller = new AbortController();
            token.onCancellationRequested(() => controller.abort());
            const say = (message: string) => {
              shown.push(message);
              progress.report({ message });
            };
            await placeInstance(baseUrl, chosen, { signal: controller.signal, instanceMeta: preview!.instanceMeta });
            say('exo accepted it; waiting for the instance');
            const accepted = Date.now();
            let instanceId: string | undefined;
            let last = '';
            while (!controller.signal.aborted) {
              try {
                const state = await getState(stateUrl, controller.signal);
                const p = placementProgress(state, model.id);
                instanceId = p.instanceId ?? instanceId;
                if (!p.placed && Date.now() - accepted > INSTANCE_APPEARS_WITHIN_MS) {
                  return {
                    outcome: 'failed',
                    reason: `exo accepted the request but created no instance within ${INSTANCE_APPEARS_WITHIN_MS / 1000} s (its master found no placement; check the previews and the nodes' free memory)`,
                    progress: shown,
                  };
                }
                if (p.failed) return { outcome: 'failed', reason: p.failed, progress: shown };
                const line = p.placed ? progressLines(p, state, spec).join(' · ') : 'waiting for the instance';
                if (line !== last) say((last = line));
                if (p.ready) return { outcome: 'ready', progress: shown };
              } catch (err) {
                if (controller.signal.aborted) break;
                if (!(err instanceof TypeError) && (err as Error).name !== 'TimeoutError') throw err;
                say(`exo does not answer (${(err as Error).message}); retrying`);
              }
              await new Promise((r) => setTimeout(r, interval));
            }
            // Cancelled: take the instance down again, so no node keeps downloading or loading it.
            if (instanceId)
              await deleteInstance(baseUrl, instanceId).catch((err: Error) =>
                say(`could not delete instance ${instanceId}: ${err.message}`),
              );
            return { outcome: 'cancelled', reason: instanceId ? `instance ${instanceId} deleted` : undefined, progress: shown };
          },
        );
        if (result.outcome === 'ready') void vscode.window.showInformationMessage(`${model.id} is placed and its runners are ready.`);
        else if (result.outcome === 'failed')
          void vscode.window.showErrorMessage(`Place Model Instance: ${model.id} failed: ${result.reason}`);
        await vscode.commands.executeCommand('gpuCluster.refresh').then(undefined, () => undefined);
        return result;
      } catch (err) {
        void vscode.window.showErrorMessage(`Place Model Instance: ${(err as Error).message}`);
        return { outcome: 'failed', reason: (err as Error).message, progress: shown };
      }
    },
  );
}
