// parsePlainYaml, the fast reader of host files: whenever it answers, its data equals the full parse (the yaml
// package through parseSpecFile) and the full parse reports nothing; outside its subset it declines. Checked on
// the repository's specs, on hand-written edge cases, and on seeded random mutations of both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { forgetParsedFile, parseSpecFile } from '#core/spec';
import { parsePlainYaml } from '../../core/src/spec/plainYaml';

const repo = path.resolve(__dirname, '../../..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? yamlFiles(file) : /\.ya?ml$/.test(name) ? [file] : [];
  });
}

/** The full parser's verdict: its data when it reports nothing, else undefined. */
function fullParse(text: string): unknown {
  const uri = 'file:///plain-yaml-check/hosts/x.yaml';
  const parsed = parseSpecFile(uri, text, 1, 'host');
  forgetParsedFile(uri);
  return parsed.syntaxDiagnostics.length ? undefined : parsed.data;
}

function agrees(text: string): boolean {
  const fast = parsePlainYaml(text);
  if (fast === undefined) return false;
  assert.deepStrictEqual(fast, fullParse(text), `plain reader differs on:\n${text}`);
  return true;
}

const HOST = [
  'name: gpu-7 # trailing comment',
  'addresses: [10.0.0.17]',
  'roles: [exo-worker, nats-leaf]',
  'tags: []',
  'meta: {}',
  'hardware:',
  '  memoryGB: 512',
  '  ratio: 1.50',
  '  big: 12345678901234567890',
  '  neg: -4',
  '  exp: 1e3',
  '  flag: true',
  '  off: False',
  '  nothing: ~',
  '  empty:',
  '  gpus:',
  '    - { vendor: nvidia, model: RTX 4090, vramGB: 24, count: 2 }',
  '    - vendor: amd',
  '      model: MI300X',
  '      extra: [a, [b, c], { d: e }]',
  '  disks:',
  '  - /dev/nvme0n1',
  '  -',
  '  - - nested',
  '    - list',
  'nats:',
  '  url: nats://10.0.0.1:4222',
  '',
  '# the end',
].join('\n');

test('plain yaml: a host file in the subset reads exactly as the yaml package reads it', () => {
  assert.ok(agrees(HOST));
  assert.ok(agrees('name: a\n'));
  assert.ok(agrees('a:\n  - x\n  - y: 1\n    z: [1, 2.5, -3, .5, +7]\n'));
});

test('plain yaml: anything outside the subset is left to the full parser', () => {
  const declined = [
    '',
    '# only a comment\n',
    '- a\n- b\n',
    'plain scalar\n',
    'a: "quoted"\n',
    "a: 'quoted'\n",
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: |\n  text\n',
    'a: >\n  text\n',
    '%YAML 1.1\n---\na: 1\n',
    '---\na: 1\n',
    'a: 1\n...\n',
    'a: 1\na: 2\n',
    'a: { b: 1, b: 2 }\n',
    'a: b\n  c\n',
    'a:\tb\n',
    'a: 1\r\nb: 2\r\n',
    'a: caf\u00e9\n',
    'a: 0x1F\n',
    'a: 0o17\n',
    'a: .inf\n',
    'a: .NaN\n',
    'a: [1, 2\n',
    'a: [1, , 2]\n',
    'a: [1, 2,]\n',
    'a: { b }\n',
    'a: b: c\n',
    'a:b\n',
    'a : b\n',
    'a: b#c\n',
    'true: 1\n',
    '1: x\n',
    'null: x\n',
    '__proto__: x\n',
    '<<: { a: 1 }\n',
    'a: [x:y]\n',
    'a: - b\n',
    '  a: 1\n',
    'a: 1\n b: 2\n',
    'a:\n  - x\n   - y\n',
    'a: [1] x\n',
    '? a\n: b\n',
    'a: b\\c\n',
    'a: @b\n',
    'a: `b`\n',
    'a: \u0001\n',
    'a: [a]]\n',
    'a: {b: 1}}\n',
    'a: :b\n',
    'a: ,b\n',
  ];
  for (const text of declined) assert.equal(parsePlainYaml(text), undefined, JSON.stringify(text));
});

test('plain yaml: agrees with the full parser on the repository specs and seeded mutations of them', () => {
  const corpus = [
    HOST,
    ...['examples', 'test/fixtures/spec'].flatMap((d) => yamlFiles(path.join(repo, d))).map((f) => readFileSync(f, 'utf8')),
  ];
  // the corpus without comments and quotes, so most of it is in the subset
  for (const text of [...corpus])
    corpus.push(
      text.replace(/ *#.*$/gm, '').replace(/"([^"\\]*)"/g, (_, s: string) => (/^[\w./ -]+$/.test(s) && !/^[\d.]+$/.test(s) ? s : `"${s}"`)),
    );
  let seed = 13;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pieces = [' ', '  ', '-', '- ', ':', ': ', ',', '[', ']', '{', '}', '\n', '\n  ', '#', ' #', 'x', '1', '.', '~', 'true', 'null'];
  let accepted = 0;
  let checked = 0;
  for (const text of corpus) {
    if (agrees(text)) accepted++;
    for (let k = 0; k < 300; k++) {
      let mutated = text;
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(mutated.length + 1);
        const cut = random(4) === 0 ? random(6) : 0;
        mutated = mutated.slice(0, at) + pieces[random(pieces.length)] + mutated.slice(at + cut);
      }
      checked++;
      if (agrees(mutated)) accepted++;
    }
  }
  // the check means something only if the reader answered often, on broken variants as well as clean ones
  assert.ok(accepted > checked / 20, `the plain reader answered ${accepted} of ${checked} texts`);
});

test('plain yaml: a file read by it in the worker still gives positions on demand', () => {
  const uri = 'file:///plain-yaml-check/hosts/gpu-7.yaml';
  const parsed = parseSpecFile(uri, HOST, 1, 'host', { positionsOnDemand: true });
  forgetParsedFile(uri);
  assert.deepStrictEqual(parsed.syntaxDiagnostics, []);
  assert.deepStrictEqual(parsed.data, fullParse(HOST));
  const line = HOST.split('\n').findIndex((l) => l.includes('MI300X'));
  assert.equal(parsed.locate(['hardware', 'gpus', 1, 'model'])?.value.start.line, line);
  assert.deepEqual(parsed.pathAt(HOST.indexOf('MI300X'))?.path, ['hardware', 'gpus', 1, 'model']);
});

test('deep nesting goes to the full parser, which reports it; a worker parse of it gives positions without throwing', () => {
  const deepFlow = `name: deep\nlabels: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
  const deepBlock = `name: deep\n${Array.from({ length: 100 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n')} 1\n`;
  for (const text of [deepFlow, deepBlock]) {
    assert.equal(parsePlainYaml(text), undefined);
    const uri = 'file:///plain-yaml-check/hosts/deep.yaml';
    const parsed = parseSpecFile(uri, text, 1, 'host', { positionsOnDemand: true });
    forgetParsedFile(uri);
    assert.deepEqual(
      parsed.syntaxDiagnostics.map((d) => d.code),
      ['yaml.too-deep'],
    );
    assert.equal(parsed.locate(['name']), undefined);
  }
  // as deep as host files go, the fast reader still answers
  assert.deepEqual(parsePlainYaml('name: a\nlabels: [[[1]]]\n'), { name: 'a', labels: [[[1]]] });
});
