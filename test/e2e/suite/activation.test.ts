// The extension in a real VS Code: activation, the spec store, the scaffold command.
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../../client/src/services/services';
import { EXTENSION_ID, activateExtension, reportFigure, waitFor, workspaceUri } from './util';

describe('activation', () => {
  let services: ExtensionServices;
  before(async () => {
    services = await activateExtension();
  });

  it('activates in a workspace that contains cluster.yaml and exposes its services', () => {
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    assert.equal(typeof services.requireTrust, 'function');
    assert.equal(services.requireTrust('A test action'), vscode.workspace.isTrusted);
  });

  it('activation time, as the extension host recorded it, and the time until the language server started', async () => {
    // The extension host marks loading our code and calling activate() (performance marks, epoch milliseconds);
    // Developer: Startup Performance shows the same marks. Printed against the target (issue 13: < 300 ms), not asserted.
    const marks =
      (
        globalThis as { MonacoPerformanceMarks?: { getMarks(): { name: string; startTime: number }[] } }
      ).MonacoPerformanceMarks?.getMarks() ?? [];
    const at = (what: string) => marks.find((m) => m.name === `code/extHost/${what}/${EXTENSION_ID}`)?.startTime;
    const [willLoad, didLoad, willActivate, didActivate] = [
      'willLoadExtensionCode',
      'didLoadExtensionCode',
      'willActivateExtension',
      'didActivateExtension',
    ].map(at);
    assert.ok(
      willLoad !== undefined && didLoad !== undefined && willActivate !== undefined && didActivate !== undefined,
      `activation marks missing: ${marks
        .map((m) => m.name)
        .filter((n) => n.includes(EXTENSION_ID))
        .join(', ')}`,
    );
    assert.ok(willLoad <= didLoad && didLoad <= didActivate && willActivate <= didActivate);
    // "language server started" is logged once the client has started the server (languageClient.ts); the log file
    // is written a little after the line.
    await waitFor('the language server', () => services.languageClient.current?.isRunning());
    const logFile = path.join(services.context.logUri.fsPath, 'GPU Cluster.log');
    const started = await waitFor('"language server started" in the log', async () => {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      return /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[info\] language server started$/m.exec(log)?.[1];
    });
    const serverReady = new Date(started.replace(' ', 'T')).getTime() - willLoad;
    // Running Extensions reports code loading + the activate() call (ours adds its resolve); in between VS Code prepares the extension's
    // context (storage, secrets), which is not ours.
    reportFigure(
      `activation: code loading ${didLoad - willLoad} ms + activate() (call and resolve) ${didActivate - willActivate} ms = ${didLoad - willLoad + didActivate - willActivate} ms (target < 300 ms); ` +
        `${didActivate - willLoad} ms from loading to activated, VS Code's context preparation included; language server started ${serverReady} ms after loading began`,
    );
  });

  it('registers every command its manifest declares', async () => {
    const declared: { command: string }[] = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands;
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      declared.map((c) => c.command).filter((id) => !registered.has(id)),
      [],
    );
  });

  it('loads cluster.yaml with hosts/*.yaml merged in', async () => {
    const model = await waitFor('the spec model', () => services.specStore.model);
    assert.equal(services.specStore.specUri?.toString(), workspaceUri('cluster.yaml').toString());
    assert.deepEqual(model.spec.hosts.map((h) => h.name).sort(), ['gpu-2', 'hub-1', 'mac-studio']);
    assert.equal(model.hostSources.get('gpu-2')?.uri, workspaceUri('hosts', 'gpu-2.yaml').toString());
  });

  it('re-loads the spec when a host file appears and disappears on disk', async () => {
    const file = workspaceUri('hosts', 'e2e-extra.yaml');
    const names = () => services.specStore.model?.spec.hosts.map((h) => h.name) ?? [];
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode('name: e2e-extra\naddresses: [127.100.0.99]\n'));
    try {
      await waitFor('host e2e-extra in the model', () => names().includes('e2e-extra'));
    } finally {
      await vscode.workspace.fs.delete(file);
    }
    await waitFor('host e2e-extra gone from the model', () => !names().includes('e2e-extra'));
  });

  it('Create Example Cluster Spec opens the existing spec and leaves it unchanged', async () => {
    const spec = workspaceUri('cluster.yaml');
    const before = await vscode.workspace.fs.readFile(spec);
    const opened = await vscode.commands.executeCommand<vscode.Uri>('gpuCluster.scaffoldSpec');
    assert.equal(opened?.toString(), spec.toString());
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), spec.toString());
    assert.deepEqual(await vscode.workspace.fs.readFile(spec), before);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
