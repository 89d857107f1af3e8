// Operations over SSH: probe, deploy, update, exo, checkpoints, SSH terminal and passphrases. One shared
// connection pool, closed when the extension deactivates.

import type { ExtensionServices } from '../services';
import { OpsContext } from './context';
import { registerProbeHosts } from '../commands/probeHosts';
import { registerDeployHost } from '../commands/deployHost';
import { registerUpdateHost } from '../commands/updateHost';
import { registerExoLaunch } from '../commands/exoLaunch';
import { registerExoPlaceModel } from '../commands/exoPlaceModel';
import { registerCheckpointCreate } from '../commands/checkpointCreate';
import { registerCheckpointRestore } from '../commands/checkpointRestore';
import { registerCheckpointDelete } from '../commands/checkpointDelete';
import { registerOpenSshTerminal } from '../commands/openSshTerminal';
import { registerSetSshPassphrase } from '../commands/setSshPassphrase';

export function registerOps(services: ExtensionServices): void {
  const ops = new OpsContext(services);
  services.context.subscriptions.push(
    ops,
    registerProbeHosts(ops),
    registerDeployHost(ops),
    registerUpdateHost(ops),
    ...registerExoLaunch(ops),
    registerExoPlaceModel(ops),
    registerCheckpointCreate(ops),
    registerCheckpointRestore(ops),
    registerCheckpointDelete(ops),
    registerOpenSshTerminal(ops),
    registerSetSshPassphrase(ops),
  );
}
