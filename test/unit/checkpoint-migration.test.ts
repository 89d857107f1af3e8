// Cross-host restore: which moves cuda-checkpoint can make (core/src/checkpoint/migration.ts), live and from the spec.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  declaredNvidiaLayout,
  layoutDifference,
  plannedMoveProblems,
  plannedTargets,
  restoreCompatibility,
  type CheckpointNeeds,
  type HostGpuFacts,
} from '../../core/src/checkpoint/migration';
import type { ClusterSpec, HostSpec } from '#core/spec';
import { retentionPlan } from '../../core/src/checkpoint/retention';
import { parseNvidiaMig } from '../../core/src/ops/nvidiaSmi';

const l4 = (used = 0, mig = false) => ({ name: 'NVIDIA L4', memoryTotalMiB: 23034, memoryUsedMiB: used, mig });
const needs = (over: Partial<CheckpointNeeds> = {}): CheckpointNeeds => ({
  host: 'a',
  driverVersion: '570.86.10',
  gpuModels: ['NVIDIA L4', 'NVIDIA L4'],
  gpuIndex: 1,
  usedMemoryMiB: 18000,
  ...over,
});
const target = (over: Partial<HostGpuFacts> = {}): HostGpuFacts => ({
  host: 'b',
  driverVersion: '580.65.06',
  gpus: [l4(), l4(1000)],
  ...over,
});

describe('restore compatibility (live)', () => {
  it('accepts the same GPU layout with the memory free on the same index and 570+ on both ends', () => {
    assert.deepEqual(restoreCompatibility(needs(), target()), { ok: true, reasons: [] });
  });

  it('refuses a driver older than 570 on either end, and says which host', () => {
    const r = restoreCompatibility(needs({ driverVersion: '550.54.14' }), target({ driverVersion: '565.57.01' }));
    assert.deepEqual(r.reasons, [
      "'a' runs NVIDIA driver 550.54.14; checkpoints need 570 or newer on both hosts",
      "'b' runs NVIDIA driver 565.57.01; checkpoints need 570 or newer on both hosts",
    ]);
    assert.match(restoreCompatibility(needs(), target({ driverVersion: undefined })).reasons[0], /driver of 'b' is unknown/);
  });

  it('refuses another GPU count, another model or another order (issue #18)', () => {
    assert.match(
      restoreCompatibility(needs(), target({ gpus: [l4(), l4(), l4(), l4()] })).reasons[0],
      /'b' has 4 × NVIDIA L4, 'a' has 2 × NVIDIA L4/,
    );
    const mixed = restoreCompatibility(
      needs({ gpuModels: ['NVIDIA L4', 'NVIDIA A100 80GB PCIe'] }),
      target({ gpus: [{ ...l4(), name: 'NVIDIA A100 80GB PCIe' }, l4()] }),
    );
    assert.deepEqual(mixed.reasons, [
      "GPU 0 of 'b' is NVIDIA A100 80GB PCIe, on 'a' it is NVIDIA L4: a checkpoint comes back only on the same GPU models in the same order",
    ]);
    // the spec says `L4`, nvidia-smi says `NVIDIA L4`: the same model
    assert.equal(layoutDifference({ host: 'a', models: ['L4'] }, { host: 'b', models: ['NVIDIA L4'] }), undefined);
  });

  it('needs the memory free on the GPU with the same index, not anywhere on the host (issues #23, #35)', () => {
    const r = restoreCompatibility(needs(), target({ gpus: [l4(), l4(20000)] }));
    assert.deepEqual(r.reasons, [
      "GPU 1 of 'b' has 3034 MiB free, the process needs 18000 MiB there (it comes back on the same GPU index)",
    ]);
    assert.match(
      restoreCompatibility(needs(), target({ gpus: [l4(), { name: 'NVIDIA L4' }] })).reasons[0],
      /free memory of GPU 1 on 'b' is unknown/,
    );
  });

  it('refuses MIG on either end (issue #42) and NCCL (issue #30)', () => {
    const r = restoreCompatibility(needs({ mig: true, usesNccl: true }), target({ gpus: [l4(0, true), l4()] }));
    assert.deepEqual(r.reasons, [
      "the process ran on a MIG instance on 'a': cuda-checkpoint does not support MIG",
      "GPU 0 of 'b' is in MIG mode: cuda-checkpoint does not support MIG",
      'the process uses NCCL, which cuda-checkpoint cannot checkpoint and restore yet',
    ]);
  });
});

const host = (name: string, gpus: HostSpec['hardware'], over: Partial<HostSpec> = {}): HostSpec => ({
  name,
  addresses: ['10.0.0.1'],
  roles: ['checkpoint-agent'],
  hardware: gpus,
  ...over,
});
const spec = (hosts: HostSpec[]): ClusterSpec => ({ cluster: { name: 't', domain: 't', system: 'x86_64-linux' }, hosts });

describe('planned moves (spec)', () => {
  const a = host('a', { gpus: [{ vendor: 'nvidia', model: 'L4', count: 2 }] });
  const b = host('b', {
    gpus: [
      { vendor: 'nvidia', model: 'L4' },
      { vendor: 'nvidia', model: 'L4' },
    ],
  });
  const c = host('c', { gpus: [{ vendor: 'nvidia', model: 'L4', count: 4 }] });
  const d = host('d', { gpus: [{ vendor: 'nvidia', model: 'L4', count: 2 }] }, { roles: ['exo-worker'] });
  const e = host('e', { gpus: [{ vendor: 'nvidia', model: 'L4', count: 2 }] }, { system: 'aarch64-linux' });
  const s = spec([a, b, c, d, e]);

  it('expands counts into one entry per GPU, NVIDIA only', () => {
    assert.deepEqual(
      declaredNvidiaLayout(
        host('x', {
          gpus: [
            { vendor: 'nvidia', model: 'L4', count: 2 },
            { vendor: 'amd', model: 'MI300X' },
          ],
        }),
      ),
      ['L4', 'L4'],
    );
  });

  it('accepts the same layout written two ways, and lists it as the only target', () => {
    assert.deepEqual(plannedMoveProblems(s, a, b), []);
    assert.deepEqual(
      plannedTargets(s, a).map((h) => h.name),
      ['b'],
    );
  });

  it('puts each reason on the end that causes it', () => {
    assert.deepEqual(plannedMoveProblems(s, a, a), [{ on: 'to', reason: "'a' is the host the processes move away from" }]);
    assert.deepEqual(plannedMoveProblems(s, a, c), [
      {
        on: 'to',
        reason: "'c' has 4 × L4, 'a' has 2 × L4: a checkpoint comes back only on the same GPU models in the same number and order",
      },
    ]);
    assert.deepEqual(plannedMoveProblems(s, a, d), [
      { on: 'to', reason: "'d' has no checkpoint-agent role, so it gets no CRIU or cuda-checkpoint" },
    ]);
    assert.deepEqual(
      plannedMoveProblems(s, e, a).map((p) => p.on),
      ['from'],
    );
    assert.match(plannedMoveProblems(s, e, a)[0].reason, /only on x86_64-linux/);
  });
});

describe('retention and the MIG query', () => {
  it('keeps the newest `retain` of each group, never fewer than one', () => {
    const items = [
      { g: 'a', t: '2026-12-05T08:00:00Z' },
      { g: 'a', t: '2026-12-05T10:00:00Z' },
      { g: 'b', t: '2026-12-05T07:00:00Z' },
      { g: 'a', t: '2026-12-05T09:00:00Z' },
    ];
    const plan = retentionPlan(
      items,
      2,
      (i) => i.g,
      (i) => i.t,
    );
    assert.deepEqual(plan.remove, [items[0]]);
    assert.deepEqual(plan.keep, [items[1], items[3], items[2]]);
    assert.deepEqual(
      retentionPlan(
        items,
        0,
        (i) => i.g,
        (i) => i.t,
      ).keep,
      [items[1], items[2]],
    );
  });

  it('reads mig.mode.current: Enabled, Disabled and [N/A] (no MIG on the GPU)', () => {
    assert.deepEqual(
      [...parseNvidiaMig('0, Enabled\n1, Disabled\n2, [N/A]\n')],
      [
        [0, true],
        [1, false],
        [2, false],
      ],
    );
    assert.throws(() => parseNvidiaMig('x, Enabled\n'), /Unexpected nvidia-smi output/);
  });
});
