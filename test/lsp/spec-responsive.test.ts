// Responsiveness of the spec language server (issue 13, item 10), by order of events rather than by the clock:
// a big spec is validated on the worker thread, so a hover on another spec is answered before the big one's
// cold validation ends; a first hover on a big file answers from the host under the cursor, without a model of
// the file; rapid edits of a big file end in the diagnostics of the last text. The figures are in `npm run bench`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CodeActionRequest, DocumentSymbolRequest, HoverRequest, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { generateBigSpec } from './big-spec';
import { fileUri, LspClient, repoRoot } from './lsp-client';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { localHostView, offsetOfPosition } from '../../server/src/spec/localView';

let dir: string;
let client: LspClient;
const big = generateBigSpec(1500);

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spec-responsive-'));
  cpSync(path.join(repoRoot, 'examples/lab'), path.join(dir, 'lab'), { recursive: true });
  mkdirSync(path.join(dir, 'big'));
  writeFileSync(path.join(dir, 'big', 'cluster.yaml'), big.text);
  client = await LspClient.start({ rootPath: dir, settings: { gpuCluster: { validation: { debounceMs: 0 } } }, keepHistory: false });
});

after(async () => {
  await client?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const valueOf = (h: unknown) => (h as { contents: MarkupContent } | null)?.contents.value ?? '';

test('a hover on another spec is answered before the cold validation of a big one ends', async () => {
  const small = path.join(dir, 'lab', 'cluster.yaml');
  const smallText = readFileSync(small, 'utf8');
  const smallUri = fileUri(small);
  const ready = client.waitForDiagnostics(smallUri, () => true, { timeoutMs: 60_000, fresh: true });
  await client.open(smallUri, smallText);
  await ready;
  const bigUri = fileUri(path.join(dir, 'big', 'cluster.yaml'));
  const events: string[] = [];
  const validated = client
    .waitForDiagnostics(bigUri, () => true, { timeoutMs: 300_000, fresh: true })
    .then(() => events.push('big validated'));
  await client.open(bigUri, big.text);
  const line = smallText.split('\n').findIndex((l) => l.includes('memoryGB: 256'));
  const hover = await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri: smallUri },
    position: { line, character: 6 },
  });
  events.push('hover answered');
  await validated;
  assert.match(valueOf(hover), /memoryGB/);
  assert.deepEqual(events, ['hover answered', 'big validated']);
  await client.close(bigUri);
  await client.close(smallUri);
});

test('the first hover on a big file answers from the host under the cursor, on the right lines', async () => {
  // a file the server has not seen: no model of it exists on the server's thread, so the local view answers
  const file = path.join(dir, 'big-fresh', 'cluster.yaml');
  mkdirSync(path.dirname(file));
  writeFileSync(file, big.text);
  const uri = fileUri(file);
  const validated = client.waitForDiagnostics(uri, () => true, { timeoutMs: 300_000, fresh: true });
  await client.open(uri, big.text);
  const at = big.memoryLines[900];
  const nameLine = at.line - 7;
  const onName = await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri },
    position: { line: nameLine, character: 12 },
  });
  const text = valueOf(onName);
  assert.match(text, new RegExp(`\\*\\*${big.hostNames[900]}\\*\\*`));
  assert.match(text, /Total VRAM/);
  assert.equal(onName?.range?.start.line, nameLine, 'the range is on the original line');
  await validated;
  await client.close(uri);
});

test('rapid edits of a big file end in the diagnostics of the last text', async () => {
  const file = path.join(dir, 'big', 'cluster.yaml');
  const uri = fileUri(file);
  await client.open(uri, big.text);
  const lines = big.text.split('\n');
  const at = lines.findIndex((l, i) => i > big.memoryLines[700].line && l.includes('kind: ethernet'));
  const col = lines[at].indexOf('ethernet');
  const final = client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.range.start.line === at && d.code === 'schema.enum'), {
    timeoutMs: 300_000,
  });
  let word = 'ethernet';
  for (const text of ['ethernet1', 'ethernet12', 'ethernett']) {
    await client.change(uri, [{ range: { start: { line: at, character: col }, end: { line: at, character: col + word.length } }, text }]);
    word = text;
  }
  const published = await final;
  assert.equal(published.diagnostics.filter((d) => d.code === 'schema.enum').length, 1);
  assert.match(published.diagnostics.find((d) => d.code === 'schema.enum')!.message as string, /'ethernett'/);
  await client.close(uri);
});

test("a big spec: requests build its model without validating it; the quick fixes come with the worker's diagnostics", async () => {
  const file = path.join(dir, 'big-fix', 'cluster.yaml');
  mkdirSync(path.dirname(file));
  const lines = big.text.split('\n');
  const at = lines.findIndex((l, i) => i > big.memoryLines[300].line && l.includes('kind: ethernet'));
  lines[at] = lines[at].replace('kind: ethernet', 'kind: ethernett');
  const text = lines.join('\n');
  writeFileSync(file, text);
  const uri = fileUri(file);
  const reported = client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'schema.enum'), { timeoutMs: 300_000 });
  await client.open(uri, text);
  // the outline needs the model: built on the server's thread, while the worker validates
  const symbols = await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
  assert.ok(symbols && symbols.length > 0);
  const published = await reported;
  const enumError = published.diagnostics.find((d) => d.code === 'schema.enum')!;
  assert.equal(enumError.range.start.line, at);
  assert.ok((enumError.data as { fixes?: unknown[] } | undefined)?.fixes?.length, 'the fixes travel in data');
  const actions = await client.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: enumError.range,
    context: { diagnostics: [enumError] },
  });
  const fix = actions?.find((a) => 'edit' in a && a.edit?.changes?.[uri]?.[0]?.newText === 'ethernet');
  assert.ok(fix, JSON.stringify(actions));
  await client.close(uri);
});

test('localHostView: the item under the cursor with the sections host facts read, lines mapped both ways', () => {
  const offset = big.text.indexOf(`name: ${big.hostNames[10]}`);
  const view = localHostView('file:///b/cluster.yaml', big.text, offset)!;
  const data = view.file.data as { hosts: { name: string }[]; defaults?: unknown; network?: unknown };
  assert.deepEqual(
    data.hosts.map((h) => h.name),
    [big.hostNames[10]],
  );
  assert.ok(data.defaults, 'the sections host facts read are kept');
  assert.equal(data.network, undefined, 'the others are left out');
  const line = big.text.slice(0, offset).split('\n').length - 1;
  const local = view.toLocal({ line, character: 8 });
  assert.equal(view.file.text.split('\n')[local.line].trim(), `- name: ${big.hostNames[10]}`);
  assert.deepEqual(view.toOriginal({ start: local, end: local }).start, { line, character: 8 });
  assert.equal(localHostView('file:///b/cluster.yaml', big.text, 10), undefined, 'not in a host item: no local view');
});

test("offsetOfPosition: the editor document's offset of any position, past line ends and the last line included", () => {
  const text = 'a: 1\r\nbb: 22\n\nccc: 3';
  const doc = TextDocument.create('file:///x.yaml', 'yaml', 1, text);
  for (let line = 0; line <= 5; line++) {
    for (let character = 0; character <= 8; character++) {
      assert.equal(offsetOfPosition(text, { line, character }), doc.offsetAt({ line, character }), `${line}:${character}`);
    }
  }
});

test('a folder of 300 host files is validated on the worker: the plain ones, the quoted one and the broken ones alike', async () => {
  const root = path.join(dir, 'many');
  mkdirSync(path.join(root, 'hosts'), { recursive: true });
  const cluster = path.join(root, 'cluster.yaml');
  writeFileSync(
    cluster,
    'cluster: { name: many, domain: many.lab, system: x86_64-linux, stateVersion: "25.05" }\nnetwork:\n  segments:\n    - { name: mgmt, subnet: 10.16.0.0/16 }\n',
  );
  const host = (i: number, address = `10.16.${i >> 8}.${(i & 255) + 1}`, kind = 'ethernet') =>
    [
      `name: host-${i}`,
      `addresses: [${address}]`,
      'hardware:',
      '  gpus: [{ vendor: nvidia, model: RTX 4090, vramGB: 24, count: 1 }]',
      'interfaces:',
      `  - { name: eth0, kind: ${kind}, segment: mgmt, addresses: [${address}/16] }`,
      '',
    ].join('\n');
  for (let i = 0; i < 300; i++) writeFileSync(path.join(root, 'hosts', `host-${i}.yaml`), host(i));
  // a schema error in a plain file, a syntax error, a quoted value (the full parser's), a segment no one declares
  writeFileSync(path.join(root, 'hosts', 'host-7.yaml'), host(7, undefined, 'ethernett'));
  writeFileSync(path.join(root, 'hosts', 'host-8.yaml'), `${host(8)}roles: [nats-leaf\n`);
  writeFileSync(path.join(root, 'hosts', 'host-9.yaml'), host(9, undefined, 'ethernett').replace('name: host-9', 'name: "host-9"'));
  writeFileSync(path.join(root, 'hosts', 'host-10.yaml'), host(10).replace('segment: mgmt', 'segment: nope'));
  const uriOf = (i: number) => fileUri(path.join(root, 'hosts', `host-${i}.yaml`));
  const reported = (i: number, test: (d: { code?: string | number }[]) => boolean) =>
    client.waitForDiagnostics(uriOf(i), (p) => test(p.diagnostics), { timeoutMs: 60_000 }).then((p) => p.diagnostics);
  const waits = [
    reported(7, (d) => d.some((x) => x.code === 'schema.enum')),
    reported(8, (d) => d.some((x) => String(x.code).startsWith('yaml.'))),
    reported(9, (d) => d.length > 0),
    reported(10, (d) => d.length > 0),
  ];
  await client.open(fileUri(cluster), readFileSync(cluster, 'utf8'));
  const [seven, eight, nine, ten] = await Promise.all(waits);
  assert.equal(seven.find((d) => d.code === 'schema.enum')?.range.start.line, 5, 'the error is on the interface line of the plain file');
  assert.ok(eight.some((d) => d.code === 'yaml.syntax' || d.code === 'yaml.warning' || String(d.code).startsWith('yaml.')));
  assert.deepEqual(
    nine.map((d) => [d.code, d.range.start.line]),
    [['schema.enum', 5]],
    'the quoted file reads as the plain one would',
  );
  assert.ok(
    ten.some((d) => /nope/.test(String(d.message))),
    JSON.stringify(ten),
  );
  // files without problems get no diagnostics published (the server publishes none for closed, clean files)
  assert.equal(client.latest(uriOf(200)), undefined);
  await client.close(fileUri(cluster));
});
