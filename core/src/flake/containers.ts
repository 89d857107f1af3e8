// gpuCluster.containers of a generated host (nix-templates/modules/containers.nix) from the spec's hosts[].containers:
// names, addresses, paths and subjects are checked here as the module's types check them again, so a bad value is a
// clear error at generation rather than a Nix evaluation failure.

import { Subjects } from '../nats/subjects';
import type { ContainerSpec } from '../spec/types';
import { containerNameProblem } from '../spec/containers';
import { NixEmitError, type NixValue } from '../nix/emit';

/** The value of `gpuCluster.containers` for a host, or undefined when it has none. */
export function containerSettings(
  domain: string,
  hostName: string,
  containers: readonly ContainerSpec[],
  nvidiaGpus: number,
): NixValue | undefined {
  if (!containers.length) return undefined;
  const subjects = new Subjects(domain);
  return Object.fromEntries(containers.map((c) => [c.name, containerValue(subjects, hostName, c, nvidiaGpus)]));
}

function containerValue(subjects: Subjects, hostName: string, c: ContainerSpec, nvidiaGpus: number): NixValue {
  const problem = containerNameProblem(c.name);
  if (problem) throw new NixEmitError(`${hostName}: container '${c.name}': ${problem}`);
  if (c.gpu && nvidiaGpus === 0)
    throw new NixEmitError(`${hostName}: container '${c.name}' asks for the GPU, but the host has no NVIDIA GPU`);
  const nats = c.nats;
  const own = nats?.nkey ? subjects.containerSubjects(hostName, c.name) : undefined;
  const inbox = own ? subjects.containerInboxPrefix(hostName, c.name) : undefined;
  return {
    services: c.services?.length ? c.services : undefined,
    autoStart: c.autoStart || undefined,
    cpus: c.limits?.cpus,
    memory: c.limits?.memory,
    privateNetwork: c.privateNetwork === false ? false : undefined,
    hostAddress: c.hostAddress,
    localAddress: c.localAddress,
    bindMounts: c.bindMounts?.length
      ? Object.fromEntries(
          c.bindMounts.map((m) => [
            m.mountPoint,
            {
              hostPath: m.hostPath,
              readOnly: m.readOnly === false ? false : undefined,
            },
          ]),
        )
      : undefined,
    gpus: c.gpu ? nvidiaGpus : undefined,
    nats: nats?.nkey
      ? {
          nkey: nats.nkey,
          credentials: nats.credentials,
          publish: [own!, ...(nats.publish ?? [])],
          subscribe: [own!, `${inbox}.>`, ...(nats.subscribe ?? [])],
          inboxPrefix: inbox,
        }
      : undefined,
  };
}
