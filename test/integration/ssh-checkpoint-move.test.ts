// Cross-host restore over real SSH: two sshd hosts on loopback, each with its own GPUs from the nvidia-smi stand-in
// (the recorded RTX 4090 machine, or a host's own CSV), cuda-checkpoint's stand-in, and CRIU (real, or its stand-in
// where `criu check` fails). A checkpoint taken on test-1 is refused on test-2 with the reason while test-2 differs
// (GPU count, MIG, free memory on the process's GPU index, driver), and is copied and restored there once it matches.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SshPool, type SshEndpoint } from '#core/ssh';
import {
  checkpointSettings,
  createCheckpoint,
  hostGpuFacts,
  listGpuProcesses,
  type CheckpointManifest,
} from '../../core/src/ops/checkpoint';
import { restoreOnHost, targetCompatibility } from '#core/checkpoint';
import { RecordingPolicy, REPO_ROOT, startSshd, type TestSshd } from '../fixtures/ops/sshd';
import { startGpuWorkload, stopWorkloads } from '../fixtures/ops/gpuWorkload';

const criuWorks = spawnSync('criu', ['check'], { encoding: 'utf8' }).status === 0;
let sshd: TestSshd;
let state: string;
let base1: string;
let base2: string;
let pool: SshPool;
let ep1: SshEndpoint;
let ep2: SshEndpoint;
let manifest: CheckpointManifest;
const started: number[] = [];

/** test-2's GPUs as nvidia-smi's CSV (index, name, uuid, memory.total, memory.used, util, temp, driver). */
function gpusOfTarget(lines: string[]): void {
  writeFileSync(path.join(state, 'gpus-test-2.csv'), `${lines.join('\n')}\n`);
}
const rtx = (i: number, usedMiB: number, driver = '575.51.03') =>
  `${i}, NVIDIA GeForce RTX 4090, GPU-7${i}aa0000-0000-4000-8000-00000000000${i}, 24564, ${usedMiB}, 0, 30, ${driver}`;

before(async () => {
  state = mkdtempSync(path.join(os.tmpdir(), 'ckpt-move-state-'));
  base1 = mkdtempSync(path.join(os.tmpdir(), 'ckpt-move-a-'));
  base2 = mkdtempSync(path.join(os.tmpdir(), 'ckpt-move-b-'));
  writeFileSync(path.join(state, 'driver_version'), '570.86.10\n');
  sshd = await startSshd(2, {
    env: { OPS_FIXTURE_STATE: state },
    pathPrefix: criuWorks ? [] : [path.join(REPO_ROOT, 'test/fixtures/ops/criu-standin')],
  });
  pool = new SshPool({ policy: new RecordingPolicy([], () => assert.fail('pinned')), auth: { agent: '' } });
  ep1 = sshd.hosts[0].endpoint({ hostKey: sshd.hosts[0].hostKey });
  ep2 = sshd.hosts[1].endpoint({ hostKey: sshd.hosts[1].hostKey });
  const pid = await startGpuWorkload(pool, ep1, { stateDir: state, tag: 3903, started });
  const [gpu] = await listGpuProcesses(pool, ep1);
  manifest = await createCheckpoint(pool, ep1, {
    host: 'test-1',
    pid,
    gpu,
    settings: checkpointSettings({ storage: { kind: 'local', path: base1 } }),
  });
});

after(async () => {
  stopWorkloads(started);
  pool?.closeAll();
  await sshd?.stopAll();
  for (const d of [state, base1, base2]) rmSync(d, { recursive: true, force: true });
});

describe('restore on another host', () => {
  it("records what a restore elsewhere needs: the GPU layout, the process's GPU index, MIG and NCCL", async () => {
    assert.deepEqual(manifest.gpuModels, ['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 4090']);
    assert.equal(manifest.gpuIndex, 0);
    assert.equal(manifest.mig, false);
    assert.equal(manifest.usesNccl, false);
    assert.equal(manifest.driverVersion, '570.86.10');
    const facts = await hostGpuFacts(pool, ep1);
    assert.deepEqual(
      facts.gpus.map((g) => g.mig),
      [false, false],
    );
  });

  it('refuses a target with other GPUs, MIG, too little free memory on the same index, or an old driver, and copies nothing', async () => {
    gpusOfTarget([rtx(0, 3)]);
    assert.match(
      (await targetCompatibility(pool, ep2, manifest)).reasons.join(),
      /'test-2' has 1 × NVIDIA GeForce RTX 4090, 'test-1' has 2 × NVIDIA GeForce RTX 4090/,
    );
    gpusOfTarget([rtx(0, 3), rtx(1, 3)]);
    writeFileSync(path.join(state, 'mig-test-2'), '');
    assert.deepEqual((await targetCompatibility(pool, ep2, manifest)).reasons, [
      "GPU 0 of 'test-2' is in MIG mode: cuda-checkpoint does not support MIG",
    ]);
    rmSync(path.join(state, 'mig-test-2'));
    gpusOfTarget([rtx(0, 9000), rtx(1, 3)]);
    await assert.rejects(
      restoreOnHost(pool, ep1, ep2, manifest, base2),
      /cannot be restored on test-2: GPU 0 of 'test-2' has 15564 MiB free, the process needs 18176 MiB there/,
    );
    gpusOfTarget([rtx(0, 3, '550.54.14'), rtx(1, 3, '550.54.14')]);
    assert.deepEqual((await targetCompatibility(pool, ep2, manifest)).reasons, [
      "'test-2' runs NVIDIA driver 550.54.14; checkpoints need 570 or newer on both hosts",
    ]);
    assert.deepEqual(readdirSync(base2), []);
  });

  it('copies the images to a matching target and restores the process there', async () => {
    gpusOfTarget([rtx(0, 3), rtx(1, 3)]);
    const steps: string[] = [];
    const moved = await restoreOnHost(pool, ep1, ep2, manifest, base2, { onStep: (s) => steps.push(`${s.step}:${s.ok}`) });
    started.push(moved.pid);
    assert.deepEqual(steps, ['compatible:true', 'copy:true', 'restore:true', 'cuda-restore:true', 'unlock:true']);
    assert.equal(moved.target, 'test-2');
    assert.equal(moved.manifest.imagesDir, path.join(base2, manifest.id));
    // the images arrived byte for byte, with the manifest rewritten for the new folder
    for (const f of readdirSync(manifest.imagesDir).filter((n) => n !== 'manifest.json' && !n.startsWith('restore'))) {
      assert.deepEqual(readFileSync(path.join(base2, manifest.id, f)), readFileSync(path.join(manifest.imagesDir, f)), f);
    }
    assert.equal(JSON.parse(readFileSync(path.join(base2, manifest.id, 'manifest.json'), 'utf8')).imagesDir, path.join(base2, manifest.id));
    assert.ok(!existsSync(path.join(base2, `.${manifest.id}.tar`)), 'the transfer archive is removed');
    assert.doesNotThrow(() => process.kill(moved.pid, 0), 'the restored process runs');
  });
});
