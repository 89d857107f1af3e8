// `gpu-cluster-agent checkpoint policy …`: one run of a checkpoint policy on this host, started as root by the
// generated systemd timer (nix-templates/modules/checkpoint.nix). The steps are core's (core/src/checkpoint/policy.ts),
// run through a local shell instead of SSH; the result is printed as one JSON line for the journal. With `--storage
// s3|nats-object-store` each new checkpoint is then uploaded to the spec's store (core's openCheckpointStore, as the
// CLI and the editor open it) and the store keeps the newest `retain` per host and unit. Secrets come from files
// systemd hands the service (LoadCredential): `--s3-credentials FILE`, `--nats-creds FILE`; the CA of a tls:// NATS
// server is a public file read from its path (`--tls-ca FILE`, the flag the agent's own connection takes).

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { openCheckpointStore, parseS3Credentials, runPolicy, uploadCheckpoint } from '#core/checkpoint';
import { checkpointSettings, listCheckpoints, type CommandRunner } from '#core/ops';
import { connectOnce } from '#core/nats';
import type { ExecResult, SshEndpoint } from '#core/ssh';

export const CHECKPOINT_USAGE =
  'usage: gpu-cluster-agent checkpoint policy --dir DIR --retain N --unit UNIT [--unit UNIT…] [--lock-timeout MS] [--host NAME]\n' +
  '         [--storage s3 --bucket B [--endpoint URL] [--region R] --s3-credentials FILE | --storage nats-object-store --bucket B --nats-url URL [--nats-creds FILE] [--tls-ca FILE]]\n';

/** Runs command lines with /bin/sh on this machine, with the SSH transport's result shape. */
export const localRunner: CommandRunner = {
  exec: (_endpoint, command, options = {}) =>
    new Promise<ExecResult>((resolve, reject) => {
      execFile(
        'sh',
        ['-c', command.text],
        { timeout: options.timeoutMs, signal: options.signal, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
          // a string code (ENOENT, ABORT_ERR) means sh did not run or was cancelled: a transport failure, as over SSH
          if (e && typeof e.code === 'string') return reject(e);
          // whole, at the end: callers that stream (reading a checkpoint's archive) get the same text
          if (stdout) options.onStdout?.(stdout);
          resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
        },
      );
    }),
};

export async function checkpointCommand(
  args: readonly string[],
  out: (text: string) => void,
  runner: CommandRunner = localRunner,
): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'policy') {
    out(CHECKPOINT_USAGE);
    return 2;
  }
  const { values } = parseArgs({
    args: [...rest],
    options: {
      dir: { type: 'string' },
      retain: { type: 'string' },
      unit: { type: 'string', multiple: true },
      'lock-timeout': { type: 'string' },
      host: { type: 'string' },
      storage: { type: 'string' },
      bucket: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      's3-credentials': { type: 'string' },
      'nats-url': { type: 'string' },
      'nats-creds': { type: 'string' },
      'tls-ca': { type: 'string' },
    },
  });
  const storage = values.storage ?? 'local';
  const retain = Number(values.retain);
  if (
    !values.dir?.startsWith('/') ||
    !Number.isInteger(retain) ||
    retain < 1 ||
    !values.unit?.length ||
    (storage !== 'local' && storage !== 's3' && storage !== 'nats-object-store')
  ) {
    out(CHECKPOINT_USAGE);
    return 2;
  }
  const lockTimeoutMs = values['lock-timeout'] === undefined ? undefined : Number(values['lock-timeout']);
  const host = values.host ?? os.hostname().split('.')[0];
  // The service runs as root, so no sudo: the same endpoint shape SSH uses, as root on this machine.
  const self: SshEndpoint = { name: host, address: '127.0.0.1', port: 0, user: 'root' };
  const settings = checkpointSettings({ storage: { kind: 'local', path: values.dir }, lockTimeoutMs });
  // The store is opened first: a policy whose storage cannot be reached fails before it touches a process.
  const opened = await openCheckpointStore(
    { kind: storage, bucket: values.bucket, endpoint: values.endpoint, region: values.region },
    {
      nats: async () => {
        if (!values['nats-url']) throw new Error('nats-object-store storage needs --nats-url.');
        const creds = values['nats-creds'];
        const nc = await connectOnce(values['nats-url'], {
          credentials: creds ? { kind: 'creds', creds: readFileSync(creds, 'utf8') } : undefined,
          // a tls:// server's certificate is checked against this CA, as the agent's own connection does (--tls-ca)
          tls: { caFile: values['tls-ca'] },
          name: `gpu-cluster-agent checkpoint policy ${host}`,
        });
        return { nc, release: () => nc.close() };
      },
      s3Credentials: async () => {
        const file = values['s3-credentials'];
        return file ? { keys: parseS3Credentials(readFileSync(file, 'utf8')) } : undefined;
      },
      s3CredentialsHint: 'pass --s3-credentials FILE (the module: gpuCluster.checkpoint.storage.credentialsFile)',
    },
  );
  try {
    const result = await runPolicy(runner, self, { host, units: values.unit, retain, settings });
    const upload = { uploaded: [] as string[], storeDeleted: [] as string[], uploadErrors: [] as string[] };
    if (opened) {
      const ids = new Set(result.taken.flatMap((t) => (t.id ? [t.id] : [])));
      for (const m of (await listCheckpoints(runner, self, settings.baseDir)).filter((x) => ids.has(x.id))) {
        try {
          const { deleted } = await uploadCheckpoint(runner, self, m, opened.store, retain);
          upload.uploaded.push(m.id);
          upload.storeDeleted.push(...deleted);
        } catch (err) {
          upload.uploadErrors.push(`${m.id}: ${(err as Error).message}`);
        }
      }
    }
    out(`${JSON.stringify(opened ? { ...result, store: opened.store.bucket.description, ...upload } : result)}\n`);
    return result.taken.some((t) => t.error) || upload.uploadErrors.length ? 1 : 0;
  } finally {
    await opened?.close();
  }
}
