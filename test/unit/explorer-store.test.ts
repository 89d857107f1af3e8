import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterStateStore, type StateChange } from '../../client/src/state/store';

function collect(store: ClusterStateStore): StateChange[] {
  const changes: StateChange[] = [];
  store.onDidChange((c) => changes.push(c));
  return changes;
}

test('updates within the batch window arrive as one change event', async () => {
  const store = new ClusterStateStore({ batchMs: 30 });
  const changes = collect(store);
  for (let i = 0; i < 100; i++) store.applyHostFacts('nats', `node-${i}`, { status: 'running', acceleratorUsagePct: i });
  assert.equal(changes.length, 0, 'nothing is delivered synchronously');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(changes.length, 1);
  assert.equal(changes[0].hosts.size, 100);
  store.dispose();
});

test('an identical report changes nothing and wakes nobody', () => {
  const store = new ClusterStateStore({ batchMs: 1000 });
  const changes = collect(store);
  store.applyHostFacts('exo', 'hub-1', { status: 'running', services: { exo: { status: 'running' } } }, 'replace');
  store.flush();
  store.applyHostFacts('exo', 'hub-1', { status: 'running', services: { exo: { status: 'running' } } }, 'replace');
  store.flush();
  assert.equal(changes.length, 1);
  store.dispose();
});

test('the latest source to report a field wins it; other fields merge', () => {
  let now = 1000;
  const store = new ClusterStateStore({ batchMs: 1000, now: () => now });
  store.applyHostFacts('ssh', 'gpu-2', { status: 'reachable', gpus: [{ index: 0, memoryUsedMiB: 100, memoryTotalMiB: 81920 }] });
  now = 2000;
  store.applyHostFacts('exo', 'gpu-2', { status: 'running', statusDetail: 'in exo', services: { exo: { status: 'running' } } });
  let host = store.host('gpu-2');
  assert.equal(host.status, 'running');
  assert.equal(host.statusSource, 'exo');
  assert.equal(host.gpus[0].memoryUsedMiB, 100);
  assert.equal(host.services.exo?.status, 'running');
  assert.equal(host.updatedAt, 2000);
  now = 3000;
  store.applyHostFacts('ssh', 'gpu-2', { status: 'unreachable', gpus: [{ index: 0, utilizationPct: 50 }] });
  host = store.host('gpu-2');
  assert.equal(host.status, 'unreachable');
  assert.deepEqual(host.gpus, [{ index: 0, utilizationPct: 50 }], "a merge replaces that source's gpu list");
  store.dispose();
});

test('merge keeps earlier facts of the same source, replace drops them', () => {
  const store = new ClusterStateStore({ batchMs: 1000 });
  store.applyHostFacts('nats', 'h', { temperatureC: 60, services: { nats: { status: 'running' } } });
  store.applyHostFacts('nats', 'h', { acceleratorUsagePct: 10, services: { k3s: { status: 'stopped' } } });
  let host = store.host('h');
  assert.equal(host.temperatureC, 60);
  assert.equal(host.services.nats?.status, 'running');
  assert.equal(host.services.k3s?.status, 'stopped');
  store.applyHostFacts('nats', 'h', { acceleratorUsagePct: 20 }, 'replace');
  host = store.host('h');
  assert.equal(host.temperatureC, undefined);
  assert.deepEqual(host.services, {});
  store.dispose();
});

test('clearing a source returns hosts to what the others said, and reports the change', () => {
  const store = new ClusterStateStore({ batchMs: 1000 });
  const changes = collect(store);
  store.applyHostFacts('ssh', 'a', { status: 'reachable' });
  store.applyHostFacts('exo', 'a', { status: 'running' });
  store.setLiveLinks('exo', [{ from: 'a', to: 'b', kind: 'rdma' }]);
  store.flush();
  store.clearSource('exo');
  store.flush();
  assert.equal(store.host('a').status, 'reachable');
  assert.deepEqual(store.liveLinks(), []);
  assert.equal(changes.length, 2);
  assert.ok(changes[1].hosts.has('a'));
  assert.equal(changes[1].linksChanged, true);
  store.dispose();
});

test('source health changes wake the views only when ok or the error changes', () => {
  const store = new ClusterStateStore({ batchMs: 1000 });
  const changes = collect(store);
  store.setSourceHealth('exo', { ok: false, error: 'ECONNREFUSED', retryAt: 1 });
  store.flush();
  store.setSourceHealth('exo', { ok: false, error: 'ECONNREFUSED', retryAt: 2 });
  store.flush();
  assert.equal(changes.length, 1);
  assert.equal(store.sourceHealth().get('exo')?.retryAt, 2);
  store.setSourceHealth('exo', { ok: true, lastSuccessAt: 3 });
  store.flush();
  assert.equal(changes.length, 2);
  assert.equal(changes[1].sourcesChanged, true);
  store.dispose();
});

test('spec hosts come first, then hosts only sources know', () => {
  const store = new ClusterStateStore({ batchMs: 1000 });
  store.applyHostFacts('nats', 'stray', { status: 'reachable' });
  store.setSpec({
    cluster: { name: 'c', domain: 'c' },
    hosts: [
      { name: 'b', addresses: [] },
      { name: 'a', addresses: [] },
    ],
  });
  assert.deepEqual(store.hostNames(), ['b', 'a', 'stray']);
  assert.equal(store.host('a').status, 'unknown');
  store.dispose();
});

test('nothing is delivered after dispose', async () => {
  const store = new ClusterStateStore({ batchMs: 5 });
  const changes = collect(store);
  store.applyHostFacts('x', 'h', { status: 'failed' });
  store.dispose();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(changes.length, 0);
});
