// Operations over SSH: probe, deploy, update, exo, checkpoints, SSH terminal and passphrases. One shared
// connection pool, closed when the extension deactivates.

import type { ExtensionServices } from '../services/services';
import { OpsContext } from './context';
import { registerProbeHosts } from './probeHosts';
import { registerDeployHost } from './deployHost';
import { registerUpdateHost } from './updateHost';
import { registerExoLaunch } from './exoLaunch';
import { registerExoPlaceModel } from './exoPlaceModel';
import { registerCheckpointCreate } from './checkpointCreate';
import { registerCheckpointRestore } from './checkpointRestore';
import { registerCheckpointDelete } from './checkpointDelete';
import { registerCheckpointUpload } from './checkpointUpload';
import { registerOpenSshTerminal } from './openSshTerminal';
import { registerSetSshPassphrase } from './setSshPassphrase';

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
    ...registerCheckpointRestore(ops),
    registerCheckpointDelete(ops),
    ...registerCheckpointUpload(ops),
    registerOpenSshTerminal(ops),
    registerSetSshPassphrase(ops),
  );
}
