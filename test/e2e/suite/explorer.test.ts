// The cluster explorer inside VS Code: the shared state store and tree models on the example cluster, Reveal in
// Spec, the topology panel, and live state from a real HTTP server answering exo's GET /state.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../../client/src/services/services';
import type { ClusterStateStore } from '../../../client/src/state/store';
import { gpuRows, nodeRoots, childrenOf } from '../../../client/src/explorer/model';
import { EXTENSION_ID, activateExtension, onLoopback, waitFor, workspaceUri } from './util';

describe('cluster explorer', () => {
  let services: ExtensionServices;
  let store: ClusterStateStore;
  before(async () => {
    services = await activateExtension();
    store = services.state;
    await waitFor('the spec in the state store', () => (store.spec?.hosts.length ?? 0) >= 3);
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the Nodes and GPUs trees are built from the example cluster', () => {
    // Nothing is connected yet: the row above the groups says so (nodeRoots has the groups only).
    const groups = nodeRoots(store, 'tag').filter((n) => n.kind === 'group');
    assert.deepEqual(
      groups.map((g) => g.label),
      ['gpu', 'apple'],
    );
    assert.deepEqual(
      childrenOf(store, groups[0]).map((h) => `${h.label}:${h.contextValue}`),
      ['hub-1:host.linux.nvidia', 'gpu-2:host.linux.nvidia'],
    );
    assert.deepEqual(
      gpuRows(store, 'freeMemory')
        .map((g) => `${g.host}#${g.gpuIndex}`)
        .sort(),
      ['gpu-2#0', 'hub-1#0', 'hub-1#1', 'mac-studio#0'],
    );
  });

  it('Reveal in Spec opens the file that defines a host, or one of its interfaces', async () => {
    await vscode.commands.executeCommand('gpuCluster.revealInSpec', 'gpu-2');
    let editor = await waitFor('an editor on gpu-2.yaml', () =>
      vscode.window.activeTextEditor?.document.uri.path.endsWith('/hosts/gpu-2.yaml') ? vscode.window.activeTextEditor : undefined,
    );
    assert.match(editor.document.lineAt(editor.selection.start.line).text, /name: gpu-2/);
    await vscode.commands.executeCommand('gpuCluster.revealInSpec', { host: 'mac-studio', interfaceName: 'tb0' });
    editor = await waitFor('an editor on cluster.yaml', () =>
      vscode.window.activeTextEditor?.document.uri.path.endsWith('/cluster.yaml') ? vscode.window.activeTextEditor : undefined,
    );
    const line = editor.document.lineAt(editor.selection.start.line).text;
    assert.match(line, /tb0/);
    // mac-studio's tb0, not hub-1's: the line is inside mac-studio's entry.
    const before = editor.document.getText(new vscode.Range(0, 0, editor.selection.start.line, 0));
    assert.ok(before.lastIndexOf('name: mac-studio') > before.lastIndexOf('name: hub-1'));
  });

  it('the trees follow unsaved edits of the spec (debounced), and go back when they are reverted', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri('cluster.yaml'));
    await vscode.window.showTextDocument(doc);
    const at = doc.getText().indexOf('name: mac-studio');
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, doc.positionAt(at + 'name: mac-studio'.length), '-2');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.equal(doc.isDirty, true);
    await waitFor('mac-studio-2 in the explorer', () => store.spec?.hosts.some((h) => h.name === 'mac-studio-2'));
    const apple = nodeRoots(store, 'tag').find((g) => g.label === 'apple')!;
    assert.deepEqual(
      childrenOf(store, apple).map((h) => h.label),
      ['mac-studio-2'],
    );
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitFor('mac-studio back', () => store.spec?.hosts.some((h) => h.name === 'mac-studio'));
  });

  it('Show Topology opens the topology panel', async () => {
    await vscode.commands.executeCommand('gpuCluster.showTopology');
    await waitFor('the topology tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('gpuCluster.topology')),
    );
  });

  it("live state from exo's API marks hosts running, and is dropped when exo stops answering", async function () {
    this.timeout(90_000);
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    // exo reports the addresses of the hosts it runs on: those of this workspace, moved to 127.100.x like the spec.
    const body = onLoopback(fs.readFileSync(path.join(root, 'test/fixtures/exo/recorded/state-downloading.json'), 'utf8'));
    const server = http.createServer((req, res) => {
      if (req.url === '/state') res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const specUri = workspaceUri('cluster.yaml');
    const original = await vscode.workspace.fs.readFile(specUri);
    try {
      // Point the exo API host at the local server; exo's nodes still match hosts by their interface addresses.
      const edited = new TextDecoder()
        .decode(original)
        .replace('addresses: [127.100.0.10]', 'addresses: [127.0.0.1]')
        .replace(/^exo:\n {2}enable: true\n/m, `exo:\n  enable: true\n  ports: { api: ${port} }\n`);
      assert.notEqual(edited, new TextDecoder().decode(original), 'the example spec has the expected shape');
      await vscode.workspace.fs.writeFile(specUri, new TextEncoder().encode(edited));
      await waitFor('the API port in the spec', () => store.spec?.exo?.ports?.api === port);
      assert.equal(store.sourceHealth().has('exo'), false, 'exo is not polled before the user connects');
      await vscode.commands.executeCommand('gpuCluster.connect');
      await waitFor(
        'hub-1 running from exo',
        () => store.host('hub-1').status === 'running' && store.host('mac-studio').status === 'running',
        30_000,
      );
      assert.equal(store.host('hub-1').services.exo?.status, 'downloading');
      assert.equal(store.sourceHealth().get('exo')?.ok, true);
      assert.equal(store.liveLinks().length, 3);
      const hub = childrenOf(
        store,
        nodeRoots(store, 'tag').find((n) => n.kind === 'group')!,
      )[0];
      assert.equal(hub.icon.id, 'pass-filled');
    } catch (err) {
      await vscode.commands.executeCommand('gpuCluster.disconnect');
      throw err;
    } finally {
      await vscode.workspace.fs.writeFile(specUri, original);
      await new Promise((resolve) => server.close(resolve));
    }
    // The API is gone: the error is in the state and the exo facts are no longer shown as live.
    await waitFor('exo reported unreachable', () => store.sourceHealth().get('exo')?.ok === false, 40_000);
    assert.equal(nodeRoots(store, 'tag')[0].kind, 'sourceError');
    await waitFor('hub-1 no longer running', () => store.host('hub-1').status !== 'running', 20_000);
    await vscode.commands.executeCommand('gpuCluster.disconnect');
    await waitFor('exo polling stopped', () => !store.sourceHealth().has('exo'));
  });
});
