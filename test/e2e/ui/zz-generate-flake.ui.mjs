// Issue 4 in the workbench: "Generate Flake" on examples/lab shows the multi-file diff preview, writes the
// files when accepted, and a second run finds nothing to change. (Named zz- so it runs after the checks
// that expect the example folder without a flake/.)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Runs a palette command, retrying while the palette has not yet listed the extension's commands. */
async function runCommandWhenListed(ui, title) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ui.runCommand(title);
    } catch (err) {
      if (attempt >= 4) throw err;
      await ui.page.keyboard.press('Escape');
      await ui.page.waitForTimeout(2000);
    }
  }
}

export const checks = [
  {
    name: 'generate flake: preview every file, accept, the files are written; a second run changes nothing',
    async run(ui) {
      const flakeDir = path.join(ui.workspace, 'flake');
      if (existsSync(flakeDir)) throw new Error('flake/ exists before the command ran');
      await runCommandWhenListed(ui, 'GPU Cluster: Generate Flake');
      // The multi-diff editor lists the proposed files next to the notification asking to write them.
      await ui.page.locator('.tabs-container .tab', { hasText: 'Generate Flake:' }).first().waitFor({ timeout: 30_000 });
      const write = ui.page.locator('.notifications-toasts .monaco-button', { hasText: /^Write \d+ files$/ }).first();
      await write.waitFor({ timeout: 30_000 });
      await ui.shot('generate-flake-preview');
      if (existsSync(flakeDir)) throw new Error('files were written before the preview was accepted');
      // A toast left alone moves to the notification centre, where the button stays.
      if (!(await write.isVisible())) await ui.runCommand('Notifications: Show Notifications');
      await ui.page
        .locator('.notification-list-item .monaco-button:visible', { hasText: /^Write \d+ files$/ })
        .first()
        .click();
      await ui.page
        .locator('.notifications-toasts', { hasText: /Wrote \d+ file\(s\) to flake/ })
        .first()
        .waitFor({ timeout: 30_000 });
      for (const file of [
        'flake.nix',
        'cluster-data.nix',
        'hosts/hub-1/default.nix',
        'hosts/hub-1/custom.nix',
        'hosts/hub-1/disko.nix',
        'hosts/mac-studio/default.nix',
        'modules/exo.nix',
        'modules/darwin/exo.nix',
      ]) {
        if (!existsSync(path.join(flakeDir, file))) throw new Error(`flake/${file} was not written`);
      }
      const flake = readFileSync(path.join(flakeDir, 'flake.nix'), 'utf8');
      if (!flake.includes('hub-1 = nixosHost "x86_64-linux" ./hosts/hub-1;') || !flake.includes('mac-studio = darwinHost')) {
        throw new Error('flake.nix lacks the example hosts');
      }
      await ui.openFile('flake/hosts/hub-1/default.nix');
      await ui.shot('generate-flake-written');

      await runCommandWhenListed(ui, 'GPU Cluster: Generate Flake');
      await ui.page.locator('.notifications-toasts', { hasText: 'is up to date' }).first().waitFor({ timeout: 30_000 });
    },
  },
];
