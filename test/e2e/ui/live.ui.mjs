// The live session in the workbench: a trusted window on examples/lab (moved to 127.x) starts with nothing
// connected and says so in the status bar and the Nodes view; the status bar item connects, then names the
// cluster and lists where each source points; clicking it again disconnects, and the error rows go away.
const statusItem = (ui, text) => ui.page.locator('.statusbar .statusbar-item', { hasText: text }).first();
const nodesRow = (ui, text) =>
  ui.page
    .locator('.sidebar .pane', { has: ui.page.locator('.pane-header', { hasText: 'Nodes' }) })
    .locator('.monaco-list-row', { hasText: text })
    .first();

async function showNodes(ui) {
  const header = ui.page.locator('.sidebar .pane-header', { hasText: 'Nodes' }).first();
  if (!(await header.isVisible())) await ui.page.locator('.activitybar [aria-label^="GPU Cluster"]').first().click();
  await header.waitFor({ timeout: 20_000 });
}

export const checks = [
  {
    name: 'live: nothing is connected at first; the status bar connects, says to where, and disconnects',
    async run(ui) {
      await showNodes(ui);
      await nodesRow(ui, 'Not connected').waitFor({ timeout: 30_000 });
      const connect = statusItem(ui, 'Connect to cluster');
      await connect.waitFor({ timeout: 30_000 });
      await ui.shot('live-not-connected');
      await connect.click();
      // Connected: the item names the cluster; its tooltip lists NATS and exo with their addresses and state.
      const connected = statusItem(ui, 'lab');
      await connected.waitFor({ timeout: 20_000 });
      await nodesRow(ui, 'Not connected').waitFor({ state: 'hidden', timeout: 20_000 });
      // exo's API port on the hub's loopback address is closed: the view says so above the groups.
      await nodesRow(ui, 'exo: not answering').waitFor({ timeout: 30_000 });
      await connected.hover();
      const tooltip = ui.page.locator('.monaco-hover, .workbench-hover', { hasText: 'Live state is on' }).first();
      await tooltip.waitFor({ timeout: 15_000 });
      const text = await tooltip.innerText();
      for (const want of ['NATS', 'nats://127.0.0.10:4222', 'exo', 'http://127.0.0.10:52415/state']) {
        if (!text.includes(want)) throw new Error(`the status tooltip does not list ${want}: ${text}`);
      }
      await ui.shot('live-connected-tooltip');
      await ui.page.mouse.move(700, 400);
      await connected.click();
      await connect.waitFor({ timeout: 20_000 });
      await nodesRow(ui, 'Not connected').waitFor({ timeout: 20_000 });
      await nodesRow(ui, 'exo: not answering').waitFor({ state: 'hidden', timeout: 20_000 });
      await ui.shot('live-disconnected');
    },
  },
];
