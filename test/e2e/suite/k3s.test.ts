// The Kubernetes view in the extension host: with no kubeconfig chosen, or not connected, it reads nothing; with a
// kubeconfig (a user setting) and Connect to Cluster it shows exo's Service endpoint and the GPU pods per node from
// a loopback API server answering with the recorded responses of test/fixtures/k3s; Disconnect stops it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../../client/src/services/services';
import { k3sViewOf } from '../../../client/src/k3s/register';
import { startRecordedKubeApi, type RecordedKubeApi } from '../../support/recordedKubeApi';
import { activateExtension, waitFor } from './util';

describe('Kubernetes view', () => {
  let services: ExtensionServices;
  let api: RecordedKubeApi;
  let dir: string;

  before(async function () {
    this.timeout(60_000);
    services = await activateExtension();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k3s-e2e-'));
    api = await startRecordedKubeApi(dir);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('gpuCluster').update('k3s.kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('gpuCluster.disconnect');
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows exo's endpoint and the GPU pods per node while connected with the chosen kubeconfig, and only then", async function () {
    this.timeout(90_000);
    const view = k3sViewOf(services);
    assert.ok(view, 'the view registered itself');
    await vscode.commands.executeCommand('gpuCluster.disconnect');
    await vscode.workspace
      .getConfiguration('gpuCluster')
      .update('k3s.kubeconfig', api.kubeconfig('kubeconfig'), vscode.ConfigurationTarget.Global);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(view.rows(), [], 'not connected: no rows');
    assert.equal(api.seen.length, 0, 'nothing asked before Connect');

    await vscode.commands.executeCommand('gpuCluster.connect');
    const rows = await waitFor(
      'the Service and both GPU nodes',
      () => {
        const r = view.rows();
        return r.length === 3 && r[0].id === 'k3s.service' ? r : undefined;
      },
      60_000,
    );
    assert.deepEqual(
      rows.map((r) => r.label),
      ['exo Service exo.exo.svc', 'gpu-2', 'hub-1'],
    );
    assert.deepEqual(
      rows[0].children!.map((e) => e.label),
      ['10.1.0.10:52415'],
    );
    assert.deepEqual(
      rows[1].children!.map((p) => [p.label, p.contextValue]),
      [['ml/trainer-0', 'k3s.pod']],
    );

    await vscode.commands.executeCommand('gpuCluster.disconnect');
    await waitFor('the view emptied', () => view.rows().length === 0 || undefined);
    const asked = api.seen.length;
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(api.seen.length, asked, 'no request after Disconnect');
  });
});
