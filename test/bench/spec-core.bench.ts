// Spec core on a generated 2,000-host cluster.yaml: first parse/validate, then one-line edits (one host's
// memoryGB changes), each step timed separately. Prints figures; asserts nothing about time.
import { generateBigSpec } from '../lsp/big-spec';
import { buildModel, forgetParsedFile, parseSpecFile } from '#core/spec';
import { validateFile, validateModel } from '#core/validate';
import { parseDocument } from 'yaml';
import { median } from './measure';

const HOSTS = Number(process.env.HOSTS ?? 2000);
const EDITS = 20;
const big = generateBigSpec(HOSTS);
const uri = 'file:///bench/cluster.yaml';

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

console.log(`cluster.yaml: ${HOSTS} hosts, ${(big.text.length / 1024).toFixed(0)} KiB, ${big.text.split('\n').length} lines`);
const [, whole] = time(() => parseDocument(big.text));
console.log(`yaml parseDocument of the whole file (reference): ${fmt(whole)}`);

forgetParsedFile(uri);
let [parsed, t] = time(() => parseSpecFile(uri, big.text, 1));
console.log(`first parse (chunked):      ${fmt(t)}`);
[, t] = time(() => validateFile(parsed));
console.log(`first syntax+schema:        ${fmt(t)} (includes compiling the schemas)`);
let [model, tm] = time(() => buildModel([parsed]));
const [diags, ts] = time(() => validateModel(model));
console.log(`first model + semantic:     ${fmt(tm + ts)} (${diags.length} diagnostics)`);
const [, tsym] = time(() => model.symbols.definitions.length);
console.log(
  `first symbol index:         ${fmt(tsym)} (${model.symbols.definitions.length} definitions, ${model.symbols.references.length} references)`,
);

const lines = big.text.split('\n');
const steps = {
  parse: [] as number[],
  schema: [] as number[],
  model: [] as number[],
  semantic: [] as number[],
  symbols: [] as number[],
  total: [] as number[],
};
for (let k = 0; k < EDITS; k++) {
  const at = big.memoryLines[(k * 97) % big.memoryLines.length];
  lines[at.line] = lines[at.line].slice(0, at.character) + String(at.value + k + 1);
  const text = lines.join('\n');
  [parsed, t] = time(() => parseSpecFile(uri, text, k + 2));
  steps.parse.push(t);
  [, t] = time(() => validateFile(parsed));
  steps.schema.push(t);
  [model, t] = time(() => buildModel([parsed]));
  steps.model.push(t);
  [, t] = time(() => validateModel(model));
  steps.semantic.push(t);
  [, t] = time(() => model.symbols.references.length);
  steps.symbols.push(t);
  steps.total.push(steps.parse[k] + steps.schema[k] + steps.model[k] + steps.semantic[k]);
}
console.log(`one-line edit, median of ${EDITS}:`);
for (const [name, xs] of Object.entries(steps)) console.log(`  ${name.padEnd(9)} ${fmt(median(xs))}  (max ${fmt(Math.max(...xs))})`);
console.log(`  → diagnostics after an edit: ${fmt(median(steps.total))} vs ${fmt(whole)} for the yaml parse alone of the whole file`);

// The same hosts written one per file (hosts/<name>.yaml): parse + syntax/schema per file, then the model.
const hostTexts = splitIntoHostFiles(big.text);
const perFile: number[] = [];
const files = hostTexts.map(([name, text]) => {
  const [p, tp] = time(() => parseSpecFile(`file:///bench/hosts/${name}.yaml`, text, 1));
  const [, tv] = time(() => validateFile(p));
  perFile.push(tp + tv);
  return p;
});
const clusterOnly = big.text.slice(0, big.text.indexOf('\nhosts:\n') + 1);
const [clusterFile] = time(() => parseSpecFile('file:///bench/cluster.yaml', clusterOnly, 1));
validateFile(clusterFile);
const [split, tModel] = time(() => buildModel([clusterFile, ...files]));
const [, tSemantic] = time(() => validateModel(split));
console.log(
  `${files.length} host files: parse + syntax/schema per file median ${fmt(median(perFile))} (max ${fmt(Math.max(...perFile))}); model ${fmt(tModel)}, semantic ${fmt(tSemantic)}`,
);

/** Each `  - name: X` item of the hosts block, de-indented into its own file's text. */
function splitIntoHostFiles(text: string): [string, string][] {
  const start = text.indexOf('\nhosts:\n') + '\nhosts:\n'.length;
  const rest = text.slice(start);
  const end = rest.search(/^\S/m);
  const block = end < 0 ? rest : rest.slice(0, end);
  return block
    .split(/^  - /m)
    .filter(Boolean)
    .map((item) => {
      const body = item
        .split('\n')
        .map((l, i) => (i === 0 ? l : l.slice(4)))
        .join('\n');
      return [/^name: (\S+)/.exec(body)![1], body];
    });
}
