// Host keys in VS Code: an unknown key is shown in a modal with its SHA256 fingerprint; accepting pins it in
// the known_hosts file the extension manages (in its global storage, so the spec files stay as written;
// `ssh.hostKey` in the spec still wins when set). A changed key never reaches this class: the transport stops.

import * as vscode from 'vscode';
import os from 'node:os';
import path from 'node:path';
import { appendKnownHost, type HostKeyPolicy, knownHostsName, type UnknownHostKey } from '#core/ssh';

export class VscodeHostKeyPolicy implements HostKeyPolicy {
  /** One prompt per host at a time, however many commands ask. */
  private readonly pending = new Map<string, Promise<boolean>>();

  constructor(
    readonly managedKnownHosts: string,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  static forContext(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): VscodeHostKeyPolicy {
    return new VscodeHostKeyPolicy(path.join(context.globalStorageUri.fsPath, 'known_hosts'), output);
  }

  knownHostsFiles(): readonly string[] {
    return [this.managedKnownHosts, path.join(os.homedir(), '.ssh', 'known_hosts')];
  }

  confirmUnknownKey(request: UnknownHostKey): Promise<boolean> {
    const name = knownHostsName(request.endpoint.address, request.endpoint.port);
    const key = `${name} ${request.fingerprint}`;
    let answer = this.pending.get(key);
    if (!answer) {
      answer = this.ask(request, name).finally(() => this.pending.delete(key));
      this.pending.set(key, answer);
    }
    return answer;
  }

  private async ask(request: UnknownHostKey, name: string): Promise<boolean> {
    const accept = 'Accept and Pin';
    const choice = await vscode.window.showWarningMessage(
      `The authenticity of host ${request.endpoint.name} (${name}) can't be established.`,
      {
        modal: true,
        detail:
          `${request.key.type} key fingerprint is ${request.fingerprint}.\n\n` +
          'Compare it with the one the machine shows (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on its console). ' +
          `Accepting pins it in ${this.managedKnownHosts}; a different key later is refused.`,
      },
      accept,
    );
    if (choice !== accept) {
      this.output.warn(`host key of ${request.endpoint.name} (${name}, ${request.fingerprint}) not accepted`);
      return false;
    }
    await appendKnownHost(this.managedKnownHosts, request.endpoint.address, request.endpoint.port, request.key);
    this.output.info(`pinned host key of ${request.endpoint.name} (${name}): ${request.fingerprint}`);
    return true;
  }
}
