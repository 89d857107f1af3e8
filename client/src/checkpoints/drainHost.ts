// Drain Host (a host's context menu): after a confirmation, every GPU process of the host is checkpointed and restored
// where core's drain puts it; the record (where each process went) is kept in the workspace state, so Move Drained
// Processes Back can bring them home after the host was updated, even after a reload.
import * as vscode from 'vscode';
import { drainHost, returnDrained, type DrainContext, type DrainRecord } from '#core/checkpoint';
import { checkpointSettings } from '#core/ops';
import type { OpsContext } from '../ops/context';

const RECORD_KEY = (host: string) => `gpuCluster.drain.${host}`;

function context(ops: OpsContext, progress: vscode.Progress<{ message?: string }>): DrainContext {
  const { spec } = ops.spec();
  return {
    spec,
    endpoint: (name) => ops.endpoint(ops.host(name)),
    settings: checkpointSettings(spec.checkpoints),
    onStep: (host, s) => progress.report({ message: `${host}: ${s.step}` }),
  };
}

function summary(record: DrainRecord): string {
  return (
    record.moves
      .map(
        (m) =>
          `${m.pid}${m.unit ? ` (${m.unit})` : ''} → ${m.host ?? 'lost?'}${m.runningPid ? ` as ${m.runningPid}` : ''}${m.problem ? `: ${m.problem}` : ''}`,
      )
      .join('\n') || 'no GPU process'
  );
}

export function registerDrainCommands(ops: OpsContext): vscode.Disposable[] {
  const state = ops.services.context.workspaceState;
  const drain = vscode.commands.registerCommand('gpuCluster.checkpoint.drainHost', async (arg?: unknown) => {
    if (!ops.services.requireTrust('Draining a host')) return;
    try {
      const [host] =
        (await ops.pickHosts(arg, undefined, { title: 'Drain Host', single: true, filter: (h) => !ops.system(h).endsWith('darwin') })) ??
        [];
      if (!host) return;
      if (state.get<DrainRecord>(RECORD_KEY(host.name))) throw new Error(`${host.name} is already drained; move its processes back first.`);
      const ok = await vscode.window.showWarningMessage(
        `Drain ${host.name}?`,
        {
          modal: true,
          detail:
            "Each GPU process is checkpointed (and stops here), then restored on a host with the same GPUs: the spec's checkpoints.migrations first. A process no host can take is restored here again.",
        },
        'Drain',
      );
      if (ok !== 'Drain') return;
      const record = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Draining ${host.name}` },
        (progress) => drainHost(ops.pool, context(ops, progress), host.name),
      );
      if (record.moves.some((m) => m.host && m.host !== host.name)) await state.update(RECORD_KEY(host.name), record);
      for (const m of record.moves)
        if (m.checkpoint && m.runningPid)
          ops.services.operations.recordCheckpoint(m.host!, 'restored', { id: m.checkpoint, pid: m.runningPid, drainedFrom: host.name });
      const stayed = record.moves.filter((m) => m.problem);
      const show = stayed.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(`Drained ${host.name}: ${record.moves.length - stayed.length} of ${record.moves.length} GPU process(es) moved.`, {
        modal: stayed.length > 0,
        detail: summary(record),
      });
    } catch (err) {
      void vscode.window.showErrorMessage(`Drain Host: ${(err as Error).message}`);
    }
  });
  const back = vscode.commands.registerCommand('gpuCluster.checkpoint.returnDrained', async (arg?: unknown) => {
    if (!ops.services.requireTrust('Moving processes back')) return;
    try {
      const [host] =
        (await ops.pickHosts(arg, undefined, {
          title: 'Move Drained Processes Back',
          single: true,
          filter: (h) => state.get(RECORD_KEY(h.name)) !== undefined,
        })) ?? [];
      if (!host) return;
      const record = state.get<DrainRecord>(RECORD_KEY(host.name));
      if (!record) throw new Error(`${host.name} was not drained from this workspace.`);
      const after = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Moving processes back to ${host.name}` },
        (progress) => returnDrained(ops.pool, context(ops, progress), record),
      );
      const away = after.moves.filter((m) => m.host && m.host !== host.name);
      await state.update(RECORD_KEY(host.name), away.length ? after : undefined);
      const show = away.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(`${host.name}: ${after.moves.length - away.length} of ${after.moves.length} GPU process(es) back.`, {
        modal: away.length > 0,
        detail: summary(after),
      });
    } catch (err) {
      void vscode.window.showErrorMessage(`Move Drained Processes Back: ${(err as Error).message}`);
    }
  });
  return [drain, back];
}
