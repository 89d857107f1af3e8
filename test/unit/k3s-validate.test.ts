// The k3s rules of the language server (core/src/validate/k3s.ts), each from the valid spec fixture broken in one
// place: the rule fires with its code and severity on the line that says what is wrong (and offers its fix), and the
// unbroken fixture, with the new k3s keys set correctly, has no diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildModel, parseSpecFile, type SpecDiagnostic } from '#core/spec';
import { validateAll } from '../../core/src/validate/validate';
import { codeInfo } from '../../core/src/validate/report/codes';
import { nodeLabelProblem } from '../../core/src/k3s/nodes';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const fixture = (p: string) => readFileSync(path.join(root, 'test/fixtures/spec/valid', p), 'utf8');

// The fixture plus the k3s segment, exo's API on hub (its k3s interface eth0 is on mgmt) and a reservation.
const CLUSTER = fixture('cluster.yaml')
  .replace(
    'roles: [nats-hub, exo-master, k3s-server, checkpoint-agent]',
    'roles: [nats-hub, exo-master, exo-api, k3s-server, checkpoint-agent]',
  )
  .replace(
    '  interfaces: [eth0]\n',
    '  interfaces: [eth0]\n  segment: mgmt\n  exo: { allowFrom: [default] }\n  gpus: { reserve: { hub: 1 } }\n',
  );
const HOST = fixture('hosts/gpu-2.yaml');

function validate(cluster: string, host: string): { all: SpecDiagnostic[]; files: Record<string, string> } {
  const files = { 'file:///spec/cluster.yaml': cluster, 'file:///spec/hosts/gpu-2.yaml': host };
  const model = buildModel(Object.entries(files).map(([uri, text]) => parseSpecFile(uri, text, 1)));
  return { all: validateAll(model), files };
}

function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

test('k3s rules: the fixture with k3s.segment, k3s.exo and k3s.gpus set has no diagnostics', () => {
  assert.deepEqual(
    validate(CLUSTER, HOST).all.map((d) => `${d.code} ${d.message}`),
    [],
  );
});

interface Case {
  code: string;
  cluster?: [string, string];
  host?: [string, string][];
  /** The text the diagnostic's range covers. */
  marks: string;
  fix?: string;
}

const CASES: Case[] = [
  { code: 'k3s.unknown-segment', cluster: ['  segment: mgmt\n', '  segment: mgnt\n'], marks: 'mgnt', fix: 'mgmt' },
  {
    code: 'k3s.interface-segment',
    host: [['{ name: eth0, kind: ethernet, segment: mgmt', '{ name: eth0, kind: ethernet, segment: tb']],
    marks: 'tb',
  },
  {
    code: 'k3s.interface-segment',
    cluster: [
      '{ name: eth0, kind: ethernet, segment: mgmt, addresses: [10.0.0.10/24] }',
      '{ name: eth0, kind: ethernet, addresses: [10.0.0.10/24] }',
    ],
    marks: 'eth0',
  },
  {
    code: 'k3s.no-interface',
    host: [
      ['k3s: { interface: eth0 }\n', ''],
      ['- { name: eth0,', '- { name: eno1,'],
    ],
    marks: 'k3s-agent',
  },
  { code: 'k3s.exo-no-endpoint', cluster: ['exo-master, exo-api, k3s-server', 'exo-master, k3s-server'], marks: 'exo' },
  { code: 'k3s.reserve-unknown-host', cluster: ['reserve: { hub: 1 }', 'reserve: { hbu: 1 }'], marks: 'hbu', fix: 'hub' },
  { code: 'k3s.reserve-exceeds-gpus', cluster: ['reserve: { hub: 1 }', 'reserve: { hub: 3 }'], marks: '3' },
  { code: 'k3s.reserve-ignored', cluster: ['reserve: { hub: 1 }', 'reserve: { mac: 1 }'], marks: 'mac' },
  { code: 'k3s.reserve-ignored', cluster: ['gpus: { reserve: { hub: 1 } }', 'gpus: { owner: k3s, reserve: { hub: 1 } }'], marks: 'hub' },
  {
    code: 'k3s.gpu-owner-conflict',
    cluster: ['gpus: { reserve: { hub: 1 } }\n', 'gpus: { owner: k3s }\n'],
    host: [['tags: [gpu]\n', 'tags: [gpu]\nexo: { accelerator: cuda }\n']],
    marks: 'cuda',
  },
  {
    code: 'k3s.invalid-node-label',
    host: [['tags: [gpu]\n', 'tags: [gpu]\nlabels: { "node-role.kubernetes.io/gpu": "true" }\n']],
    marks: '"node-role.kubernetes.io/gpu"',
  },
];

for (const c of CASES) {
  test(`k3s rules: ${c.code} — ${(c.cluster ?? c.host![0])[1].trim().slice(0, 50)}`, () => {
    const cluster = c.cluster ? edit(CLUSTER, ...c.cluster) : CLUSTER;
    const host = (c.host ?? []).reduce((text, [from, to]) => edit(text, from, to), HOST);
    const { all, files } = validate(cluster, host);
    const found = all.filter((d) => d.code === c.code);
    assert.equal(found.length, 1, `one ${c.code}; got ${all.map((d) => d.code).join(', ') || 'nothing'}`);
    const d = found[0];
    assert.equal(d.severity, codeInfo(c.code)?.severity);
    const lines = files[d.uri as keyof typeof files].split('\n');
    assert.equal(d.range.start.line, d.range.end.line);
    assert.equal(lines[d.range.start.line].slice(d.range.start.character, d.range.end.character), c.marks, d.message);
    if (c.fix) assert.equal(d.fixes?.[0]?.edits[0]?.edits[0]?.newText, c.fix);
  });
}

test('node label rules follow Kubernetes: name and value at most 63, prefix a DNS subdomain, kubernetes.io reserved', () => {
  assert.equal(nodeLabelProblem('rack', 'a3'), undefined);
  assert.equal(nodeLabelProblem('example.com/team', 'ml_infra.2'), undefined);
  assert.equal(nodeLabelProblem('team', ''), undefined, 'an empty value is allowed');
  assert.match(nodeLabelProblem('x'.repeat(64), 'a')!, /name/);
  assert.match(nodeLabelProblem('Example.com/team', 'a')!, /DNS subdomain/);
  assert.match(nodeLabelProblem('node.kubernetes.io/x', 'a')!, /reserved/);
  assert.match(nodeLabelProblem('a', 'has space')!, /value/);
  assert.match(nodeLabelProblem('a', '-lead')!, /value/);
});

test('k3s.segment is a reference to its segment (references and rename reach it)', () => {
  const uri = 'file:///spec/cluster.yaml';
  const model = buildModel([parseSpecFile(uri, CLUSTER, 1), parseSpecFile('file:///spec/hosts/gpu-2.yaml', HOST, 1)]);
  const lines = CLUSTER.split('\n');
  const line = lines.findIndex((l) => l === '  segment: mgmt');
  const found = model.symbols.at(uri, { line, character: '  segment: m'.length });
  assert.equal(found?.symbol.kind, 'segment');
  assert.equal(found?.definition?.name, 'mgmt');
  assert.ok(
    found!.references.some((r) => r.location.range.start.line === line),
    'k3s.segment is among the references of mgmt',
  );
});
