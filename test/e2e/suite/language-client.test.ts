// The language client follows the gpuCluster.specPatterns setting: a file becomes a spec (sent to the server,
// validated) when a pattern starts matching it, and stops being one when the pattern goes.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceUri } from './util';

const EXTRA_PATTERN = '**/*.cluster.yaml';

describe('language client', () => {
  const file = workspaceUri('staging', 'lab.cluster.yaml');
  const config = () => vscode.workspace.getConfiguration('gpuCluster');
  const errors = () => vscode.languages.getDiagnostics(file).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);

  before(async () => {
    await activateExtension();
    const text = [
      'cluster: { name: staging, domain: staging }',
      'hosts:',
      '  - name: s1',
      '    addresses: [10.2.0.1]',
      '    hardware: { memoryGB: lots }',
      '',
    ].join('\n');
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(text));
  });

  after(async () => {
    await config().update('specPatterns', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(workspaceUri('staging'), { recursive: true });
  });

  it('validates a file once gpuCluster.specPatterns matches it, and forgets it when the pattern is removed', async () => {
    const defaults = config().inspect<string[]>('specPatterns')?.defaultValue ?? [];
    assert.ok(!defaults.includes(EXTRA_PATTERN));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));

    await config().update('specPatterns', [...defaults, EXTRA_PATTERN], vscode.ConfigurationTarget.Workspace);
    const [error] = await waitFor('an error on memoryGB', () => (errors().length ? errors() : undefined), 45_000);
    assert.equal(error.range.start.line, 4, error.message);

    await config().update('specPatterns', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('the diagnostics to go with the pattern', () => errors().length === 0, 45_000);
  });
});
