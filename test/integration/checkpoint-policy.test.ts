// A checkpoint policy run as the generated systemd timer starts it: `gpu-cluster-agent checkpoint policy` (the
// agent's real entry point, in a child process as root) on this machine, with the nvidia-smi and cuda-checkpoint
// stand-ins at the edge (test/fixtures/ops/bin) and CRIU's stand-in where the real `criu check` fails. The
// workload sits in a `<unit>.service` cgroup of the named systemd hierarchy, as systemd puts a service's
// processes, so the policy finds its unit in /proc/PID/cgroup the way it does on a NixOS host.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURE_BIN, REPO_ROOT } from '../fixtures/ops/sshd';

const criuWorks = spawnSync('criu', ['check'], { encoding: 'utf8' }).status === 0;
const unit = `gpu-ckpt-test-${process.pid}.service`;
const cgroup = path.join('/sys/fs/cgroup/systemd', unit);
let state: string;
let dir: string;
let workload: number;

before(() => {
  state = mkdtempSync(path.join(os.tmpdir(), 'ckpt-policy-state-'));
  dir = mkdtempSync(path.join(os.tmpdir(), 'ckpt-policy-images-'));
  const child = spawn('sleep', ['3700'], { detached: true, stdio: 'ignore' });
  child.unref();
  workload = child.pid!;
  mkdirSync(cgroup);
  writeFileSync(path.join(cgroup, 'cgroup.procs'), `${workload}\n`);
  writeFileSync(path.join(state, 'gpu-apps.csv'), `${workload}, sleep, 18176, GPU-5d5a5f8e-7f2c-3b2a-9a61-2f4b8c0d1e11\n`);
});

after(() => {
  try {
    process.kill(workload, 'SIGKILL');
  } catch {
    /* gone */
  }
  // the cgroup can go once its process is reaped
  for (let i = 0; i < 50 && existsSync(cgroup); i++) {
    try {
      rmdirSync(cgroup);
    } catch {
      spawnSync('sleep', ['0.1']);
    }
  }
  rmSync(state, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

function runPolicy(...extra: string[]): {
  code: number | null;
  result?: { taken: { unit: string; pid: number; id?: string; error?: string }[]; deleted: string[]; idle: string[] };
  stderr: string;
} {
  const pathPrefix = [...(criuWorks ? [] : [path.join(REPO_ROOT, 'test/fixtures/ops/criu-standin')]), FIXTURE_BIN];
  const r = spawnSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'out/agent/src/main.js'),
      'checkpoint',
      'policy',
      '--dir',
      dir,
      '--retain',
      '2',
      '--host',
      'gpu-1',
      '--lock-timeout',
      '5000',
      ...extra,
    ],
    {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PATH: `${pathPrefix.join(':')}:${process.env.PATH}`, OPS_FIXTURE_STATE: state },
    },
  );
  const line = r.stdout.trim().split('\n').pop();
  return { code: r.status, result: line ? JSON.parse(line) : undefined, stderr: r.stderr };
}

const cudaLog = () =>
  existsSync(path.join(state, 'cuda-checkpoint.log'))
    ? readFileSync(path.join(state, 'cuda-checkpoint.log'), 'utf8').trim().split('\n')
    : [];
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("checkpoint policy run (the timer's service)", () => {
  it('refuses on driver 550 with the reason and takes nothing', () => {
    const r = runPolicy('--unit', unit);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Checkpoints cannot run on gpu-1: NVIDIA driver 550\.54\.14 is too old: checkpointing needs 570/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("checkpoints the unit's GPU process, leaves it running, and keeps the newest `retain` per unit", () => {
    writeFileSync(path.join(state, 'driver_version'), '570.86.10\n');
    const ids: string[] = [];
    for (let run = 0; run < 3; run++) {
      // ids have one-second resolution (checkpointId): runs a timer starts are minutes apart
      if (run) spawnSync('sleep', ['1.1']);
      const r = runPolicy('--unit', unit, '--unit', 'idle-unit');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.result!.taken.length, 1);
      assert.equal(r.result!.taken[0].unit, unit);
      assert.equal(r.result!.taken[0].pid, workload);
      assert.deepEqual(r.result!.idle, ['idle-unit.service']);
      ids.push(r.result!.taken[0].id!);
      assert.deepEqual(r.result!.deleted, run < 2 ? [] : [ids[0]]);
      assert.ok(alive(workload), 'a policy checkpoint leaves the process running');
    }
    assert.deepEqual(readdirSync(dir).sort(), ids.slice(1).sort());
    const manifest = JSON.parse(readFileSync(path.join(dir, ids[2], 'manifest.json'), 'utf8'));
    assert.equal(manifest.unit, unit);
    assert.equal(manifest.leftRunning, true);
    assert.equal(manifest.driverVersion, '570.86.10');
    // lock with the timeout, checkpoint, then the GPU state is given back and the process unlocked
    assert.deepEqual(cudaLog().slice(-4), [
      `lock ${workload} timeout=5000`,
      `checkpoint ${workload}`,
      `restore ${workload}`,
      `unlock ${workload}`,
    ]);
  });

  it('rejects a unit name a shell or unit file would read specially, and bad usage', () => {
    const r = runPolicy('--unit', 'exo; rm -rf /');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a systemd unit name/);
    const usage = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'out/agent/src/main.js'), 'checkpoint', 'policy', '--dir', 'relative', '--retain', '0', '--unit', 'x'],
      { encoding: 'utf8' },
    );
    assert.equal(usage.status, 2);
    assert.match(usage.stdout, /usage: gpu-cluster-agent checkpoint policy/);
  });
});
