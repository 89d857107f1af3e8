// The live session in the extension host: nothing contacts the cluster until the user runs Connect to Cluster;
// then NATS and exo's API are contacted at the spec's addresses; Disconnect stops both and the choice is
// remembered. The workspace is a copy of examples/lab moved to 127.100.x (test/e2e/run.mjs), so the hub's addresses
// are loopback: listeners there count every connection the extension makes. (The guard phase checks the same
// from outside with strace, on the examples as they are.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../../client/src/services/services';
import type { ClusterStateStore } from '../../../client/src/state/store';
import { NatsServer } from '../../integration/nats-harness';
import { EXTENSION_ID, activateExtension, onLoopback, waitFor } from './util';

const HUB = '127.100.0.10';
const QUIET_MS = 3000;

describe('live session: connect when asked', () => {
  let services: ExtensionServices;
  let store: ClusterStateStore;
  let natsListener: net.Server;
  let nats: NatsServer;
  let exoListener: http.Server;
  const natsSockets: net.Socket[] = [];
  const closedSockets = new Set<net.Socket>();
  let exoRequests = 0;

  before(async function () {
    this.timeout(60_000);
    services = await activateExtension();
    store = services.state;
    await waitFor('the hub at its loopback address', () => store.spec?.nats?.url === `nats://${HUB}:4222`);
    // Start from a workspace where the user has not connected (an earlier test may have).
    await vscode.commands.executeCommand('gpuCluster.disconnect');
    const state = onLoopback(
      fs.readFileSync(
        path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test/fixtures/exo/recorded/state-idle.json'),
        'utf8',
      ),
    );
    // A real nats-server, reached through a relay at the hub's address that counts the extension's connections
    // and sees them end.
    nats = new NatsServer();
    await nats.start();
    natsListener = net.createServer((socket) => {
      natsSockets.push(socket);
      const upstream = net.connect(nats.port, '127.0.0.1');
      socket
        .on('error', () => upstream.destroy())
        .on('close', () => {
          closedSockets.add(socket);
          upstream.destroy();
        });
      upstream.on('error', () => socket.destroy()).on('close', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    exoListener = http.createServer((req, res) => {
      exoRequests++;
      if (req.url === '/state') res.writeHead(200, { 'content-type': 'application/json' }).end(state);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => natsListener.listen(4222, HUB, resolve));
    await new Promise<void>((resolve) => exoListener.listen(52415, HUB, resolve));
  });

  after(async () => {
    await vscode.commands.executeCommand('gpuCluster.disconnect');
    for (const s of natsSockets) s.destroy();
    exoListener.closeAllConnections();
    await new Promise((r) => natsListener.close(r));
    await nats?.dispose();
    await new Promise((r) => exoListener.close(r));
  });

  it('before Connect to Cluster, neither NATS nor exo is contacted', async function () {
    this.timeout(20_000);
    assert.equal(services.live.connected, false);
    await new Promise((r) => setTimeout(r, QUIET_MS));
    assert.equal(natsSockets.length, 0, 'NATS was dialled');
    assert.equal(exoRequests, 0, 'exo was polled');
    assert.equal(store.sourceHealth().has('exo'), false);
  });

  it("Connect to Cluster dials NATS and polls exo at the spec's addresses, and is remembered for the workspace", async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('gpuCluster.connect');
    assert.equal(services.live.connected, true);
    await waitFor('a NATS connection from the extension', () => natsSockets.length > 0, 30_000);
    await waitFor(
      'the extension connected to NATS',
      () => services.live.connected && natsSockets.some((s) => !closedSockets.has(s)),
      30_000,
    );
    await waitFor('exo polled and answering', () => exoRequests > 0 && store.sourceHealth().get('exo')?.ok === true, 30_000);
    await waitFor('hub-1 running from exo', () => store.host('hub-1').status === 'running', 20_000);
    assert.equal(services.context.workspaceState.get('gpuCluster.live.connected'), true);
  });

  it('Disconnect stops every live source: the NATS connection is closed and exo is no longer polled', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand('gpuCluster.disconnect');
    assert.equal(services.live.connected, false);
    assert.equal(services.context.workspaceState.get('gpuCluster.live.connected'), false);
    await waitFor('the NATS connection closed by the extension', () => natsSockets.every((s) => closedSockets.has(s)), 20_000);
    await waitFor('exo facts dropped', () => !store.sourceHealth().has('exo') && store.host('hub-1').status !== 'running', 20_000);
    const [dials, polls] = [natsSockets.length, exoRequests];
    await new Promise((r) => setTimeout(r, QUIET_MS));
    assert.equal(natsSockets.length, dials, 'NATS was dialled again after Disconnect');
    assert.equal(exoRequests, polls, 'exo was polled after Disconnect');
  });
});
