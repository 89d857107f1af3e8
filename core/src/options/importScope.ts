// What a module's imports add to the options it may define. Relative imports are workspace modules whose
// declarations the option database already holds. nixpkgs modules reached through `modulesPath` (or
// `<nixpkgs/nixos/modules/…>`) that are known by name open the namespaces they declare; any other import
// (an unknown nixpkgs module, a flake input's module, a fetched file) may declare anything, so only
// namespaces that recorded facts vouch for stay checked.

import type { Expr } from '../nix/ast';
import { literalString, unparen } from '../nix/syntax';
import { importExprs, pathLiteral } from './moduleClass';

/**
 * nixpkgs modules (paths below nixos/modules) by the option namespaces they declare that no regular
 * NixOS evaluation has. Read from nixpkgs: installer/sd-card/sd-image.nix declares `options.sdImage`,
 * installer/cd-dvd/iso-image.nix `options.isoImage`, profiles/clone-config.nix `installer.cloneConfig*`
 * (imported by profiles/installation-device.nix and the installer images).
 */
const NIXPKGS_MODULE_NAMESPACES: { prefix: string; namespaces: string[] }[] = [
  { prefix: 'installer/sd-card/', namespaces: ['sdImage', 'installer'] },
  { prefix: 'installer/cd-dvd/', namespaces: ['isoImage', 'installer'] },
  { prefix: 'profiles/installation-device.nix', namespaces: ['installer'] },
  { prefix: 'profiles/clone-config.nix', namespaces: ['installer'] },
];

export interface ImportScope {
  /** Option paths declared by imported modules the database does not hold: definitions below them are unchecked. */
  open: string[][];
  /** An import that may declare any option: only namespaces vouched for by recorded facts are checked. */
  opaque: boolean;
}

export function importScope(root: Expr): ImportScope {
  const scope: ImportScope = { open: [], opaque: false };
  for (const value of importExprs(root)) {
    const rel = pathLiteral(value);
    if (rel !== undefined && (rel.startsWith('./') || rel.startsWith('../') || rel.startsWith('/'))) continue;
    const nixpkgsPath = nixpkgsModulePath(value);
    const known = nixpkgsPath !== undefined ? NIXPKGS_MODULE_NAMESPACES.find((m) => nixpkgsPath.startsWith(m.prefix)) : undefined;
    if (known) scope.open.push(...known.namespaces.map((n) => n.split('.')));
    else scope.opaque = true;
  }
  return scope;
}

/** `"${modulesPath}/x.nix"`, `modulesPath + "/x.nix"`, `<nixpkgs/nixos/modules/x.nix>` → `x.nix`. */
function nixpkgsModulePath(expr: Expr): string | undefined {
  const e = unparen(expr);
  if (e.type === 'SearchPath') return e.value.match(/^nixpkgs\/nixos\/modules\/(.+)$/)?.[1];
  if (e.type === 'Binary' && e.op === '+') {
    const left = unparen(e.left);
    const right = literalString(unparen(e.right));
    return left.type === 'Identifier' && left.name === 'modulesPath' && right?.startsWith('/') ? right.slice(1) : undefined;
  }
  if (e.type === 'String' && e.parts.length === 2) {
    const [head, tail] = e.parts;
    const inner = head.type === 'Interpolation' ? unparen(head.expr) : undefined;
    if (inner?.type === 'Identifier' && inner.name === 'modulesPath' && tail.type === 'StringText' && tail.value.startsWith('/')) {
      return tail.value.slice(1);
    }
  }
  return undefined;
}
