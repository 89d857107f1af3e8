// A short or old exo model id gets a diagnostic whose quick fixes are the closest real ids from exo's model
// cards (the first preferred); applying one leaves a spec exo can place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildModel, parseSpecFile } from '#core/spec';
import { validateAll } from '../../core/src/validate/validate';

const root = path.resolve(__dirname, '../../..');
const lab = (p: string) => readFileSync(path.join(root, 'examples/lab', p), 'utf8');
const validate = (cluster: string) =>
  validateAll(
    buildModel([
      parseSpecFile('file:///lab/cluster.yaml', cluster, 1),
      parseSpecFile('file:///lab/hosts/gpu-2.yaml', lab('hosts/gpu-2.yaml'), 1),
    ]),
  );

test('exo model ids: the example is clean; an old short id offers the closest real ids as quick fixes', () => {
  const cluster = lab('cluster.yaml');
  assert.deepEqual(
    validate(cluster).filter((d) => d.code.startsWith('exo.')),
    [],
  );
  const old = cluster.replace('id: mlx-community/Llama-3.3-70B-Instruct-4bit', 'id: llama-3.3-70b');
  const [d] = validate(old).filter((x) => x.code === 'exo.unknown-model');
  assert.equal(d.severity, 'error');
  assert.deepEqual(
    d.fixes?.map((f) => [f.title, f.preferred]),
    [
      ["Change to 'mlx-community/Llama-3.3-70B-Instruct-4bit'", true],
      ["Change to 'mlx-community/Llama-3.3-70B-Instruct-8bit'", false],
      ["Change to 'mlx-community/llama-3.3-70b-instruct-fp16'", false],
    ],
  );
  const edit = d.fixes![0].edits[0].edits[0];
  const lines = old.split('\n');
  lines[edit.range.start.line] =
    lines[edit.range.start.line].slice(0, edit.range.start.character) +
    edit.newText +
    lines[edit.range.start.line].slice(edit.range.end.character);
  assert.equal(lines.join('\n'), cluster, 'the preferred fix restores the real id');
});
