// Drain a host and move its processes back, over real SSH to two sshd hosts on loopback (GPU tools stand in at the
// edge, as in ssh-checkpoint-move.test.ts): the process moves to the host whose GPUs match, comes back after the
// "update", and stays on its host (restored, with the reasons) when no target can take it.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SshPool, type SshEndpoint } from '#core/ssh';
import { checkpointSettings } from '#core/ops';
import { drainHost, drainTargets, returnDrained, type DrainContext } from '../../core/src/checkpoint/drain';
import type { ClusterSpec, HostSpec } from '#core/spec';
import { RecordingPolicy, REPO_ROOT, startSshd, type TestSshd } from '../fixtures/ops/sshd';
import { startGpuWorkload, stopWorkloads } from '../fixtures/ops/gpuWorkload';

const criuWorks = spawnSync('criu', ['check'], { encoding: 'utf8' }).status === 0;
let sshd: TestSshd;
let state: string;
let base: string;
let pool: SshPool;
let ctx: DrainContext;
const pids: number[] = [];
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const host = (name: string, gpus: HostSpec['hardware']): HostSpec => ({
  name,
  addresses: ['10.0.0.1'],
  roles: ['checkpoint-agent'],
  hardware: gpus,
});
const spec: ClusterSpec = {
  cluster: { name: 't', domain: 't', system: 'x86_64-linux' },
  hosts: [
    host('test-1', { gpus: [{ vendor: 'nvidia', model: 'RTX 4090', count: 2 }] }),
    host('test-2', { gpus: [{ vendor: 'nvidia', model: 'RTX 4090', count: 2 }] }),
    host('l4', { gpus: [{ vendor: 'nvidia', model: 'L4' }] }),
  ],
  checkpoints: { storage: { kind: 'local' } },
};

async function workload(tag: string): Promise<number> {
  return startGpuWorkload(pool, ctx.endpoint('test-1'), { stateDir: state, tag, started: pids });
}

before(async () => {
  state = mkdtempSync(path.join(os.tmpdir(), 'ckpt-drain-state-'));
  base = mkdtempSync(path.join(os.tmpdir(), 'ckpt-drain-images-'));
  writeFileSync(path.join(state, 'driver_version'), '570.86.10\n');
  sshd = await startSshd(2, {
    env: { OPS_FIXTURE_STATE: state },
    pathPrefix: criuWorks ? [] : [path.join(REPO_ROOT, 'test/fixtures/ops/criu-standin')],
  });
  pool = new SshPool({ policy: new RecordingPolicy([], () => assert.fail('pinned')), auth: { agent: '' } });
  const endpoints: Record<string, SshEndpoint> = Object.fromEntries(sshd.hosts.map((h) => [h.name, h.endpoint({ hostKey: h.hostKey })]));
  ctx = { spec, endpoint: (n) => endpoints[n], settings: checkpointSettings({ storage: { kind: 'local', path: base } }) };
});

after(async () => {
  stopWorkloads(pids);
  pool?.closeAll();
  await sshd?.stopAll();
  rmSync(state, { recursive: true, force: true });
  rmSync(base, { recursive: true, force: true });
});

describe('drain a host', () => {
  it("plans the spec's moves first, else every host with the same GPUs", () => {
    const [t1, t2, l4] = spec.hosts;
    assert.deepEqual(
      drainTargets(spec, t1, 'exo.service').map((h) => h.name),
      ['test-2'],
    );
    assert.deepEqual(
      drainTargets({ ...spec, checkpoints: { ...spec.checkpoints!, migrations: [{ from: 'test-1', to: 'l4' }] } }, t1, undefined).map(
        (h) => h.name,
      ),
      ['test-2'],
      'an impossible planned move is not tried',
    );
    assert.deepEqual(drainTargets(spec, l4, undefined), []);
    void t2;
  });

  it('moves the GPU process to the matching host and back after the update', async () => {
    // test-2: the same GPUs, both free
    writeFileSync(
      path.join(state, 'gpus-test-2.csv'),
      [0, 1]
        .map((i) => `${i}, NVIDIA GeForce RTX 4090, GPU-7${i}aa0000-0000-4000-8000-00000000000${i}, 24564, 3, 0, 30, 575.51.03`)
        .join('\n') + '\n',
    );
    const pid = await workload('3906');
    const record = await drainHost(pool, ctx, 'test-1');
    assert.equal(record.moves.length, 1);
    const [move] = record.moves;
    assert.equal(move.pid, pid);
    assert.equal(move.host, 'test-2');
    assert.equal(move.problem, undefined);
    pids.push(move.runningPid!);
    assert.ok(!alive(pid) && alive(move.runningPid!), 'the process left test-1 and runs as restored on test-2');

    const back = await returnDrained(pool, ctx, record);
    const [home] = back.moves;
    assert.equal(home.host, 'test-1');
    assert.equal(home.problem, undefined);
    pids.push(home.runningPid!);
    assert.ok(!alive(move.runningPid!) && alive(home.runningPid!), 'back on test-1');
  });

  it("keeps a process no host can take on its own host, restored, with each target's reason", async () => {
    writeFileSync(
      path.join(state, 'gpus-test-2.csv'),
      `0, NVIDIA GeForce RTX 4090, GPU-70aa0000-0000-4000-8000-000000000000, 24564, 3, 0, 30, 575.51.03\n`,
    );
    await workload('3907');
    const record = await drainHost(pool, ctx, 'test-1');
    const [move] = record.moves;
    assert.equal(move.host, 'test-1');
    pids.push(move.runningPid!);
    assert.ok(alive(move.runningPid!));
    assert.match(
      move.problem!,
      /no host could take it \(test-2: 'test-2' has 1 × NVIDIA GeForce RTX 4090, 'test-1' has 2 × NVIDIA GeForce RTX 4090/,
    );
  });
});
