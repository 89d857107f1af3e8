// Public face of core/src/catalog: GPU catalogue and exo's model cards.
// Code outside core imports this module only through `#core/catalog` (checked by scripts/check-imports.mjs).

export { findGpu, GPU_CATALOG, type GpuModelInfo } from './gpus';
export { EXO_MODEL_CARDS_COMMIT, EXO_MODELS, type ExoModelInfo, findExoModel } from './models';
