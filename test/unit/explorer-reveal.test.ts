import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadSpec } from '#core/validate';
import { hostNameLine, specLocation } from '../../client/src/explorer/specLocation';

let root = __dirname;
while (!existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
const lab = path.join(root, 'examples/lab');
const lineText = (uri: string, line: number) => readFileSync(fileURLToPath(uri), 'utf8').split('\n')[line];

test('a host defined in cluster.yaml and one in hosts/*.yaml are found where they are defined', async () => {
  const { model } = await loadSpec(lab);
  const hub = specLocation(model, { host: 'hub-1' })!;
  assert.match(hub.uri, /cluster\.yaml$/);
  assert.match(lineText(hub.uri, hub.range.start.line), /name: hub-1/);
  const gpu2 = specLocation(model, { host: 'gpu-2' })!;
  assert.match(gpu2.uri, /hosts\/gpu-2\.yaml$/);
  assert.match(lineText(gpu2.uri, gpu2.range.start.line), /name: gpu-2/);
});

test('interfaces and GPUs reveal their own definition', async () => {
  const { model } = await loadSpec(lab);
  const tb0 = specLocation(model, { host: 'mac-studio', interfaceName: 'tb0' })!;
  assert.match(lineText(tb0.uri, tb0.range.start.line), /name: tb0, kind: thunderbolt/);
  const gpus = specLocation(model, { host: 'gpu-2', gpuIndex: 0 })!;
  assert.match(lineText(gpus.uri, gpus.range.start.line), /^\s*gpus:/);
  assert.equal(specLocation(model, { host: 'nope' }), undefined);
});

test('the text fallback finds list entries and host files, not look-alikes', () => {
  const text = 'hosts:\n  - name: hub-10\n  - name: hub-1 # the hub\n';
  assert.equal(hostNameLine(text, 'hub-1'), 2);
  assert.equal(hostNameLine('name: "gpu-2"\naddresses: []\n', 'gpu-2'), 0);
  assert.equal(hostNameLine(text, 'hub'), undefined);
});
