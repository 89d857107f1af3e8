// A checkpoint policy run as the generated systemd timer starts it: `gpu-cluster-agent checkpoint policy` (the
// agent's real entry point, in a child process as root) on this machine, with the nvidia-smi and cuda-checkpoint
// stand-ins at the edge (test/fixtures/ops/bin) and CRIU's stand-in where the real `criu check` fails. The
// workload sits in a `<unit>.service` cgroup of the named systemd hierarchy, as systemd puts a service's
// processes, so the policy finds its unit in /proc/PID/cgroup the way it does on a NixOS host. With the storage flags
// the generated unit passes (checkpoint-module.test.ts), each run uploads to a real nats-server's object store or an
// S3 server (s3rver) on loopback, and the store keeps the newest `retain` per host and unit.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { CheckpointStore, natsCheckpointBucket, parseS3Credentials, s3CheckpointBucket } from '#core/checkpoint';
import { FIXTURE_BIN, REPO_ROOT } from '../fixtures/ops/sshd';
import { freePort, NatsServer } from './nats-harness';
import { S3Server } from './s3-harness';

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

interface PolicyRun {
  code: number | null;
  result?: {
    taken: { unit: string; pid: number; id?: string; error?: string }[];
    deleted: string[];
    idle: string[];
    store?: string;
    uploaded?: string[];
    storeDeleted?: string[];
    uploadErrors?: string[];
  };
  stderr: string;
}

/** The agent's command line and environment as the timer's service runs it, with the stand-ins first on PATH. */
function policyCommand(extra: string[]): { args: string[]; env: NodeJS.ProcessEnv } {
  const pathPrefix = [...(criuWorks ? [] : [path.join(REPO_ROOT, 'test/fixtures/ops/criu-standin')]), FIXTURE_BIN];
  const args = [
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
  ];
  return { args, env: { ...process.env, PATH: `${pathPrefix.join(':')}:${process.env.PATH}`, OPS_FIXTURE_STATE: state } };
}

const parsed = (code: number | null, stdout: string, stderr: string): PolicyRun => {
  const line = stdout.trim().split('\n').pop();
  return { code, result: line ? JSON.parse(line) : undefined, stderr };
};

function runPolicy(...extra: string[]): PolicyRun {
  const { args, env } = policyCommand(extra);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000, env });
  return parsed(r.status, r.stdout, r.stderr);
}

/** The same, without blocking this process: the S3 server the run talks to lives in it. */
function runPolicyAsync(...extra: string[]): Promise<PolicyRun> {
  const { args, env } = policyCommand(extra);
  return new Promise((resolve) => {
    execFile(process.execPath, args, { encoding: 'utf8', timeout: 60_000, env }, (err, stdout, stderr) =>
      resolve(parsed(err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr)),
    );
  });
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

describe('checkpoint policy run uploading to the storage (real servers on loopback)', () => {
  let nats: NatsServer;
  const s3 = new S3Server();
  before(async () => {
    writeFileSync(path.join(state, 'driver_version'), '570.86.10\n');
    nats = new NatsServer();
    await nats.start();
    await s3.start('policy-ckpt');
  });
  after(async () => {
    await nats?.stop();
    await s3.stop();
  });

  it('nats-object-store: every run uploads its checkpoint, the store keeps the newest 2 of the unit', async () => {
    const ids: string[] = [];
    for (let run = 0; run < 3; run++) {
      if (run) spawnSync('sleep', ['1.1']);
      const r = runPolicy('--unit', unit, '--storage', 'nats-object-store', '--bucket', 'policy-ckpt', '--nats-url', nats.url);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.result!.store, 'NATS object store policy-ckpt');
      const id = r.result!.taken[0].id!;
      ids.push(id);
      assert.deepEqual(r.result!.uploaded, [id]);
      assert.deepEqual(r.result!.uploadErrors, []);
    }
    const nc = await connect({ servers: nats.url });
    try {
      const store = new CheckpointStore(await natsCheckpointBucket(nc, 'policy-ckpt'));
      const listed = await store.list();
      assert.deepEqual(
        listed.map((m) => m.id),
        [ids[2], ids[1]],
      );
      assert.ok(listed.every((m) => m.host === 'gpu-1' && m.unit === unit && m.leftRunning));
      const stored = await store.get(ids[2]);
      assert.equal(stored?.manifest.id, ids[2]);
      assert.ok(stored.archive.length > 0, 'the images are in the store');
    } finally {
      await nc.close();
    }
  });

  it('s3: the keys from the credentials file the unit hands over; without a file, or NATS unreachable, nothing is checkpointed', async () => {
    const keys = path.join(state, 's3.credentials');
    writeFileSync(keys, 'AWS_ACCESS_KEY_ID=S3RVER\nAWS_SECRET_ACCESS_KEY=S3RVER\n', { mode: 0o600 });
    const s3Args = ['--storage', 's3', '--bucket', 'policy-ckpt', '--endpoint', s3.endpoint];
    const r = await runPolicyAsync('--unit', unit, ...s3Args, '--s3-credentials', keys);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result!.store, 'S3 bucket policy-ckpt');
    const store = new CheckpointStore(
      s3CheckpointBucket({ bucket: 'policy-ckpt', endpoint: s3.endpoint }, parseS3Credentials(readFileSync(keys, 'utf8'))),
    );
    assert.deepEqual(
      (await store.list()).map((m) => m.id),
      r.result!.uploaded,
    );
    assert.ok((await store.get(r.result!.uploaded![0]))!.archive.length > 0, 'the images are in the bucket');
    const before = readdirSync(dir).sort();
    const missing = await runPolicyAsync('--unit', unit, ...s3Args);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /The S3 bucket policy-ckpt needs credentials: pass --s3-credentials FILE/);
    const closed = await freePort();
    const away = runPolicy(
      '--unit',
      unit,
      '--storage',
      'nats-object-store',
      '--bucket',
      'policy-ckpt',
      '--nats-url',
      `nats://127.0.0.1:${closed}`,
    );
    assert.equal(away.code, 1);
    assert.match(away.stderr, /NATS server not reachable .*connection refused/);
    assert.deepEqual(readdirSync(dir).sort(), before, 'a store that cannot be opened stops the run before any checkpoint');
  });

  it("nats-object-store over tls://: the server is checked against --tls-ca (the agent's CA), else the run stops first", async () => {
    const secure = new NatsServer();
    const caFile = secure.serveTls();
    await secure.start();
    try {
      const tlsArgs = ['--storage', 'nats-object-store', '--bucket', 'policy-ckpt', '--nats-url', `tls://127.0.0.1:${secure.port}`];
      const before = readdirSync(dir).sort();
      const untrusted = await runPolicyAsync('--unit', unit, ...tlsArgs);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /NATS TLS handshake failed .*certificate/i);
      assert.deepEqual(readdirSync(dir).sort(), before, 'nothing is checkpointed when the store cannot be opened');
      const r = await runPolicyAsync('--unit', unit, ...tlsArgs, '--tls-ca', caFile);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.result!.uploaded!.length, 1);
      const nc = await connect({ servers: `tls://127.0.0.1:${secure.port}`, tls: { caFile } });
      try {
        const listed = await new CheckpointStore(await natsCheckpointBucket(nc, 'policy-ckpt')).list();
        assert.deepEqual(
          listed.map((m) => m.id),
          r.result!.uploaded,
        );
      } finally {
        await nc.close();
      }
    } finally {
      await secure.dispose();
    }
  });
});
