// Assembles the option database of a module set (NixOS or nix-darwin) from its sources.

import { OptionDatabase, type RawOption } from './database';
import { CURATED_TOP_LEVEL, curatedNixosOptions, optionFacts } from './facts';
import type { ModuleClass } from './moduleClass';
import type { OptionDecl } from './types';
import { declarationsInModule } from './templateOptions';

export { OptionDatabase } from './database';
export type { Completeness, FactSource, LookupResult, RawOption } from './database';
export type { ModuleClass } from './moduleClass';
export type { OptionDecl, OptionType } from './types';

export interface OptionSources {
  /**
   * Module files whose `options` declarations are indexed (nix-templates/ and workspace modules), with the
   * module set each belongs to; a module of unknown class counts for both. Declarations never make a
   * namespace complete: a module may declare one option where nixpkgs declares a hundred.
   */
  modules?: (({ file: string; text: string } | { declarations: OptionDecl[] }) & { moduleClass?: ModuleClass })[];
  /** The full option set of a NixOS flake host, as `optionAttrSetToDocList` gives it: its namespaces become complete. */
  evaluated?: RawOption[];
}

export function buildOptionDatabase(sources: OptionSources = {}, moduleClass: ModuleClass = 'nixos'): OptionDatabase {
  const db = new OptionDatabase();
  db.addGroups(CURATED_TOP_LEVEL);
  if (moduleClass === 'nixos') db.addRaw(curatedNixosOptions);
  db.addRaw(optionFacts.options.any);
  db.addRaw(optionFacts.options[moduleClass]);
  if (sources.evaluated && moduleClass === 'nixos') db.addEvaluated(sources.evaluated);
  // Declarations read from modules win over the curated text: they are the source of truth.
  for (const m of sources.modules ?? []) {
    if (m.moduleClass && m.moduleClass !== moduleClass) continue;
    for (const d of 'declarations' in m ? m.declarations : declarationsInModule(m.file, m.text)) db.add(d);
  }
  for (const c of optionFacts.complete) if (c.classes.includes(moduleClass)) db.markComplete(c.namespace);
  return db;
}
