// The Kubernetes view's records (client/src/k3s/k3sModel.ts) from the recorded API responses of test/fixtures/k3s:
// exo's Service with its endpoint, each node with its GPU pods, the checkpoint menu only on pods worth a checkpoint,
// errors as rows, API text kept inside its Markdown code spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  exoService,
  gpuPodsByNode,
  isGpuResource,
  checkpointArchives,
  statusMessage,
  nodeProxyCheckpointPath,
} from '../../core/src/k3s/live';
import { k3sNodes } from '../../client/src/k3s/k3sModel';
import { findTemplatesDir } from '#core/flake';

const repo = path.dirname(findTemplatesDir(__dirname));
const fixture = (name: string) => JSON.parse(readFileSync(path.join(repo, 'test/fixtures/k3s', name), 'utf8'));

function snapshot(errors: string[] = []) {
  return {
    at: 1,
    errors,
    service: exoService('exo', 'exo', fixture('service-exo.json'), fixture('endpointslices-exo.json')),
    gpuPods: gpuPodsByNode(fixture('pods.json')),
  };
}

test('view: exo Service with its endpoint, then each node with its GPU pods', () => {
  const nodes = k3sNodes(snapshot(), 'https://10.0.0.10:6443');
  assert.deepEqual(
    nodes.map((n) => [n.label, n.description]),
    [
      ['exo Service exo.exo.svc', '10.43.118.42 · 1 endpoint'],
      ['gpu-2', '1 × nvidia.com/gpu in pods'],
      ['hub-1', '2 × nvidia.com/gpu in pods'],
    ],
  );
  assert.deepEqual(
    nodes[0].children!.map((e) => [e.label, e.description]),
    [['10.1.0.10:52415', 'hub-1 · ready']],
  );
  const [trainer] = nodes[1].children!;
  assert.equal(trainer.label, 'ml/trainer-0');
  assert.equal(trainer.contextValue, 'k3s.pod', 'a running pod can be checkpointed');
  const [reservation] = nodes[2].children!;
  assert.match(reservation.description!, /held for exo/);
  assert.equal(reservation.contextValue, 'k3s.pod.other', 'the pause container of a reservation is not offered');
});

test('view: loading, errors as rows, a Service not deployed, an empty cluster', () => {
  assert.equal(k3sNodes(undefined, 'https://x:6443')[0].id, 'k3s.loading');
  const failed = k3sNodes({ at: 1, errors: ['Listing pods: connect ECONNREFUSED 127.0.0.1:6443'] }, 'https://127.0.0.1:6443');
  assert.deepEqual(
    failed.map((n) => [n.id, n.icon.id]),
    [['k3s.error.0', 'error']],
  );
  const missing = k3sNodes(
    { at: 1, errors: [], service: exoService('exo', 'exo', undefined, { items: [] }), gpuPods: new Map() },
    undefined,
  );
  assert.deepEqual(
    missing.map((n) => n.description),
    ['not deployed'],
  );
  assert.deepEqual(
    k3sNodes({ at: 1, errors: [], gpuPods: new Map() }, undefined).map((n) => n.id),
    ['k3s.empty'],
  );
});

test('view: a pod name with a backtick cannot break out of its Markdown code span', () => {
  const pods = {
    items: [
      {
        metadata: { name: 'a`b', namespace: 'ml' },
        spec: { nodeName: 'n', containers: [{ name: 'c', resources: { limits: { 'amd.com/gpu': 1 } } }] },
        status: { phase: 'Running' },
      },
    ],
  };
  const [node] = k3sNodes({ at: 1, errors: [], gpuPods: gpuPodsByNode(pods) }, undefined);
  assert.ok(!node.children![0].tooltip!.includes('a`b'));
});

test('live helpers: GPU resources, quantities, checkpoint answers, Status messages, the node proxy path', () => {
  assert.ok(isGpuResource('nvidia.com/gpu') && isGpuResource('amd.com/gpu') && isGpuResource('gpu.intel.com/xe'));
  assert.ok(!isGpuResource('memory') && !isGpuResource('nvidia.com/mig-1g.5gb-x'));
  const odd = {
    items: [
      {
        metadata: { name: 'p', namespace: 'd' },
        spec: { nodeName: 'n', containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': '500m' } } }] },
        status: { phase: 'Running' },
      },
    ],
  };
  assert.equal(gpuPodsByNode(odd).size, 0, 'a fractional quantity is no whole device');
  assert.deepEqual(checkpointArchives(fixture('checkpoint-ok.json')), [
    '/var/lib/kubelet/checkpoints/checkpoint-trainer-0_ml-trainer-2026-12-05T09:02:11Z.tar',
  ]);
  assert.deepEqual(checkpointArchives('not json'), []);
  assert.equal(statusMessage(fixture('status-notfound.json')), 'services "exo" not found (NotFound)');
  assert.equal(statusMessage({ message: 'x' }), undefined);
  assert.equal(
    nodeProxyCheckpointPath('gpu-2', { namespace: 'ml', pod: 'trainer-0', container: 'trainer' }, 120),
    '/api/v1/nodes/gpu-2/proxy/checkpoint/ml/trainer-0/trainer?timeout=120',
  );
  assert.throws(() => nodeProxyCheckpointPath('../etc', { namespace: 'ml', pod: 'p', container: 'c' }), /not a Kubernetes name/);
});
