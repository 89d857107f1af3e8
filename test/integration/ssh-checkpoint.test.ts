// The checkpoint flow over real SSH: prerequisites, GPU process listing (recorded nvidia-smi stand-in), the
// lock → checkpoint → dump sequence with a cuda-checkpoint stand-in (no GPU here), rollback when the dump
// fails, the manifest, listing, restore and delete. CRIU is the real one when `criu check` works on this
// kernel; where it fails (this sandbox: "kerndat_vdso_fill_symtable failed") a CRIU stand-in with the same
// interface is put first on the test hosts' PATH, and the test says so.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SshPool, type SshEndpoint } from '#core/ssh';
import {
  CheckpointError,
  checkPrerequisites,
  checkpointSettings,
  createCheckpoint,
  deleteCheckpoint,
  listCheckpoints,
  listGpuProcesses,
  restoreCheckpoint,
  type CheckpointSettings,
} from '../../core/src/ops/checkpoint';
import { RecordingPolicy, REPO_ROOT, startSshd, type TestSshd } from '../fixtures/ops/sshd';
import { startGpuWorkload, stopWorkloads } from '../fixtures/ops/gpuWorkload';

/** The version cuda-checkpoint's own `--help` prints in its README (github:NVIDIA/cuda-checkpoint @ 6ec728a). */
const DRIVER_570 = '570.86.10';
const realCriu = spawnSync('criu', ['check'], { encoding: 'utf8' });
const criuWorks = realCriu.status === 0;

let sshd: TestSshd;
let state: string;
let base: string;
let pool: SshPool;
let ep: SshEndpoint;
const started: number[] = [];

before(async () => {
  if (!criuWorks)
    console.log(
      `# real CRIU unusable here (${(realCriu.stderr || realCriu.error?.message || '').trim().split('\n').at(-1)}); using the CRIU stand-in`,
    );
  state = mkdtempSync(path.join(os.tmpdir(), 'ops-ckpt-state-'));
  base = mkdtempSync(path.join(os.tmpdir(), 'ops-ckpt-images-'));
  sshd = await startSshd(1, {
    env: { OPS_FIXTURE_STATE: state },
    pathPrefix: criuWorks ? [] : [path.join(REPO_ROOT, 'test/fixtures/ops/criu-standin')],
  });
  pool = new SshPool({ policy: new RecordingPolicy([], () => assert.fail('pinned')), auth: { agent: '' } });
  ep = sshd.hosts[0].endpoint({ hostKey: sshd.hosts[0].hostKey });
});

after(async () => {
  stopWorkloads(started);
  pool?.closeAll();
  await sshd?.stopAll();
  rmSync(state, { recursive: true, force: true });
  rmSync(base, { recursive: true, force: true });
});

const settings = (over: Partial<CheckpointSettings> = {}): CheckpointSettings => ({
  ...checkpointSettings({ storage: { kind: 'local', path: base }, lockTimeoutMs: 7000 }),
  ...over,
});
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const cudaLog = () =>
  existsSync(path.join(state, 'cuda-checkpoint.log'))
    ? readFileSync(path.join(state, 'cuda-checkpoint.log'), 'utf8').trim().split('\n')
    : [];
const clearCudaLog = () => rmSync(path.join(state, 'cuda-checkpoint.log'), { force: true });

/** A CPU process started over SSH in its own session, listed as a GPU process by the nvidia-smi stand-in. */
async function startWorkload(tag: string): Promise<number> {
  return startGpuWorkload(pool, ep, { stateDir: state, tag, started });
}

describe('checkpoints', () => {
  it('checks the prerequisites and refuses a driver older than 570 with the reason', async () => {
    // the stand-in's recorded machine runs 550.54.14: cuda-checkpoint runs there, but not its lock --timeout
    const old = await checkPrerequisites(pool, ep);
    assert.equal(old.ok, false);
    assert.equal(old.driverVersion, '550.54.14');
    assert.deepEqual(old.reasons, [
      "NVIDIA driver 550.54.14 is too old: checkpointing needs 570 or newer (cuda-checkpoint's lock with a timeout came with driver 570)",
    ]);
    writeFileSync(path.join(state, 'driver_version'), `${DRIVER_570}\n`);
    try {
      const ok = await checkPrerequisites(pool, ep);
      assert.deepEqual(ok.reasons, []);
      assert.equal(ok.driverVersion, DRIVER_570);
    } finally {
      rmSync(path.join(state, 'driver_version'));
    }
  });

  it('lists GPU processes', async () => {
    const pid = await startWorkload('3601');
    const apps = await listGpuProcesses(pool, ep);
    assert.deepEqual(apps, [{ pid, processName: 'sleep', usedMemoryMiB: 18176, gpuUuid: 'GPU-5d5a5f8e-7f2c-3b2a-9a61-2f4b8c0d1e11' }]);
  });

  it('checkpoints a process, records the manifest, lists, restores and deletes it', async () => {
    clearCudaLog();
    const pid = await startWorkload('3602');
    const [gpu] = await listGpuProcesses(pool, ep);
    const steps: string[] = [];
    const manifest = await createCheckpoint(
      pool,
      ep,
      { host: 'test-1', pid, gpu, driverVersion: DRIVER_570, settings: settings() },
      { onStep: (s) => steps.push(`${s.step}:${s.ok}`) },
    );
    assert.deepEqual(steps, ['lock:true', 'checkpoint:true', 'dump:true', 'manifest:true']);
    assert.deepEqual(cudaLog(), [`lock ${pid} timeout=7000`, `checkpoint ${pid}`]);
    assert.ok(await waitFor(() => !alive(pid)), 'criu dump without --leave-running stops the process');
    assert.equal(manifest.pid, pid);
    assert.equal(manifest.processName, 'sleep');
    assert.equal(manifest.gpu?.uuid, gpu.gpuUuid);
    assert.equal(manifest.driverVersion, DRIVER_570);
    assert.ok(manifest.sizeBytes > 0);
    assert.equal(manifest.imagesDir, path.join(base, manifest.id));
    assert.deepEqual(
      JSON.parse(readFileSync(path.join(manifest.imagesDir, 'manifest.json'), 'utf8')),
      JSON.parse(JSON.stringify(manifest)),
    );

    const listed = await listCheckpoints(pool, ep, base);
    assert.deepEqual(
      listed.map((m) => m.id),
      [manifest.id],
    );

    clearCudaLog();
    const restored = await restoreCheckpoint(pool, ep, manifest);
    started.push(restored.pid);
    assert.ok(alive(restored.pid));
    assert.match(readFileSync(`/proc/${restored.pid}/cmdline`, 'utf8'), /^sleep\u00003602/);
    assert.deepEqual(cudaLog(), [`restore ${restored.pid}`, `unlock ${restored.pid}`]);

    await deleteCheckpoint(pool, ep, base, manifest.id);
    assert.equal(existsSync(manifest.imagesDir), false);
    assert.deepEqual(await listCheckpoints(pool, ep, base), []);
  });

  it('rolls back when the dump fails: GPU state restored, process unlocked and still running, no images left', async () => {
    clearCudaLog();
    const pid = await startWorkload('3603');
    writeFileSync(path.join(state, 'criu.fail-dump'), '');
    try {
      await assert.rejects(createCheckpoint(pool, ep, { host: 'test-1', pid, settings: settings() }), (err: CheckpointError) => {
        assert.equal(err.step, 'dump');
        assert.equal(err.rolledBack, true);
        assert.match(err.message, /criu dump of \d+ failed/);
        assert.match(err.message, /Dumping FAILED/);
        assert.match(err.message, /keeps running/);
        return true;
      });
    } finally {
      rmSync(path.join(state, 'criu.fail-dump'));
    }
    assert.deepEqual(cudaLog(), [`lock ${pid} timeout=7000`, `checkpoint ${pid}`, `restore ${pid}`, `unlock ${pid}`]);
    assert.ok(alive(pid));
    assert.deepEqual(await listCheckpoints(pool, ep, base), []);
  });

  it('a failed lock changes nothing', async () => {
    clearCudaLog();
    const pid = await startWorkload('3604');
    writeFileSync(path.join(state, 'cuda-checkpoint.fail-lock'), '');
    try {
      await assert.rejects(
        createCheckpoint(pool, ep, { host: 'test-1', pid, settings: settings() }),
        (err: CheckpointError) => err.step === 'lock' && /nothing was changed/.test(err.message),
      );
    } finally {
      rmSync(path.join(state, 'cuda-checkpoint.fail-lock'));
    }
    assert.deepEqual(cudaLog(), [`lock ${pid} timeout=7000`]);
    assert.ok(alive(pid));
  });

  it('refuses an id that would escape the checkpoint folder', async () => {
    await assert.rejects(deleteCheckpoint(pool, ep, base, '../etc'), /not a checkpoint id/);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}
