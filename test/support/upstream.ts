// Where the tests find the pinned upstream sources (../shared/upstream, see its README): nixpkgs' real `lib`, disko and
// nix-darwin. NIXPKGS_LIB (a nixpkgs `lib` folder) and UPSTREAM_DIR (a folder laid out like ../shared/upstream) come
// first; then ../shared/upstream beside the repository. Without either, nixpkgs' lib is fetched by its commit when the
// machine has network (NIX_GPU_CLUSTER_FETCH_UPSTREAM=1 allows it); otherwise the tests stop with what to set.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** nix-community/nixpkgs.lib at the commit ../shared/upstream pins (nixpkgs' lib, 26.11 pre). */
export const NIXPKGS_LIB_REPO = 'https://github.com/nix-community/nixpkgs.lib';
export const NIXPKGS_LIB_COMMIT = 'de42d44212d207476489bce163375d8306a26d59';

const repoRoot = path.join(__dirname, '../../..');

function upstreamDir(): string | undefined {
  const candidates = [process.env.UPSTREAM_DIR, path.join(repoRoot, '../shared/upstream')].filter((d): d is string => !!d);
  return candidates.find((d) => existsSync(path.join(d, 'nixpkgs-lib/lib/default.nix')));
}

function fetchedNixpkgsLib(): string {
  const expr = `(builtins.fetchGit { url = "${NIXPKGS_LIB_REPO}"; rev = "${NIXPKGS_LIB_COMMIT}"; }).outPath`;
  const out = execFileSync('nix-instantiate', ['--eval', '--json', '-E', expr], { encoding: 'utf8', timeout: 120_000 });
  return path.join(JSON.parse(out) as string, 'lib');
}

/** nixpkgs' `lib` folder. */
export function nixpkgsLib(): string {
  if (process.env.NIXPKGS_LIB) {
    if (!existsSync(path.join(process.env.NIXPKGS_LIB, 'default.nix')))
      throw new Error(`NIXPKGS_LIB=${process.env.NIXPKGS_LIB} is not a nixpkgs lib folder (no default.nix)`);
    return process.env.NIXPKGS_LIB;
  }
  const dir = upstreamDir();
  if (dir) return path.join(dir, 'nixpkgs-lib/lib');
  if (process.env.NIX_GPU_CLUSTER_FETCH_UPSTREAM === '1') return fetchedNixpkgsLib();
  throw new Error(
    `nixpkgs' lib not found: set NIXPKGS_LIB to a nixpkgs lib folder, or UPSTREAM_DIR to a folder like ../shared/upstream ` +
      `(nixpkgs-lib/lib, disko, nix-darwin), or allow fetching ${NIXPKGS_LIB_REPO} at ${NIXPKGS_LIB_COMMIT} with NIX_GPU_CLUSTER_FETCH_UPSTREAM=1`,
  );
}

/** Another pinned upstream source (disko, nix-darwin) from UPSTREAM_DIR or ../shared/upstream. */
export function upstreamSource(name: 'disko' | 'nix-darwin'): string {
  const dir = upstreamDir();
  if (!dir || !existsSync(path.join(dir, name))) {
    throw new Error(`${name} not found: set UPSTREAM_DIR to a folder like ../shared/upstream (nixpkgs-lib/lib, disko, nix-darwin)`);
  }
  return path.join(dir, name);
}
