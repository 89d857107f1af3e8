// What a user can do about a failed SSH operation, offered on the error message itself: an identity that is
// missing or unreadable → choose a key file (written to the host's ssh.identity) or open the spec there; a host
// that cannot be reached or drops the connection → what to check, Probe Host and the spec's address.
import * as vscode from 'vscode';
import { parseDocument } from 'yaml';
import { SshError } from '#core/ssh';
import type { HostSpec, SpecModel } from '#core/spec';

export interface ErrorAction {
  title: string;
  run(): Thenable<unknown>;
}

export interface SshAdvice {
  /** A sentence to add to the error: what to check. */
  hint?: string;
  actions: ErrorAction[];
}

const reveal = (host: string, setting: string[]) => () => vscode.commands.executeCommand('gpuCluster.revealInSpec', { host, setting });

export function sshAdvice(err: unknown, host: HostSpec, model: () => SpecModel | undefined): SshAdvice {
  if (!(err instanceof SshError)) return { actions: [] };
  const endpoint = err.endpoint;
  switch (err.kind) {
    case 'identity':
    case 'auth':
      return {
        actions: [
          { title: 'Choose Identity File…', run: () => chooseIdentity(host.name, model) },
          { title: 'Open Spec at ssh.identity', run: reveal(host.name, ['ssh', 'identity']) },
        ],
      };
    case 'unreachable':
    case 'timeout':
    case 'connection-lost':
      return {
        hint: `Check that ${endpoint ? `${endpoint.address} port ${endpoint.port}` : 'the address and port in the spec'} ${endpoint?.jump ? `(through ${endpoint.jump.name}) ` : ''}is right, that sshd runs on ${host.name}, and that no firewall blocks the port.`,
        actions: [
          { title: 'Probe Host', run: () => vscode.commands.executeCommand('gpuCluster.probeHosts', { host: host.name }) },
          { title: 'Open Spec at ssh', run: reveal(host.name, ['ssh', 'address']) },
        ],
      };
    default:
      return { actions: [] };
  }
}

/** Lets the user pick a private key and writes it to the host's `ssh.identity` in the file that defines the host. */
async function chooseIdentity(host: string, model: () => SpecModel | undefined): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    title: `SSH identity (private key) for ${host}`,
    openLabel: 'Use This Key',
    canSelectMany: false,
    defaultUri: vscode.Uri.file(`${process.env.HOME ?? '/'}/.ssh`),
  });
  const key = picked?.[0];
  const source = model()?.hostSources.get(host);
  if (!key || !source) return;
  const uri = vscode.Uri.parse(source.uri);
  const document = await vscode.workspace.openTextDocument(uri);
  // The yaml library keeps comments and flow style; the edit is one undoable change of the file.
  const doc = parseDocument(document.getText());
  doc.setIn([...(source.index !== undefined ? ['hosts', source.index] : []), 'ssh', 'identity'], key.fsPath);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), doc.toString());
  if (await vscode.workspace.applyEdit(edit)) {
    await document.save();
    void vscode.window.showInformationMessage(`ssh.identity of ${host} is now ${key.fsPath}. Run the operation again.`);
  }
}
