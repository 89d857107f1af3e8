// The Kubernetes objects generated for each example, checked against the Kubernetes schemas by two maintained
// libraries: kubernetes-models (the OpenAPI JSON Schemas, `validate()`), and @kubernetes/client-node's generated
// models (every field must be one its model declares: the schemas themselves accept unknown fields). Then what they
// must say: exo's Service has no selector and its EndpointSlices name the exo-api hosts on their k3s interface,
// NetworkPolicies admit exo's API from the namespaces the spec names, reservations hold the GPUs exo uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadSpec } from '#core/validate';
import { findTemplatesDir } from '#core/flake';
import { k3sManifests, type KubeObject } from '../../core/src/k3s/manifests';
import { GPU_RESOURCE, labelValue, nodeLabels } from '../../core/src/k3s/nodes';
import { type ClusterSpec, effectiveAccelerator } from '#core/spec';

const repo = path.dirname(findTemplatesDir(__dirname));
const EXAMPLES = ['lab', 'two-node-nvidia', 'mixed-thunderbolt', 'hundred-node'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

async function exampleSpec(name: string): Promise<ClusterSpec> {
  return (await loadSpec(path.join(repo, 'examples', name))).model.spec;
}

/** The kubernetes-models class of an object, by apiVersion and kind. */
async function modelOf(obj: KubeObject): Promise<{ new (data: unknown): { validate(): void } }> {
  const modules: Record<string, () => Promise<Record<string, unknown>>> = {
    v1: () => import('kubernetes-models/v1'),
    'apps/v1': () => import('kubernetes-models/apps/v1'),
    'discovery.k8s.io/v1': () => import('kubernetes-models/discovery.k8s.io/v1'),
    'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  };
  const load = modules[obj.apiVersion];
  assert.ok(load, `no schema module for ${obj.apiVersion}`);
  const cls = (await load())[obj.kind];
  assert.ok(typeof cls === 'function', `no schema for ${obj.apiVersion} ${obj.kind}`);
  return cls as never;
}

interface AttributeType {
  baseName: string;
  type: string;
}
type ClientModels = Record<string, unknown>;

/** Every field of `value` is declared by client-node's model `type` (V1Service, Array<V1ServicePort>, …), recursively. */
function unknownFields(models: ClientModels, value: unknown, type: string, at: string): string[] {
  const list = /^Array<(.+)>$/.exec(type);
  if (list) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(models, v, list[1], `${at}[${i}]`)) : [`${at}: not a list`];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return Object.entries(value as object).flatMap(([k, v]) => unknownFields(models, v, map[1], `${at}.${k}`));
  const model = models[type] as { getAttributeTypeMap?: () => AttributeType[] } | undefined;
  if (!model?.getAttributeTypeMap) return [];
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value as object).flatMap(([k, v]) =>
    fields.has(k) ? unknownFields(models, v, fields.get(k)!, `${at}.${k}`) : [`${at}.${k}`],
  );
}

const clientType = (obj: KubeObject) => `V1${obj.kind}`;

for (const example of EXAMPLES) {
  test(`k3s manifests of ${example} pass the Kubernetes schemas (kubernetes-models) and declare only known fields (client-node)`, async () => {
    const spec = await exampleSpec(example);
    const manifests = k3sManifests(spec);
    assert.ok(manifests.length >= 3, `${example}: ${manifests.length} manifests`);
    const models = (await import('@kubernetes/client-node')) as unknown as ClientModels;
    const names = new Set<string>();
    for (const { name, object } of manifests) {
      assert.ok(!names.has(name), `manifest ${name} twice`);
      names.add(name);
      assert.match(name, /^[A-Za-z0-9._-]+$/, 'a manifest name is a plain file name');
      const Model = await modelOf(object);
      assert.doesNotThrow(() => new Model(object).validate(), `${example} ${object.kind}/${object.metadata.name}`);
      assert.deepEqual(unknownFields(models, object, clientType(object), `${object.kind}/${object.metadata.name}`), []);
      // object names the API server checks beyond the JSON Schemas
      const nameRule =
        object.kind === 'DaemonSet' || object.kind === 'EndpointSlice' || object.kind === 'NetworkPolicy' ? DNS_SUBDOMAIN : DNS_LABEL;
      assert.match(object.metadata.name, nameRule, `${object.kind} name`);
      if (object.metadata.namespace) assert.match(object.metadata.namespace, DNS_LABEL);
      for (const v of Object.values(object.metadata.labels ?? {})) assert.equal(labelValue(v), v, `label value ${v}`);
    }
  });
}

test('the schema check has teeth: kubernetes-models refuses a broken object, client-node flags an unknown field', async () => {
  const spec = await exampleSpec('lab');
  const slice = k3sManifests(spec).find((m) => m.object.kind === 'EndpointSlice')!.object;
  const Model = await modelOf(slice);
  assert.throws(() => new Model({ ...slice, addressType: undefined }).validate(), /addressType/);
  assert.throws(() => new Model({ ...slice, ports: [{ port: 'api' }] }).validate(), /integer/);
  const models = (await import('@kubernetes/client-node')) as unknown as ClientModels;
  const typo = { ...slice, endpoints: [{ ...(slice.endpoints as object[])[0], nodename: 'hub-1' }] };
  assert.deepEqual(unknownFields(models, typo, 'V1EndpointSlice', 'slice'), ['slice.endpoints[0].nodename']);
});

test("lab: exo registered as exo.exo.svc, its endpoint on hub-1's bond0, egress admitted from default, both GPU hosts reserved", async () => {
  const spec = await exampleSpec('lab');
  const byKind = (kind: string) =>
    k3sManifests(spec)
      .map((m) => m.object)
      .filter((o) => o.kind === kind);
  const [service] = byKind('Service');
  assert.equal(service.metadata.name, 'exo');
  assert.equal(service.metadata.namespace, 'exo');
  const serviceSpec = service.spec as { selector?: unknown; ports: { port: number; name: string }[] };
  assert.equal(serviceSpec.selector, undefined, 'no selector: Kubernetes must not manage the endpoints');
  assert.deepEqual(
    serviceSpec.ports.map((p) => [p.name, p.port]),
    [['api', 52415]],
  );

  const slices = byKind('EndpointSlice');
  assert.equal(slices.length, 1);
  assert.equal(slices[0].metadata.labels!['kubernetes.io/service-name'], 'exo');
  assert.notEqual(slices[0].metadata.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  // hub-1 is the only exo-api host; 10.1.0.10 is its bond0 (the k3s interface), not its SSH address 10.0.0.10
  assert.deepEqual(slices[0].endpoints, [{ addresses: ['10.1.0.10'], conditions: { ready: true }, hostname: 'hub-1', nodeName: 'hub-1' }]);

  const [policy] = byKind('NetworkPolicy');
  assert.equal(policy.metadata.namespace, 'default');
  assert.deepEqual(policy.spec, {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr: '10.1.0.10/32' } }], ports: [{ protocol: 'TCP', port: 52415 }] }],
  });

  const reservations = byKind('DaemonSet');
  const spec0 = (d: KubeObject) => (d.spec as any).template.spec;
  const hostsOf = (d: KubeObject) =>
    spec0(d).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0];
  assert.deepEqual(
    reservations.map((d) => [d.metadata.name, spec0(d).containers[0].resources.limits, hostsOf(d)]),
    [
      ['exo-gpu-reservation-nvidia-1', { 'nvidia.com/gpu': '1' }, { key: 'kubernetes.io/hostname', operator: 'In', values: ['gpu-2'] }],
      ['exo-gpu-reservation-nvidia-2', { 'nvidia.com/gpu': '2' }, { key: 'kubernetes.io/hostname', operator: 'In', values: ['hub-1'] }],
    ],
  );
  // the old pod releases the GPUs before its replacement asks for them; the Mac is no k3s node
  assert.deepEqual((reservations[0].spec as any).updateStrategy.rollingUpdate, { maxUnavailable: 1, maxSurge: 0 });
  assert.ok(!reservations.some((d) => hostsOf(d).values.includes('mac-studio')));
});

test('hundred-node: one reservation DaemonSet per distinct hold, whatever the host count', async () => {
  const spec = await exampleSpec('hundred-node');
  const sets = k3sManifests(spec)
    .map((m) => m.object)
    .filter((o) => o.kind === 'DaemonSet');
  const hosts = (d: KubeObject) =>
    (d.spec as any).template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
      .matchExpressions[0].values as string[];
  assert.deepEqual(
    sets.map((d) => [d.metadata.name, hosts(d).length]),
    [
      ['exo-gpu-reservation-amd-4', 25],
      ['exo-gpu-reservation-nvidia-8', 75],
    ],
  );
  assert.equal(new Set(sets.flatMap(hosts)).size, 100, 'every GPU host in exactly one');
});

function withK3s(spec: ClusterSpec, k3s: Partial<NonNullable<ClusterSpec['k3s']>>): ClusterSpec {
  return { ...spec, k3s: { ...spec.k3s, ...k3s } };
}

test('k3s.gpus.reserve holds only that many GPUs; owner k3s holds none and runs exo on the CPU of k3s hosts', async () => {
  const spec = await exampleSpec('mixed-thunderbolt');
  const partial = withK3s(spec, { gpus: { reserve: { 'nv-1': 1, 'amd-1': 0 } } });
  const sets = k3sManifests(partial)
    .map((m) => m.object)
    .filter((o) => o.kind === 'DaemonSet');
  assert.deepEqual(
    sets.map((d) => [d.metadata.name, (d.spec as any).template.spec.containers[0].resources.requests]),
    [['exo-gpu-reservation-nvidia-1', { [GPU_RESOURCE.nvidia]: '1' }]],
  );
  const nv1 = partial.hosts.find((h) => h.name === 'nv-1')!;
  assert.equal(nodeLabels(partial, nv1)['nix-gpu-cluster/exo-gpus'], '1');
  assert.equal(
    nodeLabels(
      partial,
      partial.hosts.find((h) => h.name === 'amd-1')!,
    )['nix-gpu-cluster/gpu-vendor'],
    'amd',
  );

  const k3sOwns = withK3s(spec, { gpus: { owner: 'k3s' } });
  assert.ok(!k3sManifests(k3sOwns).some((m) => m.object.kind === 'DaemonSet'));
  assert.equal(
    effectiveAccelerator(
      k3sOwns,
      k3sOwns.hosts.find((h) => h.name === 'nv-1')!,
    ),
    'cpu',
  );
  assert.equal(
    effectiveAccelerator(
      k3sOwns,
      k3sOwns.hosts.find((h) => h.name === 'studio')!,
    ),
    'mlx',
    'a Mac is no k3s host',
  );
  assert.equal(effectiveAccelerator(spec, nv1), 'cuda');
});

test("an IPv6 exo endpoint gets its own EndpointSlice and a /128 ipBlock; register: false removes exo's objects", async () => {
  const spec = parseYaml(`
cluster: { name: v6, domain: v6 }
network: { segments: [{ name: data, subnet: "fd00:1::/64" }] }
hosts:
  - name: a
    addresses: [10.0.0.1]
    roles: [exo-api, exo-master, k3s-server]
    interfaces: [{ name: bond0, kind: bond, segment: data, addresses: ["fd00:1::10/64"] }]
exo: { enable: true }
k3s: { enable: true, interfaces: [bond0], exo: { allowFrom: [ml, default] } }
`) as ClusterSpec;
  const objects = k3sManifests(spec).map((m) => m.object);
  const slices = objects.filter((o) => o.kind === 'EndpointSlice');
  assert.deepEqual(
    slices.map((s) => [s.metadata.name, s.addressType, (s.endpoints as any)[0].addresses]),
    [['exo-ipv6', 'IPv6', ['fd00:1::10']]],
  );
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  assert.deepEqual(
    policies.map((p) => [p.metadata.namespace, (p.spec as any).egress[0].to[0].ipBlock.cidr]),
    [
      ['ml', 'fd00:1::10/128'],
      ['default', 'fd00:1::10/128'],
    ],
  );
  const off = withK3s(spec, { exo: { register: false } });
  assert.deepEqual(
    k3sManifests(off).map((m) => m.object.kind),
    [],
    'no GPUs and no registration: nothing to deploy',
  );
  assert.deepEqual(k3sManifests(withK3s(spec, { enable: false })), []);
});

test("node labels: GPU facts as valid label values, the host's own labels, nothing on hosts without k3s", async () => {
  const spec = await exampleSpec('lab');
  const hub = spec.hosts.find((h) => h.name === 'hub-1')!;
  assert.deepEqual(nodeLabels(spec, hub), {
    'nix-gpu-cluster/gpu-vendor': 'nvidia',
    'nix-gpu-cluster/gpu-model': 'RTX-4090',
    'nix-gpu-cluster/gpu-count': '2',
    'nix-gpu-cluster/exo-gpus': '2',
    'nix-gpu-cluster/gpu-memory-gb': '24',
  });
  assert.deepEqual(
    nodeLabels(
      spec,
      spec.hosts.find((h) => h.name === 'mac-studio')!,
    ),
    {},
  );
  const labelled = { ...hub, labels: { rack: 'a3', 'bad key!': 'x', 'node-role.kubernetes.io/gpu': 'true' } };
  const labels = nodeLabels({ ...spec, hosts: spec.hosts.map((h) => (h === hub ? labelled : h)) }, labelled);
  assert.equal(labels.rack, 'a3');
  assert.ok(!('bad key!' in labels) && !('node-role.kubernetes.io/gpu' in labels), 'labels the kubelet refuses are left out');
  assert.equal(labelValue('  RTX 6000 Ada (48 GB) '), 'RTX-6000-Ada-48-GB');
  assert.equal(labelValue('x'.repeat(70) + '-'), 'x'.repeat(63));
});
