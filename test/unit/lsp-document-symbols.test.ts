// The outline of a very big cluster file stops at the named items (one per host), so it stays small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecFile } from '#core/spec';
import { specDocumentSymbols } from '../../server/src/spec/symbols';
import { generateBigSpec } from '../lsp/big-spec';

test('a 400-host cluster file outlines its hosts by name, without their settings', () => {
  const spec = generateBigSpec(400);
  const symbols = specDocumentSymbols(parseSpecFile('file:///outline/cluster.yaml', spec.text, 1, 'cluster'));
  const hosts = symbols.find((s) => s.name === 'hosts')!;
  assert.deepEqual(
    hosts.children!.map((h) => h.name),
    spec.hostNames,
  );
  assert.ok(hosts.children!.every((h) => !h.children?.length));
  const line = spec.text.split('\n').findIndex((l) => l === '  - name: node-0123');
  assert.deepEqual(hosts.children![123].selectionRange, { start: { line, character: 10 }, end: { line, character: 19 } });
});

test('a small cluster file outlines settings too', () => {
  const spec = generateBigSpec(3);
  const symbols = specDocumentSymbols(parseSpecFile('file:///outline/small.yaml', spec.text, 1, 'cluster'));
  const host = symbols.find((s) => s.name === 'hosts')!.children![0];
  assert.ok(host.children!.some((c) => c.name === 'interfaces' && c.children!.some((i) => i.name === 'bond0')));
});
