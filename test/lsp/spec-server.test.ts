// Server plumbing over the protocol: Node IPC transport, configurable spec file patterns (pulled with
// workspace/configuration and changed with didChangeConfiguration), diagnostics cleared on close.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HoverRequest, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { fileUri, LspClient, repoRoot } from './lsp-client';

let dir: string;
let clusterText: string;
const clients: LspClient[] = [];

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spec-server-'));
  cpSync(path.join(repoRoot, 'examples/lab'), dir, { recursive: true });
  clusterText = readFileSync(path.join(dir, 'cluster.yaml'), 'utf8');
});

after(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  rmSync(dir, { recursive: true, force: true });
});

test('the server speaks Node IPC too', async () => {
  const client = await LspClient.start({ rootPath: dir, ipc: true, settings: { gpuCluster: {} } });
  clients.push(client);
  const uri = fileUri(path.join(dir, 'cluster.yaml'));
  await client.open(uri, clusterText.replace('layout: xfs', 'layout: xfs2'));
  const { diagnostics } = await client.diagnosticsForVersion(uri, 1);
  assert.deepEqual(
    diagnostics.map((d) => d.code),
    ['schema.enum'],
  );
  const hover = await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri },
    position: { line: clusterText.split('\n').findIndex((l) => l.includes('- name: mac-studio')), character: 12 },
  });
  assert.match((hover!.contents as MarkupContent).value, /Total VRAM: 192 GB/);
});

test('spec files are the ones the patterns setting names, and closing a file clears its diagnostics', async () => {
  const client = await LspClient.start({
    rootPath: dir,
    settings: { gpuCluster: { specPatterns: ['**/*.cluster.yaml'], validation: { debounceMs: 10 } } },
  });
  clients.push(client);
  const broken = clusterText.replace('layout: xfs', 'layout: xfs2');
  const custom = fileUri(path.join(dir, 'lab.cluster.yaml'));
  const standard = fileUri(path.join(dir, 'cluster.yaml'));
  await client.open(custom, broken);
  // hosts/gpu-2.yaml is not a spec file under these patterns either, so the link to gpu-2 dangles
  assert.deepEqual((await client.diagnosticsForVersion(custom, 1)).diagnostics.map((d) => d.code).sort(), [
    'network.link-unknown-host',
    'schema.enum',
  ]);
  // cluster.yaml is not a spec under these patterns: only plain YAML, nothing published for it
  await client.open(standard, broken);
  const hover = await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri: standard },
    position: { line: 0, character: 3 },
  });
  assert.equal(hover, null);
  assert.equal(client.published.get(standard), undefined);

  const cleared = client.waitForDiagnostics(custom, (p) => p.diagnostics.length === 0, { fresh: true });
  await client.close(custom);
  await cleared;

  // Back to the default patterns: cluster.yaml (still open) is validated.
  await client.configure({ gpuCluster: { validation: { debounceMs: 10 } } });
  const { diagnostics } = await client.waitForDiagnostics(standard, (p) => p.diagnostics.length > 0);
  assert.deepEqual(
    diagnostics.map((d) => d.code),
    ['schema.enum'],
  );
});
