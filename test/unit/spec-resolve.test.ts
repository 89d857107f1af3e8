// Effective values: defaults applied in the right order, accelerators resolved from GPUs, memory summed
// from the catalogue; and the catalogues themselves hold what completion and the rules rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceleratorRunsOn,
  checkpointUnsupportedReason,
  clusterInferenceMemory,
  effectiveAccelerator,
  effectiveGpus,
  effectiveRoles,
  effectiveSsh,
  effectiveSystem,
  exoPorts,
  inferenceMemoryGB,
  natsPorts,
  totalVramGB,
} from '../../core/src/spec/resolve';
import { findGpu, GPU_CATALOG } from '#core/catalog';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { closestExoModels, EXO_MODEL_CARDS_COMMIT, EXO_MODELS, findExoModel } from '../../core/src/catalog/models';
import { exoUpstream } from '../support/exoUpstream';
import type { ClusterSpec, HostSpec } from '#core/spec';

const host = (h: Partial<HostSpec>): HostSpec => ({ name: 'h', addresses: ['10.0.0.1'], ...h });
const spec = (s: Partial<ClusterSpec> = {}, hosts: HostSpec[] = []): ClusterSpec => ({ cluster: { name: 'c', domain: 'c' }, hosts, ...s });

test('resolve: system comes from the host, then cluster.system, then x86_64-linux', () => {
  assert.equal(effectiveSystem(spec(), host({})), 'x86_64-linux');
  assert.equal(effectiveSystem(spec({ cluster: { name: 'c', domain: 'c', system: 'aarch64-linux' } }), host({})), 'aarch64-linux');
  assert.equal(
    effectiveSystem(spec({ cluster: { name: 'c', domain: 'c', system: 'aarch64-linux' } }), host({ system: 'aarch64-darwin' })),
    'aarch64-darwin',
  );
});

test('resolve: ssh merges host over defaults over built-ins; host key and jump are never inherited', () => {
  const s = spec({ defaults: { ssh: { user: 'admin', identity: '~/.ssh/k', hostKey: 'ssh-ed25519 AAAA', jump: 'x' } } });
  assert.deepEqual(effectiveSsh(s, host({ ssh: { port: 2222 } })), {
    user: 'admin',
    port: 2222,
    address: '10.0.0.1',
    identity: '~/.ssh/k',
    hostKey: undefined,
    jump: undefined,
  });
  assert.deepEqual(effectiveSsh(spec(), host({ ssh: { address: 'gpu.lab' } })), {
    user: 'root',
    port: 22,
    address: 'gpu.lab',
    identity: undefined,
    hostKey: undefined,
    jump: undefined,
  });
});

test('resolve: roles come from the host, else defaults.roles', () => {
  const s = spec({ defaults: { roles: ['exo-worker'] } });
  assert.deepEqual(effectiveRoles(s, host({})), ['exo-worker']);
  assert.deepEqual(effectiveRoles(s, host({ roles: [] })), []);
});

test('resolve: GPUs take VRAM and compute capability from the catalogue; Apple uses the host memory', () => {
  const h = host({
    hardware: {
      memoryGB: 96,
      gpus: [
        { vendor: 'nvidia', model: 'NVIDIA GeForce RTX 4090', count: 2 },
        { vendor: 'nvidia', model: 'Mystery', vramGB: 7 },
      ],
    },
  });
  assert.deepEqual(
    effectiveGpus(h).map((g) => [g.vramGB, g.computeCapability, g.count, g.known]),
    [
      [24, '8.9', 2, true],
      [7, undefined, 1, false],
    ],
  );
  assert.equal(totalVramGB(h), 55);
  const mac = host({ system: 'aarch64-darwin', hardware: { memoryGB: 96, gpus: [{ vendor: 'apple', model: 'M2 Max' }] } });
  assert.equal(effectiveGpus(mac)[0].vramGB, 96);
});

test('resolve: auto accelerator follows the GPUs; overrides win; darwin is mlx', () => {
  assert.equal(effectiveAccelerator(spec(), host({ hardware: { gpus: [{ vendor: 'amd', model: 'MI300X' }] } })), 'rocm');
  assert.equal(effectiveAccelerator(spec(), host({ hardware: { gpus: [{ vendor: 'intel', model: 'Arc A770' }] } })), 'intel');
  assert.equal(effectiveAccelerator(spec(), host({})), 'cpu');
  assert.equal(effectiveAccelerator(spec(), host({ system: 'aarch64-darwin' })), 'mlx');
  assert.equal(
    effectiveAccelerator(spec({ exo: { accelerator: 'cpu' } }), host({ hardware: { gpus: [{ vendor: 'nvidia', model: 'L40S' }] } })),
    'cpu',
  );
  assert.equal(effectiveAccelerator(spec({ exo: { accelerator: 'cpu' } }), host({ exo: { accelerator: 'cuda' } })), 'cuda');
  assert.equal(acceleratorRunsOn('mlx', 'x86_64-linux'), false);
  assert.equal(acceleratorRunsOn('cuda', 'aarch64-linux'), true);
  assert.equal(acceleratorRunsOn('cuda', 'aarch64-darwin'), false);
  assert.equal(acceleratorRunsOn('rocm', 'x86_64-linux'), true);
});

test('resolve: inference memory per host and for the cluster counts exo hosts only', () => {
  const gpu = host({
    name: 'g',
    roles: ['exo-worker'],
    hardware: {
      memoryGB: 256,
      gpus: [
        { vendor: 'nvidia', model: 'A100 80GB', count: 4 },
        { vendor: 'amd', model: 'MI210' },
      ],
    },
  });
  const mac = host({
    name: 'm',
    system: 'aarch64-darwin',
    roles: ['exo-worker'],
    hardware: { memoryGB: 192, gpus: [{ vendor: 'apple', model: 'M2 Ultra' }] },
  });
  const cpu = host({ name: 'c', roles: ['exo-worker'], hardware: { memoryGB: 64 } });
  const other = host({ name: 'o', roles: ['nats-hub'], hardware: { gpus: [{ vendor: 'nvidia', model: 'H100 SXM' }] } });
  const s = spec({}, [gpu, mac, cpu, other]);
  assert.equal(inferenceMemoryGB(s, gpu), 320, 'cuda uses the NVIDIA GPUs only');
  assert.equal(inferenceMemoryGB(s, mac), 192);
  assert.equal(inferenceMemoryGB(s, cpu), 64);
  const total = clusterInferenceMemory(s);
  assert.equal(total.totalGB, 576);
  assert.deepEqual([...total.perHost.keys()], ['g', 'm', 'c']);
  assert.equal(clusterInferenceMemory(spec({ exo: { enable: false } }, [gpu])).totalGB, 0);
});

test('resolve: ports default as documented', () => {
  assert.deepEqual(exoPorts(spec()), { api: 52415, zenoh: 52414, discovery: 52413 });
  assert.deepEqual(exoPorts(spec({ exo: { ports: { api: 8080 } } })).api, 8080);
  assert.deepEqual(natsPorts(spec()), { client: 4222, leafnode: 7422, monitoring: 8222, cluster: 6222 });
});

test('resolve: cuda-checkpoint needs x86_64-linux and an NVIDIA GPU', () => {
  assert.equal(checkpointUnsupportedReason(spec(), host({ hardware: { gpus: [{ vendor: 'nvidia', model: 'L4' }] } })), undefined);
  assert.match(
    checkpointUnsupportedReason(spec(), host({ system: 'aarch64-linux', hardware: { gpus: [{ vendor: 'nvidia', model: 'GH200' }] } }))!,
    /only on x86_64-linux/,
  );
  assert.match(checkpointUnsupportedReason(spec(), host({}))!, /needs an NVIDIA GPU/);
});

test('catalogue: the GPUs the issue names, with real figures, found by the names people write', () => {
  assert.ok(GPU_CATALOG.length >= 25);
  const want: [string, string, number, string?][] = [
    ['RTX 3080 Ti', 'nvidia', 12, '8.6'],
    ['RTX 3090', 'nvidia', 24, '8.6'],
    ['RTX 4080', 'nvidia', 16, '8.9'],
    ['RTX 4090', 'nvidia', 24, '8.9'],
    ['RTX 5090', 'nvidia', 32, '12.0'],
    ['A100 40GB', 'nvidia', 40, '8.0'],
    ['A100 80GB', 'nvidia', 80, '8.0'],
    ['H100 SXM', 'nvidia', 80, '9.0'],
    ['L40S', 'nvidia', 48, '8.9'],
    ['MI210', 'amd', 64],
    ['MI250', 'amd', 128],
    ['MI300X', 'amd', 192],
    ['RX 7900 XTX', 'amd', 24],
    ['Arc A770', 'intel', 16],
    ['Max 1550', 'intel', 128],
    ['M2 Ultra', 'apple', 192],
    ['M3 Max', 'apple', 128],
    ['M4 Max', 'apple', 128],
    ['M3 Ultra', 'apple', 512],
  ];
  for (const [model, vendor, vram, cc] of want) {
    const g = findGpu(model);
    assert.ok(g, model);
    assert.deepEqual([g.vendor, g.vramGB, g.computeCapability], [vendor, vram, cc], model);
  }
  assert.equal(findGpu('NVIDIA GeForce RTX 4090')?.model, 'RTX 4090');
  assert.equal(findGpu('a100-sxm4-80gb')?.model, 'A100 80GB');
  assert.equal(findGpu('Instinct MI300X')?.model, 'MI300X');
  assert.equal(findGpu('RTX 9999'), undefined);
  assert.equal(new Set(GPU_CATALOG.map((g) => g.model)).size, GPU_CATALOG.length, 'model names are unique');
});

test("catalogue: exo models are exo's model cards, with the storage size as the memory need", () => {
  const llama = findExoModel('mlx-community/Llama-3.3-70B-Instruct-4bit');
  assert.ok(llama);
  assert.equal(llama.storageBytes, 40652242944);
  assert.equal(llama.memoryGB, 37.9);
  assert.equal(llama.layers, 80);
  assert.equal(llama.family, 'llama');
  assert.equal(llama.quantization, '4bit');
  assert.equal(findExoModel('llama-3.1-70b'), undefined, 'short ids of old exo releases are not model ids');
  assert.equal(new Set(EXO_MODELS.map((m) => m.id)).size, EXO_MODELS.length);
  assert.match(EXO_MODEL_CARDS_COMMIT, /^b5375f8[0-9a-f]{33}$/);
});

test('catalogue: it holds every card of the pinned exo source, with its id, size and layers', (t) => {
  const exo = exoUpstream();
  if (!exo) return t.skip("exo's source (../shared/upstream/exo) is not on this machine");
  const dir = path.join(exo, 'resources/inference_model_cards');
  const files = readdirSync(dir).filter((f) => f.endsWith('.toml'));
  assert.equal(EXO_MODELS.length, files.length);
  for (const f of files) {
    const toml = readFileSync(path.join(dir, f), 'utf8');
    const id = /^model_id = "([^"]+)"/m.exec(toml)![1];
    const card = findExoModel(id);
    assert.ok(card, id);
    assert.equal(card.storageBytes, Number(/^in_bytes = (\d+)/m.exec(toml)![1]), id);
    assert.equal(card.layers, Number(/^n_layers = (\d+)/m.exec(toml)![1]), id);
  }
});

test('catalogue: the real ids closest to a short or old one', () => {
  assert.equal(closestExoModels('llama-3.1-70b')[0].id, 'mlx-community/Meta-Llama-3.1-70B-Instruct-4bit');
  assert.equal(closestExoModels('llama-3.2-1b')[0].id, 'mlx-community/Llama-3.2-1B-Instruct-4bit');
  assert.equal(closestExoModels('llama-3.3-70b')[0].id, 'mlx-community/Llama-3.3-70B-Instruct-4bit');
  const big = closestExoModels('llama-3.1-405b').map((m) => m.id);
  assert.ok(big.length > 0 && big.every((id) => /llama/i.test(id)), big.join());
  assert.ok(closestExoModels('qwen-2.5-72b').every((m) => m.family.startsWith('qwen')));
  assert.deepEqual(closestExoModels('zzz-unknown'), []);
});
