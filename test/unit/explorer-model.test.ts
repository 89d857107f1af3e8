import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ClusterSpec, SpecModel } from '#core/spec';
import { loadSpec } from '#core/validate';
import { ClusterStateStore } from '../../client/src/state/store';
import { SpecSource } from '../../client/src/state/specSource';
import { buildTopologyGraph } from '../../client/src/topology/graph';
import { hostContextValue } from '../../client/src/explorer/look';
import { childrenOf, gpuRows, nodeRoots, type TreeNodeModel } from '../../client/src/explorer/model';

// Runs from test/unit (tsx) or out/test/unit (compiled): find the repository root either way.
let root = __dirname;
while (!existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
const lab = path.join(root, 'examples/lab');
let loaded: ClusterSpec;
before(async () => {
  loaded = (await loadSpec(lab)).model.spec;
});
/** A fresh copy per test: some tests add hosts. */
const labSpec = (): ClusterSpec => structuredClone(loaded);
function storeWith(spec: ClusterSpec): ClusterStateStore {
  const store = new ClusterStateStore({ batchMs: 1000 });
  store.setSpec(spec);
  return store;
}
const labels = (nodes: TreeNodeModel[]) => nodes.map((n) => n.label);

test('grouping by tag: one group per declared tag with its hosts', () => {
  const store = storeWith(labSpec());
  const roots = nodeRoots(store, 'tag');
  assert.deepEqual(labels(roots), ['gpu', 'apple']);
  assert.deepEqual(labels(childrenOf(store, roots[0])), ['hub-1', 'gpu-2']);
  assert.deepEqual(labels(childrenOf(store, roots[1])), ['mac-studio']);
  assert.equal(roots[0].description, '2 hosts');
  store.dispose();
});

test('grouping by segment: a host on several segments appears under each, with distinct ids', () => {
  const store = storeWith(labSpec());
  const roots = nodeRoots(store, 'segment');
  assert.deepEqual(labels(roots), ['mgmt', 'data', 'tb']);
  const mgmt = childrenOf(store, roots[0]);
  const tb = childrenOf(store, roots[2]);
  assert.deepEqual(labels(mgmt), ['hub-1', 'mac-studio', 'gpu-2']);
  assert.deepEqual(labels(tb), ['hub-1', 'mac-studio']);
  assert.notEqual(mgmt[0].id, tb[0].id);
  assert.match(roots[2].tooltip, /10\.99\.0\.0\/30/);
  store.dispose();
});

test('hosts without tags or segments land in a catch-all group', () => {
  const spec = labSpec();
  spec.hosts.push({ name: 'lonely', addresses: ['10.0.0.99'] });
  const store = storeWith(spec);
  assert.equal(nodeRoots(store, 'tag').at(-1)?.label, 'untagged');
  assert.equal(nodeRoots(store, 'segment').at(-1)?.label, 'no segment');
  store.dispose();
});

test('context values follow the manifest: system and GPU vendor', () => {
  const spec = labSpec();
  const cv = (name: string) =>
    hostContextValue(
      spec.hosts.find((h) => h.name === name)!,
      spec,
    );
  assert.equal(cv('hub-1'), 'host.linux.nvidia');
  assert.equal(cv('mac-studio'), 'host.darwin');
  assert.equal(
    hostContextValue({ name: 'x', addresses: [], hardware: { gpus: [{ vendor: 'amd', model: 'MI300X' }] } }, spec),
    'host.linux.amd',
  );
  assert.equal(hostContextValue({ name: 'x', addresses: [] }, spec), 'host.linux');
});

test('host children: GPUs (count expanded), services from roles, interfaces, checkpoints', () => {
  const store = storeWith(labSpec());
  store.applyHostFacts('agent', 'hub-1', { checkpoints: [{ id: 'cp-1', unit: 'exo', createdAt: '2026-11-22T01:00:00Z' }] });
  const hub = childrenOf(store, nodeRoots(store, 'tag')[0])[0];
  const kids = childrenOf(store, hub);
  assert.deepEqual(
    kids.map((k) => `${k.kind}:${k.label}`),
    [
      'gpu:GPU 0: RTX 4090',
      'gpu:GPU 1: RTX 4090',
      'service:exo',
      'service:NATS',
      'service:k3s',
      'service:checkpoint agent',
      'interface:eth0',
      'interface:eth1',
      'interface:eth2',
      'interface:bond0',
      'interface:tb0',
      'checkpoint:exo @ 2026-11-22T01:00:00Z',
    ],
  );
  assert.deepEqual(
    [...new Set(kids.map((k) => k.contextValue))],
    ['gpu', 'service.exo.stopped', 'service.nats', 'service.k3s', 'service.checkpoint-agent', 'interface', 'checkpoint'],
  );
  assert.equal(new Set(kids.map((k) => k.id)).size, kids.length);
  store.dispose();
});

test('live state shows in icons, descriptions and tooltips', () => {
  const store = storeWith(labSpec());
  const hubOf = () => childrenOf(store, nodeRoots(store, 'tag')[0])[0];
  assert.equal(hubOf().icon.id, 'circle-outline');
  assert.match(hubOf().tooltip, /Nothing has reported/);
  store.applyHostFacts('exo', 'hub-1', {
    status: 'running',
    statusDetail: 'in exo',
    services: { exo: { status: 'running', detail: '1 instance' } },
  });
  store.applyHostFacts('ssh', 'hub-1', {
    gpus: [{ index: 1, memoryUsedMiB: 12288, memoryTotalMiB: 24576, utilizationPct: 93.4, temperatureC: 71.6 }],
  });
  const hub = hubOf();
  assert.equal(hub.icon.id, 'pass-filled');
  assert.equal(hub.icon.color, 'charts.green');
  assert.match(hub.description!, /^running · 2× RTX 4090$/);
  const kids = childrenOf(store, hub);
  assert.equal(kids[1].description, '12.0 / 24.0 GiB · 93% · 72°C');
  assert.equal(kids[1].icon.color, 'charts.orange');
  assert.equal(kids[0].description, '24.0 GiB', 'without live figures, the spec VRAM');
  const exo = kids.find((k) => k.kind === 'service' && k.service === 'exo')!;
  assert.equal(exo.contextValue, 'service.exo.running');
  assert.equal(exo.description, 'running · 1 instance');
  store.applyHostFacts('deploy', 'hub-1', { status: 'failed', statusDetail: 'nixos-anywhere exited with 1' });
  assert.equal(hubOf().icon.id, 'error');
  assert.match(hubOf().tooltip, /nixos-anywhere exited with 1 \(from deploy\)/);
  assert.match(nodeRoots(store, 'tag')[0].description!, /1 failed/);
  store.dispose();
});

test('a failing source is shown as an item at the top, not hidden', () => {
  const store = storeWith(labSpec());
  store.setSourceHealth('exo', { ok: false, error: 'http://10.0.0.10:52415/state: ECONNREFUSED' });
  const roots = nodeRoots(store, 'tag');
  assert.equal(roots[0].kind, 'sourceError');
  assert.equal(roots[0].description, 'http://10.0.0.10:52415/state: ECONNREFUSED');
  store.setSourceHealth('exo', { ok: true });
  assert.equal(nodeRoots(store, 'tag')[0].kind, 'group');
  store.dispose();
});

test('GPUs view sorts by free memory (most first) or utilisation (least first), unknown last', () => {
  const store = storeWith(labSpec());
  store.applyHostFacts('ssh', 'hub-1', {
    gpus: [
      { index: 0, memoryUsedMiB: 20000, utilizationPct: 80 },
      { index: 1, memoryUsedMiB: 1000, utilizationPct: 5 },
    ],
  });
  store.applyHostFacts('ssh', 'gpu-2', { gpus: [{ index: 0, memoryUsedMiB: 40000, utilizationPct: 40 }] });
  const byFree = gpuRows(store, 'freeMemory');
  assert.deepEqual(
    byFree.map((r) => `${r.host}#${r.gpuIndex}`),
    ['gpu-2#0', 'hub-1#1', 'hub-1#0', 'mac-studio#0'],
  );
  assert.match(byFree[0].description!, /^gpu-2 #0 · 39\.1 \/ 80\.0 GiB · 40\.9 GiB free · 40%$/);
  const byUtil = gpuRows(store, 'utilization');
  assert.deepEqual(
    byUtil.map((r) => `${r.host}#${r.gpuIndex}`),
    ['hub-1#1', 'gpu-2#0', 'hub-1#0', 'mac-studio#0'],
  );
  assert.equal(new Set(byUtil.map((r) => r.id)).size, 4);
  store.dispose();
});

test('no spec: no roots, no GPUs', () => {
  const store = new ClusterStateStore();
  assert.deepEqual(nodeRoots(store, 'tag'), []);
  assert.deepEqual(gpuRows(store, 'freeMemory'), []);
  store.dispose();
});

test('a half-written spec still shows what is well-formed, through the spec source', () => {
  const broken = {
    cluster: { name: 'wip', domain: 'wip', tags: 'gpu' },
    network: { segments: 'mgmt', links: [{ from: 'a:eth0' }, 7, { from: 'a:eth0', to: 'b:eth0', kind: 'ethernet' }] },
    hosts: [
      { name: 'a', addresses: '10.0.0.1', tags: ['gpu', 3], interfaces: 'eth0', hardware: { gpus: 'many' }, roles: 'exo-worker' },
      { addresses: ['10.0.0.2'] },
      'garbage',
      {
        name: 'b',
        addresses: ['10.0.0.3'],
        interfaces: [{ name: 'eth0', kind: 'ethernet', addresses: '10.0.0.3/24', segment: 5 }, { kind: 'bond' }],
      },
      { name: 'b', addresses: ['10.0.0.4'] },
    ],
  } as unknown as ClusterSpec;
  let listener: () => void = () => {};
  const feed = {
    model: { spec: broken } as unknown as SpecModel,
    onDidChange: (l: () => void) => {
      listener = l;
      return { dispose() {} };
    },
  };
  const store = new ClusterStateStore({ batchMs: 1000 });
  const source = new SpecSource(feed);
  source.start(store);
  for (const grouping of ['tag', 'segment'] as const) {
    const roots = nodeRoots(store, grouping);
    const hosts = roots.flatMap((r) => childrenOf(store, r));
    assert.deepEqual([...new Set(hosts.map((h) => h.label))].sort(), ['a', 'b']);
    for (const h of hosts) childrenOf(store, h);
  }
  assert.deepEqual(
    childrenOf(store, nodeRoots(store, 'segment')[0]).map((h) => h.label),
    ['a', 'b'],
  );
  const b = nodeRoots(store, 'tag')
    .flatMap((r) => childrenOf(store, r))
    .find((h) => h.label === 'b')!;
  assert.deepEqual(
    childrenOf(store, b).map((c) => c.label),
    ['eth0'],
  );
  assert.deepEqual(gpuRows(store, 'freeMemory'), []);
  const graph = buildTopologyGraph(store.spec!);
  assert.deepEqual(
    graph.links.map((l) => `${l.source}-${l.target}`),
    ['a-b'],
  );
  // A later good spec replaces it, and facts about hosts that left are dropped.
  store.applyHostFacts('exo', 'a', { status: 'running' });
  feed.model = { spec: { cluster: { name: 'ok', domain: 'ok' }, hosts: [{ name: 'b', addresses: [] }] } } as unknown as SpecModel;
  listener();
  assert.deepEqual(store.hostNames(), ['b']);
  assert.deepEqual(store.sourcesOf('a'), []);
  source.dispose();
  store.dispose();
});
