// Restore Checkpoint on Another Host (a checkpoint's context menu): every other host of the spec, with whether it
// can take the checkpoint — by the spec's GPUs and roles, then live (driver, GPUs, free memory, MIG) — and the
// reason where not; picking an impossible host says why instead of trying.
import * as vscode from 'vscode';
import { plannedMoveProblems, restoreOnHost, targetCompatibility } from '#core/checkpoint';
import { checkpointSettings, listCheckpoints } from '#core/ops';
import type { NodeArg, OpsContext } from '../ops/context';

export function registerRestoreOnHost(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.checkpoint.restoreOnHost', async (arg?: NodeArg) => {
    if (!ops.services.requireTrust('Restoring a checkpoint')) return;
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
          const manifest = (await listCheckpoints(ops.pool, source, baseDir)).find((m) => m.id === arg.checkpointId);
          if (!manifest) throw new Error(`${arg.checkpointId} is no longer on ${from.name}.`);
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
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Restoring ${manifest.id} on ${pick.host}` },
        (progress) =>
          restoreOnHost(ops.pool, source, ops.endpoint(ops.host(pick.host)), manifest, baseDir, {
            onStep: (s) => progress.report({ message: s.step }),
          }),
      );
      ops.services.operations.recordCheckpoint(pick.host, 'restored', { id: manifest.id, pid: result.pid, from: from.name });
      void vscode.window.showInformationMessage(`${manifest.id} restored on ${pick.host} as process ${result.pid}.`);
    } catch (err) {
      void vscode.window.showErrorMessage(`Restore Checkpoint on Another Host: ${(err as Error).message}`);
    }
  });
}
