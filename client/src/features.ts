// Every client feature registers here: one folder per feature, each with its register.ts, and one entry each
// below. activate() calls them in order with the shared services; a feature that throws is logged and skipped,
// the others still load.
import type { ExtensionServices } from './services/services';
import { registerSpec } from './spec/register';
import { registerNix } from './nix/register';
import { registerNats } from './nats/register';
import { registerFlake } from './flake/register';
import { registerExplorer } from './explorer/register';
import { registerTopology } from './topology/register';
import { registerLiveSession } from './live/register';
import { registerOps } from './ops/register';
import { registerK3s } from './k3s/register';
import { registerContainers } from './containers/register';
import { registerCheckpoints } from './checkpoints/register';
import { registerRollout } from './rollout/register';

export const features: Array<(s: ExtensionServices) => void> = [
  registerSpec,
  registerNix,
  registerNats,
  registerFlake,
  registerExplorer,
  registerTopology,
  registerLiveSession,
  registerOps,
  registerK3s,
  registerContainers,
  registerCheckpoints,
  registerRollout,
];
