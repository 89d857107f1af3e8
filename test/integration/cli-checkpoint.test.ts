// `gpu-cluster checkpoint` and `gpu-cluster restore` (the bundled CLI, as CI runs it) against real sshd hosts on
// loopback with the GPU tool stand-ins: the spec's pinned host keys, the same core steps as the editor, --json for CI,
// and a restore target that cannot work refused with the reason, by the spec (other GPUs) or live (free memory).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledCli } from '../support/cli';
import { connect } from '@nats-io/transport-node';
import { CheckpointStore, natsCheckpointBucket } from '#core/checkpoint';
import { freePort, NatsServer } from './nats-harness';
import { REPO_ROOT, startSshd, type TestSshd } from '../fixtures/ops/sshd';

const criuWorks = spawnSync('criu', ['check'], { encoding: 'utf8' }).status === 0;
const cli = bundledCli('cli-ckpt-');
let sshd: TestSshd;
let state: string;
let base: string;
let specDir: string;
let workload: number;

before(async () => {
  state = mkdtempSync(path.join(os.tmpdir(), 'cli-ckpt-state-'));
  base = mkdtempSync(path.join(os.tmpdir(), 'cli-ckpt-images-'));
  specDir = mkdtempSync(path.join(os.tmpdir(), 'cli-ckpt-spec-'));
  writeFileSync(path.join(state, 'driver_version'), '570.86.10\n');
  sshd = await startSshd(2, {
    env: { OPS_FIXTURE_STATE: state },
    pathPrefix: criuWorks ? [] : [path.join(REPO_ROOT, 'test/fixtures/ops/criu-standin')],
  });
  const closed = await freePort();
  const host = (name: string, address: string, port: number, hostKey: string, gpus: string) =>
    [
      `  - name: ${name}`,
      `    addresses: [${address}]`,
      `    ssh: { address: 127.0.0.1, port: ${port}, user: root, identity: ${sshd.userKey}, hostKey: "${hostKey}" }`,
      `    roles: [${name === 'test-1' ? 'nats-hub, ' : ''}checkpoint-agent]`,
      `    hardware: { gpus: [${gpus}] }`,
    ].join('\n');
  mkdirSync(specDir, { recursive: true });
  writeFileSync(
    path.join(specDir, 'cluster.yaml'),
    [
      'cluster: { name: t, domain: t.test, system: x86_64-linux }',
      'hosts:',
      host('test-1', '10.0.0.1', sshd.hosts[0].port, sshd.hosts[0].hostKey, '{ vendor: nvidia, model: RTX 4090, count: 2 }'),
      host('test-2', '10.0.0.2', sshd.hosts[1].port, sshd.hosts[1].hostKey, '{ vendor: nvidia, model: RTX 4090, count: 2 }'),
      host('small', '10.0.0.3', closed, sshd.hosts[0].hostKey, '{ vendor: nvidia, model: L4 }'),
      'checkpoints:',
      `  storage: { kind: local, path: ${base} }`,
      '',
    ].join('\n'),
  );
  const r = spawnSync('sh', ['-c', 'setsid sleep 3904 </dev/null >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
  workload = Number(r.stdout.trim());
  writeFileSync(path.join(state, 'gpu-apps.csv'), `${workload}, sleep, 18176, GPU-5d5a5f8e-7f2c-3b2a-9a61-2f4b8c0d1e11\n`);
});

after(async () => {
  try {
    process.kill(workload, 'SIGKILL');
  } catch {
    /* gone */
  }
  for (const p of restored) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await sshd?.stopAll();
  for (const d of [state, base, specDir]) rmSync(d, { recursive: true, force: true });
});

const restored: number[] = [];
let id = '';

describe('gpu-cluster checkpoint / restore', () => {
  it('the spec must be valid, and the arguments complete', () => {
    const usage = cli.run(['checkpoint', specDir]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /SPEC and HOST are needed/);
    const unknown = cli.run(['checkpoint', specDir, 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /There is no host "nope" in the spec/);
  });

  it("checkpoints the host's GPU process and prints the manifest as JSON", () => {
    const r = cli.run(['checkpoint', specDir, 'test-1', '--json']);
    assert.equal(r.code, 0, r.err);
    const { checkpoints } = JSON.parse(r.out);
    assert.equal(checkpoints.length, 1);
    assert.equal(checkpoints[0].pid, workload);
    assert.equal(checkpoints[0].host, 'test-1');
    assert.equal(checkpoints[0].driverVersion, '570.86.10');
    id = checkpoints[0].id;
  });

  it('says which hosts could take the checkpoint, and why not: by the spec and live', () => {
    const r = cli.run(['restore', specDir, 'test-1', id, '--targets', '--json']);
    assert.equal(r.code, 0, r.err);
    const { targets } = JSON.parse(r.out);
    assert.deepEqual(
      targets.map((t: { host: string }) => t.host),
      ['test-2', 'small'],
    );
    // test-2 has the same GPUs, but GPU 0 is busy: the process comes back on GPU 0 and does not fit
    assert.deepEqual(targets[0], {
      host: 'test-2',
      ok: false,
      reasons: ["GPU 0 of 'test-2' has 6353 MiB free, the process needs 18176 MiB there (it comes back on the same GPU index)"],
    });
    assert.equal(targets[1].ok, false);
    assert.match(targets[1].reasons[0], /'small' has 1 × L4, 'test-1' has 2 × RTX 4090/);
    writeFileSync(
      path.join(state, 'gpus-test-2.csv'),
      [0, 1]
        .map((i) => `${i}, NVIDIA GeForce RTX 4090, GPU-7${i}aa0000-0000-4000-8000-00000000000${i}, 24564, 3, 0, 30, 575.51.03`)
        .join('\n') + '\n',
    );
    const again = cli.run(['restore', specDir, 'test-1', id, '--targets']);
    assert.match(again.out, /^test-2: possible$/m);
  });

  it('refuses an impossible target with the reason and restores on the host it was taken on', () => {
    const bad = cli.run(['restore', specDir, 'test-1', id, '--to', 'small']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /cannot be restored on small/);
    const r = cli.run(['restore', specDir, 'test-1', id, '--json']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.host, 'test-1');
    restored.push(out.pid);
    assert.doesNotThrow(() => process.kill(out.pid, 0));
    const missing = cli.run(['restore', specDir, 'test-1', 'no-such-id']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, new RegExp(`has no checkpoint no-such-id; it has:\\n  ${id}`));
  });
});

describe('gpu-cluster checkpoint / restore with the NATS object store as storage', () => {
  let nats: NatsServer;
  let natsSpec: string;
  let staging: string;
  before(async () => {
    nats = new NatsServer();
    await nats.start();
    staging = mkdtempSync(path.join(os.tmpdir(), 'cli-ckpt-staging-'));
    natsSpec = mkdtempSync(path.join(os.tmpdir(), 'cli-ckpt-nats-spec-'));
    const text = readFileSync(path.join(specDir, 'cluster.yaml'), 'utf8').replace(
      /checkpoints:\n.*\n/,
      `checkpoints:\n  storage: { kind: nats-object-store, bucket: ckpt, path: ${staging} }\nnats: { url: "${nats.url}" }\n`,
    );
    writeFileSync(path.join(natsSpec, 'cluster.yaml'), text);
    // a fresh GPU process: the first suite's was checkpointed and stopped
    const r = spawnSync('sh', ['-c', 'setsid sleep 3905 </dev/null >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
    workload = Number(r.stdout.trim());
    writeFileSync(path.join(state, 'gpu-apps.csv'), `${workload}, sleep, 18176, GPU-5d5a5f8e-7f2c-3b2a-9a61-2f4b8c0d1e11\n`);
  });
  after(async () => {
    await nats?.stop();
    for (const d of [staging, natsSpec]) rmSync(d, { recursive: true, force: true });
  });

  it('uploads each checkpoint, keeps --retain per unit there, and restores from the store once the host lost it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      if (i) spawnSync('sleep', ['1.1']); // checkpoint ids have one-second resolution
      const r = cli.run(['checkpoint', natsSpec, 'test-1', '--leave-running', '--retain', '1', '--json']);
      assert.equal(r.code, 0, r.err);
      ids.push(JSON.parse(r.out).checkpoints[0].id);
    }
    const nc = await connect({ servers: nats.url });
    try {
      const store = new CheckpointStore(await natsCheckpointBucket(nc, 'ckpt'));
      assert.deepEqual(
        (await store.list()).map((m) => m.id),
        [ids[1]],
        'the older one was deleted from the store',
      );
    } finally {
      await nc.close();
    }
    rmSync(path.join(staging, ids[1]), { recursive: true, force: true });
    process.kill(workload, 'SIGKILL');
    const r = cli.run(['restore', natsSpec, 'test-1', ids[1], '--json']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    restored.push(out.pid);
    assert.doesNotThrow(() => process.kill(out.pid, 0));
    assert.ok(readFileSync(path.join(staging, ids[1], 'manifest.json'), 'utf8').includes(ids[1]), 'downloaded into the staging folder');
  });
});

describe('gpu-cluster drain', () => {
  it("moves the host's GPU process to the host with the same (free) GPUs, records it, and moves it back with --back", () => {
    const r0 = spawnSync('sh', ['-c', 'setsid sleep 3908 </dev/null >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
    workload = Number(r0.stdout.trim());
    writeFileSync(path.join(state, 'gpu-apps.csv'), `${workload}, sleep, 18176, GPU-5d5a5f8e-7f2c-3b2a-9a61-2f4b8c0d1e11\n`);
    const record = path.join(specDir, 'drain-test-1.json');
    const usage = cli.run(['drain', specDir, 'test-1']);
    assert.equal(usage.code, 2);
    const r = cli.run(['drain', specDir, 'test-1', '--record', record, '--json']);
    assert.equal(r.code, 0, r.err);
    const drained = JSON.parse(r.out);
    assert.equal(drained.moves.length, 1);
    assert.equal(drained.moves[0].pid, workload);
    assert.equal(drained.moves[0].host, 'test-2', JSON.stringify(drained.moves[0]));
    restored.push(drained.moves[0].runningPid);
    assert.deepEqual(JSON.parse(readFileSync(record, 'utf8')), drained);
    const back = cli.run(['drain', specDir, 'test-1', '--record', record, '--back', '--json']);
    assert.equal(back.code, 0, back.err);
    const home = JSON.parse(back.out).moves[0];
    assert.equal(home.host, 'test-1');
    restored.push(home.runningPid);
    assert.doesNotThrow(() => process.kill(home.runningPid, 0));
    assert.throws(() => process.kill(drained.moves[0].runningPid, 0), 'gone from test-2');
  });
});
