// The spec's checkpoint storage for the command line (core's openCheckpointStore): the NATS object store (spec's
// nats.url, or --nats-url; NATS credentials from the .creds file NATS_CREDS names) or S3 (the keys from
// --s3-credentials FILE, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; AWS_REGION when the spec names no region). Never a
// secret from the spec.

import { readFileSync } from 'node:fs';
import { openCheckpointStore as openStore, type OpenStore, parseS3Credentials } from '#core/checkpoint';
import { connectOnce } from '#core/nats';
import type { ClusterSpec } from '#core/spec';

export const STORE_HELP =
  "  --nats-url URL     NATS server for nats-object-store storage (default: the spec's nats.url); credentials: NATS_CREDS\n" +
  '  --s3-credentials FILE  S3 keys (AWS_ACCESS_KEY_ID=…, AWS_SECRET_ACCESS_KEY=… lines); default: those environment variables\n';

export type { OpenStore };

/** The store the spec's `checkpoints.storage` names, or undefined for `local` (checkpoints stay on their hosts). */
export function openCheckpointStore(
  spec: ClusterSpec,
  options: { natsUrl?: string; s3Credentials?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenStore | undefined> {
  return openStore(spec.checkpoints?.storage, {
    nats: async () => {
      const url = options.natsUrl ?? spec.nats?.url;
      if (!url) throw new Error("nats-object-store storage needs the spec's nats.url or --nats-url.");
      const nc = await connectOnce(url, {
        credentials: env.NATS_CREDS ? { kind: 'creds', creds: readFileSync(env.NATS_CREDS, 'utf8') } : undefined,
        name: 'gpu-cluster cli',
      });
      return { nc, release: () => nc.close() };
    },
    s3Credentials: async () => {
      const region = env.AWS_REGION || undefined;
      if (options.s3Credentials) return { keys: parseS3Credentials(readFileSync(options.s3Credentials, 'utf8')), region };
      if (!env.AWS_ACCESS_KEY_ID && !env.AWS_SECRET_ACCESS_KEY) return undefined;
      const lines = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'].filter((k) => env[k]).map((k) => `${k}=${env[k]}`);
      return { keys: parseS3Credentials(lines.join('\n')), region };
    },
    s3CredentialsHint: 'pass --s3-credentials FILE or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  });
}
