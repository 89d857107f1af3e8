// Containers in the editor, as pure functions: the Nodes view joins the spec's containers with what the agent reports
// (state, resource use, declarative, drift) into nodes whose contextValue offers the right actions; agent telemetry maps
// onto the store; the topology draws them inside their host; Create from Spec sends what the spec says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerViews, createPayload } from '../../client/src/containers/model';
import { containerNodes } from '../../client/src/explorer/containerNode';
import { factsFromSample } from '../../client/src/nats/telemetrySource';
import { buildTopologyGraph, buildTopologyState } from '../../client/src/topology/graph';
import { ClusterStateStore } from '../../client/src/state/store';
import type { ClusterSpec, HostSpec } from '#core/spec';

const host: HostSpec = {
  name: 'gpu-2',
  addresses: ['10.0.0.11'],
  containers: [
    { name: 'infer', hostAddress: '10.233.1.1', localAddress: '10.233.1.2', services: ['nginx'], autoStart: true },
    { name: 'db' },
  ],
};
const spec: ClusterSpec = { cluster: { name: 'lab', domain: 'lab' }, hosts: [host] };

test("before any report the spec's containers are unknown; then running, absent and drift as the agent reports them", () => {
  const store = new ClusterStateStore({ batchMs: 0 });
  store.setSpec(spec);
  assert.deepEqual(
    containerNodes(host, store.host('gpu-2'), 'h').map((n) => `${n.label}:${n.contextValue}`),
    ['infer:container.unknown.spec', 'db:container.unknown.spec'],
  );
  store.applyHostFacts(
    'nats',
    'gpu-2',
    factsFromSample({
      host: 'gpu-2',
      sentAt: 1,
      seq: 1,
      gpus: [],
      containers: [
        { name: 'infer', state: 'up', declarative: true, drift: false, cpuPercent: 12.4, memoryBytes: 2 ** 30 },
        { name: 'scratch', state: 'down', declarative: false, drift: true },
      ],
    }),
    'replace',
  );
  const nodes = containerNodes(host, store.host('gpu-2'), 'h');
  assert.deepEqual(
    nodes.map((n) => `${n.label}:${n.contextValue}:${n.description}`),
    [
      'infer:container.up.declarative:running · CPU 12% · 1.0 GiB',
      'db:container.absent.spec:not created',
      'scratch:container.down.drift:stopped · not in spec',
    ],
  );
  assert.equal(nodes[2].icon.color, 'charts.orange');
  assert.match(nodes[2].tooltip, /not in the spec/);
  assert.equal(nodes[0].containerName, 'infer');
  assert.equal(nodes[0].host, 'gpu-2');
  // The latest list wins: a container the agent no longer reports is gone, not remembered.
  store.applyHostFacts('containers', 'gpu-2', { containers: [{ name: 'infer', state: 'down', declarative: true, drift: false }] });
  assert.deepEqual(
    containerViews(host, store.host('gpu-2')).map((v) => `${v.name}:${v.state}`),
    ['infer:down', 'db:absent'],
  );
  store.dispose();
});

test("the topology draws the spec's containers in their host, with the live state on hover", () => {
  const store = new ClusterStateStore({ batchMs: 0 });
  store.setSpec(spec);
  assert.deepEqual(buildTopologyGraph(spec).hosts[0].containers, ['infer', 'db']);
  store.applyHostFacts('containers', 'gpu-2', {
    containers: [{ name: 'infer', state: 'up', declarative: false, drift: false, cpuPercent: 50 }],
  });
  const live = buildTopologyState({
    ...store,
    spec: store.spec,
    host: (n: string) => store.host(n),
    sourceHealth: () => store.sourceHealth(),
    liveLinks: () => [],
  });
  assert.deepEqual(live.hosts[0].containerLines, ['infer running · CPU 50%', 'db not created']);
  store.dispose();
});

test("Create from Spec sends the spec's name, services and addresses; no addresses without a private network", () => {
  assert.deepEqual(createPayload(host.containers![0]), {
    name: 'infer',
    services: ['nginx'],
    autoStart: true,
    hostAddress: '10.233.1.1',
    localAddress: '10.233.1.2',
  });
  assert.deepEqual(createPayload({ name: 'x', privateNetwork: false, hostAddress: '10.1.1.1', localAddress: '10.1.1.2' }), {
    name: 'x',
    services: undefined,
    autoStart: undefined,
    hostAddress: undefined,
    localAddress: undefined,
  });
});
