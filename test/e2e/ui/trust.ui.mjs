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
];
