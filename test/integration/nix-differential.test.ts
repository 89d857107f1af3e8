// Differential test of the Nix parser against real Nix: `nix-instantiate --parse --store dummy://`
// (Nix 2.8) must accept exactly what parseNix accepts, and print the same desugared tree as
// printNixParse for it. Cases: hand-written corpus files, the repository's own NixOS modules, a list
// of tricky snippets and thousands of seeded random well-formed and malformed expressions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NixOracle, differential, nixAvailable, samePrint, wrapCase, type Disagreement } from '../support/nixOracle';
import { NixGen } from '../support/nixGen';
import { loadSpec } from '#core/validate';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';

const root = path.resolve(__dirname, '../..').replace(/\/out$/, '');
const fixtures = path.join(root, 'test/fixtures/nix');
let oracle: NixOracle;

before(() => {
  assert.ok(nixAvailable(), 'nix-instantiate (Debian nix-bin) must be installed for the differential test');
  oracle = new NixOracle();
});
after(() => oracle?.dispose());

function explain(ds: Disagreement[], seed?: number): string {
  return ds
    .slice(0, 5)
    .map(
      (d) =>
        `${seed !== undefined ? `seed ${seed}\n` : ''}${d.source}\n  ours (${d.ours.ok}): ${d.ours.output.slice(0, 400)}\n  nix  (${d.nix.ok}): ${d.nix.output.split('\n')[0].slice(0, 400)}`,
    )
    .join('\n---\n');
}

test('corpus files and the repository NixOS modules parse and print exactly as Nix does', async () => {
  const files = [
    ...['module.nix', 'flake.nix', 'tricky.nix'].map((f) => path.join(fixtures, f)),
    ...readdirSync(path.join(root, 'nix-templates'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.nix'))
      .map((f) => path.join(root, 'nix-templates', f)),
  ];
  let agreed = 0;
  for (const file of files) {
    const text = wrapCase(readFileSync(file, 'utf8'));
    const nix = await oracle.parse(text);
    const ours = oracle.ours(text);
    assert.equal(ours.ok, nix.ok, `${file}: accepted by nix=${nix.ok}, by us=${ours.ok}\n${ours.output}\n${nix.output}`);
    if (nix.ok) assert.ok(samePrint(ours.output, nix.output), `${file}: trees differ\nours: ${ours.output}\nnix:  ${nix.output}`);
    agreed++;
  }
  console.log(`nix differential: ${agreed}/${files.length} corpus files agree`);
});

test('every Nix file the flake generator writes for the examples parses and prints as Nix does', async () => {
  const templates = await readTemplates(findTemplatesDir(root));
  const sources: string[] = [];
  for (const example of readdirSync(path.join(root, 'examples'))) {
    const loaded = await loadSpec(path.join(root, 'examples', example));
    if (loaded.diagnostics.some((d) => d.severity === 'error')) continue;
    const { files } = generateFlake(loaded.model, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
    for (const f of files) if (f.path.endsWith('.nix')) sources.push(f.content);
  }
  assert.ok(sources.length > 10, `${sources.length} generated files`);
  const r = await differential(oracle, sources, 50);
  console.log(`nix differential: ${r.agreed}/${sources.length} generated flake files agree`);
  assert.deepEqual(r.disagreements, [], explain(r.disagreements));
});

test('errors.nix is rejected by both, with several diagnostics from us', async () => {
  const text = wrapCase(readFileSync(path.join(fixtures, 'errors.nix'), 'utf8'));
  assert.equal((await oracle.parse(text)).ok, false);
  const ours = oracle.ours(text);
  assert.equal(ours.ok, false);
  assert.ok(ours.output.split('\n').length >= 4, `expected several diagnostics, got:\n${ours.output}`);
});

test('hand-written tricky snippets: same acceptance and same tree', async () => {
  const cases = readFileSync(path.join(fixtures, 'cases.txt'), 'utf8').split('\n====\n').filter(Boolean);
  const r = await differential(oracle, cases);
  console.log(
    `nix differential: ${r.agreed}/${cases.length} snippets agree (${r.accepted} accepted, ${cases.length - r.accepted} rejected)`,
  );
  assert.deepEqual(r.disagreements, [], explain(r.disagreements));
  assert.equal(r.agreed, cases.length);
});

// Replay a failure with NIX_GEN_SEED=<seed>; NIX_GEN_CASES scales the run (a rejected case costs one
// nix-instantiate process, accepted ones are checked 250 to a process).
const SEED = Number(process.env.NIX_GEN_SEED ?? 20261122);
const WELL_FORMED = Number(process.env.NIX_GEN_CASES ?? 3000);
const MALFORMED = Math.round(WELL_FORMED / 6);

test(`generated well-formed and malformed expressions agree with Nix (seed ${SEED})`, async () => {
  const gen = new NixGen(SEED);
  const cases: string[] = [];
  for (let i = 0; i < WELL_FORMED; i++) cases.push(gen.wellFormed());
  for (let i = 0; i < MALFORMED; i++) cases.push(gen.malformed());
  const started = Date.now();
  const r = await differential(oracle, cases, 250);
  console.log(
    `nix differential (seed ${SEED}): ${r.agreed}/${cases.length} generated cases agree (${r.accepted} accepted, ${cases.length - r.accepted} rejected), ${oracle.processes} nix-instantiate runs so far, ${Date.now() - started} ms`,
  );
  assert.deepEqual(
    r.disagreements.map((d) => d.source),
    [],
    explain(r.disagreements, SEED),
  );
  assert.equal(r.agreed, cases.length);
});
