// Where the editor's checkpoint storage gets its secrets (core's openCheckpointStore does the rest, as for the CLI):
// S3 keys from VS Code's SecretStorage, one entry per endpoint and bucket (never settings or files); the NATS object
// store through the live session's connection when it is up, else a connection of its own for the one job.
// Free of `vscode`, so the tests run it with a map for SecretStorage and real servers.

import type { NatsConnection } from '@nats-io/transport-node';
import { openCheckpointStore, type OpenStore, type S3Credentials, type StoreAccess } from '#core/checkpoint';
import type { ClusterSpec } from '#core/spec';

type Storage = NonNullable<ClusterSpec['checkpoints']>['storage'];

/** What the editor uses of vscode.SecretStorage. */
export interface SecretsLike {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface StoredS3Credentials extends S3Credentials {
  region?: string;
}

export const SET_S3_CREDENTIALS_COMMAND = 'gpuCluster.checkpoint.setS3Credentials';
const S3_SECRET_PREFIX = 'gpuCluster.checkpoint.s3:';

/** One secret per S3 endpoint and bucket, so two clusters' keys never mix. */
export function s3SecretKey(storage: Pick<Storage, 'bucket' | 'endpoint'>): string {
  return `${S3_SECRET_PREFIX}${storage.endpoint ?? 'aws'}/${storage.bucket ?? ''}`;
}

export async function readS3Credentials(secrets: SecretsLike, storage: Storage): Promise<StoredS3Credentials | undefined> {
  const text = await secrets.get(s3SecretKey(storage));
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as StoredS3Credentials;
    return typeof v.accessKeyId === 'string' && v.accessKeyId && typeof v.secretAccessKey === 'string' && v.secretAccessKey ? v : undefined;
  } catch {
    return undefined; // unreadable: as if none were set, so the error offers to set them anew
  }
}

/** Stores the keys, or forgets them when `credentials` is undefined. */
export async function writeS3Credentials(
  secrets: SecretsLike,
  storage: Storage,
  credentials: StoredS3Credentials | undefined,
): Promise<void> {
  if (!credentials) await secrets.delete(s3SecretKey(storage));
  else await secrets.store(s3SecretKey(storage), JSON.stringify(credentials));
}

export interface EditorStoreDeps {
  secrets: SecretsLike;
  /** The live session's connection, while it is connected. */
  liveNats(): NatsConnection | undefined;
  /** A connection of its own (the spec's or the setting's NATS URL, the stored NATS credentials). */
  dialNats(): Promise<NatsConnection>;
}

/** The spec's checkpoint storage as the editor opens it; undefined for `local`. */
export function openEditorCheckpointStore(storage: Storage | undefined, deps: EditorStoreDeps): Promise<OpenStore | undefined> {
  const access: StoreAccess = {
    nats: async () => {
      const live = deps.liveNats();
      if (live) return { nc: live, release: async () => undefined };
      const nc = await deps.dialNats();
      return { nc, release: () => nc.close() };
    },
    s3Credentials: async () => {
      const stored = storage && (await readS3Credentials(deps.secrets, storage));
      if (!stored) return undefined;
      const { region, ...keys } = stored;
      return { keys, region };
    },
    s3CredentialsHint: 'run "GPU Cluster: Set S3 Credentials" (they are kept in VS Code\'s secret storage)',
  };
  return openCheckpointStore(storage, access);
}
