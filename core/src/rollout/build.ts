// The new systems of a rollout: built from the flake on this machine (`nix build … .toplevel`), then copied to
// each host's store (`nix copy --to ssh-ng://…`, with the same NIX_SSHOPTS Update Host uses), so the preview
// and the switch find them there.

import { nixSshOpts } from '../ops/update';
import { runLocal } from '../ops/localProcess';
import { requireTool } from '../ops/tools';
import type { SshEndpoint } from '../ssh/connection';
import { checkSystemPath } from './host';

const NIX_FLAGS = ['--extra-experimental-features', 'nix-command flakes'];

export interface BuildRequest {
  flakeDir: string;
  host: string;
  endpoint: SshEndpoint;
  knownHostsFile?: string;
  signal?: AbortSignal;
  onData?(chunk: string): void;
  envPath?: string;
}

/** Builds one host's toplevel and copies it to the host; resolves with the store path. */
export async function buildAndCopySystem(req: BuildRequest): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(req.host))
    throw new Error(`"${req.host}" is not a host name nix can use as a configuration name.`);
  if (req.flakeDir.includes('#')) throw new Error(`The flake folder ${req.flakeDir} contains '#'.`);
  const nix = await requireTool('nix', req.envPath);
  let out = '';
  const build = await runLocal(
    nix,
    [
      ...NIX_FLAGS,
      'build',
      '--no-link',
      '--print-out-paths',
      `${req.flakeDir}#nixosConfigurations.${req.host}.config.system.build.toplevel`,
    ],
    {
      cwd: req.flakeDir,
      signal: req.signal,
      env: req.envPath ? { PATH: req.envPath } : undefined,
      onData: (c, stream) => (stream === 'stdout' ? (out += c) : req.onData?.(c)),
    },
  );
  if (build.cancelled) throw new Error('cancelled');
  if (build.code !== 0)
    throw new Error(`building ${req.host} failed: ${build.tail.filter((l) => l.trim()).at(-1) ?? `exit ${build.code}`}`);
  const toplevel = checkSystemPath(out.trim().split('\n').at(-1) ?? '');
  const env: Record<string, string> = { NIX_SSHOPTS: nixSshOpts(req.endpoint, req.knownHostsFile) };
  if (req.envPath) env.PATH = req.envPath;
  const copy = await runLocal(nix, [...NIX_FLAGS, 'copy', '--to', `ssh-ng://${req.endpoint.user}@${req.endpoint.address}`, toplevel], {
    env,
    signal: req.signal,
    onData: (c) => req.onData?.(c),
  });
  if (copy.cancelled) throw new Error('cancelled');
  if (copy.code !== 0)
    throw new Error(`copying ${req.host}'s system failed: ${copy.tail.filter((l) => l.trim()).at(-1) ?? `exit ${copy.code}`}`);
  return toplevel;
}
