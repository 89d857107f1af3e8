// The spec language over the protocol, against the real server (dist/server.js --stdio) on a copy of
// examples/lab: diagnostics and their incremental fixing, completion, hover, definition, references,
// rename across files, quick fixes, outline, dependants re-validated, hostile files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CodeActionRequest,
  CompletionRequest,
  DefinitionRequest,
  DidChangeWatchedFilesNotification,
  DocumentSymbolRequest,
  FileChangeType,
  HoverRequest,
  PrepareRenameRequest,
  ReferencesRequest,
  RenameRequest,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type DocumentSymbol,
  type Location,
  type MarkupContent,
  type Position,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { fileUri, LspClient, repoRoot } from './lsp-client';

let dir: string;
let client: LspClient;
let clusterUri: string;
let hostUri: string;
let clusterText: string;
let hostText: string;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spec-lsp-'));
  cpSync(path.join(repoRoot, 'examples/lab'), dir, { recursive: true });
  clusterUri = fileUri(path.join(dir, 'cluster.yaml'));
  hostUri = fileUri(path.join(dir, 'hosts/gpu-2.yaml'));
  clusterText = readFileSync(path.join(dir, 'cluster.yaml'), 'utf8');
  hostText = readFileSync(path.join(dir, 'hosts/gpu-2.yaml'), 'utf8');
  client = await LspClient.start({ rootPath: dir, settings: { gpuCluster: { validation: { debounceMs: 20 } } } });
});

after(async () => {
  await client?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Position of the `nth` occurrence of `needle` in `text`, plus `delta` characters. */
function posOf(text: string, needle: string, delta = 0, nth = 0): Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `'${needle}' not in text`);
  }
  const before = text.slice(0, at + delta).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

function applyEdits(text: string, edits: TextEdit[]): string {
  const offset = (p: Position) =>
    text
      .split('\n')
      .slice(0, p.line)
      .reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const items = (r: CompletionList | CompletionItem[] | null) => (Array.isArray(r) ? r : (r?.items ?? []));
const labels = (r: CompletionList | CompletionItem[] | null) => items(r).map((i) => i.label);

/** Opens (or replaces the whole text of) a document and waits for diagnostics of that version. */
async function show(uri: string, text: string): Promise<Diagnostic[]> {
  if (client.versionOf(uri) === undefined) {
    await client.open(uri, text);
    return (await client.diagnosticsForVersion(uri, 1)).diagnostics;
  }
  const version = await client.change(uri, [{ text }]);
  return (await client.diagnosticsForVersion(uri, version)).diagnostics;
}

async function complete(uri: string, text: string, position: Position) {
  await show(uri, text);
  return client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
}

test('a schema error and a semantic error appear on their exact ranges; an incremental edit clears them', async () => {
  const broken = clusterText
    .replace('{ name: eth2, kind: ethernet }', '{ name: eth2, kind: ethernett }')
    .replace('to: gpu-2:eth1', 'to: gpu-2:eht1');
  const diagnostics = await show(clusterUri, broken);
  const kind = diagnostics.find((d) => d.code === 'schema.enum');
  assert.ok(kind, JSON.stringify(diagnostics));
  assert.deepEqual(kind.range, { start: posOf(broken, 'ethernett'), end: posOf(broken, 'ethernett', 'ethernett'.length) });
  // the link's host part is fine (gpu-2 comes from hosts/gpu-2.yaml on disk); only the interface is wrong
  const link = diagnostics.find((d) => d.code === 'network.link-unknown-interface');
  assert.ok(link, JSON.stringify(diagnostics));
  assert.deepEqual(link.range, { start: posOf(broken, 'eht1'), end: posOf(broken, 'eht1', 4) });
  assert.match(messageOf(link), /did you mean 'eth1'/i);
  assert.equal(diagnostics.length, 2, JSON.stringify(diagnostics));

  // Fix both with small incremental edits (not whole-text replacements).
  const at = posOf(broken, 'ethernett', 8);
  let version = await client.change(clusterUri, [{ range: { start: at, end: { ...at, character: at.character + 1 } }, text: '' }]);
  const afterFirst = (await client.diagnosticsForVersion(clusterUri, version)).diagnostics;
  assert.deepEqual(
    afterFirst.map((d) => d.code),
    ['network.link-unknown-interface'],
  );
  const eht = posOf(broken, 'eht1');
  version = await client.change(clusterUri, [{ range: { start: eht, end: { ...eht, character: eht.character + 4 } }, text: 'eth1' }]);
  assert.deepEqual((await client.diagnosticsForVersion(clusterUri, version)).diagnostics, []);
});

test("completion offers host names at a link endpoint, then that host's interfaces after `host:`", async () => {
  const text = clusterText.replace('    - from: hub-1:tb0', '    - from: ');
  const hosts = await complete(clusterUri, text, posOf(text, '- from: ', 8));
  assert.deepEqual(labels(hosts).sort(), ['gpu-2', 'hub-1', 'mac-studio']);
  const gpu2 = items(hosts).find((i) => i.label === 'gpu-2')!;
  assert.equal((gpu2.textEdit as TextEdit).newText, 'gpu-2:');

  const withHost = clusterText.replace('    - from: hub-1:tb0', '    - from: mac-studio:');
  const ifaces = await complete(clusterUri, withHost, posOf(withHost, 'from: mac-studio:', 'from: mac-studio:'.length));
  assert.deepEqual(labels(ifaces).sort(), ['en0', 'tb0']);
  const edit = items(ifaces)[0].textEdit as TextEdit;
  assert.equal(edit.range.start.character, posOf(withHost, 'from: mac-studio:', 'from: mac-studio:'.length).character);
});

test('completion offers enum values, segment names, and keys with their documentation', async () => {
  const accel = clusterText.replace('  accelerator: auto', '  accelerator: ');
  const values = labels(await complete(clusterUri, accel, posOf(accel, '  accelerator: ', 15)));
  for (const v of ['auto', 'cuda', 'rocm', 'mlx', 'cpu']) assert.ok(values.includes(v), `${v} in ${values}`);

  const roles = clusterText.replace('roles: [exo-worker, nats-leaf]', 'roles: [exo-worker, ]');
  const roleValues = labels(await complete(clusterUri, roles, posOf(roles, 'roles: [exo-worker, ', 'roles: [exo-worker, '.length)));
  for (const v of ['exo-master', 'nats-hub', 'k3s-agent']) assert.ok(roleValues.includes(v), `${v} in ${roleValues}`);

  const bond = clusterText.replace('members: [eth1, eth2]', 'members: [eth1, ]');
  const members = labels(await complete(clusterUri, bond, posOf(bond, 'members: [eth1, ', 'members: [eth1, '.length)));
  assert.deepEqual(members.sort(), ['eth0', 'eth1', 'eth2', 'tb0'], 'the interfaces of the same host, not the bond itself');

  const seg = clusterText.replace('{ name: eth0, kind: ethernet, segment: mgmt,', '{ name: eth0, kind: ethernet, segment: m,');
  const segments = labels(await complete(clusterUri, seg, posOf(seg, 'segment: m,', 'segment: m'.length)));
  assert.deepEqual(segments.sort(), ['data', 'mgmt', 'tb']);

  const keyed = clusterText.replace('  namespace: lab\n', '  namespace: lab\n  \n');
  const keys = await complete(clusterUri, keyed, posOf(keyed, '  namespace: lab\n  ', '  namespace: lab\n  '.length));
  const names = labels(keys);
  assert.ok(names.includes('ports'), names.join());
  assert.ok(!names.includes('namespace'), 'keys already present are not offered again');
  const ports = items(keys).find((i) => i.label === 'ports')!;
  assert.match((ports.documentation as MarkupContent).value, /\w+/);
  assert.match((ports.textEdit as TextEdit).newText, /^ports:\n {4}$/);
});

test('completion offers GPU models with their VRAM and exo model ids with their memory need', async () => {
  const gpuHost = hostText.replace(
    '    - { vendor: nvidia, model: A100 80GB, vramGB: 80, count: 1, computeCapability: "8.0" }',
    '    - vendor: nvidia\n      model: ',
  );
  const gpus = items(await complete(hostUri, gpuHost, posOf(gpuHost, '      model: ', 13)));
  const rtx = gpus.find((i) => i.label === 'RTX 4090');
  assert.ok(rtx, gpus.map((i) => i.label).join());
  assert.match(rtx.detail!, /24 GB/);
  assert.match(rtx.detail!, /8\.9/);
  await show(hostUri, hostText);

  const exo = clusterText.replace('    - { id: mlx-community/Llama-3.3-70B-Instruct-4bit, sharding: pipeline, minNodes: 2 }', '    - id: ');
  const models = items(await complete(clusterUri, exo, posOf(exo, '    - id: ', 10)));
  // exo's model cards: Hugging Face repo ids, with the card's storage size as the memory need.
  const llama = models.find((i) => i.label === 'mlx-community/Llama-3.3-70B-Instruct-4bit');
  assert.ok(llama, models.map((i) => i.label).join());
  assert.match(llama.detail!, /^37\.9 GB · Llama 3\.3 70B · 4bit$/);
  assert.ok(
    models.every((i) => i.label.includes('/')),
    'only repo ids, no short names',
  );
});

test('containers: keys complete from the schema with their documentation, and hover explains them', async () => {
  // examples/lab's gpu-2 has a container `infer`: a new key in it, and a new key in its limits.
  const keyed = hostText.replace('    autoStart: true\n', '    autoStart: true\n    \n');
  const keys = items(await complete(hostUri, keyed, posOf(keyed, '    autoStart: true\n    ', '    autoStart: true\n    '.length)));
  const names = keys.map((i) => i.label);
  for (const k of ['privateNetwork', 'services']) assert.ok(names.includes(k), `${k} in ${names.join()}`);
  for (const k of ['autoStart', 'gpu', 'nats']) assert.ok(!names.includes(k), `${k}: keys already present are not offered again`);
  assert.match((keys.find((i) => i.label === 'privateNetwork')!.documentation as MarkupContent).value, /ve-<name>/);
  const gpu = hostText.replace('    gpu: true\n', '    gpu: \n');
  assert.deepEqual(labels(await complete(hostUri, gpu, posOf(gpu, '    gpu: ', 9))).sort(), ['false', 'true']);
  await show(hostUri, hostText);
  const hover = await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri: hostUri },
    position: posOf(hostText, '- name: infer', 4),
  });
  assert.match((hover!.contents as MarkupContent).value, /at most 11 characters/);
  // A rule from the container rules, on its exact range, over the protocol.
  const bad = hostText.replace('  - name: infer', '  - name: my_infer');
  const diagnostics = await show(hostUri, bad);
  const d = diagnostics.find((x) => x.code === 'containers.invalid-name');
  assert.ok(d, JSON.stringify(diagnostics));
  assert.deepEqual(d.range.start, posOf(bad, 'my_infer'));
  await show(hostUri, hostText);
});

test('hover on a host shows the schema description and the computed total VRAM', async () => {
  await show(clusterUri, clusterText);
  const hover = await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri: clusterUri },
    position: posOf(clusterText, '- name: hub-1', 10),
  });
  const value = (hover!.contents as MarkupContent).value;
  assert.match(value, /Total VRAM: 48 GB/); // 2 × RTX 4090 at 24 GB
  assert.match(value, /Host name/); // the schema's description of `name`

  // gpu-2 lives in hosts/gpu-2.yaml (not open): its facts come from the file on disk
  const ref = await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri: clusterUri },
    position: posOf(clusterText, 'to: gpu-2:eth1', 5),
  });
  assert.match((ref!.contents as MarkupContent).value, /Total VRAM: 80 GB/);
});

test('definition and references of hosts and interfaces work across cluster.yaml and hosts/gpu-2.yaml', async () => {
  await show(clusterUri, clusterText);
  const def = (await client.connection.sendRequest(DefinitionRequest.type, {
    textDocument: { uri: clusterUri },
    position: posOf(clusterText, 'to: gpu-2:eth1', 5),
  })) as Location[];
  assert.deepEqual(def, [{ uri: hostUri, range: { start: posOf(hostText, 'gpu-2'), end: posOf(hostText, 'gpu-2', 5) } }]);
  const ifaceDef = (await client.connection.sendRequest(DefinitionRequest.type, {
    textDocument: { uri: clusterUri },
    position: posOf(clusterText, 'to: gpu-2:eth1', 11),
  })) as Location[];
  assert.deepEqual(ifaceDef, [
    { uri: hostUri, range: { start: posOf(hostText, 'name: eth1', 6), end: posOf(hostText, 'name: eth1', 10) } },
  ]);

  await show(hostUri, hostText);
  const refs = await client.connection.sendRequest(ReferencesRequest.type, {
    textDocument: { uri: hostUri },
    position: posOf(hostText, 'gpu-2', 2),
    context: { includeDeclaration: true },
  });
  assert.deepEqual(
    refs!.map((r) => [r.uri, r.range.start]).sort(),
    [
      [clusterUri, posOf(clusterText, 'gpu-2:eth1')],
      [hostUri, posOf(hostText, 'gpu-2')],
    ].sort(),
  );
  await client.close(hostUri);
});

test('rename of a host updates every reference in both files, including the one that is not open', async () => {
  await show(clusterUri, clusterText);
  const position = posOf(clusterText, 'to: gpu-2:eth1', 6);
  const prepared = await client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: clusterUri }, position });
  assert.deepEqual(prepared, {
    range: { start: posOf(clusterText, 'gpu-2:eth1'), end: posOf(clusterText, 'gpu-2:eth1', 5) },
    placeholder: 'gpu-2',
  });
  const edit = await client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: clusterUri }, position, newName: 'gpu-7' });
  const changes = edit!.changes!;
  assert.deepEqual(Object.keys(changes).sort(), [clusterUri, hostUri].sort());
  assert.equal(applyEdits(hostText, changes[hostUri]), hostText.replace('name: gpu-2', 'name: gpu-7'));
  assert.equal(applyEdits(clusterText, changes[clusterUri]), clusterText.replace('to: gpu-2:eth1', 'to: gpu-7:eth1'));

  await assert.rejects(
    client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: clusterUri }, position, newName: 'hub-1' }),
    /already exists/,
  );
  await assert.rejects(
    client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: clusterUri }, position, newName: 'Not A Host!' }),
    /not a host name/,
  );
});

test('a did-you-mean quick fix, applied, clears its diagnostic', async () => {
  const typo = clusterText.replace('    addresses: [10.0.0.30]', '    adresses: [10.0.0.30]');
  const diagnostics = await show(clusterUri, typo);
  const unknown = diagnostics.find((d) => d.code === 'schema.unknown-property');
  assert.ok(unknown, JSON.stringify(diagnostics));
  const actions = await client.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri: clusterUri },
    range: unknown.range,
    context: { diagnostics: [unknown] },
  });
  const fix = actions!.find((a) => 'edit' in a && a.isPreferred);
  assert.ok(fix && 'edit' in fix, JSON.stringify(actions));
  assert.match(fix.title, /addresses/);
  const fixed = applyEdits(typo, fix.edit!.changes![clusterUri]);
  assert.equal(fixed, clusterText);
  assert.deepEqual(await show(clusterUri, fixed), []);
});

test('document symbols outline sections, hosts and their interfaces', async () => {
  await show(clusterUri, clusterText);
  const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, {
    textDocument: { uri: clusterUri },
  })) as DocumentSymbol[];
  const top = symbols.map((s) => s.name);
  for (const name of ['cluster', 'network', 'hosts', 'nats', 'exo', 'k3s']) assert.ok(top.includes(name), top.join());
  const hosts = symbols.find((s) => s.name === 'hosts')!;
  assert.deepEqual(
    hosts.children!.map((h) => h.name),
    ['hub-1', 'mac-studio'],
  );
  const hub = hosts.children![0];
  assert.deepEqual(hub.selectionRange, { start: posOf(clusterText, '- name: hub-1', 8), end: posOf(clusterText, '- name: hub-1', 13) });
  const ifaces = hub.children!.find((c) => c.name === 'interfaces')!;
  assert.deepEqual(
    ifaces.children!.map((i) => i.name),
    ['eth0', 'eth1', 'eth2', 'bond0', 'tb0'],
  );
  const links = symbols.find((s) => s.name === 'network')!.children!.find((c) => c.name === 'links')!;
  assert.equal(links.children![0].name, 'hub-1:bond0 → gpu-2:eth1');
});

test('editing a host file re-validates cluster.yaml, which references it', async () => {
  await show(clusterUri, clusterText);
  assert.deepEqual(client.latest(clusterUri), []);
  const renamedIface = hostText.replace('name: eth1', 'name: eth5');
  const waiting = client.waitForDiagnostics(clusterUri, (p) => p.diagnostics.some((d) => d.code === 'network.link-unknown-interface'), {
    fresh: true,
  });
  await show(hostUri, renamedIface);
  const { diagnostics } = await waiting;
  assert.deepEqual(diagnostics[0].range.start, posOf(clusterText, 'gpu-2:eth1', 6));
  const cleared = client.waitForDiagnostics(clusterUri, (p) => p.diagnostics.length === 0, { fresh: true });
  await show(hostUri, hostText);
  await cleared;
  await client.close(hostUri);
});

test('a host file created on disk (watched-files notification) joins the model', async () => {
  const text = clusterText.replace('to: mac-studio:tb0', 'to: gpu-3:tb0');
  const before = await show(clusterUri, text);
  assert.ok(
    before.some((d) => d.code === 'network.link-unknown-host'),
    JSON.stringify(before),
  );
  const file = path.join(dir, 'hosts/gpu-3.yaml');
  writeFileSync(
    file,
    'addresses: [10.0.0.12]\ninterfaces:\n  - { name: tb0, kind: thunderbolt, rdma: true, segment: tb, addresses: [10.99.0.2/30] }\n',
  );
  const waiting = client.waitForDiagnostics(clusterUri, (p) => !p.diagnostics.some((d) => d.code === 'network.link-unknown-host'), {
    fresh: true,
  });
  await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
    changes: [{ uri: fileUri(file), type: FileChangeType.Created }],
  });
  await waiting;
  rmSync(file);
  await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
    changes: [{ uri: fileUri(file), type: FileChangeType.Deleted }],
  });
  await show(clusterUri, clusterText);
});

test('hostile files (10 MB, deep nesting, alias bomb, binary) get a clear diagnostic while a concurrent hover answers', async () => {
  await show(clusterUri, clusterText);
  const hostile: Record<string, { text: string; code: string }> = {
    'huge.yaml': { text: `name: huge\naddresses: [10.0.0.99]\nlabels:\n${'  k: "v"\n'.repeat(1_300_000)}`, code: 'yaml.too-large' },
    'deep.yaml': { text: `name: deep\nlabels: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, code: 'yaml.too-deep' },
    'bomb.yaml': {
      text: [
        'name: bomb',
        'a: &a ["x","x","x","x","x","x","x","x","x"]',
        ...Array.from(
          { length: 8 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
        ),
      ].join('\n'),
      code: 'yaml.alias-limit',
    },
    'binary.yaml': { text: `name: bin\u0000\u0001\u0002\u00ff${'\u0000'.repeat(100)}`, code: 'yaml.binary' },
  };
  const uris = Object.keys(hostile).map((name) => fileUri(path.join(dir, 'hosts', name)));
  const waits = Object.entries(hostile).map(([name, { code }], i) =>
    client
      .waitForDiagnostics(uris[i], (p) => p.diagnostics.some((d) => d.code === code), { timeoutMs: 120_000 })
      .then((p) => ({ name, p })),
  );
  for (const [i, { text }] of Object.values(hostile).entries()) await client.open(uris[i], text);
  const hover = await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri: clusterUri },
    position: posOf(clusterText, '- name: hub-1', 10),
  });
  assert.match((hover!.contents as MarkupContent).value, /Total VRAM/);
  for (const { name, p } of await Promise.all(waits)) {
    const d = p.diagnostics.find((x) => x.code === hostile[name].code)!;
    assert.ok(messageOf(d).length > 20, `${name}: ${messageOf(d)}`);
  }
  for (const uri of uris) await client.close(uri);
  // the server is still in business
  assert.deepEqual(await show(clusterUri, clusterText.replace('memoryGB: 256', 'memoryGB: 255')), []);
});
