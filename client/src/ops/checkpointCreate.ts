// Checkpoint GPU Process: check the host's prerequisites (refusing with the reason), pick one of its GPU
// processes (nvidia-smi) or a k3s pod's container, then lock → checkpoint → dump with rollback, record the
// manifest, and show the host's checkpoints in the explorer.

import * as vscode from 'vscode';
import {
  checkPrerequisites,
  checkpointSettings,
  createCheckpoint,
  kubeletCheckpointCommand,
  listCheckpoints,
  listGpuProcesses,
} from '#core/ops';
import { effectiveRoles, type HostSpec } from '#core/spec';
import type { OpsContext } from './context';
import { checkpointFacts } from './probeFacts';
import { openStoreOrExplain, uploadWithProgress } from './checkpointUpload';
import { MissingS3CredentialsError, type OpenStore } from '#core/checkpoint';

export async function refreshCheckpoints(ops: OpsContext, host: HostSpec, signal?: AbortSignal): Promise<void> {
  const manifests = await listCheckpoints(ops.pool, ops.endpoint(host), checkpointSettings(ops.spec().spec.checkpoints).baseDir, signal);
  ops.report(host.name, { checkpoints: checkpointFacts(manifests) });
}

async function askKubeletTarget(): Promise<{ namespace: string; pod: string; container: string } | undefined> {
  const name = (v: string) =>
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) ? undefined : 'A Kubernetes name: lower-case letters, digits, - and .';
  const namespace = await vscode.window.showInputBox({ title: 'Namespace', value: 'default', validateInput: name });
  if (!namespace) return undefined;
  const pod = await vscode.window.showInputBox({ title: 'Pod', validateInput: name });
  if (!pod) return undefined;
  const container = await vscode.window.showInputBox({ title: 'Container', validateInput: name });
  return container ? { namespace, pod, container } : undefined;
}

export function registerCheckpointCreate(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.checkpoint.create', async (arg?: unknown) => {
    if (!ops.services.requireTrust('Checkpointing a process')) return;
    let opened: OpenStore | undefined;
    try {
      const { spec } = ops.spec();
      const [host] =
        (await ops.pickHosts(arg, undefined, {
          title: 'Checkpoint GPU Process',
          single: true,
          filter: (h) => !ops.system(h).endsWith('darwin'),
        })) ?? [];
      if (!host) return;
      const endpoint = ops.endpoint(host);
      const settings = checkpointSettings(spec.checkpoints);

      const prep = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Checking ${host.name}`, cancellable: true },
        async (_p, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          const prereq = await checkPrerequisites(ops.pool, endpoint, controller.signal);
          const apps = prereq.ok ? await listGpuProcesses(ops.pool, endpoint, controller.signal) : [];
          return { prereq, apps };
        },
      );
      const hasK3s = effectiveRoles(spec, host).some((r) => r.startsWith('k3s-'));
      if (!prep.prereq.ok && !hasK3s) {
        void vscode.window.showErrorMessage(`Cannot checkpoint on ${host.name}: ${prep.prereq.reasons.join('; ')}.`);
        return;
      }
      const items = [
        ...prep.apps.map((a) => ({
          label: `${a.pid}  ${a.processName.split('/').pop()}`,
          description: `${a.usedMemoryMiB ?? '?'} MiB on ${a.gpuUuid ?? 'GPU'}`,
          detail: /exo/i.test(a.processName) ? 'exo runner' : a.processName,
          app: a,
          pod: false,
        })),
        ...(hasK3s
          ? [
              {
                label: '$(symbol-namespace) A k3s pod container…',
                description: 'kubelet checkpoint API',
                detail: undefined,
                app: undefined,
                pod: true,
              },
            ]
          : []),
      ];
      if (items.length === 0) {
        void vscode.window.showInformationMessage(`${host.name} runs no GPU processes.`);
        return;
      }
      const picked = await vscode.window.showQuickPick(items, { title: `Checkpoint on ${host.name}`, placeHolder: 'GPU process' });
      if (!picked) return;

      if (picked.pod) {
        const target = await askKubeletTarget();
        if (!target) return;
        const r = await ops.pool.exec(endpoint, kubeletCheckpointCommand(target, endpoint), { timeoutMs: 10 * 60_000 });
        if (r.code !== 0) throw new Error(`the kubelet refused (exit ${r.code}): ${(r.stdout + r.stderr).trim()}`);
        void vscode.window.showInformationMessage(`Checkpointed ${target.namespace}/${target.pod}/${target.container}: ${r.stdout.trim()}`);
        return;
      }
      if (!prep.prereq.ok) {
        void vscode.window.showErrorMessage(`Cannot checkpoint on ${host.name}: ${prep.prereq.reasons.join('; ')}.`);
        return;
      }
      const app = picked.app!;
      // The spec's storage first: missing S3 keys stop here, before anything happens to the process.
      opened = await openStoreOrExplain(ops, 'Checkpoint GPU Process');
      if (!settings.leaveRunning) {
        const go = 'Checkpoint and Stop';
        const answer = await vscode.window.showWarningMessage(
          `Checkpoint process ${app.pid} on ${host.name}?`,
          {
            modal: true,
            detail: 'CRIU stops the process after dumping it (checkpoints.criu.leaveRunning is off). Restore it from the Checkpoints list.',
          },
          go,
        );
        if (answer !== go) return;
      }
      const manifest = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Checkpointing ${app.pid} on ${host.name}`, cancellable: false },
        (progress) =>
          createCheckpoint(
            ops.pool,
            endpoint,
            { host: host.name, pid: app.pid, gpu: app, driverVersion: prep.prereq.driverVersion, settings },
            {
              onStep: (s) => {
                ops.services.output.info(`checkpoint ${host.name}/${app.pid}: ${s.step} ${s.ok ? 'ok' : `failed: ${s.detail}`}`);
                progress.report({ message: s.step, increment: 25 });
              },
            },
          ),
      );
      await refreshCheckpoints(ops, host);
      ops.services.operations.recordCheckpoint(host.name, 'created', { ...manifest });
      const uploaded = opened ? await uploadWithProgress(ops, host, manifest, opened) : false;
      void vscode.window.showInformationMessage(
        `Checkpoint ${manifest.id} taken (${(manifest.sizeBytes / 2 ** 20).toFixed(1)} MiB)${uploaded ? ` and uploaded to ${opened!.store.bucket.description}` : ''}.`,
      );
    } catch (err) {
      if (!(err instanceof MissingS3CredentialsError))
        void vscode.window.showErrorMessage(`Checkpoint GPU Process: ${(err as Error).message}`);
    } finally {
      await opened?.close();
    }
  });
}
