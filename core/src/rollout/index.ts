// The GPU-aware safe rollout: preview, plan, per-host state machine, journal and engine. The CLI and the
// editor use only what is exported here.

export * from './preview';
export * from './plan';
export * from './machine';
export * from './journal';
export {
  hostLayout,
  checkSystemPath,
  parseGenerations,
  readGenerations,
  previewHost,
  revertScript,
  timerUnit,
  TimerFiredError,
  type HostLayout,
  type Generations,
  type PreviewContext,
} from './host';
export * from './engine';
export * from './targets';
export * from './build';
