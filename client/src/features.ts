// Every client feature registers here: one import and one entry each. activate() calls them in order with the
// shared services; a feature that throws is logged and skipped, the others still load.
import type { ExtensionServices } from './services';
import { registerScaffoldSpec } from './commands/scaffoldSpec';
import { registerLoadNixOptions } from './commands/loadNixOptions';
import { registerNats } from './nats/register';
import { registerGenerateFlake } from './commands/generateFlake';
import { registerExplorer } from './explorer/register';
import { registerOps } from './ops/register';
import { registerLiveSession } from './live/register';
import { registerK3s } from './k3s/register';
import { registerContainers } from './containers/register';
import { registerCheckpoints } from './checkpoints/register';
import { registerRollout } from './rollout/register';

export const features: Array<(s: ExtensionServices) => void> = [
  registerScaffoldSpec,
  registerLoadNixOptions,
  registerNats,
  registerGenerateFlake,
  registerExplorer,
  registerLiveSession,
  registerOps,
  registerK3s,
  registerContainers,
  registerCheckpoints,
  registerRollout,
];
