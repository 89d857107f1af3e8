// Public face of core/src/validate: schema and semantic validation of a spec, loading a spec from disk with its
// diagnostics, and the workspace's spec with unsaved edits (SpecWorkspace, for the language server and the client).
// Code outside core imports this module only through `#core/validate` (checked by scripts/check-imports.mjs).

export { findClusterFile, loadSpec } from './load';
export { loadSchemas } from './schema';
export { type OpenDocument, type SpecFileText, type SpecSnapshot, SpecWorkspace, SupersededError, yieldToRequests } from './specWorkspace';
export { capPerFile, validateFile, validateModel } from './validate';
