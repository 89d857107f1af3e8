// The server's progressive parse of big cluster files gives exactly what one parseSpecFile gives, while
// yielding between steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecFile } from '#core/spec';
import { validateFile } from '#core/validate';
import { hostItemStarts, parseProgressively } from '../../core/src/validate/progressiveParse';
import { generateBigSpec } from '../lsp/big-spec';

test('hostItemStarts finds every host item of the top-level hosts sequence, and nothing else', () => {
  const text =
    'cluster:\n  name: x\nnetwork:\n  links:\n    - from: a:b\nhosts:\n  # comment\n  - name: a\n    interfaces:\n      - { name: e }\n\n  - name: b\nnats:\n  url: x\n';
  assert.deepEqual(
    hostItemStarts(text).map((o) => text.slice(o, o + 11)),
    ['  - name: a', '  - name: b'],
  );
  assert.deepEqual(hostItemStarts('hosts: []\n'), []);
});

test('a progressive parse equals a direct parse, with a planted error, and yields on the way', async () => {
  const spec = generateBigSpec(400);
  const text = spec.text.replace('kind: ethernet }', 'kind: ethernett }');
  let pauses = 0;
  const stepped = await parseProgressively('file:///bench/a/cluster.yaml', text, 3, 'cluster', undefined, async () => {
    pauses++;
  });
  const direct = parseSpecFile('file:///bench/b/cluster.yaml', text, 3, 'cluster');
  assert.ok(text.length > 256 * 1024);
  assert.ok(pauses >= 2, `paused ${pauses} times`);
  assert.deepEqual(stepped.data, direct.data);
  const sameUri = (ds: unknown) => JSON.parse(JSON.stringify(ds).replaceAll('file:///bench/a/', 'file:///bench/b/'));
  assert.deepEqual(sameUri(validateFile(stepped)), validateFile(direct));
  assert.equal(validateFile(stepped).length, 1);
  for (const path of [
    ['hosts', 0, 'name'],
    ['hosts', 350, 'interfaces', 3, 'members', 1],
    ['hosts', 399, 'monitoring'],
    ['nats', 'url'],
    ['network', 'links', 10, 'to'],
  ]) {
    assert.deepEqual(stepped.locate(path), direct.locate(path), path.join('.'));
  }
  const offset = text.indexOf('node-0320');
  assert.deepEqual(stepped.pathAt(offset), direct.pathAt(offset));
});

test('a small edit of a big file is parsed in one go; abandoning a progressive parse leaves nothing broken', async () => {
  const spec = generateBigSpec(400);
  const uri = 'file:///bench/c/cluster.yaml';
  await assert.rejects(
    parseProgressively(uri, spec.text, 1, 'cluster', undefined, async () => {
      throw new Error('superseded');
    }),
    /superseded/,
  );
  let pauses = 0;
  const full = await parseProgressively(uri, spec.text, 2, 'cluster', undefined, async () => {
    pauses++;
  });
  const edited = spec.text.replace('memoryGB: 128', 'memoryGB: 130');
  const again = await parseProgressively(uri, edited, 3, 'cluster', spec.text, async () => {
    throw new Error('must not pause');
  });
  assert.ok(pauses > 0);
  assert.equal((again.data as { hosts: { hardware: { memoryGB: number } }[] }).hosts[0].hardware.memoryGB, 130);
  assert.equal((full.data as { hosts: unknown[] }).hosts.length, 400);
});

test('a cluster file over the size limit is refused at once, without parsing prefixes of it', async () => {
  const spec = generateBigSpec(400);
  const huge = spec.text + `# ${'x'.repeat(6 * 1024 * 1024)}\n`;
  const parsed = await parseProgressively('file:///bench/d/cluster.yaml', huge, 1, 'cluster', undefined, async () => {
    throw new Error('must not pause');
  });
  assert.deepEqual(
    parsed.syntaxDiagnostics.map((d) => d.code),
    ['yaml.too-large'],
  );
});
