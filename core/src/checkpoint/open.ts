// Opening the spec's checkpoint storage (`checkpoints.storage`) for every caller: the CLI, the editor and a host's
// policy run. The caller says where its secrets come from (the CLI: a file or the environment; the editor:
// SecretStorage and its NATS session; a host: files systemd hands the service); this decides what the spec's
// storage needs and says clearly what is missing. No secret ever comes from the spec.

import type { NatsConnection } from '@nats-io/transport-node';
import type { CheckpointSpec } from '../spec/types';
import { natsCheckpointBucket } from './natsBucket';
import { s3CheckpointBucket, type S3Credentials } from './s3Bucket';
import { CheckpointStore } from './storage';

/** The storage needs S3 keys and the caller has none: callers offer a way to set them. */
export class MissingS3CredentialsError extends Error {
  constructor(
    readonly bucket: string,
    hint: string,
  ) {
    super(`The S3 bucket ${bucket} needs credentials: ${hint}.`);
  }
}

export interface StoreAccess {
  /**
   * A connection for nats-object-store storage, and how to let go of it (a connection the caller keeps for other
   * work, like the editor's live session, is not closed).
   */
  nats(): Promise<{ nc: NatsConnection; release(): Promise<void> }>;
  /** The S3 keys (and a region kept with them, used when the spec names none), or undefined when none are set. */
  s3Credentials(): Promise<{ keys: S3Credentials; region?: string } | undefined>;
  /** Where to set S3 keys, for the error when there are none ("run … Set S3 Credentials"). */
  s3CredentialsHint: string;
}

export interface OpenStore {
  store: CheckpointStore;
  close(): Promise<void>;
}

/** The store `storage` names, or undefined for `local` (checkpoints stay on their hosts). */
export async function openCheckpointStore(
  storage: CheckpointSpec['storage'] | undefined,
  access: StoreAccess,
): Promise<OpenStore | undefined> {
  if (!storage || storage.kind === 'local') return undefined;
  if (!storage.bucket) throw new Error(`checkpoints.storage kind ${storage.kind} needs a bucket.`);
  if (storage.kind === 'nats-object-store') {
    const { nc, release } = await access.nats();
    try {
      return { store: new CheckpointStore(await natsCheckpointBucket(nc, storage.bucket)), close: release };
    } catch (err) {
      await release();
      throw err;
    }
  }
  const credentials = await access.s3Credentials();
  if (!credentials) throw new MissingS3CredentialsError(storage.bucket, access.s3CredentialsHint);
  return {
    store: new CheckpointStore(
      s3CheckpointBucket(
        { bucket: storage.bucket, endpoint: storage.endpoint, region: storage.region ?? credentials.region },
        credentials.keys,
      ),
    ),
    close: async () => undefined,
  };
}
