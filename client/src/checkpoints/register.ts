// Checkpoints across hosts: Restore Checkpoint on Another Host (each host of the spec with why it can or cannot
// take the checkpoint, checked by the spec and live), Drain Host (move every GPU process of a host away, to the
// spec's planned targets or hosts with the same GPUs) and Move Drained Processes Back (after the host's update).
// The logic is core's (core/src/checkpoint/move.ts, drain.ts), the same the CLI runs.
import type { ExtensionServices } from '../services/services';
import { OpsContext } from '../ops/context';
import { registerDrainCommands } from './drainHost';
import { registerRestoreOnHost } from './restoreOnHost';

export function registerCheckpoints(services: ExtensionServices): void {
  const ops = new OpsContext(services);
  services.context.subscriptions.push(ops, registerRestoreOnHost(ops), ...registerDrainCommands(ops));
}
