// Restricted Mode (a folder the user has not trusted): the spec is still validated as you type, while commands
// that run programs or reach machines refuse, say why, and leave the workspace untouched.
import { existsSync } from 'node:fs';
import path from 'node:path';

export const checks = [
  {
    name: 'Restricted Mode: the spec is still validated',
    untrusted: true,
    async run(ui) {
      await ui.page.locator('.statusbar', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
      await ui.openFile('cluster.yaml');
      const at = ui.locate('cluster.yaml', 'bandwidthGbps: 50');
      await ui.goTo(at.line, at.column + 'bandwidthGbps: '.length);
      await ui.page.keyboard.press('Shift+End');
      await ui.page.keyboard.type('fast');
      await ui.page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
      await ui.shot('restricted-mode-validation');
    },
  },
  {
    name: 'Restricted Mode: Probe Hosts and Generate Flake refuse and ask for trust',
    untrusted: true,
    async run(ui) {
      for (const title of ['GPU Cluster: Probe Hosts', 'GPU Cluster: Generate Flake']) {
        await ui.runCommand('Notifications: Clear All Notifications');
        await ui.runCommand(title);
        await ui.notification('needs a trusted workspace');
      }
      await ui.shot('restricted-mode-refusal');
      if (existsSync(path.join(ui.workspace, 'flake'))) throw new Error('Generate Flake wrote files in Restricted Mode');
    },
  },
  {
    name: 'Restricted Mode: the views say live state needs trust and offer it; nothing offers to connect',
    untrusted: true,
    async run(ui) {
      const header = ui.page.locator('.sidebar .pane-header', { hasText: 'Nodes' }).first();
      if (!(await header.isVisible())) await ui.page.locator('.activitybar [aria-label^="GPU Cluster"]').first().click();
      await header.waitFor({ timeout: 20_000 });
      const pane = (title) => ui.page.locator('.sidebar .pane', { has: ui.page.locator('.pane-header', { hasText: title }) }).first();
      await pane('Nodes')
        .locator('.monaco-list-row', { hasText: 'Live state needs a trusted workspace' })
        .first()
        .waitFor({ timeout: 30_000 });
      const events = ui.page.locator('.sidebar .pane-header', { hasText: 'Events' }).first();
      if ((await events.getAttribute('aria-expanded')) !== 'true') await events.click();
      const welcome = pane('Events').locator('.welcome-view-content', { hasText: 'Restricted Mode' }).first();
      await welcome.waitFor({ timeout: 20_000 });
      if (!(await welcome.innerText()).includes('Manage Workspace Trust'))
        throw new Error(`the Events view offers no way to trust: ${await welcome.innerText()}`);
      if ((await pane('Events').innerText()).includes('no NATS URL')) throw new Error('the Events view blames the spec instead of trust');
      if (await ui.page.locator('.statusbar .statusbar-item', { hasText: 'Connect to cluster' }).count())
        throw new Error('the status bar offers to connect in Restricted Mode');
      await ui.shot('restricted-mode-views');
    },
  },
];
