// Public face of core/src/options: the NixOS option database and the checks of module definitions against it.
// Code outside core imports this module only through `#core/options` (checked by scripts/check-imports.mjs).

export { buildOptionDatabase } from './build';
export { checkModuleOptions } from './checkModule';
export { OptionDatabase, type RawOption } from './database';
export { flakeOptionsCacheKey, flakeOptionsEvalArgs } from './flakeOptions';
export { classifyModules, declaredModuleClass, type ModuleClass, templateModuleClass } from './moduleClass';
export { moduleAttrs, optionPathAt } from './moduleDefinitions';
export { declarationsInModule } from './templateOptions';
export { type OptionDecl, type OptionType } from './types';
