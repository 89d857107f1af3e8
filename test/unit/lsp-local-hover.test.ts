// The first hover on a big cluster.yaml answers from the host item under the cursor (server/src/spec/localView.ts)
// instead of the full model. Wherever it answers, it must answer exactly what the full model answers: checked on
// the repository's example specs and a generated one, at every token of every host item. Where it cannot be sure
// (tags, segments, references to other hosts, aliases, a name defined twice) it must leave the answer to the
// full model. The key scan (keyHoverByScan: a key's documentation from its path by indentation, nothing parsed)
// is checked the same way at every token of every line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hover, MarkupContent, Position } from 'vscode-languageserver/node';
import { loadSpec } from '#core/validate';
import type { SpecSnapshot } from '#core/validate';
import { specHover } from '../../server/src/spec/hover';
import { keyHoverByScan, localHover } from '../../server/src/spec/localView';
import { loadSpecSchemas } from '../../server/src/spec/schemas';
import { generateBigSpec } from '../lsp/big-spec';
import { repoRoot } from '../lsp/lsp-client';

const schemas = loadSpecSchemas();

/** The hover of the full model, as the server answers once it has one. */
async function fullHovers(clusterPath: string) {
  const { model } = await loadSpec(clusterPath);
  const file = model.files[0];
  const snapshot: SpecSnapshot = {
    root: file.uri,
    generation: 0,
    model,
    diagnostics: new Map(),
    validated: false,
    file: (u) => model.files.find((f) => f.uri === u),
  };
  return { uri: file.uri, text: file.text, at: (position: Position) => specHover({ snapshot, schemas, file, position }) };
}

/** Host item lines checked per file: every line of a small file, an even spread of a big one's. */
const MAX_LINES = 250;

/**
 * A position at the start of every token, one inside it and one at its end, on lines [from, to) (an even spread
 * of them in a big file).
 */
function tokenPositions(lines: string[], from: number, to: number): Position[] {
  const stride = Math.max(1, Math.ceil((to - from) / MAX_LINES));
  const positions: Position[] = [];
  for (let line = from; line < to; line += stride) {
    const l = lines[line];
    for (let c = 0; c < l.length; c++) {
      if (l[c] === ' ' || (c > 0 && !' [{,:-'.includes(l[c - 1]))) continue;
      const end = c + (/^[^\s,[\]{}:]*/.exec(l.slice(c))?.[0].length ?? 0);
      positions.push({ line, character: c }, { line, character: Math.min(l.length, c + 2) }, { line, character: end });
    }
  }
  return positions;
}

/** Positions on the lines of the `hosts:` section. */
function hostItemPositions(text: string): Position[] {
  const lines = text.split('\n');
  const from = lines.findIndex((l) => /^hosts:\s*$/.test(l));
  if (from < 0) return [];
  let to = from + 1;
  while (to < lines.length && !/^\S/.test(lines[to])) to++;
  return tokenPositions(lines, from + 1, to);
}

interface Tally {
  answered: number;
  declined: number;
  kinds: Set<string>;
}

/** Where `fast` answers, it answers what the full model does. */
function check(
  name: string,
  positions: Position[],
  fast: (p: Position) => Hover | null | undefined,
  full: (p: Position) => Hover | null,
): Tally {
  const tally: Tally = { answered: 0, declined: 0, kinds: new Set() };
  for (const position of positions) {
    const answer = fast(position);
    if (answer === undefined) {
      tally.declined++;
      continue;
    }
    tally.answered++;
    const expected = full(position);
    assert.deepEqual(answer, expected, `${name} at ${position.line + 1}:${position.character + 1}`);
    if (expected) tally.kinds.add(/\*\*Total VRAM|No GPUs/.test((expected.contents as MarkupContent).value) ? 'host facts' : 'schema');
  }
  return tally;
}

async function compare(clusterPath: string): Promise<{ local: Tally; scan: Tally }> {
  const full = await fullHovers(clusterPath);
  const name = path.relative(repoRoot, clusterPath);
  const lines = full.text.split('\n');
  return {
    local: check(name, hostItemPositions(full.text), (p) => localHover(full.uri, full.text, p, schemas), full.at),
    scan: check(name, tokenPositions(lines, 0, lines.length), (p) => keyHoverByScan(full.uri, full.text, p, schemas), full.at),
  };
}

test('the local hover equals the full model hover at every token of the example specs, or leaves it to the full model', async () => {
  const examples = readdirSync(path.join(repoRoot, 'examples'));
  assert.ok(examples.length >= 4);
  let answered = 0;
  let scanned = 0;
  const kinds = new Set<string>();
  for (const name of examples) {
    const { local, scan } = await compare(path.join(repoRoot, 'examples', name, 'cluster.yaml'));
    answered += local.answered;
    scanned += scan.answered;
    local.kinds.forEach((k) => kinds.add(k));
  }
  assert.ok(answered > 1000, `the local view answered ${answered}`);
  assert.ok(scanned > 250, `the key scan answered ${scanned}`);
  assert.deepEqual([...kinds].sort(), ['host facts', 'schema']);
});

test('the local hover on a generated spec with duplicate names, aliases and references to other hosts', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'local-hover-'));
  try {
    const spec = generateBigSpec(7);
    // node-0004 defined twice (the full model shows the first), node-0005 jumps through node-0001, node-0006 uses an alias
    const text = spec.text
      .replace('  - name: node-0003\n', '  - name: node-0004\n')
      .replace('  - name: node-0005\n', '  - name: node-0005\n    ssh: { jump: node-0001 }\n')
      .replace(/( {2}- name: node-0002\n(?: {4}.*\n)*? {4}labels: )/, '$1&lab ')
      .replace(/( {2}- name: node-0006\n(?: {4}.*\n)*? {4})labels: \{[^}]*\}/, '$1labels: *lab');
    assert.match(text, /labels: &lab \{[^]*labels: \*lab/);
    const file = path.join(dir, 'cluster.yaml');
    writeFileSync(file, text);
    const { local: r, scan } = await compare(file);
    assert.ok(r.answered > 300 && r.declined > 50, `answered ${r.answered}, declined ${r.declined}`);
    assert.ok(scan.answered > 100, `the key scan answered ${scan.answered}`);
    const lines = text.split('\n');
    const at = (needle: string, from = 0, shift = 0): Position => {
      const line = lines.findIndex((l, i) => i >= from && l.includes(needle));
      return { line, character: lines[line].indexOf(needle) + shift };
    };
    const declined = (p: Position, why: string) => assert.equal(localHover('file:///x/cluster.yaml', text, p, schemas), undefined, why);
    declined(at('- name: node-0004', at('- name: node-0004').line + 1, 8), 'a second definition of a name');
    declined(at('jump: node-0001', 0, 7), 'a reference to another host');
    declined(at('tags: [gpu', at('- name: node-0002').line, 8), 'a tag counts the hosts that carry it');
    declined(at('segment: mgmt', at('- name: node-0002').line, 10), 'a segment counts its interfaces');
    declined(at('labels: *lab', 0, 4), 'an item with an alias');
    const name = localHover('file:///x/cluster.yaml', text, at('- name: node-0002', 0, 8), schemas);
    assert.ok(name, 'the host defined in the item');
    assert.match((name.contents as MarkupContent).value, /\*\*node-0002\*\*[\s\S]*Defined in cluster\.yaml\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the key scan leaves to the full model what indentation alone cannot tell', () => {
  const text = [
    'cluster:',
    '  name: x',
    '  tags:',
    '    gpu: GPU nodes',
    'hosts:',
    '  - name: a',
    '    description: |',
    '      memoryGB: not a key',
    '    interfaces:',
    '    - name: eth0',
    '    hardware: { memoryGB: 64 }',
    '    labels:',
    '      rack: r1',
    '',
  ].join('\n');
  const at = (line: number, needle: string) => ({ line, character: text.split('\n')[line].indexOf(needle) + 1 });
  const scan = (p: Position) => keyHoverByScan('file:///x/cluster.yaml', text, p, schemas);
  assert.equal(scan(at(7, 'memoryGB')), undefined, 'text of a block scalar');
  assert.equal(scan(at(9, 'name')), undefined, 'a list under its key at the same indentation');
  assert.equal(scan(at(10, 'memoryGB')), undefined, 'a key in a flow map');
  assert.equal(scan(at(3, 'gpu')), undefined, 'a tag: a symbol counting its hosts');
  assert.equal(keyHoverByScan('file:///x/hosts/a.yaml', 'name: a\n', { line: 0, character: 1 }, schemas), undefined, 'a host file');
  const rack = scan(at(12, 'rack'));
  assert.deepEqual(rack?.range, { start: { line: 12, character: 6 }, end: { line: 12, character: 10 } });
  const name = scan(at(5, 'name'));
  assert.ok(name);
  assert.match((name.contents as MarkupContent).value, /^\*\*name\*\*\n\nHost name/);
});
