// Public face of core/src/ops: deploy / exo / checkpoint command builders and remote-output parsers.
// Code outside core imports this module only through `#core/ops` (checked by scripts/check-imports.mjs).

export {
  CheckpointError,
  type CheckpointManifest,
  checkpointSettings,
  checkPrerequisites,
  type CommandRunner,
  createCheckpoint,
  deleteCheckpoint,
  kubeletCheckpointCommand,
  type KubeletCheckpointTarget,
  listCheckpoints,
  listGpuProcesses,
  restoreCheckpoint,
  unitFromCgroup,
} from './checkpoint';
export {
  CONTAINER_VERBS,
  type ContainerUnitCall,
  type ContainerUnitRequest,
  type ContainerUnitResult,
  type ContainerVerb,
  containerUnitInstance,
  createArgs,
  createRequest,
  type CreateRequest,
  MAX_UNIT_REQUEST_BYTES,
  parseContainerList,
  parseContainerStatus,
  parseContainerUnitInstance,
  parseContainerUnitRequest,
  parseContainerUnitResult,
  parseCreateOutput,
  requestedName,
  toolArgs,
} from './containers';
export { type BuildOn, deployHost, type DeployOutcome, INSTALL_PHASES, type InstallPhase } from './deploy';
export {
  deleteInstance,
  type ExoAction,
  exoBaseUrl,
  exoServiceCommand,
  placeInstance,
  type PlacementPreview,
  placementPreviews,
  type PlacementProgress,
  placementProgress,
  waitForExo,
} from './exo';
export {
  describePhase,
  downloadsOf,
  type ExoDownloadView,
  type ExoInstanceView,
  type ExoPhase,
  type ExoState,
  instancesOf,
  matchExoNodes,
  shardPhase,
  stripCidr,
  topologyNodeIds,
} from './exoState';
export { fanOut, type FanOutResult } from './fanout';
export { runLocal } from './localProcess';
export { NVIDIA_GPU_FIELDS, parseNvidiaGpus, parseRocmSmi, type ProbedGpu } from './nvidiaSmi';
export { preflight, type PreflightCheck } from './preflight';
export { nixSystemOf, parseOsRelease, type ProbeFacts, probeHost, type UnitState } from './probe';
export { MissingToolError, requireTool } from './tools';
export { SERVICE_UNITS, type ServiceKey, servicesForRoles } from './units';
export { updateHost, type UpdateOutcome } from './update';
