// Public face of core/src/flake: the flake generator (spec to files) and writing them.
// Code outside core imports this module only through `#core/flake` (checked by scripts/check-imports.mjs).

export { prepareGeneration } from './project';
export { findTemplatesDir } from './templates';
export { applyPlan, conflicts, pendingFiles, planWrite, unifiedDiff, type WritePlan } from './write';
