// Launch / Stop / Restart exo on hosts: its service (systemd unit, or the launchd daemon on Macs) over SSH;
// after a launch, wait until the cluster's exo API (on the API host) has the node in `GET /state`, then refresh
// the explorer's live exo view. The host's exo row always ends: running, or failed with the reason.

import * as vscode from 'vscode';
import { exoBaseUrl, exoServiceCommand, matchExoNodes, waitForExo, type ExoAction, type ExoState } from '#core/ops';
import { DEFAULTS, effectiveRoles, exoApiUrl, isDarwin } from '#core/spec';
import type { OpsContext } from './context';
import { runPerHost } from './perHost';
import { exoServiceViaAgentOrSsh } from '../services/agentCommands';

const TITLES: Record<ExoAction, string> = { start: 'Launch exo', stop: 'Stop exo', restart: 'Restart exo' };
const COMMANDS: Record<ExoAction, string> = {
  start: 'gpuCluster.exo.launch',
  stop: 'gpuCluster.exo.stop',
  restart: 'gpuCluster.exo.restart',
};

function register(ops: OpsContext, action: ExoAction): vscode.Disposable {
  const title = TITLES[action];
  return vscode.commands.registerCommand(COMMANDS[action], async (arg?: unknown, selected?: unknown) => {
    if (!ops.services.requireTrust(title)) return;
    try {
      const { spec } = ops.spec();
      const hosts = await ops.pickHosts(arg, selected, { title, filter: (h) => effectiveRoles(spec, h).some((r) => r.startsWith('exo-')) });
      if (!hosts?.length) return;
      const apiPort = spec.exo?.ports?.api ?? DEFAULTS.exoPorts.api;
      await runPerHost({
        title,
        hosts,
        limit: ops.setting('deploy.concurrency', 4),
        output: ops.services.output,
        advice: ops.sshAdvice,
        task: async (host, signal, progress) => {
          const endpoint = ops.endpoint(host);
          progress(action === 'stop' ? 'stopping' : 'starting');
          ops.report(host.name, { services: { exo: { status: action === 'stop' ? 'stopped' : 'starting' } } });
          // 'starting' is transient: every way out of here (failure, timeout, cancel, a dropped connection)
          // replaces it, so the row never spins on after the command has ended.
          try {
            const r = await exoServiceViaAgentOrSsh(ops.services, host.name, action, () =>
              ops.pool.exec(endpoint, exoServiceCommand(action, endpoint, isDarwin(ops.system(host))), { signal, timeoutMs: 60_000 }),
            );
            if (r.code !== 0) {
              const why = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ');
              throw new Error(`${action} failed (exit ${r.code}): ${why}`);
            }
            if (action === 'stop') return 'stopped';
            progress('waiting for its API and its node in /state', 0.3);
            await waitForExo({
              // The node shows up in the cluster's /state, served by the API host: a worker-only host runs exo
              // with --no-api and has no API of its own to ask.
              baseUrl: exoApiUrl(spec) ?? exoBaseUrl(endpoint.address, apiPort),
              nodePresent: (state) => [...matchExoNodes(state as ExoState, spec).values()].includes(host.name),
              signal,
              timeoutMs: ops.setting('exo.launchTimeoutMs', 120_000),
              intervalMs: Math.min(2000, ops.setting('exo.pollIntervalMs', 2000)),
              onAttempt: (a) => progress(a.answered ? 'API answers; waiting for the node to join' : 'waiting for the API', 0),
            });
          } catch (err) {
            const reason = signal.aborted ? `${TITLES[action]} was cancelled` : (err as Error).message;
            ops.report(host.name, { services: { exo: { status: 'failed', detail: reason } } });
            throw err;
          }
          ops.report(host.name, { services: { exo: { status: 'running' } } });
          progress('in the cluster', 0.7);
          return 'running';
        },
      });
      // The explorer's exo source shows the node live from here on.
      await vscode.commands.executeCommand('gpuCluster.refresh').then(undefined, () => undefined);
    } catch (err) {
      void vscode.window.showErrorMessage(`${title}: ${(err as Error).message}`);
    }
  });
}

export function registerExoLaunch(ops: OpsContext): vscode.Disposable[] {
  return (['start', 'stop', 'restart'] as const).map((a) => register(ops, a));
}
