// Checkpoint storage off the host, against real servers on loopback: the NATS object store of a real nats-server
// (JetStream) and an S3-compatible server (s3rver from npm: S3's REST API, path-style, XML listings). For each:
// a checkpoint folder on a real sshd host is uploaded, listed, downloaded byte for byte to another folder, and
// retention keeps the newest `retain` per host and unit. S3 requests with an unknown key are refused.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SshPool, type SshEndpoint } from '#core/ssh';
import type { CheckpointManifest } from '#core/ops';
import {
  CheckpointStore,
  downloadCheckpoint,
  MissingS3CredentialsError,
  natsCheckpointBucket,
  parseS3Credentials,
  s3CheckpointBucket,
  uploadCheckpoint,
} from '#core/checkpoint';
import type { ClusterSpec } from '#core/spec';
import { openEditorCheckpointStore, s3SecretKey, writeS3Credentials } from '../../client/src/ops/checkpointStoreAccess';
import { openCheckpointStore as openCliStore } from '../../cli/src/common/checkpointStore';
import { NatsServer } from './nats-harness';
import { S3Server } from './s3-harness';
import { RecordingPolicy, startSshd, type TestSshd } from '../fixtures/ops/sshd';

let nats: NatsServer;
let nc: NatsConnection;
const s3 = new S3Server();
let sshd: TestSshd;
let pool: SshPool;
let ep: SshEndpoint;
let work: string;

/** S3rver's built-in account (its README: accessKeyId/secretAccessKey S3RVER), read as the CLI reads a key file. */
const S3_KEYS = parseS3Credentials('AWS_ACCESS_KEY_ID=S3RVER\nAWS_SECRET_ACCESS_KEY=S3RVER\n');

before(async () => {
  nats = new NatsServer();
  await nats.start();
  nc = await connect({ servers: nats.url });
  await s3.start('checkpoints');
  work = mkdtempSync(path.join(os.tmpdir(), 'ckpt-store-'));
  sshd = await startSshd(1);
  pool = new SshPool({ policy: new RecordingPolicy([], () => assert.fail('pinned')), auth: { agent: '' } });
  ep = sshd.hosts[0].endpoint({ hostKey: sshd.hosts[0].hostKey });
});

after(async () => {
  pool?.closeAll();
  await sshd?.stopAll();
  await nc?.close();
  await nats?.stop();
  await s3.stop();
  rmSync(work, { recursive: true, force: true });
});

let n = 0;
/** A checkpoint folder on the host as createCheckpoint leaves it: images (some binary), a log, the manifest. */
function checkpointOnHost(unit: string, createdAt: string): CheckpointManifest {
  const id = `test-1-${4000 + ++n}-${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
  const dir = path.join(work, 'host', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'pages-1.img'), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7 + n) % 256)));
  writeFileSync(path.join(dir, 'dump.log'), `dump of ${id}\n`);
  const m: CheckpointManifest = {
    version: 1,
    id,
    host: 'test-1',
    pid: 4000 + n,
    unit,
    sizeBytes: 70_000,
    createdAt,
    imagesDir: dir,
    leftRunning: true,
    criu: { shellJob: false, tcpEstablished: false },
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
  return m;
}

const stores: [string, () => Promise<CheckpointStore>][] = [
  ['the NATS object store', async () => new CheckpointStore(await natsCheckpointBucket(nc, 'checkpoints'))],
  ['an S3 bucket (s3rver)', async () => new CheckpointStore(s3CheckpointBucket({ bucket: 'checkpoints', endpoint: s3.endpoint }, S3_KEYS))],
];

for (const [name, open] of stores) {
  describe(`checkpoint storage: ${name}`, () => {
    it('uploads from the host, lists, and downloads byte for byte to another folder', async () => {
      const store = await open();
      const m = checkpointOnHost('exo.service', '2026-12-05T10:00:00.000Z');
      await uploadCheckpoint(pool, ep, m, store);
      assert.deepEqual(
        (await store.list()).map((x) => x.id),
        [m.id],
      );
      const elsewhere = path.join(work, `restored-${n}`);
      const placed = await downloadCheckpoint(pool, ep, m.id, store, elsewhere);
      assert.equal(placed.imagesDir, path.join(elsewhere, m.id));
      assert.deepEqual(readFileSync(path.join(elsewhere, m.id, 'pages-1.img')), readFileSync(path.join(m.imagesDir, 'pages-1.img')));
      assert.equal(JSON.parse(readFileSync(path.join(elsewhere, m.id, 'manifest.json'), 'utf8')).imagesDir, placed.imagesDir);
      await assert.rejects(downloadCheckpoint(pool, ep, m.id, store, elsewhere), /already has a checkpoint/);
      await assert.rejects(
        downloadCheckpoint(pool, ep, 'test-1-1-20000101T000000Z', store, elsewhere),
        /has no checkpoint test-1-1-20000101T000000Z/,
      );
      await store.delete(m.id);
      assert.deepEqual(await store.list(), []);
    });

    it('keeps the newest `retain` per host and unit, and deletes the rest with their images', async () => {
      const store = await open();
      const exo = ['2026-12-05T08:00:00.000Z', '2026-12-05T09:00:00.000Z', '2026-12-05T10:00:00.000Z'].map((t) =>
        checkpointOnHost('exo.service', t),
      );
      const other = checkpointOnHost('train.service', '2026-12-05T07:00:00.000Z');
      for (const m of [...exo, other]) await store.put(m, readFileSync(path.join(m.imagesDir, 'pages-1.img')));
      const deleted = await store.applyRetention(2);
      assert.deepEqual(deleted, [exo[0].id]);
      assert.deepEqual(
        (await store.list()).map((m) => m.id),
        [exo[2].id, exo[1].id, other.id],
      );
      assert.equal(await store.get(exo[0].id), undefined);
      assert.equal((await store.bucket.names()).filter((x) => x.startsWith(exo[0].id)).length, 0, 'images deleted too');
      for (const m of [exo[1], exo[2], other]) await store.delete(m.id);
    });
  });
}

// s3rver reads the key id from the V4 Authorization header but does not recompute V4 signatures
// (lib/middleware/authentication.js: "Signature version 4 calculation is unimplemented"): an unknown key is what it refuses.
it("S3 requests with a key the server does not know are refused, with S3's error code in the message", async () => {
  const wrong = new CheckpointStore(
    s3CheckpointBucket({ bucket: 'checkpoints', endpoint: s3.endpoint }, { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'S3RVER' }),
  );
  await assert.rejects(
    wrong.list(),
    /S3 LIST failed: 403 InvalidAccessKeyId \(The AWS Access Key Id you provided does not exist in our records\.\)/,
  );
  assert.throws(() => s3CheckpointBucket({ bucket: 'Bad_Bucket' }, S3_KEYS), /not an S3 bucket name/);
  assert.throws(() => parseS3Credentials('AWS_ACCESS_KEY_ID=x\n'), /need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  assert.deepEqual(parseS3Credentials('[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n'), {
    accessKeyId: 'AK',
    secretAccessKey: 'SK',
    sessionToken: undefined,
  });
  assert.deepEqual(readdirSync(s3.dir).includes('checkpoints'), true);
});

// The editor's store (client/src/ops/checkpointStoreAccess.ts): S3 keys from a SecretStorage (a map here, with
// vscode.SecretStorage's methods), the NATS object store through the live connection or one of its own.
describe("the editor's checkpoint storage", () => {
  const secretStorage = () => {
    const map = new Map<string, string>();
    return {
      map,
      get: async (k: string) => map.get(k),
      store: async (k: string, v: string) => void map.set(k, v),
      delete: async (k: string) => void map.delete(k),
    };
  };
  const s3Storage = () => ({ kind: 's3' as const, bucket: 'checkpoints', endpoint: s3.endpoint });
  const noNats = {
    liveNats: () => assert.fail('S3 storage needs no NATS'),
    dialNats: () => assert.fail('S3 storage needs no NATS'),
  };

  it('without S3 keys in secret storage: a MissingS3CredentialsError that names the command setting them', async () => {
    const secrets = secretStorage();
    await assert.rejects(openEditorCheckpointStore(s3Storage(), { secrets, ...noNats }), (err: Error) => {
      assert.ok(err instanceof MissingS3CredentialsError);
      assert.match(err.message, /The S3 bucket checkpoints needs credentials: run "GPU Cluster: Set S3 Credentials"/);
      return true;
    });
    // an unreadable entry counts as none, so the same error offers to set them anew
    await secrets.store(s3SecretKey(s3Storage()), '{not json');
    await assert.rejects(openEditorCheckpointStore(s3Storage(), { secrets, ...noNats }), MissingS3CredentialsError);
    assert.equal(await openEditorCheckpointStore({ kind: 'local' }, { secrets, ...noNats }), undefined);
  });

  it('with the keys stored: uploads a checkpoint from the host to S3; forgetting them removes the secret', async () => {
    const secrets = secretStorage();
    await writeS3Credentials(secrets, s3Storage(), { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'eu-west-1' });
    assert.deepEqual([...secrets.map.keys()], [`gpuCluster.checkpoint.s3:${s3.endpoint}/checkpoints`]);
    const opened = await openEditorCheckpointStore(s3Storage(), { secrets, ...noNats });
    assert.ok(opened);
    const m = checkpointOnHost('exo.service', '2026-12-05T11:00:00.000Z');
    await uploadCheckpoint(pool, ep, m, opened.store);
    assert.deepEqual(
      (await opened.store.list()).map((x) => x.id),
      [m.id],
    );
    assert.deepEqual(await opened.store.get(m.id).then((x) => x?.manifest.id), m.id);
    await opened.store.delete(m.id);
    await opened.close();
    // a different bucket or endpoint has its own entry: these keys are not used for it
    await assert.rejects(openEditorCheckpointStore({ ...s3Storage(), bucket: 'other' }, { secrets, ...noNats }), MissingS3CredentialsError);
    await writeS3Credentials(secrets, s3Storage(), undefined);
    assert.equal(secrets.map.size, 0);
  });

  it('an upload cancelled by its signal rejects and leaves nothing listed in the store', async () => {
    const secrets = secretStorage();
    await writeS3Credentials(secrets, s3Storage(), { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    const opened = (await openEditorCheckpointStore(s3Storage(), { secrets, ...noNats }))!;
    const m = checkpointOnHost('exo.service', '2026-12-05T11:30:00.000Z');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(uploadCheckpoint(pool, ep, m, opened.store, undefined, controller.signal));
    assert.deepEqual(await opened.store.list(), []);
  });

  it('NATS object store: the live connection is used and left open; without one, its own connection is dialled and closed', async () => {
    const storage = { kind: 'nats-object-store' as const, bucket: 'editor-checkpoints' };
    const secrets = secretStorage();
    const viaLive = (await openEditorCheckpointStore(storage, { secrets, liveNats: () => nc, dialNats: () => assert.fail('live is up') }))!;
    const m = checkpointOnHost('exo.service', '2026-12-05T12:00:00.000Z');
    await uploadCheckpoint(pool, ep, m, viaLive.store);
    await viaLive.close();
    assert.equal(nc.isClosed(), false, 'the live session keeps its connection');
    let own: NatsConnection | undefined;
    const viaOwn = (await openEditorCheckpointStore(storage, {
      secrets,
      liveNats: () => undefined,
      dialNats: async () => (own = await connect({ servers: nats.url })),
    }))!;
    assert.deepEqual(
      (await viaOwn.store.list()).map((x) => x.id),
      [m.id],
    );
    await viaOwn.store.delete(m.id);
    await viaOwn.close();
    assert.equal(own?.isClosed(), true);
  });
});

it('the CLI without S3 keys (no --s3-credentials, no AWS_* variables) says how to give them', async () => {
  const spec = { checkpoints: { storage: { kind: 's3', bucket: 'checkpoints', endpoint: s3.endpoint } } } as ClusterSpec;
  await assert.rejects(
    openCliStore(spec, {}, {}),
    /needs credentials: pass --s3-credentials FILE or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
  );
  const opened = await openCliStore(spec, {}, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
  assert.deepEqual(await opened!.store.list(), []);
});
