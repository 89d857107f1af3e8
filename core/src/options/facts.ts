// The curated option facts: NixOS options (curated-options.json) and option-facts.json, where every
// option and every namespace marked complete names the upstream repository, file and commit it was read
// from. A namespace listed as complete is the only place (besides a flake's evaluated option set) where
// a name the database lacks is reported as unknown.

import curated from './curated-options.json';
import facts from './option-facts.json';
import type { FactSource, RawOption } from './database';
import type { ModuleClass } from './moduleClass';

/** A namespace whose every option is recorded, with the file that declares all of it. */
export interface CompleteNamespace {
  classes: ModuleClass[];
  namespace: string;
  source: FactSource;
}

export interface OptionFacts {
  /** Options by module set; `any` holds the module system's own (`_module.*`), present in every evaluation. */
  options: Record<ModuleClass | 'any', Record<string, RawOption>>;
  complete: CompleteNamespace[];
}

export const optionFacts = facts as unknown as OptionFacts;

/** NixOS options the curated set records (types as nixpkgs prints them). */
export const curatedNixosOptions = curated.options as Record<string, RawOption>;

/** Top-level option names of NixOS and nix-darwin known from the facts (for completion and module shape). */
export const CURATED_TOP_LEVEL: readonly string[] = curated.topLevel;

export const KNOWN_TOP_LEVEL: ReadonlySet<string> = new Set([
  ...curated.topLevel,
  ...Object.values(optionFacts.options).flatMap((set) => Object.keys(set).map((name) => name.split('.')[0])),
  ...optionFacts.complete.map((c) => c.namespace.split('.')[0]),
]);
