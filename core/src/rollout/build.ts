// The new systems of a rollout: built from the flake on this machine (`nix build … .toplevel`), then copied to
// each host's store (`nix copy --to ssh-ng://…`, with the same NIX_SSHOPTS Update Host uses), so the preview
// and the switch find them there. The out path is read from `nix build --json` (Nix's manual, nix3-build: a JSON list
// of `{"drvPath", "outputs": {"out": …}}`), which every Nix since 2.4 prints; `--print-out-paths` came with 2.9 and
// fails on older ones (Debian's nix-bin 2.8 says "unrecognised flag"). A host whose store is not its root's
// (`remoteStore`, e.g. `local?root=/srv/host` for a host kept under a folder) gets the closure there: the ssh-ng
// store's `remote-store` setting, the store URL nix-daemon opens on the far side. A path built here carries no
// signature, so the copy passes `--no-check-sigs` (nix3-copy: "Do not require that paths are signed by trusted
// keys"; the receiving daemon honours it only for a trusted user, root here, as deploy-rs and nixos-rebuild copy).

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
  /** The store URL on the host (default: its system store). */
  remoteStore?: string;
}

/** The out path of `nix build --json` output. */
export function builtOutPath(json: string): string {
  let built: unknown;
  try {
    built = JSON.parse(json);
  } catch {
    throw new Error(`nix build printed no JSON: ${json.trim().slice(0, 200)}`);
  }
  const out = Array.isArray(built) ? (built[0] as { outputs?: { out?: unknown } } | undefined)?.outputs?.out : undefined;
  if (typeof out !== 'string') throw new Error(`nix build named no out path: ${json.trim().slice(0, 200)}`);
  return out;
}

/** The line that says why nix failed: its last `error:` line, else its last line. */
function nixFailure(tail: readonly string[], code: number | null): string {
  const lines = tail.map((l) => l.trim()).filter(Boolean);
  return lines.filter((l) => l.startsWith('error:')).at(-1) ?? lines.at(-1) ?? `exit ${code}`;
}

/** `ssh-ng://USER@ADDR`, with the far side's store when it is not the system's. */
export function copyDestination(endpoint: SshEndpoint, remoteStore?: string): string {
  const base = `ssh-ng://${endpoint.user}@${endpoint.address}`;
  return remoteStore ? `${base}?remote-store=${encodeURIComponent(remoteStore)}` : base;
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
    [...NIX_FLAGS, 'build', '--no-link', '--json', `${req.flakeDir}#nixosConfigurations.${req.host}.config.system.build.toplevel`],
    {
      cwd: req.flakeDir,
      signal: req.signal,
      env: req.envPath ? { PATH: req.envPath } : undefined,
      onData: (c, stream) => (stream === 'stdout' ? (out += c) : req.onData?.(c)),
    },
  );
  if (build.cancelled) throw new Error('cancelled');
  if (build.code !== 0) throw new Error(`building ${req.host} failed: ${nixFailure(build.tail, build.code)}`);
  const toplevel = checkSystemPath(builtOutPath(out));
  const env: Record<string, string> = { NIX_SSHOPTS: nixSshOpts(req.endpoint, req.knownHostsFile) };
  if (req.envPath) env.PATH = req.envPath;
  const copy = await runLocal(
    nix,
    [...NIX_FLAGS, 'copy', '--no-check-sigs', '--to', copyDestination(req.endpoint, req.remoteStore), toplevel],
    {
      env,
      signal: req.signal,
      onData: (c) => req.onData?.(c),
    },
  );
  if (copy.cancelled) throw new Error('cancelled');
  if (copy.code !== 0) throw new Error(`copying ${req.host}'s system failed: ${nixFailure(copy.tail, copy.code)}`);
  return toplevel;
}
