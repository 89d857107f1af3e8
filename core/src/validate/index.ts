// Public face of core/src/validate: schema and semantic validation of a spec, and loading a spec from disk with its diagnostics.
// Code outside core imports this module only through `#core/validate` (checked by scripts/check-imports.mjs).

export { fileUri, findClusterFile, loadSpec, readSpecTextSync } from './load';
export { loadSchemas } from './schema';
export { capPerFile, validateFile, validateModel } from './validate';
