// The releases a generated flake pins, and what depends on the release. Decided from the upstream branches
// (docs/flake.md, "Pinned releases"): on 2026-12-05 the newest release branches are NixOS/nixpkgs `nixos-26.05`
// (macOS: `nixpkgs-26.05-darwin`) and nix-darwin/nix-darwin `nix-darwin-26.05` (version.json: release 26.05,
// isReleaseBranch true, commit adda04f0bf4819575b1978c2f8d78401b3c2be12; its master is 26.11 pre-release).
// nix-darwin refuses to evaluate with a nixpkgs of another release (eval-config.nix, checkRelease), so both
// come from this one number.

/** The NixOS release new flakes use, and the oldest one still supported (25.11 ended in June 2026). */
export const SUPPORTED_RELEASE = '26.05';
export const OLDEST_SUPPORTED_RELEASE = '26.05';

export const DEFAULT_NIXPKGS = `github:NixOS/nixpkgs/nixos-${SUPPORTED_RELEASE}`;

/** `26.05` from `github:NixOS/nixpkgs/nixos-26.05`, when the reference names a release. */
export function releaseOf(nixpkgs: string): string | undefined {
  return /(\d{2}\.\d{2})(?:[^\d]|$)/.exec(nixpkgs)?.[1];
}

const olderThan = (release: string, than: string) => release.localeCompare(than, 'en', { numeric: true }) < 0;

/** nixpkgs ships `hardware.facter` from 25.11 on; older releases take `facter.*` from nixos-facter-modules. */
export function facterFromNixpkgs(release: string | undefined): boolean {
  return release === undefined || !olderThan(release, '25.11');
}

/** Since 25.11 `nixfmt` is the RFC-style formatter and `nixfmt-rfc-style` a deprecated alias of it. */
export function nixfmtAttribute(release: string | undefined): string {
  return release === undefined || !olderThan(release, '25.11') ? 'nixfmt' : 'nixfmt-rfc-style';
}

export function isSupportedRelease(release: string): boolean {
  return !olderThan(release, OLDEST_SUPPORTED_RELEASE);
}

/**
 * nix-darwin and the nixpkgs it evaluates with: the `nix-darwin-YY.MM` branch with nixpkgs' `nixpkgs-YY.MM-darwin`
 * (the branch built for macOS), or nix-darwin's master with nixpkgs-unstable when the reference names no release.
 */
export function darwinInputs(nixpkgs: string): { nixDarwin: string; nixpkgs: string } {
  const release = releaseOf(nixpkgs);
  return release
    ? { nixDarwin: `github:nix-darwin/nix-darwin/nix-darwin-${release}`, nixpkgs: `github:NixOS/nixpkgs/nixpkgs-${release}-darwin` }
    : { nixDarwin: 'github:nix-darwin/nix-darwin', nixpkgs: 'github:NixOS/nixpkgs/nixpkgs-unstable' };
}
