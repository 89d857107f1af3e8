// Update Host: `nixos-rebuild switch --flake DIR#HOST --target-host …` for Linux hosts; for Apple hosts the
// flake is copied to the Mac's store (`nix flake archive --to ssh-ng://…`) and darwin-rebuild runs there.

import os from 'node:os';
import path from 'node:path';
import type { SshEndpoint, SshPool } from '../ssh/connection';
import { expandHome } from '../ssh/connection';
import { argv } from '../ssh/quote';
import type { System } from '../spec/types';
import { runLocal, type LocalRunResult } from './localProcess';
import { requireTool } from './tools';

export interface UpdateRequest {
  flakeDir: string;
  host: string;
  system: System;
  endpoint: SshEndpoint;
  /** known_hosts file ssh must verify against (the extension's managed one). */
  knownHostsFile?: string;
}

/**
 * NIX_SSHOPTS for nix's own ssh calls. nix splits it on whitespace, so values with spaces cannot be passed
 * safely: refuse them rather than let them split.
 */
export function nixSshOpts(endpoint: SshEndpoint, knownHostsFile?: string): string {
  const opts = ['-p', String(endpoint.port), '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
  if (endpoint.identity) opts.push('-i', expandHome(endpoint.identity), '-o', 'IdentitiesOnly=yes');
  // The managed file holds keys accepted in VS Code; the user's own file stays consulted as the "global" one.
  if (knownHostsFile)
    opts.push('-o', `UserKnownHostsFile=${knownHostsFile}`, '-o', `GlobalKnownHostsFile=${path.join(os.homedir(), '.ssh', 'known_hosts')}`);
  const hops: string[] = [];
  for (let j = endpoint.jump; j; j = j.jump) hops.unshift(`${j.user}@${j.address}:${j.port}`);
  if (hops.length) opts.push('-J', hops.join(','));
  for (const o of opts) {
    if (/\s/.test(o)) throw new Error(`"${o}" contains whitespace, which nix's NIX_SSHOPTS cannot carry. Use a path without spaces.`);
  }
  return opts.join(' ');
}

export function nixosRebuildArgs(req: UpdateRequest): string[] {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(req.host))
    throw new Error(`"${req.host}" is not a host name nix can use as a configuration name.`);
  if (req.flakeDir.includes('#')) throw new Error(`The flake folder ${req.flakeDir} contains '#'.`);
  const args = ['switch', '--flake', `${req.flakeDir}#${req.host}`, '--target-host', `${req.endpoint.user}@${req.endpoint.address}`];
  if (req.endpoint.user !== 'root') args.push('--use-remote-sudo');
  return args;
}

export interface UpdateOutcome {
  host: string;
  ok: boolean;
  cancelled: boolean;
  message: string;
  run?: LocalRunResult;
}

export interface UpdateCallbacks {
  signal?: AbortSignal;
  onData?(chunk: string): void;
  envPath?: string;
  /** Needed for Apple hosts, where darwin-rebuild runs over our SSH connection. */
  pool?: SshPool;
}

function lastMeaningfulLine(lines: readonly string[]): string {
  return (
    [...lines].reverse().find((l) => /error|failed|denied/i.test(l)) ??
    [...lines].reverse().find((l) => l.trim()) ??
    'no output'
  ).trim();
}

export async function updateHost(req: UpdateRequest, cb: UpdateCallbacks = {}): Promise<UpdateOutcome> {
  const env: Record<string, string> = { NIX_SSHOPTS: nixSshOpts(req.endpoint, req.knownHostsFile) };
  if (cb.envPath) env.PATH = cb.envPath;
  if (req.system.endsWith('-darwin')) return updateDarwin(req, env, cb);
  const tool = await requireTool('nixos-rebuild', cb.envPath);
  const run = await runLocal(tool, nixosRebuildArgs(req), { cwd: req.flakeDir, env, signal: cb.signal, onData: (c) => cb.onData?.(c) });
  const ok = run.code === 0 && !run.cancelled;
  return {
    host: req.host,
    ok,
    cancelled: run.cancelled,
    run,
    message: ok ? 'switched' : run.cancelled ? 'cancelled' : `nixos-rebuild failed: ${lastMeaningfulLine(run.tail)}`,
  };
}

async function updateDarwin(req: UpdateRequest, env: Record<string, string>, cb: UpdateCallbacks): Promise<UpdateOutcome> {
  if (!cb.pool) throw new Error('Updating an Apple host needs an SSH connection pool.');
  const nix = await requireTool('nix', cb.envPath);
  const store = `ssh-ng://${req.endpoint.user}@${req.endpoint.address}`;
  let json = '';
  const archive = await runLocal(
    nix,
    ['--extra-experimental-features', 'nix-command flakes', 'flake', 'archive', '--json', '--to', store, req.flakeDir],
    {
      env,
      signal: cb.signal,
      onData: (c, stream) => (stream === 'stdout' ? (json += c) : cb.onData?.(c)),
    },
  );
  if (archive.cancelled) return { host: req.host, ok: false, cancelled: true, message: 'cancelled', run: archive };
  if (archive.code !== 0)
    return {
      host: req.host,
      ok: false,
      cancelled: false,
      message: `copying the flake to ${req.host} failed: ${lastMeaningfulLine(archive.tail)}`,
      run: archive,
    };
  const storePath = (JSON.parse(json) as { path?: string }).path;
  if (!storePath?.startsWith('/nix/store/'))
    return { host: req.host, ok: false, cancelled: false, message: 'nix flake archive did not report a store path' };
  const rebuild = ['darwin-rebuild', 'switch', '--flake', `${storePath}#${req.host}`];
  const command = argv(req.endpoint.user === 'root' ? rebuild : ['sudo', '-n', ...rebuild]);
  const result = await cb.pool.exec(req.endpoint, command, { signal: cb.signal, onStdout: cb.onData, onStderr: cb.onData });
  const ok = result.code === 0;
  return {
    host: req.host,
    ok,
    cancelled: false,
    message: ok ? 'switched' : `darwin-rebuild failed (exit ${result.code}): ${lastMeaningfulLine(result.stderr.split('\n'))}`,
  };
}
