// Public face of core/src/spec: the cluster spec (types, parsing with positions, merging hosts/*.yaml, symbol index, schema navigation).
// Code outside core imports this module only through `#core/spec` (checked by scripts/check-imports.mjs).

export {
  type Fix,
  type Location,
  type ParsedSpecFile,
  type SpecDiagnostic,
  type SpecFileKind,
  type SpecModel,
  type SpecSymbol,
  type SymbolKind,
} from './model';
export { forgetParsedFile, inferSpecFileKind, PARSE_LIMITS, parseSpecFile, refusedSpecFile } from './parse';
export {
  clusterInferenceMemory,
  effectiveAccelerator,
  effectiveGpus,
  effectiveRoles,
  effectiveSsh,
  effectiveSystem,
  exoApiUrl,
  exoHosts,
  inferenceMemoryGB,
  isDarwin,
  totalVramGB,
} from './resolve';
export { SchemaNavigator } from './schemaNav';
export {
  type ClusterSpec,
  type ContainerSpec,
  DEFAULTS,
  type ExoModelSpec,
  type GpuVendor,
  type HostSpec,
  type InterfaceKind,
  type InterfaceSpec,
  type LinkSpec,
  type SegmentSpec,
  type System,
} from './types';
export { buildModel, fileStem, isRecord } from './workspace';
