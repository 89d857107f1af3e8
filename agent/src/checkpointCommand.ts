// `gpu-cluster-agent checkpoint policy …`: one run of a checkpoint policy on this host, started as root by the
// generated systemd timer (nix-templates/modules/checkpoint.nix). The steps are core's (core/src/checkpoint/policy.ts),
// run through a local shell instead of SSH; the result is printed as one JSON line for the journal.

import { execFile } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runPolicy } from '#core/checkpoint';
import { checkpointSettings, type CommandRunner } from '#core/ops';
import type { ExecResult, SshEndpoint } from '#core/ssh';

export const CHECKPOINT_USAGE =
  'usage: gpu-cluster-agent checkpoint policy --dir DIR --retain N --unit UNIT [--unit UNIT…] [--lock-timeout MS] [--host NAME]\n';

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
    },
  });
  const retain = Number(values.retain);
  if (!values.dir?.startsWith('/') || !Number.isInteger(retain) || retain < 1 || !values.unit?.length) {
    out(CHECKPOINT_USAGE);
    return 2;
  }
  const lockTimeoutMs = values['lock-timeout'] === undefined ? undefined : Number(values['lock-timeout']);
  const host = values.host ?? os.hostname().split('.')[0];
  // The service runs as root, so no sudo: the same endpoint shape SSH uses, as root on this machine.
  const self: SshEndpoint = { name: host, address: '127.0.0.1', port: 0, user: 'root' };
  const settings = checkpointSettings({ storage: { kind: 'local', path: values.dir }, lockTimeoutMs });
  const result = await runPolicy(runner, self, { host, units: values.unit, retain, settings });
  out(`${JSON.stringify(result)}\n`);
  return result.taken.some((t) => t.error) ? 1 : 0;
}
