// Assembles the option database from its three sources.

import curated from './curated-options.json';
import { OptionDatabase, type RawOption } from './database';
import { declarationsInModule } from './templateOptions';

export { OptionDatabase } from './database';
export type { LookupResult, RawOption } from './database';
export type { OptionDecl, OptionType } from './types';

export interface OptionSources {
  /** NixOS module files whose `options` declarations are indexed (nix-templates/ and workspace modules). */
  modules?: { file: string; text: string }[];
  /** The full option set of a flake, as `optionAttrSetToDocList` gives it: every namespace becomes complete. */
  evaluated?: RawOption[];
}

export function buildOptionDatabase(sources: OptionSources = {}): OptionDatabase {
  const db = new OptionDatabase();
  db.setTopLevel(curated.topLevel, true);
  db.addRaw(curated.options as Record<string, RawOption>);
  for (const prefix of curated.complete) db.markComplete(prefix);
  if (sources.evaluated) {
    db.addRaw(sources.evaluated);
    db.markAllComplete();
  }
  // Declarations read from modules win over the curated text: they are the source of truth.
  for (const m of sources.modules ?? []) {
    const decls = declarationsInModule(m.file, m.text);
    const prefixes = new Set(decls.map((d) => d.name.split('.').slice(0, 2).join('.')));
    for (const d of decls) db.add(d);
    // A module declaring `services.exo.*` declares all of services.exo.
    for (const p of prefixes) if (p.includes('.')) db.markComplete(p);
  }
  return db;
}
