// Registers the NATS feature: the connection's status bar and its Connect and Set Credentials commands, the Events
// view (what features record through `services.nats.appendEvent`), and agent telemetry into the state store.
import * as vscode from 'vscode';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ExtensionServices } from '../services/services';
import { createNatsStatusBar } from './statusBar';
import { setNatsCredentials } from './credentials';
import { EventsTree } from './eventsTree';
import { NatsTelemetrySource } from './telemetrySource';

export function registerNats(services: ExtensionServices): void {
  const nats = services.nats;
  const hostNames = () => services.specStore.model?.spec.hosts.map((h) => h.name) ?? [];
  services.context.subscriptions.push(
    createNatsStatusBar(nats, services.live),
    new EventsTree(nats, services.output, hostNames, services.live),
    vscode.commands.registerCommand('gpuCluster.nats.connect', async () => {
      if (!services.requireTrust('Connecting to NATS')) return;
      const target = nats.resolveTarget();
      if (!services.live.connected && typeof target !== 'string') {
        // Asking for NATS is asking for live state: the session starts NATS (and exo's polling) by itself.
        await services.live.connect();
        return;
      }
      // Already live: reconnect, e.g. with credentials just set.
      const problem = await nats.connect();
      if (problem) void vscode.window.showWarningMessage(`Cannot connect to NATS: ${problem}.`);
    }),
    vscode.commands.registerCommand('gpuCluster.nats.setCredentials', () => setNatsCredentials(nats)),
  );
  // Agent telemetry feeds the shared cluster state store (explorer trees, topology), re-subscribed per connection.
  let telemetry: { dispose(): void } | undefined;
  let source: NatsTelemetrySource | undefined;
  let sourceConnection: NatsConnection | undefined;
  let sourceDomain: string | undefined;
  services.context.subscriptions.push(
    nats.onDidConnect((nc) => {
      const domain = nats.domain;
      if (!domain) return;
      // A reconnect keeps the subscription; only a new connection (or domain) needs a new source.
      if (source && sourceConnection === nc && sourceDomain === domain) {
        source.attach(nc);
        return;
      }
      sourceConnection = nc;
      sourceDomain = domain;
      telemetry?.dispose();
      source = new NatsTelemetrySource(domain);
      telemetry = services.addStateSource(source);
      source.attach(nc);
    }),
    nats.onDidChangeStatus((s) => {
      if (s.state !== 'connected') source?.detach(s.reason ?? s.state);
    }),
    // Disconnected on purpose: telemetry is gone, not failing; nothing of it (nor its health) stays on screen.
    services.live.onDidChange((on) => {
      if (on) return;
      telemetry?.dispose();
      telemetry = source = sourceConnection = sourceDomain = undefined;
    }),
    { dispose: () => telemetry?.dispose() },
  );
}
