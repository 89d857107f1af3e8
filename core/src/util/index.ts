// Public face of core/src/util: small shared helpers.
// Code outside core imports this module only through `#core/util` (checked by scripts/check-imports.mjs).

export { LineIndex } from './lineIndex';
