// The language server through VS Code's own provider API, on the example cluster: diagnostics, completion of
// host names at link endpoints, hover descriptions from the schema, rename across files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, activateExtension, positionOf, waitFor, workspaceUri } from './util';

const HOSTS = ['gpu-2', 'hub-1', 'mac-studio'];

async function replace(doc: vscode.TextDocument, range: vscode.Range, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, range, text);
  assert.ok(await vscode.workspace.applyEdit(edit), 'edit was not applied');
}

const errorsOn = (uri: vscode.Uri, line?: number) =>
  vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.severity === vscode.DiagnosticSeverity.Error && (line === undefined || d.range.start.line === line));

/** The `description` the cluster schema gives a link property (the hover must show it). */
function linkPropertyDescription(property: string): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  const schema = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'schemas', 'cluster.schema.json'), 'utf8'));
  const description = schema.$defs?.link?.properties?.[property]?.description;
  assert.equal(typeof description, 'string', `the schema describes link.${property}`);
  return description;
}

describe('spec language server', () => {
  let doc: vscode.TextDocument;

  before(async () => {
    await activateExtension();
    doc = await vscode.workspace.openTextDocument(workspaceUri('cluster.yaml'));
    await vscode.window.showTextDocument(doc);
  });

  afterEach(async () => {
    // Leave the file as it is on disk for the next test.
    if (doc.isDirty) {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('reports a planted type error at its line and clears it when fixed', async () => {
    const start = positionOf(doc, 'bandwidthGbps: 50', 0, 'bandwidthGbps: '.length);
    const value = new vscode.Range(start, start.translate(0, 2));
    await replace(doc, value, 'fast');
    const [error] = await waitFor('an error on the planted line', () =>
      errorsOn(doc.uri, start.line).length ? errorsOn(doc.uri, start.line) : undefined,
    );
    assert.equal(error.range.start.character, start.character, `error starts at the value: ${error.message}`);

    await replace(doc, new vscode.Range(start, start.translate(0, 4)), '50');
    await waitFor('no errors left in cluster.yaml', () => errorsOn(doc.uri).length === 0);
  });

  it('offers every host name at a link endpoint', async () => {
    const valueStart = positionOf(doc, 'from: hub-1:bond0', 0, 'from: '.length);
    await replace(doc, new vscode.Range(valueStart, valueStart.translate(0, 'hub-1:bond0'.length)), '');
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, valueStart);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const host of HOSTS) {
      assert.ok(
        labels.some((l) => l === host || l.startsWith(`${host}:`)),
        `completion offers ${host}; got ${labels.join(', ')}`,
      );
    }
  });

  it('shows the schema description on hover over a link property', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      doc.uri,
      positionOf(doc, 'bandwidthGbps', 0, 3),
    );
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.ok(text.includes(linkPropertyDescription('bandwidthGbps')), `hover text: ${text}`);
  });

  it('renames a host at a reference: its definition in hosts/ and every reference change', async () => {
    const hostFile = await vscode.workspace.openTextDocument(workspaceUri('hosts', 'gpu-2.yaml'));
    const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>(
      'vscode.executeDocumentRenameProvider',
      doc.uri,
      positionOf(doc, 'to: gpu-2:eth1', 0, 'to: '.length),
      'gpu-7',
    );
    assert.ok(edit, 'rename returned an edit');
    const byFile = new Map(edit.entries().map(([uri, edits]) => [uri.toString(), edits]));
    const expectEdits = (file: vscode.TextDocument, count: number) => {
      const edits = byFile.get(file.uri.toString()) ?? [];
      assert.equal(edits.length, count, `${count} edit(s) in ${path.basename(file.uri.path)}`);
      for (const e of edits) {
        assert.equal(file.getText(e.range), 'gpu-2');
        assert.equal(e.newText, 'gpu-7');
      }
    };
    // cluster.yaml refers to gpu-2 once (a link endpoint); hosts/gpu-2.yaml defines it (name).
    expectEdits(doc, doc.getText().split('gpu-2').length - 1);
    expectEdits(hostFile, 1);
  });
});
