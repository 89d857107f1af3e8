// The editor's Restore Checkpoint (and Restore on Another Host) for a checkpoint its host no longer has, without the
// VS Code glue: core's locateCheckpoint opens the spec's store through the editor's store access
// (openEditorCheckpointStore: SecretStorage as a map, the live NATS connection) only when the host lacks it, and
// restoreFromStore downloads and restores it, cancellable by its signal. Real parts: an sshd host on loopback with
// the GPU tool stand-ins (test/fixtures/ops/bin) and CRIU (real, or its stand-in where `criu check` fails), a real
// nats-server's object store, s3rver for S3 without keys.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SshPool, type SshEndpoint } from '#core/ssh';
import { checkpointSettings, createCheckpoint, deleteCheckpoint, listGpuProcesses, type CheckpointManifest } from '#core/ops';
import { locateCheckpoint, MissingS3CredentialsError, restoreFromStore, uploadCheckpoint } from '#core/checkpoint';
import { openEditorCheckpointStore, type SecretsLike } from '../../client/src/ops/checkpointStoreAccess';
import { NatsServer } from './nats-harness';
import { S3Server } from './s3-harness';
import { RecordingPolicy, REPO_ROOT, startSshd, type TestSshd } from '../fixtures/ops/sshd';
import { startGpuWorkload, stopWorkloads } from '../fixtures/ops/gpuWorkload';

const criuWorks = spawnSync('criu', ['check'], { encoding: 'utf8' }).status === 0;
let sshd: TestSshd;
let state: string;
let base: string;
let pool: SshPool;
let ep: SshEndpoint;
let nats: NatsServer;
let nc: NatsConnection;
const s3 = new S3Server();
let manifest: CheckpointManifest;
const started: number[] = [];

const natsStorage = { kind: 'nats-object-store' as const, bucket: 'editor-restore' };
const s3Storage = () => ({ kind: 's3' as const, bucket: 'editor-restore', endpoint: s3.endpoint });
const noSecrets: SecretsLike = {
  get: async () => undefined,
  store: async () => assert.fail('nothing is stored'),
  delete: async () => assert.fail('nothing is deleted'),
};
const editorStore = (storage: typeof natsStorage | ReturnType<typeof s3Storage>) => () =>
  openEditorCheckpointStore(storage, { secrets: noSecrets, liveNats: () => nc, dialNats: () => assert.fail('the live session is up') });

before(async () => {
  state = mkdtempSync(path.join(os.tmpdir(), 'ckpt-editor-restore-state-'));
  base = mkdtempSync(path.join(os.tmpdir(), 'ckpt-editor-restore-'));
  writeFileSync(path.join(state, 'driver_version'), '570.86.10\n');
  sshd = await startSshd(1, {
    env: { OPS_FIXTURE_STATE: state },
    pathPrefix: criuWorks ? [] : [path.join(REPO_ROOT, 'test/fixtures/ops/criu-standin')],
  });
  pool = new SshPool({ policy: new RecordingPolicy([], () => assert.fail('pinned')), auth: { agent: '' } });
  ep = sshd.hosts[0].endpoint({ hostKey: sshd.hosts[0].hostKey });
  nats = new NatsServer();
  await nats.start();
  nc = await connect({ servers: nats.url });
  await s3.start('editor-restore');
  const pid = await startGpuWorkload(pool, ep, { stateDir: state, tag: 3911, started });
  const [gpu] = await listGpuProcesses(pool, ep);
  manifest = await createCheckpoint(pool, ep, {
    host: ep.name,
    pid,
    gpu,
    settings: checkpointSettings({ storage: { kind: 'local', path: base } }),
  });
});

after(async () => {
  stopWorkloads(started);
  pool?.closeAll();
  await sshd?.stopAll();
  await nc?.close();
  await nats?.stop();
  await s3.stop();
  for (const d of [state, base]) rmSync(d, { recursive: true, force: true });
});

describe("the editor's restore of a checkpoint from the spec's storage", () => {
  it('a checkpoint still on its host is taken from there: the store is not opened, so no S3 keys are needed', async () => {
    const located = await locateCheckpoint(pool, ep, manifest.id, base, () => assert.fail('the store is not opened'));
    assert.equal(located.manifest?.id, manifest.id);
    assert.equal(located.opened, undefined);
  });

  it('once the host lost it: S3 without keys is the error naming Set S3 Credentials; the NATS store has it', async () => {
    const opened = (await editorStore(natsStorage)())!;
    await uploadCheckpoint(pool, ep, manifest, opened.store);
    await opened.close();
    await deleteCheckpoint(pool, ep, base, manifest.id);
    assert.ok(!existsSync(path.join(base, manifest.id)), 'the host no longer has it');
    await assert.rejects(locateCheckpoint(pool, ep, manifest.id, base, editorStore(s3Storage())), (err: Error) => {
      assert.ok(err instanceof MissingS3CredentialsError);
      assert.match(err.message, /needs credentials: run "GPU Cluster: Set S3 Credentials"/);
      return true;
    });
    const located = await locateCheckpoint(pool, ep, manifest.id, base, editorStore(natsStorage));
    assert.equal(located.manifest?.id, manifest.id);
    assert.equal(located.manifest?.host, ep.name);
    assert.equal(located.opened?.store.bucket.description, 'NATS object store editor-restore');
    await located.opened?.close();
    assert.equal(nc.isClosed(), false, "the live session's connection stays open");
    const unknown = await locateCheckpoint(pool, ep, `${ep.name}-1-20261205T000000Z`, base, editorStore(natsStorage));
    assert.equal(unknown.manifest, undefined, 'neither the host nor the store has it');
    await unknown.opened?.close();
  });

  it('cancelled after the compatibility check: rejects as cancelled and places nothing on the host', async () => {
    const located = await locateCheckpoint(pool, ep, manifest.id, base, editorStore(natsStorage));
    const controller = new AbortController();
    const steps: string[] = [];
    await assert.rejects(
      restoreFromStore(pool, ep, located.manifest!, located.opened!.store, base, {
        signal: controller.signal,
        onStep: (s) => {
          steps.push(s.step);
          if (s.step === 'compatible') controller.abort();
        },
      }),
      /Cancelled; the command on test-1 was stopped/,
    );
    await located.opened!.close();
    assert.deepEqual(steps, ['compatible']);
    assert.ok(!existsSync(path.join(base, manifest.id)), 'nothing downloaded');
  });

  it('downloads it into the staging folder and restores it, with each step reported', async () => {
    const located = await locateCheckpoint(pool, ep, manifest.id, base, editorStore(natsStorage));
    const steps: string[] = [];
    const result = await restoreFromStore(pool, ep, located.manifest!, located.opened!.store, base, {
      onStep: (s) => steps.push(`${s.step}:${s.ok}`),
    });
    await located.opened!.close();
    started.push(result.pid);
    assert.deepEqual(steps.slice(0, 3), ['compatible:true', 'download:true', 'restore:true']);
    assert.equal(result.target, ep.name);
    assert.equal(result.manifest.imagesDir, path.join(base, manifest.id));
    assert.ok(existsSync(path.join(base, manifest.id, 'manifest.json')), 'downloaded into the staging folder');
    assert.doesNotThrow(() => process.kill(result.pid, 0), 'the restored process runs');
  });
});
