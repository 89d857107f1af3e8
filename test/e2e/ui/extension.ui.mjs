// The extension seen from the workbench: its activity-bar container and views, and a command from the palette.
export const checks = [
  {
    name: 'the GPU Cluster container shows the Nodes, GPUs and Events views',
    async run(ui) {
      await ui.showContainer('GPU Cluster');
      for (const view of ['Nodes', 'GPUs', 'Events']) {
        await ui.page.locator('.sidebar .pane-header', { hasText: view }).first().waitFor({ timeout: 20_000 });
      }
      await ui.shot('views');
    },
  },
  {
    name: 'Create Example Cluster Spec from the palette opens the existing spec instead of overwriting it',
    async run(ui) {
      const before = ui.readFile('cluster.yaml');
      await ui.runCommand('GPU Cluster: Create Example Cluster Spec');
      await Promise.all([
        ui.page.locator('.tabs-container .tab.active', { hasText: 'cluster.yaml' }).waitFor({ timeout: 20_000 }),
        ui.notification('cluster.yaml already exists; opened it instead'),
      ]);
      await ui.shot('scaffold-command');
      if (ui.readFile('cluster.yaml') !== before) throw new Error('cluster.yaml was modified');
    },
  },
];
