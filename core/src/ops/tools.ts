// Local programs the operations need. A missing one is reported with the command that provides it.

import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

export type LocalTool = 'nix' | 'nixos-anywhere' | 'nixos-rebuild' | 'ssh';

const PROVIDERS: Record<LocalTool, string> = {
  nix: 'install Nix: `sh <(curl -L https://nixos.org/nix/install) --daemon` (or `apt install nix-bin`)',
  'nixos-anywhere': '`nix run github:nix-community/nixos-anywhere -- …`, or `nix-shell -p nixos-anywhere`',
  'nixos-rebuild': '`nix-shell -p nixos-rebuild` (or run it from a NixOS machine)',
  ssh: '`apt install openssh-client` (or `nix-shell -p openssh`)',
};

export class MissingToolError extends Error {
  constructor(readonly tool: LocalTool) {
    super(`${tool} was not found on PATH. It is provided by ${PROVIDERS[tool]}.`);
    this.name = 'MissingToolError';
  }
}

/** The absolute path of an executable on PATH, or undefined. */
export async function findOnPath(name: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function requireTool(tool: LocalTool, envPath?: string): Promise<string> {
  const found = await findOnPath(tool, envPath);
  if (!found) throw new MissingToolError(tool);
  return found;
}
