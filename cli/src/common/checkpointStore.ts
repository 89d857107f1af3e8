// The spec's checkpoint storage for the command line: the NATS object store (spec's nats.url, or --nats-url; NATS
// credentials from the .creds file NATS_CREDS names) or S3 (the keys from --s3-credentials FILE, else
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; AWS_REGION). Never a secret from the spec.

import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CheckpointStore, natsCheckpointBucket, parseS3Credentials, s3CheckpointBucket } from '#core/checkpoint';
import { authenticatorFor } from '#core/nats';
import type { ClusterSpec } from '#core/spec';

export const STORE_HELP =
  "  --nats-url URL     NATS server for nats-object-store storage (default: the spec's nats.url); credentials: NATS_CREDS\n" +
  '  --s3-credentials FILE  S3 keys (AWS_ACCESS_KEY_ID=…, AWS_SECRET_ACCESS_KEY=… lines); default: those environment variables\n';

export interface OpenStore {
  store: CheckpointStore;
  close(): Promise<void>;
}

/** The store the spec's `checkpoints.storage` names, or undefined for `local` (checkpoints stay on their hosts). */
export async function openCheckpointStore(
  spec: ClusterSpec,
  options: { natsUrl?: string; s3Credentials?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenStore | undefined> {
  const storage = spec.checkpoints?.storage;
  if (!storage || storage.kind === 'local') return undefined;
  if (!storage.bucket) throw new Error(`checkpoints.storage kind ${storage.kind} needs a bucket.`);
  if (storage.kind === 'nats-object-store') {
    const url = options.natsUrl ?? spec.nats?.url;
    if (!url) throw new Error("nats-object-store storage needs the spec's nats.url or --nats-url.");
    const nc: NatsConnection = await connect({
      servers: url.split(',').map((s) => s.trim()),
      authenticator: authenticatorFor(env.NATS_CREDS ? { kind: 'creds', creds: readFileSync(env.NATS_CREDS, 'utf8') } : undefined),
      name: 'gpu-cluster cli',
    });
    return { store: new CheckpointStore(await natsCheckpointBucket(nc, storage.bucket)), close: () => nc.close() };
  }
  const credentials = options.s3Credentials
    ? parseS3Credentials(readFileSync(options.s3Credentials, 'utf8'))
    : parseS3Credentials(
        ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']
          .filter((k) => env[k])
          .map((k) => `${k}=${env[k]}`)
          .join('\n'),
      );
  return {
    store: new CheckpointStore(
      s3CheckpointBucket({ bucket: storage.bucket, endpoint: storage.endpoint, region: env.AWS_REGION }, credentials),
    ),
    close: async () => undefined,
  };
}
