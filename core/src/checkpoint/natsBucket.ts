// The NATS JetStream object store as checkpoint storage (`checkpoints.storage.kind: nats-object-store`, `bucket`).

import type { NatsConnection } from '@nats-io/transport-node';
import { StorageType } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { ObjectBucket } from './storage';

/** Object store bucket names as nats-server accepts them. */
const BUCKET = /^[A-Za-z0-9_-]+$/;

export async function natsCheckpointBucket(nc: NatsConnection, bucket: string): Promise<ObjectBucket> {
  if (!BUCKET.test(bucket)) throw new Error(`"${bucket}" is not a NATS object store bucket name (letters, digits, _ and -).`);
  const os = await new Objm(nc).create(bucket, {
    storage: StorageType.File,
    description: 'GPU process checkpoints (manifest and CRIU images)',
  });
  return {
    description: `NATS object store ${bucket}`,
    put: async (name, data) => {
      await os.putBlob({ name }, data);
    },
    get: async (name) => (await os.getBlob(name)) ?? undefined,
    delete: async (name) => {
      await os.delete(name);
    },
    names: async () => (await os.list()).filter((i) => !i.deleted).map((i) => i.name),
  };
}
