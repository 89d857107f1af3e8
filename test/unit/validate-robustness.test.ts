// Malformed data must never crash validation or the model: every value of the valid fixture is replaced,
// one at a time, by values of every other type, and the whole pipeline (parse, model, schema, semantic
// rules, symbol index, effective values) must still answer with diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { buildModel, clusterInferenceMemory, effectiveAccelerator, effectiveSsh, effectiveSystem, parseSpecFile } from '#core/spec';
import { validateAll } from '../../core/src/validate/validate';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const cluster = parseYaml(readFileSync(path.join(root, 'test/fixtures/spec/valid/cluster.yaml'), 'utf8'));
const host = parseYaml(readFileSync(path.join(root, 'test/fixtures/spec/valid/hosts/gpu-2.yaml'), 'utf8'));
const REPLACEMENTS: unknown[] = [null, 7, 'text', [], {}, [null, 3], { x: 1 }, true];

function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(value))
    value.forEach((v, i) => {
      out.push([...prefix, i]);
      paths(v, [...prefix, i], out);
    });
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k]);
      paths(v, [...prefix, k], out);
    }
  return out;
}

function withValue(data: unknown, at: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(data) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of at.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  node[at[at.length - 1]] = value;
  return copy;
}

function exercise(clusterText: string, hostText: string): number {
  const model = buildModel([
    parseSpecFile('file:///r/cluster.yaml', clusterText, 1),
    parseSpecFile('file:///r/hosts/gpu-2.yaml', hostText, 1),
  ]);
  const diagnostics = validateAll(model);
  for (const d of diagnostics) assert.ok(d.range.start.line >= 0 && typeof d.message === 'string' && d.message.length > 0);
  void model.symbols.references.length;
  for (const h of model.spec.hosts) {
    effectiveSystem(model.spec, h);
    effectiveSsh(model.spec, h);
    effectiveAccelerator(model.spec, h);
  }
  clusterInferenceMemory(model.spec);
  return diagnostics.length;
}

test('robustness: any value of the wrong type gives diagnostics, never an exception', () => {
  const hostText = stringify(host);
  const clusterText = stringify(cluster);
  let runs = 0;
  let withDiagnostics = 0;
  for (const at of paths(cluster)) {
    for (const value of REPLACEMENTS) {
      runs++;
      try {
        if (exercise(stringify(withValue(cluster, at, value)), hostText) > 0) withDiagnostics++;
      } catch (err) {
        assert.fail(`cluster ${at.join('.')} = ${JSON.stringify(value)}: ${(err as Error).stack}`);
      }
    }
  }
  for (const at of paths(host)) {
    for (const value of REPLACEMENTS) {
      runs++;
      try {
        if (exercise(clusterText, stringify(withValue(host, at, value))) > 0) withDiagnostics++;
      } catch (err) {
        assert.fail(`host ${at.join('.')} = ${JSON.stringify(value)}: ${(err as Error).stack}`);
      }
    }
  }
  assert.ok(runs > 1000, `${runs} variants`);
  assert.ok(withDiagnostics > runs * 0.9, `${withDiagnostics} of ${runs} variants are reported`);
});
