// The server's spec workspace: snapshots cached per document version, superseded builds abandoned,
// files on disk merged in and followed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { WorkspaceEdit } from 'vscode-languageserver-protocol';
import { SpecWorkspace, SupersededError } from '#core/validate';
import { specRename } from '../../server/src/spec/rename';
import { generateBigSpec } from '../lsp/big-spec';
import { repoRoot } from '../lsp/lsp-client';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(clusterText: string, validatesElsewhere?: (chars: number, files: number) => boolean) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spec-ws-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'hosts'));
  const uri = pathToFileURL(path.join(dir, 'cluster.yaml')).href;
  const open = new Map<string, TextDocument>([[uri, TextDocument.create(uri, 'yaml', 1, clusterText)]]);
  const workspace = new SpecWorkspace({
    documents: { get: (u) => open.get(u), all: () => [...open.values()] },
    patterns: () => ['**/cluster.yaml', '**/hosts/*.yaml'],
    log: () => undefined,
    validatesElsewhere,
  });
  const edit = (text: string) => {
    const doc = open.get(uri)!;
    open.set(uri, TextDocument.create(uri, 'yaml', doc.version + 1, text));
  };
  return { dir, uri, workspace, edit };
}

test('a snapshot is reused while nothing changes and rebuilt for a new version', async () => {
  const lab = readFileSync(path.join(repoRoot, 'examples/lab/cluster.yaml'), 'utf8');
  const { dir, uri, workspace, edit } = setup(lab);
  writeFileSync(path.join(dir, 'hosts/gpu-2.yaml'), 'addresses: [10.0.0.11]\ninterfaces:\n  - { name: eth1, kind: ethernet }\n');
  const first = await workspace.snapshotFor(uri);
  assert.equal(await workspace.snapshotFor(uri), first);
  edit(lab.replace('layout: xfs', 'layout: xfs2'));
  const second = await workspace.snapshotFor(uri);
  assert.notEqual(second, first);
  assert.deepEqual(
    second.diagnostics.get(uri)!.map((d) => d.code),
    ['schema.enum'],
  );
});

test('an edit during the build of a big file abandons it; the next snapshot has the new text', async () => {
  const spec = generateBigSpec(400);
  const { uri, workspace, edit } = setup('cluster: { name: x, domain: x }\n');
  await workspace.snapshotFor(uri); // the folder is read; what follows is only the build
  edit(spec.text);
  let cancelled = false;
  const building = workspace.snapshotFor(uri, () => cancelled);
  await new Promise((r) => setImmediate(r)); // the build is under way, between two steps
  edit(spec.text.replace('kind: ethernet }', 'kind: ethernett }'));
  cancelled = true;
  await assert.rejects(building, SupersededError);
  const snapshot = await workspace.snapshotFor(uri);
  assert.deepEqual(
    snapshot.diagnostics.get(uri)!.map((d) => d.code),
    ['schema.enum'],
  );
});

test('host files on disk join the model, and leave it when deleted', async () => {
  const lab = readFileSync(path.join(repoRoot, 'examples/lab/cluster.yaml'), 'utf8');
  const { dir, uri, workspace } = setup(lab);
  const hostFile = path.join(dir, 'hosts/gpu-2.yaml');
  writeFileSync(hostFile, 'addresses: [10.0.0.11]\ninterfaces:\n  - { name: eth1, kind: ethernet }\n');
  const withHost = await workspace.snapshotFor(uri);
  assert.ok(withHost.model.hostSources.has('gpu-2'));
  assert.deepEqual(withHost.diagnostics.get(uri), []);
  const hostUri = pathToFileURL(hostFile).href;
  rmSync(hostFile);
  assert.deepEqual(await workspace.filesChanged([{ uri: hostUri, deleted: true }]), [hostUri]);
  const without = await workspace.snapshotFor(uri);
  assert.ok(!without.model.hostSources.has('gpu-2'));
  assert.ok(without.diagnostics.get(uri)!.some((d) => d.code === 'network.link-unknown-host'));
});

test('renaming a host whose file is hosts/<name>.yaml renames the file too, when the client can', async () => {
  const lab = readFileSync(path.join(repoRoot, 'examples/lab/cluster.yaml'), 'utf8');
  const { dir, uri, workspace } = setup(lab);
  // gpu-2's name comes from its file name: there is no `name:` to edit, only the file to rename
  writeFileSync(path.join(dir, 'hosts/gpu-2.yaml'), 'addresses: [10.0.0.11]\ninterfaces:\n  - { name: eth1, kind: ethernet }\n');
  const snapshot = await workspace.snapshotFor(uri);
  const lines = lab.split('\n');
  const line = lines.findIndex((l) => l.includes('to: gpu-2:eth1'));
  const position = { line, character: lines[line].indexOf('gpu-2') + 1 };
  const edit = specRename(snapshot, uri, position, 'gpu-7', true);
  const hostUri = pathToFileURL(path.join(dir, 'hosts/gpu-2.yaml')).href;
  const describe = (c: NonNullable<WorkspaceEdit['documentChanges']>[number]) =>
    'textDocument' in c
      ? `edit ${c.textDocument.uri} ${c.edits.map((e) => ('newText' in e ? e.newText : '')).join()}`
      : c.kind === 'rename'
        ? `rename ${c.oldUri} ${c.newUri}`
        : c.kind;
  assert.deepEqual(edit.documentChanges!.map(describe), [
    `edit ${uri} gpu-7`,
    `rename ${hostUri} ${hostUri.replace('gpu-2.yaml', 'gpu-7.yaml')}`,
  ]);
  assert.throws(() => specRename(snapshot, uri, position, 'gpu-7', false), /cannot rename files/);
});

test("without validation (the explorer's use) a snapshot has the model with the unsaved text and no diagnostics", async () => {
  const lab = readFileSync(path.join(repoRoot, 'examples/lab/cluster.yaml'), 'utf8');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spec-ws-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'hosts'));
  writeFileSync(path.join(dir, 'cluster.yaml'), lab);
  writeFileSync(path.join(dir, 'hosts/gpu-2.yaml'), 'addresses: [10.0.0.11]\ninterfaces:\n  - { name: eth1, kind: ethernet }\n');
  const uri = pathToFileURL(path.join(dir, 'cluster.yaml')).href;
  const open = new Map<string, TextDocument>();
  const workspace = new SpecWorkspace({
    documents: { get: (u) => open.get(u), all: () => [...open.values()] },
    patterns: () => ['**/cluster.yaml', '**/hosts/*.yaml'],
    log: () => undefined,
    validate: false,
  });
  const saved = await workspace.snapshotFor(uri);
  assert.deepEqual(saved.model.spec.hosts.map((h) => h.name).sort(), ['gpu-2', 'hub-1', 'mac-studio']);
  // an unsaved edit with a schema error: the model follows it, and nothing is validated
  open.set(
    uri,
    TextDocument.create(uri, 'yaml', 1, lab.replace('name: mac-studio', 'name: mac-studio-2').replace('layout: xfs', 'layout: xfs2')),
  );
  const edited = await workspace.snapshotFor(uri);
  assert.ok(edited.model.spec.hosts.some((h) => h.name === 'mac-studio-2'));
  assert.deepEqual([...edited.diagnostics.values()].flat(), []);
  // the document closed without saving: the disk's text again
  open.delete(uri);
  workspace.documentClosed(uri);
  assert.ok((await workspace.snapshotFor(uri)).model.spec.hosts.some((h) => h.name === 'mac-studio'));
});

test('a root validated elsewhere (the worker) gets snapshots with the model only, never offered as validated', async () => {
  const lab = readFileSync(path.join(repoRoot, 'examples/lab/cluster.yaml'), 'utf8');
  const sizes: [number, number][] = [];
  const { uri, workspace } = setup(lab.replace('layout: xfs', 'layout: xfs2'), (chars, files) => {
    sizes.push([chars, files]);
    return chars > 1000;
  });
  const snapshot = await workspace.snapshotFor(uri);
  assert.deepEqual(sizes, [[lab.length + 1, 1]], "asked with the root's text size and file count");
  assert.equal(snapshot.validated, false);
  assert.equal(snapshot.diagnostics.size, 0, 'no validation ran');
  assert.ok(snapshot.model.hostSources.has('hub-1'), 'the model is there for requests');
  const { current, files } = await workspace.filesFor(uri);
  assert.equal(current, undefined, 'diagnostics must come from elsewhere');
  assert.equal(files.length, 1);

  const small = setup(lab.replace('layout: xfs', 'layout: xfs2'), () => false);
  const validated = await small.workspace.snapshotFor(small.uri);
  assert.equal(validated.validated, true);
  assert.ok(validated.diagnostics.get(small.uri)!.some((d) => d.code === 'schema.enum'));
  assert.equal((await small.workspace.filesFor(small.uri)).current, validated);
});
