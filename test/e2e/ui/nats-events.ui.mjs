// Issue 7 in the workbench: the Events view follows a real deploy live. A real nats-server (JetStream) on
// loopback is set as gpuCluster.nats.url; Deploy Host runs against a real sshd on loopback (pre-flight, then
// the nixos-anywhere stand-in failing at the boot loader), and its events — deploy-started, the steps, deploy-failed, one correlation id — appear in
// the Events view as they are appended, without any refresh.
import { mkdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

const HOST = 'e2e-nats';
const { startSshd } = await tsImport('../../fixtures/ops/sshd.ts', import.meta.url);
const { NatsServer } = await tsImport('../../integration/nats-harness.ts', import.meta.url);
const { createEvent, EventStore } = await tsImport('../../../core/src/nats/events.ts', import.meta.url);
const { connect } = await import('@nats-io/transport-node');

let sshd;
let nats;
process.once('exit', () => {
  for (const h of sshd?.hosts ?? []) h.process.kill('SIGKILL');
  if (sshd) rmSync(sshd.dir, { recursive: true, force: true });
});

const pane = (ui, title) => ui.page.locator('.sidebar .pane', { has: ui.page.locator('.pane-header', { hasText: title }) }).first();
const row = (ui, title, text) => pane(ui, title).locator('.monaco-list-row', { hasText: text }).first();

// The workspace is a temporary copy, so the settings file stays between checks and is emptied, not deleted:
// VS Code may not notice a settings file that is deleted and created again, and would keep the old NATS URL.
function pointSettingsAt(settingsDir, url) {
  mkdirSync(settingsDir, { recursive: true });
  writeFileSync(path.join(settingsDir, 'settings.json'), JSON.stringify({ 'gpuCluster.nats.url': url }, null, 2));
}
function clearSettings(settingsDir) {
  if (existsSync(settingsDir)) writeFileSync(path.join(settingsDir, 'settings.json'), '{}\n');
}

async function showContainer(ui) {
  const header = ui.page.locator('.sidebar .pane-header', { hasText: 'Nodes' }).first();
  if (!(await header.isVisible())) await ui.page.locator('.activitybar [aria-label^="GPU Cluster"]').first().click();
  await header.waitFor({ timeout: 20_000 });
}

async function expandEvents(ui) {
  const header = ui.page.locator('.sidebar .pane-header', { hasText: 'Events' }).first();
  await header.waitFor({ timeout: 20_000 });
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
}

export const checks = [
  {
    name: "nats: the Events view shows a deploy's events as they happen",
    async run(ui) {
      nats = new NatsServer();
      await nats.start();
      sshd = await startSshd(1);
      const settingsDir = path.join(ui.workspace, '.vscode');
      const flakeDir = path.join(ui.workspace, 'flake');
      const createdFlake = !existsSync(flakeDir);
      const hostFile = path.join(ui.workspace, 'hosts', `${HOST}.yaml`);
      const h = sshd.hosts[0];
      try {
        pointSettingsAt(settingsDir, nats.url);
        mkdirSync(flakeDir, { recursive: true });
        writeFileSync(
          hostFile,
          [
            `name: ${HOST}`,
            'addresses: [127.0.0.1]',
            `ssh: { port: ${h.port}, identity: ${JSON.stringify(sshd.userKey)}, hostKey: ${JSON.stringify(h.hostKey)} }`,
            'disks:',
            '  - { device: /dev/loop0, layout: ext4, role: os }',
            '',
          ].join('\n'),
        );

        await showContainer(ui);
        await expandEvents(ui);
        // Not connected yet: the Events view says why and offers to connect.
        await pane(ui, 'Events').locator('.welcome-view-content', { hasText: 'Live state is off' }).waitFor({ timeout: 30_000 });
        await ui.runCommand('GPU Cluster: Connect to Cluster');
        // Connected with an empty stream: the view says so.
        await ui.waitFor(
          'the Events view connected to NATS',
          async () => /No events yet/.test(await pane(ui, 'Events').innerText()),
          45_000,
        );
        await ui.shot('nats-events-connected');

        const confirm = await ui.startDeploy(HOST);
        await ui.confirmErase(confirm, HOST);

        await expandEvents(ui);
        await row(ui, 'Events', 'deploy-started').waitFor({ timeout: 45_000 });
        await row(ui, 'Events', 'deploy-failed').waitFor({ timeout: 60_000 });
        // Newest on top: the first event row is the failure (only rendered rows are in the page, so the order of
        // all of them is checked in the stream below).
        const rows = await pane(ui, 'Events').locator('.monaco-list-row').allInnerTexts();
        const text = rows.join('\n');
        if (!text.includes(HOST)) throw new Error(`the events do not name ${HOST}: ${text}`);
        if (!rows[0]?.includes('deploy-failed')) throw new Error(`the newest event is not on top: ${text}`);
        await ui.shot('nats-events-deploy');

        // The stream holds the same events, chained: one operation, each caused by the previous one.
        const nc = await connect({ servers: nats.url });
        try {
          const page = await new EventStore(nc, 'lab').page({ aggregate: HOST });
          const actions = page.events.map((e) => e.action).reverse();
          if (actions[0] !== 'deploy-started' || actions[actions.length - 1] !== 'deploy-failed')
            throw new Error(`unexpected events: ${actions.join(', ')}`);
          const [last, ...earlier] = page.events;
          if (earlier.some((e) => e.correlationId !== last.correlationId))
            throw new Error("the deploy's events do not share a correlation id");
          if (last.causationId !== earlier[0]?.id) throw new Error('deploy-failed is not caused by the event before it');
        } finally {
          await nc.close();
        }
      } finally {
        await ui.runCommand('GPU Cluster: Disconnect from Cluster').catch(() => {});
        rmSync(hostFile, { force: true });
        if (createdFlake) rmSync(flakeDir, { recursive: true, force: true });
        clearSettings(settingsDir);
        for (const host of sshd?.hosts ?? []) host.process.kill('SIGKILL');
        await nats?.dispose();
      }
    },
  },
  {
    name: 'nats: the Events view pages with Load more and filters by action',
    async run(ui) {
      nats = new NatsServer();
      await nats.start();
      const settingsDir = path.join(ui.workspace, '.vscode');
      const nc = await connect({ servers: nats.url });
      try {
        const store = new EventStore(nc, 'lab');
        await store.ensureStream();
        // One aggregate per event (shown in each row's description); pager-7 alone has its own action, to filter by.
        for (let i = 0; i < 60; i++)
          await store.append(
            createEvent({ aggregate: `pager-${i}`, action: i === 7 ? 'deploy-failed' : 'deploy-phase', data: { i }, source: 'e2e' }),
          );
        pointSettingsAt(settingsDir, nats.url);
        await showContainer(ui);
        await expandEvents(ui);
        await ui.runCommand('GPU Cluster: Connect to Cluster');
        await row(ui, 'Events', 'pager-59').waitFor({ timeout: 45_000 });
        // The first page holds 50 events (pager-59 … pager-10); the last row offers the rest.
        const tree = pane(ui, 'Events').locator('.monaco-list').first();
        // Keyboard, not a click on an event row: a click expands the row, and its fields arriving after End
        // would scroll Load more out of view again.
        const focusedRow = pane(ui, 'Events').locator('.monaco-list-row.focused', { hasText: 'Load more' });
        await ui.waitFor(
          'Load more focused at the end of the first page',
          async () => {
            await tree.focus();
            await ui.page.keyboard.press('End');
            return (await focusedRow.count()) > 0;
          },
          15_000,
        );
        if (await row(ui, 'Events', 'pager-9 ').count()) throw new Error('pager-9 is listed before Load more');
        await ui.shot('nats-events-load-more');
        await ui.page.keyboard.press('Enter');
        await ui.waitFor(
          'the second page',
          async () => {
            await tree.focus();
            await ui.page.keyboard.press('End');
            return (await row(ui, 'Events', 'pager-0 ').count()) > 0;
          },
          20_000,
        );
        if (await row(ui, 'Events', 'Load more').count()) throw new Error('Load more is still offered after the oldest event');

        await ui.runCommand('GPU Cluster: Filter Events');
        await ui.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Action' }).first().click();
        const input = ui.page.locator('.quick-input-widget input.input');
        await input.waitFor({ state: 'visible' });
        await input.fill('deploy-failed');
        await ui.page.keyboard.press('Enter');
        await ui.waitFor(
          'only pager-7 listed',
          async () => {
            const text = await pane(ui, 'Events').innerText();
            return text.includes('pager-7 ') && !text.includes('pager-59') && !text.includes('pager-8 ');
          },
          20_000,
        );
        await ui.shot('nats-events-filtered');
        await ui.runCommand('GPU Cluster: Filter Events');
        await ui.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Clear all filters' }).first().click();
        await row(ui, 'Events', 'pager-59').waitFor({ timeout: 20_000 });
      } finally {
        await ui.runCommand('GPU Cluster: Disconnect from Cluster').catch(() => {});
        await nc.close();
        clearSettings(settingsDir);
        await nats?.dispose();
      }
    },
  },
];
