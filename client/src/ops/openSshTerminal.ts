// Open SSH Terminal: the host key is checked (and an unknown one confirmed and pinned) by our own connection
// first; then a terminal runs OpenSSH with StrictHostKeyChecking=yes against the extension's known_hosts, the
// spec's pinned keys and the user's own file. The arguments go to ssh as a vector, never through a shell.

import * as vscode from 'vscode';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pinnedKnownHostsLines, sshClientArgs } from '#core/ssh';
import { requireTool } from '#core/ops';
import type { OpsContext } from './context';

export function registerOpenSshTerminal(ops: OpsContext): vscode.Disposable {
  return vscode.commands.registerCommand('gpuCluster.openSshTerminal', async (arg?: unknown) => {
    if (!ops.services.requireTrust('Opening an SSH terminal')) return;
    try {
      const [host] = (await ops.pickHosts(arg, undefined, { title: 'Open SSH Terminal', single: true })) ?? [];
      if (!host) return;
      const endpoint = ops.endpoint(host);
      const ssh = await requireTool('ssh');
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking ${host.name}'s host key` }, () =>
        ops.pool.connect(endpoint),
      );
      const pinnedFile = path.join(ops.services.context.globalStorageUri.fsPath, 'spec_known_hosts', `${host.name}`);
      await mkdir(path.dirname(pinnedFile), { recursive: true, mode: 0o700 });
      await writeFile(
        pinnedFile,
        pinnedKnownHostsLines(endpoint)
          .map((l) => `${l}\n`)
          .join(''),
        { mode: 0o600 },
      );
      const files = [pinnedFile, ops.policy.managedKnownHosts, path.join(os.homedir(), '.ssh', 'known_hosts')];
      const terminal = vscode.window.createTerminal({
        name: `ssh ${host.name}`,
        shellPath: ssh,
        shellArgs: sshClientArgs(endpoint, files),
        iconPath: new vscode.ThemeIcon('terminal'),
      });
      terminal.show();
    } catch (err) {
      void vscode.window.showErrorMessage(`Open SSH Terminal: ${(err as Error).message}`);
    }
  });
}
