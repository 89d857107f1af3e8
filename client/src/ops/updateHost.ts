// Update Host: nixos-rebuild switch (Linux) or darwin-rebuild (Apple hosts) from the generated flake, on one
// host, a selection or a tag, bounded by gpuCluster.deploy.concurrency; output in a terminal per host.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { updateHost, type UpdateOutcome } from '#core/ops';
import type { OpsContext } from './context';
import { OpsTerminal } from './opsTerminal';
import { runPerHost } from './perHost';

export function registerUpdateHost(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.updateHost', async (arg?: unknown, selected?: unknown) => {
    if (!ops.services.requireTrust('Updating a host')) return;
    try {
      const hosts = await ops.pickHosts(arg, selected, { title: 'Update Host' });
      if (!hosts?.length) return;
      const flakeDir = ops.flakeDir();
      if (!existsSync(flakeDir)) {
        void vscode.window.showErrorMessage(`There is no generated flake at ${flakeDir} yet: run Generate Flake first.`);
        return;
      }
      await runPerHost<UpdateOutcome>({
        title: 'Update Host',
        hosts,
        limit: ops.setting('deploy.concurrency', 4),
        output: ops.services.output,
        advice: ops.sshAdvice,
        succeeded: (o) => o.ok,
        describe: (r) => (r.ok ? r.value.message : r.error.message),
        task: async (host, signal, progress) => {
          const term = new OpsTerminal(`Update ${host.name}`);
          term.terminal.show(true);
          const endpoint = ops.endpoint(host);
          progress('verifying the host key');
          // ssh inside nix checks StrictHostKeyChecking against the managed known_hosts: make sure the key is there.
          await ops.pool.connect(endpoint, signal);
          progress('switching');
          ops.report(host.name, { status: 'deploying', statusDetail: 'updating' });
          const outcome = await updateHost(
            { flakeDir, host: host.name, system: ops.system(host), endpoint, knownHostsFile: ops.policy.managedKnownHosts },
            { signal: AbortSignal.any([signal, term.signal]), onData: (c) => term.write(c), pool: ops.pool },
          ).catch((err: Error) => {
            term.line(err.message, 'red');
            throw err;
          });
          term.line(`\n${outcome.message}`, outcome.ok ? 'green' : 'red');
          ops.report(
            host.name,
            outcome.ok
              ? { status: 'reachable', statusDetail: `updated ${new Date().toLocaleString()}` }
              : { status: outcome.cancelled ? 'unknown' : 'failed', statusDetail: outcome.message },
          );
          progress(outcome.message, 1);
          return outcome;
        },
      });
    } catch (err) {
      void vscode.window.showErrorMessage(`Update Host: ${(err as Error).message}`);
    }
  });
}
