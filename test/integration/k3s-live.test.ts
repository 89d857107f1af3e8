// The live view's Kubernetes client (client/src/k3s: @kubernetes/client-node with a kubeconfig) against a loopback
// HTTPS server that answers with recorded API responses (test/fixtures/k3s, shapes from the Kubernetes API reference;
// see the README there) and records what the client asked: the exo Service's endpoints, GPU pods per node, the
// kubelet checkpoint API through the node proxy, the API's error Status, an API server that does not answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openKubeApi } from '../../client/src/k3s/kubeApi';
import { K3sLive, type K3sSnapshot } from '../../client/src/k3s/k3sLive';
import { k3sManifests } from '../../core/src/k3s/manifests';
import { loadSpec } from '#core/validate';
import { findTemplatesDir } from '#core/flake';
import { freePort } from './nats-harness';
import {
  RECORDED_TOKEN as TOKEN,
  recordedFixture as fixture,
  startRecordedKubeApi,
  type RecordedKubeApi,
} from '../support/recordedKubeApi';

const repo = path.dirname(findTemplatesDir(__dirname));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'k3s-live-'));
let api: RecordedKubeApi;
let kubeconfig: string;
const seen = () => api.seen;

before(async () => {
  api = await startRecordedKubeApi(tmp);
  kubeconfig = api.kubeconfig('kubeconfig');
});

after(async () => {
  await api.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('the recorded EndpointSlice is the generated one as the API server returns it', async () => {
  const spec = (await loadSpec(path.join(repo, 'examples/lab'))).model.spec;
  const generated = k3sManifests(spec).find((m) => m.object.kind === 'EndpointSlice')!.object;
  const recorded = JSON.parse(fixture('endpointslices-exo.json')).items[0];
  const { uid, resourceVersion, generation, creationTimestamp, ...metadata } = recorded.metadata;
  assert.ok(uid && resourceVersion && generation && creationTimestamp, 'fields the API server adds');
  const { apiVersion, kind, ...rest } = generated;
  assert.equal(`${apiVersion} ${kind}`, 'discovery.k8s.io/v1 EndpointSlice');
  assert.deepEqual({ ...recorded, metadata }, rest);
});

test("exo's Service: cluster IP, DNS name and its endpoint, asked by service-name label with the kubeconfig's token", async () => {
  const client = await openKubeApi(kubeconfig);
  seen().length = 0;
  const view = await client.exoService('exo', 'exo');
  assert.deepEqual(view, {
    name: 'exo',
    namespace: 'exo',
    dns: 'exo.exo.svc',
    clusterIP: '10.43.118.42',
    exists: true,
    endpoints: [{ address: '10.1.0.10', port: 52415, ready: true, node: 'hub-1', hostname: 'hub-1' }],
  });
  const slices = seen().find((s) => s.path.endsWith('/endpointslices'))!;
  assert.equal(slices.query.get('labelSelector'), 'kubernetes.io/service-name=exo');
  assert.ok(
    seen().every((s) => s.authorization === `Bearer ${TOKEN}`),
    'every request carries the token',
  );

  const missing = await client.exoService('exo', 'other');
  assert.equal(missing.exists, false, 'a 404 Status means not deployed, not an error');
  assert.deepEqual(missing.endpoints, []);
});

test('GPU pods per node: the reservation and the training pod, not CoreDNS (no GPU) nor the pending pod (no node)', async () => {
  const client = await openKubeApi(kubeconfig);
  seen().length = 0;
  const byNode = await client.gpuPods();
  assert.equal(seen()[0].query.get('fieldSelector'), 'status.phase!=Succeeded,status.phase!=Failed');
  assert.deepEqual([...byNode.keys()], ['gpu-2', 'hub-1']);
  const [reservation] = byNode.get('hub-1')!;
  assert.equal(reservation.exoReservation, true);
  assert.deepEqual(reservation.gpus, { 'nvidia.com/gpu': 2 });
  const [trainer] = byNode.get('gpu-2')!;
  assert.deepEqual(
    { ...trainer },
    {
      namespace: 'ml',
      name: 'trainer-0',
      node: 'gpu-2',
      phase: 'Running',
      gpus: { 'nvidia.com/gpu': 1 },
      exoReservation: false,
      containers: [
        { name: 'trainer', gpus: 1, ready: true },
        { name: 'metrics', gpus: 0, ready: true },
      ],
    },
  );
});

test('checkpoint from a pod: POST to the kubelet checkpoint API through the node proxy; the archive path comes back', async () => {
  const client = await openKubeApi(kubeconfig);
  seen().length = 0;
  const archives = await client.checkpoint('gpu-2', { namespace: 'ml', pod: 'trainer-0', container: 'trainer' });
  assert.deepEqual(archives, ['/var/lib/kubelet/checkpoints/checkpoint-trainer-0_ml-trainer-2026-12-05T09:02:11Z.tar']);
  assert.deepEqual(
    seen().map((s) => `${s.method} ${s.path} ${s.authorization}`),
    [`POST /api/v1/nodes/gpu-2/proxy/checkpoint/ml/trainer-0/trainer Bearer ${TOKEN}`],
  );

  await assert.rejects(
    client.checkpoint('hub-1', { namespace: 'exo', pod: 'p', container: 'hold' }),
    /cannot create resource "nodes\/proxy".*\(Forbidden\).*HTTP 403/,
  );
  await assert.rejects(client.checkpoint('gpu-2', { namespace: 'ml', pod: 'Trainer_0', container: 'trainer' }), /not a Kubernetes name/);
  assert.equal(seen().length, 2, 'an invalid name is refused before any request');
});

test('the live poller: a snapshot with service and pods; an API server that does not answer gives errors, not a crash', async () => {
  const snapshots: K3sSnapshot[] = [];
  const live = new K3sLive({
    api: () => openKubeApi(kubeconfig),
    service: { name: 'exo', namespace: 'exo' },
    intervalMs: 60_000,
    onSnapshot: (s) => snapshots.push(s),
  });
  await live.refresh();
  live.stop();
  assert.equal(snapshots.length, 1);
  assert.deepEqual(snapshots[0].errors, []);
  assert.equal(snapshots[0].service?.endpoints.length, 1);
  assert.deepEqual([...snapshots[0].gpuPods!.keys()], ['gpu-2', 'hub-1']);

  // a loopback port nothing listens on
  const closed = api.kubeconfig('closed', `https://127.0.0.1:${await freePort()}`);
  const failed: K3sSnapshot[] = [];
  const down = new K3sLive({
    api: () => openKubeApi(closed),
    service: { name: 'exo', namespace: 'exo' },
    intervalMs: 60_000,
    onSnapshot: (s) => failed.push(s),
  });
  await down.refresh();
  down.stop();
  assert.equal(failed.length, 1);
  assert.equal(failed[0].service, undefined);
  assert.equal(failed[0].errors.length, 2);
  assert.match(failed[0].errors.join('\n'), /ECONNREFUSED|connect/);

  await assert.rejects(openKubeApi(path.join(tmp, 'missing')), /Cannot read the kubeconfig/);
});
