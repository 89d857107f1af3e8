// buildModel: merging hosts/*.yaml into the cluster, and the symbol index (definitions and references
// with the exact ranges of the names, `host:iface` split into two ranges) that navigation builds on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSpecFile } from '#core/spec';
import { buildModel, hostEntriesOf } from '../../core/src/spec/workspace';
import { loadSpec } from '#core/validate';
import type { Range, SpecModel, SpecSymbol } from '../../core/src/spec/model';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const CLUSTER = readFileSync(path.join(root, 'test/fixtures/spec/valid/cluster.yaml'), 'utf8');
const HOST = readFileSync(path.join(root, 'test/fixtures/spec/valid/hosts/gpu-2.yaml'), 'utf8');
const C = 'file:///ws/cluster.yaml';
const H = 'file:///ws/hosts/gpu-2.yaml';

function model(): SpecModel {
  return buildModel([parseSpecFile(H, HOST, 1), parseSpecFile(C, CLUSTER, 1)]);
}

/** Range of the nth occurrence of `needle` in text, optionally a part of it. */
function rangeOf(text: string, needle: string, nth = 1, part?: string): Range {
  let at = -1;
  for (let i = 0; i < nth; i++) at = text.indexOf(needle, at + 1);
  assert.ok(at >= 0, `has ${needle}`);
  if (part) at += needle.indexOf(part);
  const len = (part ?? needle).length;
  const pos = (o: number) => {
    const before = text.slice(0, o);
    return { line: before.split('\n').length - 1, character: o - before.lastIndexOf('\n') - 1 };
  };
  return { start: pos(at), end: pos(at + len) };
}

const brief = (s: SpecSymbol) =>
  `${s.kind}:${s.host ? `${s.host}/` : ''}${s.name}@${s.location.uri === C ? 'C' : 'H'}${s.location.range.start.line}:${s.location.range.start.character}`;

test('workspace: host files merge after cluster hosts; name defaults to the file stem', () => {
  const m = model();
  assert.deepEqual(
    m.spec.hosts.map((h) => h.name),
    ['hub', 'mac', 'gpu-2'],
  );
  assert.equal(m.spec.cluster.name, 't');
  assert.deepEqual(m.hostSources.get('gpu-2'), { uri: H, host: m.spec.hosts[2], index: undefined });
  assert.equal(m.hostSources.get('mac')?.index, 1);
  const entries = hostEntriesOf(m);
  assert.deepEqual(
    entries.map((e) => [e.host.name, e.path, e.nameFromFile]),
    [
      ['hub', ['hosts', 0], false],
      ['mac', ['hosts', 1], false],
      ['gpu-2', [], true],
    ],
  );
  // the parsed data is not mutated by the default name
  assert.equal((m.files.find((f) => f.uri === H)!.data as { name?: string }).name, undefined);
});

test('workspace: host files are ordered by path; a written name wins over the stem; junk is skipped', () => {
  const m = buildModel([
    parseSpecFile('file:///ws/hosts/b.yaml', 'name: beta\naddresses: [10.0.0.2]\n', 1),
    parseSpecFile('file:///ws/hosts/a.yaml', 'addresses: [10.0.0.1]\n', 1),
    parseSpecFile('file:///ws/hosts/c.yaml', '- not a host\n', 1),
    parseSpecFile(C, 'cluster: { name: x, domain: x }\nhosts: [7, { name: z, addresses: [10.0.0.9] }]\n', 1),
  ]);
  assert.deepEqual(
    m.spec.hosts.map((h) => h.name),
    ['z', 'a', 'beta'],
  );
  assert.equal(hostEntriesOf(m)[0].index, 1, 'index in cluster.yaml hosts, counting the junk entry');
});

test('workspace: a model without cluster.yaml still has its host files', () => {
  const m = buildModel([parseSpecFile(H, HOST, 1)]);
  assert.deepEqual(
    m.spec.hosts.map((h) => h.name),
    ['gpu-2'],
  );
});

test('symbols: definitions of hosts, interfaces (scoped), segments and tags with exact name ranges', () => {
  const s = model().symbols;
  const def = (kind: string, name: string, host?: string) =>
    s.definitions.find((d) => d.kind === kind && d.name === name && d.host === host);
  assert.deepEqual(def('host', 'mac')?.location, { uri: C, range: rangeOf(CLUSTER, '- name: mac', 1, 'mac') });
  assert.deepEqual(def('host', 'mac')?.fullRange?.start, rangeOf(CLUSTER, 'name: mac').start);
  assert.deepEqual(def('interface', 'tb0', 'mac')?.location.range, rangeOf(CLUSTER, 'name: tb0', 2, 'tb0'));
  assert.deepEqual(def('interface', 'tb0', 'hub')?.location.range, rangeOf(CLUSTER, 'name: tb0', 1, 'tb0'));
  assert.deepEqual(def('segment', 'mgmt')?.location.range, rangeOf(CLUSTER, 'name: mgmt', 1, 'mgmt'));
  assert.deepEqual(def('tag', 'gpu')?.location.range, rangeOf(CLUSTER, 'gpu: GPU nodes', 1, 'gpu'));
  assert.deepEqual(def('interface', 'eth0', 'gpu-2')?.location, { uri: H, range: rangeOf(HOST, 'name: eth0', 1, 'eth0') });
  // a host named by its file: defined at the start of the file
  assert.deepEqual(def('host', 'gpu-2')?.location.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
  assert.deepEqual(
    s.definitionsOf('interface', 'hub').map((d) => d.name),
    ['eth0', 'eth1', 'eth2', 'bond0', 'vlan30', 'tb0'],
  );
  assert.deepEqual(
    s.definitionsOf('host').map((d) => d.name),
    ['hub', 'mac', 'gpu-2'],
  );
});

test('symbols: references, with host:iface split into two ranges (quotes excluded)', () => {
  const refs = model().symbols.references.map(brief);
  const at = (text: string, needle: string, nth: number, part: string) => rangeOf(text, needle, nth, part).start;
  const hubInLink = at(CLUSTER, '"hub:tb0"', 1, 'hub');
  const tbInLink = at(CLUSTER, '"hub:tb0"', 1, 'tb0');
  assert.ok(refs.includes(`host:hub@C${hubInLink.line}:${hubInLink.character}`));
  assert.ok(refs.includes(`interface:hub/tb0@C${tbInLink.line}:${tbInLink.character}`));
  const macTb = at(CLUSTER, '"mac:tb0"', 1, 'tb0');
  assert.ok(refs.includes(`interface:mac/tb0@C${macTb.line}:${macTb.character}`));
  const member = at(CLUSTER, 'members: [eth1, eth2]', 1, 'eth2');
  assert.ok(refs.includes(`interface:hub/eth2@C${member.line}:${member.character}`));
  const parent = at(CLUSTER, 'parent: bond0', 1, 'bond0');
  assert.ok(refs.includes(`interface:hub/bond0@C${parent.line}:${parent.character}`));
  const seg = at(HOST, 'segment: mgmt', 1, 'mgmt');
  assert.ok(refs.includes(`segment:mgmt@H${seg.line}:${seg.character}`));
  const tag = at(HOST, 'tags: [gpu]', 1, 'gpu');
  assert.ok(refs.includes(`tag:gpu@H${tag.line}:${tag.character}`));
  const jump = at(CLUSTER, 'jump: hub', 1, 'hub');
  assert.ok(refs.includes(`host:hub@C${jump.line}:${jump.character}`));
  const k3sHost = at(HOST, 'interface: eth0', 1, 'eth0');
  assert.ok(refs.includes(`interface:gpu-2/eth0@H${k3sHost.line}:${k3sHost.character}`));
  const k3sCluster = at(CLUSTER, 'interfaces: [eth0]', 1, 'eth0');
  assert.ok(refs.includes(`interface:eth0@C${k3sCluster.line}:${k3sCluster.character}`), 'k3s.interfaces is not scoped to a host');
  const policyTag = at(CLUSTER, 'tags: [gpu], interval', 1, 'gpu');
  assert.ok(refs.includes(`tag:gpu@C${policyTag.line}:${policyTag.character}`));
});

test('symbols: at() on a definition or a reference gives the definition and every reference', () => {
  const s = model().symbols;
  // on the host part of "hub:tb0"
  const onRef = s.at(C, rangeOf(CLUSTER, '"hub:tb0"', 1, 'hub').start);
  assert.equal(onRef?.symbol.kind, 'host');
  assert.equal(onRef?.definition?.location.range.start.line, rangeOf(CLUSTER, '- name: hub').start.line);
  assert.deepEqual(onRef?.references.length, 2, "the link and mac's ssh.jump");
  // on the interface part
  const onIface = s.at(C, rangeOf(CLUSTER, '"mac:tb0"', 1, 'tb0').end);
  assert.equal(onIface?.symbol.kind, 'interface');
  assert.equal(onIface?.definition?.host, 'mac');
  // the gpu tag: defined in cluster.yaml, used in both files
  const tag = s.at(C, rangeOf(CLUSTER, 'gpu: GPU nodes', 1, 'gpu').start);
  assert.equal(tag?.references.length, 3);
  assert.deepEqual(new Set(tag?.references.map((r) => r.location.uri)), new Set([C, H]));
  // eth0 of gpu-2 is referenced from its own k3s.interface and, unscoped, from k3s.interfaces
  const eth0 = s.at(H, rangeOf(HOST, 'name: eth0', 1, 'eth0').start);
  assert.equal(eth0?.references.length, 2);
  assert.equal(s.at(C, { line: 0, character: 0 }), undefined, 'a comment is no symbol');
});

test('symbols: escaped or multi-line names get no wrong sub-ranges', () => {
  const text =
    'cluster: { name: x, domain: x }\nnetwork:\n  links:\n    - { from: "h\\u0031:eth0", to: "h1:eth0", kind: ethernet }\nhosts:\n  - name: h1\n    addresses: [10.0.0.1]\n    interfaces: [{ name: eth0, kind: ethernet }]\n';
  const refs = buildModel([parseSpecFile(C, text, 1)]).symbols.references;
  assert.equal(refs.filter((r) => r.kind === 'host').length, 1, 'only the plain endpoint is indexed');
});

test('workspace: loadSpec reads examples/lab (cluster.yaml + hosts/gpu-2.yaml) with zero errors', async () => {
  const loaded = await loadSpec(path.join(root, 'examples/lab'));
  assert.deepEqual(
    loaded.diagnostics.map((d) => `${d.code} ${d.message}`),
    [],
  );
  assert.deepEqual(
    loaded.model.spec.hosts.map((h) => h.name),
    ['hub-1', 'mac-studio', 'gpu-2'],
  );
  assert.equal(path.basename(loaded.clusterPath), 'cluster.yaml');
  assert.deepEqual(
    loaded.hostPaths.map((p) => path.basename(p)),
    ['gpu-2.yaml'],
  );
  // a host file path finds its cluster
  const viaHost = await loadSpec(path.join(root, 'examples/lab/hosts/gpu-2.yaml'));
  assert.equal(viaHost.clusterPath, loaded.clusterPath);
  await assert.rejects(loadSpec(path.join(root, 'test/fixtures')), /no cluster\.yaml/);
});

test('symbols: after an edit that shifts lines, reused hosts report their new positions', () => {
  const hosts = Array.from(
    { length: 300 },
    (_, i) =>
      `  - name: h${i}\n    addresses: [10.0.${i >> 8}.${i & 255}]\n    ssh: { jump: h${(i + 1) % 300} }\n    interfaces:\n      - { name: eth0, kind: ethernet, segment: mgmt }\n      - { name: bond0, kind: bond, members: [eth0] }\n`,
  ).join('');
  const text = `cluster:\n  name: big\n  domain: big\nnetwork:\n  segments:\n    - { name: mgmt, subnet: 10.0.0.0/16 }\n  links:\n    - { from: "h1:eth0", to: "h250:eth0", kind: ethernet }\nhosts:\n${hosts}`;
  const uri = 'file:///shift/cluster.yaml';
  const summary = (m: SpecModel) =>
    [...m.symbols.definitions, ...m.symbols.references].map((s) => `${brief(s)}-${s.location.range.end.character}`).sort();
  const first = buildModel([parseSpecFile(uri, text, 1)]);
  summary(first); // fills the per-host cache
  const shifted = text
    .replace('  domain: big\n', '  domain: big\n  stateVersion: "25.05"\n  timeZone: UTC\n')
    .replace('  - name: h100\n', '  - name: h100\n    # a new comment\n');
  const edited = buildModel([parseSpecFile(uri, shifted, 2)]);
  // the same text under another uri: parsed afresh, nothing reused — the reference answer
  const fresh = buildModel([parseSpecFile('file:///shift-fresh/cluster.yaml', shifted, 1)]);
  assert.ok(summary(edited).length > 1500);
  assert.deepEqual(summary(edited), summary(fresh));
  const at = edited.symbols.at(uri, rangeOf(shifted, '- name: h250', 1, 'h250').start);
  assert.equal(at?.symbol.name, 'h250');
  assert.deepEqual(
    at?.references.map((r) => r.location.range.start.line).sort((a, b) => a - b),
    [rangeOf(shifted, '"h250:eth0"').start.line, rangeOf(shifted, 'jump: h250').start.line],
  );
});
