// The flake the extension generates is clean in the editor: every .nix file of the generated flake for the
// workspace's cluster (examples/lab), opened in VS Code, gets no diagnostic from the language server. Each file is
// proven checked, not just quiet: a planted syntax error must show up and go away again before it counts as clean.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findTemplatesDir, prepareGeneration } from '#core/flake';
import { EXTENSION_ID, activateExtension, waitFor, workspaceUri } from './util';

describe('generated flake in the editor', () => {
  let out: string;
  before(async () => {
    await activateExtension();
  });
  after(async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('every generated .nix file has zero diagnostics', async function () {
    this.timeout(300_000);
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const prepared = await prepareGeneration(workspaceUri('cluster.yaml').fsPath, findTemplatesDir(root));
    assert.deepEqual(prepared.errors, []);
    out = workspaceUri('flake-diagnostics').fsPath;
    const files = prepared.result!.files.filter((f) => f.path.endsWith('.nix'));
    for (const f of prepared.result!.files) {
      fs.mkdirSync(path.dirname(path.join(out, f.path)), { recursive: true });
      fs.writeFileSync(path.join(out, f.path), f.content);
    }
    assert.ok(files.length >= 20, `${files.length} .nix files generated`);
    const problems: string[] = [];
    for (const f of files) {
      const uri = vscode.Uri.file(path.join(out, f.path));
      const doc = await vscode.workspace.openTextDocument(uri);
      const end = doc.positionAt(doc.getText().length);
      const plant = new vscode.WorkspaceEdit();
      plant.insert(uri, end, '\n(');
      assert.ok(await vscode.workspace.applyEdit(plant));
      await waitFor(`the planted error in ${f.path}`, () => vscode.languages.getDiagnostics(uri).length > 0, 60_000);
      const undo = new vscode.WorkspaceEdit();
      undo.delete(uri, new vscode.Range(end, doc.positionAt(doc.getText().length)));
      assert.ok(await vscode.workspace.applyEdit(undo));
      assert.equal(doc.getText(), f.content);
      await doc.save(); // the text on disk again, and nothing left dirty to ask about when editors close
      // Back to the generated text: whatever is left once the planted error is gone is a real problem.
      const planted = (d: vscode.Diagnostic) => d.range.end.isAfter(end);
      await waitFor(`${f.path} re-checked`, () => !vscode.languages.getDiagnostics(uri).some(planted), 60_000);
      problems.push(...vscode.languages.getDiagnostics(uri).map((d) => `${f.path}:${d.range.start.line + 1} ${d.message}`));
    }
    assert.deepEqual(problems, []);
  });
});
