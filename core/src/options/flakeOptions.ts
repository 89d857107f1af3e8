// Evaluating a flake's real NixOS option set to JSON (the approach nil and nixd take): the argv for
// `nix eval`, and the cache key that says when a cached result is still valid.

import { createHash } from 'node:crypto';
import { nixAttrName, nixString } from '../nix/emit';

/**
 * `nix eval` arguments printing every option of `nixosConfigurations.<host>` as JSON
 * (name, type description, description, default and example texts, declaring files).
 */
export function flakeOptionsEvalArgs(flakeDir: string, host: string): string[] {
  const expr = [
    'let',
    `  flake = builtins.getFlake (toString ${nixString(flakeDir)});`,
    `  system = flake.nixosConfigurations.${nixAttrName(host)};`,
    '  lib = system.pkgs.lib;',
    '  text = v: if builtins.isAttrs v && v ? text then v.text else if v == null then null else builtins.toJSON v;',
    '  safe = v: let r = builtins.tryEval (text v); in if r.success then r.value else null;',
    'in map (o: {',
    '  inherit (o) name type;',
    '  description = if o ? description && o.description != null then (if builtins.isString o.description then o.description else o.description.text or "") else "";',
    '  default = if o ? default then safe o.default else null;',
    '  example = if o ? example then safe o.example else null;',
    '  readOnly = o.readOnly or false;',
    '  declarations = map toString (o.declarations or [ ]);',
    '}) (builtins.filter (o: o.visible or true && !(o.internal or false)) (lib.optionAttrSetToDocList system.options))',
  ].join('\n');
  return ['eval', '--json', '--impure', '--extra-experimental-features', 'nix-command flakes', '--expr', expr];
}

/** Cache key: the flake's lock (which pins nixpkgs) and the host; the same lock gives the same options. */
export function flakeOptionsCacheKey(flakeLockText: string | undefined, flakeDir: string, host: string): string {
  return createHash('sha256')
    .update(flakeLockText ?? `unlocked:${flakeDir}`)
    .update('\0')
    .update(host)
    .digest('hex')
    .slice(0, 32);
}
