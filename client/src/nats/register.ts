// Registers the NATS feature: the connection (status bar, Connect and Set Credentials commands), the Events view,
// the events API other features call (`appendEvent` in natsService.ts), and agent telemetry into the state store.
import * as vscode from 'vscode';
import type { ClusterStateStore } from '../state/store';
import type { ExtensionServices } from '../services';
import { NatsService, setNatsService } from './natsService';
import { createNatsStatusBar } from './statusBar';
import { setNatsCredentials } from './credentials';
import { EventsTree } from './eventsTree';
import { NatsTelemetrySource } from './telemetrySource';

export function registerNats(services: ExtensionServices): void {
  const nats = new NatsService(services);
  setNatsService(nats);
  const hostNames = () => services.specStore.model?.spec.hosts.map((h) => h.name) ?? [];
  services.context.subscriptions.push(
    nats,
    { dispose: () => setNatsService(undefined) },
    createNatsStatusBar(nats),
    new EventsTree(nats, services.output, hostNames),
    vscode.commands.registerCommand('gpuCluster.nats.connect', async () => {
      if (!services.requireTrust('Connecting to NATS')) return;
      const problem = await nats.connect();
      if (problem) void vscode.window.showWarningMessage(`Cannot connect to NATS: ${problem}.`);
    }),
    vscode.commands.registerCommand('gpuCluster.nats.setCredentials', () => setNatsCredentials(nats)),
  );
  // Telemetry goes into the explorer's state store when the services provide one.
  const store = (services as Partial<{ stateStore: ClusterStateStore }>).stateStore;
  if (store) {
    let source: NatsTelemetrySource | undefined;
    const attach = () => {
      const domain = nats.domain;
      if (!domain || !nats.connection) return;
      source?.dispose();
      source = new NatsTelemetrySource(domain);
      source.start(store);
      source.attach(nats.connection);
    };
    services.context.subscriptions.push(
      nats.onDidConnect(attach),
      nats.onDidChangeStatus((s) => { if (s.state !== 'connected') source?.detach(s.reason ?? s.state); }),
      { dispose: () => source?.dispose() },
    );
  }
}
