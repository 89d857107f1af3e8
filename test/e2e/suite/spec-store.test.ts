// The spec store in a multi-root workspace: every folder's cluster is found, the one being edited is current.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../../client/src/services/services';
import { activateExtension, waitFor, workspaceUri } from './util';

describe('spec store', () => {
  let services: ExtensionServices;
  let second: string;

  before(async () => {
    services = await activateExtension();
    second = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-second-cluster-'));
    fs.writeFileSync(
      path.join(second, 'cluster.yaml'),
      'cluster: { name: second, domain: second }\nhosts:\n  - { name: solo, addresses: [10.3.0.1] }\n',
    );
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const index = vscode.workspace.workspaceFolders?.findIndex((f) => f.uri.fsPath === second) ?? -1;
    if (index > 0) {
      const removed = new Promise((r) => {
        const d = vscode.workspace.onDidChangeWorkspaceFolders(() => {
          d.dispose();
          r(undefined);
        });
      });
      vscode.workspace.updateWorkspaceFolders(index, 1);
      await removed;
    }
    fs.rmSync(second, { recursive: true, force: true });
    await services.specStore.reload();
  });

  it('finds the cluster of every workspace folder and follows the editor to the one being edited', async () => {
    const first = workspaceUri('cluster.yaml').toString();
    const folders = vscode.workspace.workspaceFolders?.length ?? 0;
    assert.ok(vscode.workspace.updateWorkspaceFolders(folders, 0, { uri: vscode.Uri.file(second) }));
    const secondSpec = vscode.Uri.file(path.join(second, 'cluster.yaml')).toString();
    await waitFor('both clusters found', () => services.specStore.specUris.some((u) => u.toString() === secondSpec));
    assert.equal(services.specStore.specUri?.toString(), first, "the first folder's cluster stays current");

    await vscode.window.showTextDocument(vscode.Uri.file(path.join(second, 'cluster.yaml')));
    await waitFor(
      'the second cluster to become current',
      () => services.specStore.specUri?.toString() === secondSpec && services.specStore.model?.spec.cluster.name === 'second',
    );
    assert.deepEqual(
      services.specStore.model?.spec.hosts.map((h) => h.name),
      ['solo'],
    );

    await vscode.window.showTextDocument(vscode.Uri.parse(first));
    await waitFor('the first cluster to be current again', () => services.specStore.model?.spec.cluster.name === 'lab');
  });
});
