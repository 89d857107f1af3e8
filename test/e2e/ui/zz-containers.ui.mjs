// Issue 20 in the workbench: a container is created, listed and destroyed from the explorer, through NATS. A real
// nats-server on loopback is gpuCluster.nats.url; the node agent (dist/agent.js) runs for a host of the workspace's spec
// with the nixos-container stand-in (test/fixtures/containers/nixos-container, after nixpkgs' nixos-container.pl) under a
// temporary root. The container row under the host goes from "not created" (the agent's telemetry) to "stopped" after
// Create Container from Spec, and back after Destroy Container; the stand-in's files and the event stream agree.
// (Named zz- so it runs after the NATS events check, which expects an Events view that has loaded nothing yet.)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

const HOST = 'e2e-ctr';
const { NatsServer, repoRoot } = await tsImport('../../integration/nats-harness.ts', import.meta.url);
const { EventStore } = await tsImport('../../../core/src/nats/events.ts', import.meta.url);
const { connect } = await import('@nats-io/transport-node');

let agent;
let agentLog = '';
process.once('exit', () => {
  try {
    agent?.kill('SIGKILL');
  } catch {
    /* gone */
  }
});

const nodes = (ui) => ui.page.locator('.sidebar .pane', { has: ui.page.locator('.pane-header', { hasText: 'Nodes' }) }).first();
/** Clicks a row's inline action (the row is re-rendered on every telemetry sample, which a context menu does not survive). */
async function inlineAction(ui, row, title) {
  await ui.waitFor(
    `the inline action ${title}`,
    async () => {
      await row.hover();
      const action = row.locator(`.action-label[aria-label^="${title}"]`).first();
      if (!(await action.isVisible())) return false;
      await action.click({ timeout: 5_000 }).catch(() => undefined);
      return true;
    },
    20_000,
  );
}
const containerRow = (ui, state) =>
  nodes(ui)
    .locator('.monaco-list-row', { hasText: new RegExp(`web\\s*${state}`) })
    .first();

export const checks = [
  {
    name: 'containers: create, list and destroy a container from the explorer through NATS',
    async run(ui) {
      const nats = new NatsServer();
      await nats.start();
      const dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-containers-'));
      const root = path.join(dir, 'root');
      const settingsDir = path.join(ui.workspace, '.vscode');
      const hostFile = path.join(ui.workspace, 'hosts', `${HOST}.yaml`);
      const conf = path.join(root, 'etc/nixos-containers/web.conf');
      try {
        mkdirSync(settingsDir, { recursive: true });
        writeFileSync(path.join(settingsDir, 'settings.json'), JSON.stringify({ 'gpuCluster.nats.url': nats.url }, null, 2));
        writeFileSync(
          hostFile,
          [
            `name: ${HOST}`,
            'addresses: [127.0.0.1]',
            'tags: [gpu]',
            'roles: [nats-leaf]',
            'containers:',
            '  - { name: web, services: [nginx], hostAddress: 10.233.5.1, localAddress: 10.233.5.2 }',
            '',
          ].join('\n'),
        );
        agent = spawn(
          process.execPath,
          [
            path.join(repoRoot(), 'dist/agent.js'),
            '--nats-url',
            nats.url,
            '--domain',
            'lab',
            '--host',
            HOST,
            '--interval',
            '2s',
            '--gpu',
            'none',
            '--exo-url',
            '',
            '--state-dir',
            path.join(dir, 'state'),
            '--container-tool',
            path.join(repoRoot(), 'test/fixtures/containers/nixos-container'),
            '--container-root',
            root,
            '--declared-container',
            'web',
          ],
          { env: { ...process.env, NIXOS_CONTAINER_ROOT: root }, stdio: ['ignore', 'ignore', 'pipe'] },
        );
        agent.stderr.on('data', (d) => {
          agentLog += d;
        });

        const header = ui.page.locator('.sidebar .pane-header', { hasText: 'Nodes' }).first();
        if (!(await header.isVisible())) await ui.page.locator('.activitybar [aria-label^="GPU Cluster"]').first().click();
        await header.waitFor({ timeout: 20_000 });
        // Connected once the Nodes view drops its "Not connected" row (the command is run again if the first was early).
        const notConnected = nodes(ui).locator('.monaco-list-row', { hasText: 'Not connected' });
        await notConnected.first().waitFor({ timeout: 30_000 });
        await ui.waitFor(
          'the live session on',
          async () => {
            if ((await notConnected.count()) === 0) return true;
            await ui.runCommand('GPU Cluster: Connect to Cluster');
            await notConnected
              .first()
              .waitFor({ state: 'detached', timeout: 10_000 })
              .catch(() => undefined);
            return (await notConnected.count()) === 0;
          },
          60_000,
        );
        // Earlier checks may have collapsed the group the host is in.
        const group = nodes(ui)
          .locator('.monaco-list-row[aria-level="1"]', { hasText: /^\s*gpu/ })
          .first();
        await group.waitFor({ timeout: 30_000 });
        if ((await group.getAttribute('aria-expanded')) === 'false') await group.click();
        const hostRow = nodes(ui).locator('.monaco-list-row', { hasText: HOST }).first();
        await hostRow.waitFor({ timeout: 60_000 });
        if ((await hostRow.getAttribute('aria-expanded')) === 'false') await hostRow.click();
        // The agent's telemetry says the host has no containers yet: the spec's `web` is "not created".
        await containerRow(ui, 'not created').waitFor({ timeout: 60_000 });
        await ui.shot('containers-not-created');

        await inlineAction(ui, containerRow(ui, 'not created'), 'Create Container from Spec');
        await containerRow(ui, 'stopped').waitFor({ timeout: 60_000 });
        if (!existsSync(conf)) throw new Error('nixos-container create did not run on the host');
        await ui.shot('containers-created');

        // Listed over NATS as the explorer lists it, then destroyed from the explorer (after the modal confirmation).
        const nc = await connect({ servers: nats.url });
        try {
          const reply = await nc.request(`lab.commands.${HOST}.container.list`, '{}', { timeout: 10_000 });
          const names = reply.json().containers.map((c) => `${c.name}:${c.state}`);
          if (names.join() !== 'web:down') throw new Error(`container.list answered ${names.join()}`);
          await inlineAction(ui, containerRow(ui, 'stopped'), 'Destroy Container');
          const dialog = ui.page.locator('.monaco-dialog-box', { hasText: `Destroy container web on ${HOST}?` }).first();
          await dialog.waitFor({ timeout: 15_000 });
          await dialog.locator('.monaco-button', { hasText: 'Destroy' }).first().click();
          await containerRow(ui, 'not created').waitFor({ timeout: 60_000 });
          if (existsSync(conf)) throw new Error('nixos-container destroy did not run on the host');
          await ui.shot('containers-destroyed');

          const events = new EventStore(nc, 'lab');
          await ui.waitFor(
            'the container events in the stream',
            async () => {
              const page = await events.page({ aggregate: HOST }).catch(() => ({ events: [] }));
              const actions = page.events
                .map((e) => e.action)
                .reverse()
                .filter((a) => a.startsWith('container-'));
              return actions.join() === 'container-creating,container-created,container-destroyed';
            },
            30_000,
          );
        } finally {
          await nc.close();
        }
      } catch (err) {
        throw new Error(`${err.message}\nagent log:\n${agentLog}`);
      } finally {
        await ui.runCommand('GPU Cluster: Disconnect from Cluster').catch(() => {});
        agent?.kill('SIGKILL');
        rmSync(hostFile, { force: true });
        writeFileSync(path.join(settingsDir, 'settings.json'), '{}\n');
        await nats.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
