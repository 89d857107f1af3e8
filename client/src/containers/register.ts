// Containers in the Nodes view: Start, Stop, Destroy and Create from Spec on a container, each a request to the host's
// agent over NATS (`{domain}.commands.{host}.container.*`); the agent records the events. Afterwards the host's
// containers are listed again so the view shows the result before the next telemetry sample. Nothing is sent in an
// untrusted workspace or before the user chose Connect to Cluster (the live session), and there is no SSH fallback:
// a host without an answering agent says so.
import * as vscode from 'vscode';
import type { AgentCommand } from '#core/nats';
import type { ExtensionServices } from '../services/services';
import type { ContainerFacts } from '../state/store';
import { createPayload } from './model';

/** The store source of container lists answered by agents (telemetry is the other). */
export const CONTAINERS_SOURCE_ID = 'containers';

interface ContainerArg {
  host?: string;
  containerName?: string;
}

export function registerContainers(services: ExtensionServices): void {
  const store = services.state;

  const request = async <T>(host: string, command: AgentCommand, payload: unknown): Promise<T> => {
    const client = services.nats.connection ? services.nats.commands(60_000) : undefined;
    if (!client) throw new Error('not connected to NATS');
    const outcome = await client.run<T>(host, command, payload, async (reason) => {
      throw new Error(`${host}: no agent answered (${reason})`);
    });
    return outcome.result;
  };

  const refresh = async (host: string) => {
    const list = await request<{ containers: ContainerFacts[] }>(host, 'container.list', {});
    store.applyHostFacts(CONTAINERS_SOURCE_ID, host, { containers: list.containers });
  };

  const action = (
    id: string,
    title: string,
    run: (host: string, name: string) => Promise<unknown>,
    confirm?: (host: string, name: string) => Thenable<boolean>,
  ) =>
    vscode.commands.registerCommand(id, async (arg?: ContainerArg) => {
      if (!services.requireTrust(title)) return;
      if (!services.live.connected) {
        void vscode.window.showWarningMessage(`${title}: connect to the cluster first (GPU Cluster: Connect to Cluster).`);
        return;
      }
      if (!arg?.host || !arg.containerName) {
        void vscode.window.showErrorMessage(`${title}: choose a container in the Nodes view.`);
        return;
      }
      const { host, containerName: name } = arg;
      if (confirm && !(await confirm(host, name))) return;
      try {
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `${title} ${name} on ${host}` },
          async () => {
            await run(host, name);
            await refresh(host);
          },
        );
        services.output.info(`${title}: ${name} on ${host} done`);
      } catch (err) {
        services.output.error(`${title} ${name} on ${host}: ${(err as Error).message}`);
        void vscode.window.showErrorMessage(`${title} ${name} on ${host}: ${(err as Error).message}`);
      }
    });

  services.context.subscriptions.push(
    action('gpuCluster.container.start', 'Start Container', (host, name) => request(host, 'container.start', { name })),
    action('gpuCluster.container.stop', 'Stop Container', (host, name) => request(host, 'container.stop', { name })),
    action(
      'gpuCluster.container.destroy',
      'Destroy Container',
      (host, name) => request(host, 'container.destroy', { name }),
      (host, name) =>
        vscode.window
          .showWarningMessage(
            `Destroy container ${name} on ${host}?`,
            { modal: true, detail: 'nixos-container destroy removes its state directory and configuration.' },
            'Destroy',
          )
          .then((a) => a === 'Destroy'),
    ),
    action('gpuCluster.container.create', 'Create Container', (host, name) => {
      const spec = store.spec?.hosts.find((h) => h.name === host)?.containers?.find((c) => c.name === name);
      if (!spec) throw new Error(`the spec has no container ${name} on ${host}`);
      return request(host, 'container.create', createPayload(spec));
    }),
  );
}
