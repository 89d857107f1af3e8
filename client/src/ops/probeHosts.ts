// Probe Hosts: one SSH round trip per host (in parallel, bounded by gpuCluster.probe.concurrency) feeds OS,
// GPUs, memory and service states into the explorer; checkpoint hosts also list their checkpoints.

import * as vscode from 'vscode';
import { checkpointSettings, listCheckpoints, probeHost, servicesForRoles } from '#core/ops';
import { effectiveRoles } from '#core/spec';
import { SshError } from '#core/ssh';
import type { OpsContext } from './context';
import { runPerHost } from './perHost';
import { checkpointFacts, probeToHostFacts, unreachableFacts } from './probeFacts';
import { viaAgentOrSsh } from '../services/agentCommands';

export function registerProbeHosts(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.probeHosts', async (arg?: unknown, selected?: unknown) => {
    if (!ops.services.requireTrust('Probing hosts over SSH')) return;
    try {
      const hosts = await ops.pickHosts(arg, selected, { title: 'Probe Hosts' });
      if (!hosts?.length) return;
      const { spec } = ops.spec();
      await runPerHost({
        title: 'Probe Hosts',
        hosts,
        limit: ops.setting('probe.concurrency', 16),
        output: ops.services.output,
        advice: ops.sshAdvice,
        task: async (host, signal) => {
          const roles = effectiveRoles(spec, host);
          try {
            const facts = await viaAgentOrSsh(ops.services.nats, host.name, 'probe', { services: servicesForRoles(roles) }, () =>
              probeHost(ops.pool, ops.endpoint(host), servicesForRoles(roles), { signal }),
            );
            ops.report(host.name, probeToHostFacts(facts));
            if (roles.includes('checkpoint-agent') && facts.kernelName === 'Linux') {
              const manifests = await listCheckpoints(ops.pool, ops.endpoint(host), checkpointSettings(spec.checkpoints).baseDir, signal);
              ops.report(host.name, { checkpoints: checkpointFacts(manifests) });
            }
            return facts;
          } catch (err) {
            if (!signal.aborted) ops.report(host.name, unreachableFacts(err as Error));
            if (err instanceof SshError && err.kind === 'host-key-changed')
              void vscode.window.showErrorMessage(err.message, { modal: true });
            throw err;
          }
        },
        describe: (r) =>
          r.ok ? `${r.value.osName ?? r.value.kernelName} ${r.value.arch}, ${r.value.gpus.length} GPU(s)` : r.error.message,
      });
    } catch (err) {
      void vscode.window.showErrorMessage(`Probe Hosts: ${(err as Error).message}`);
    }
  });
}
