// Issue 15 in the workbench: Review Rollout on two real sshd hosts with NixOS-style profiles (the rollout
// stand-ins of test/fixtures/rollout: switch-to-configuration, systemd-run, systemctl, nix; nvidia-smi and
// cuda-checkpoint from test/fixtures/ops). The review document shows each host's preview, the modal asks
// before anything switches, the progress notification follows the steps, and the second host's new system
// fails its health check (exo.service does not come back), so it is rolled back to its previous generation
// while the first host ends on the new one, after its exo node was found in exo's /state (the recorded
// documents' stand-in, test/fixtures/exo/fake-exo.mjs, on exo's default API port of 127.0.0.1, where the hosts'
// SSH is).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

const { startRolloutHosts } = await tsImport('../../fixtures/rollout/hosts.ts', import.meta.url);
const NAMES = ['e2e-roll-a', 'e2e-roll-b'];
const CURRENT = {
  units: { 'exo.service': 'active' },
  closure: [
    ['exo', '1.0.0', 900000],
    ['glibc', '2.39', 30000000],
  ],
};
const NEXT = {
  units: { 'exo.service': 'active changed' },
  closure: [
    ['exo', '1.1.0', 1000000],
    ['glibc', '2.39', 30000000],
    ['nvtop', '3.1.0', 700000],
  ],
};
const BROKEN = { ...NEXT, units: { 'exo.service': 'inactive changed' } };

let started;
let exo;
process.once('exit', () => {
  exo?.kill('SIGKILL');
  for (const h of started?.hosts ?? []) h.sshd.hosts[0].process.kill('SIGKILL');
});

const dialog = (ui, text) => ui.page.locator('.monaco-dialog-box', { hasText: text }).first();
// Monaco renders spaces in its view lines as no-break spaces.
const visibleText = async (locator) => (await locator.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
const running = (h) => path.basename(readlinkSync(path.join(h.root, 'run/current-system')));

export const checks = [
  {
    name: 'rollout: review two hosts, start, follow the progress; a failed health check rolls one host back',
    async run(ui) {
      started = await startRolloutHosts(NAMES, CURRENT);
      const [a, b] = started.hosts;
      const systems = { [a.name]: a.addSystem('gen2', NEXT), [b.name]: b.addSystem('gen2', BROKEN) };
      const settingsFile = path.join(ui.workspace, '.vscode', 'settings.json');
      const hadSettings = existsSync(settingsFile);
      const originalSettings = hadSettings ? readFileSync(settingsFile, 'utf8') : '';
      mkdirSync(path.dirname(settingsFile), { recursive: true });
      writeFileSync(
        settingsFile,
        JSON.stringify(
          {
            ...(hadSettings ? JSON.parse(originalSettings) : {}),
            'gpuCluster.rollout.systems': systems,
            'gpuCluster.rollout.hostRoots': { [a.name]: a.root, [b.name]: b.root },
            'gpuCluster.rollout.healthTimeoutSec': 3,
            'gpuCluster.rollout.onFailure': 'continue',
          },
          null,
          2,
        ),
      );
      // The first host's exo node is known by its own address; SSH and exo's API are reached on 127.0.0.1.
      const ownAddress = { [a.name]: '127.0.3.1', [b.name]: '127.0.0.1' };
      exo = spawn(process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/exo/fake-exo.mjs')], {
        env: { ...process.env, FAKE_EXO_PORT: '52415', FAKE_EXO_NAME: a.name, FAKE_EXO_ADDRESS: ownAddress[a.name] },
        stdio: 'ignore',
      });
      for (const h of started.hosts) {
        writeFileSync(
          path.join(ui.workspace, 'hosts', `${h.name}.yaml`),
          [
            `name: ${h.name}`,
            `addresses: [${ownAddress[h.name]}]`,
            `ssh: { address: 127.0.0.1, port: ${h.endpoint.port}, identity: ${JSON.stringify(h.endpoint.identity)}, hostKey: ${JSON.stringify(h.endpoint.hostKey)} }`,
            'roles: [exo-worker]',
            '',
          ].join('\n'),
        );
      }
      try {
        await ui.showContainer('GPU Cluster');
        await ui.nodesRow(b.name).waitFor({ timeout: 30_000 });
        await ui.runCommand('GPU Cluster: Review Rollout');
        const input = ui.page.locator('.quick-input-widget input.input');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill('e2e-roll');
        for (const name of NAMES) {
          const row = ui.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
          await row.waitFor({ timeout: 15_000 });
          await row.click(); // a row of a multi-select pick toggles its checkbox
        }
        await ui.page.locator('.quick-input-widget', { hasText: '2 Selected' }).first().waitFor({ timeout: 10_000 });
        await ui.shot('rollout-pick-hosts');
        await ui.page.keyboard.press('Enter');

        // The review: one document with both hosts' previews.
        const editor = ui.page.locator('.editor-instance .view-lines').first();
        await ui.waitFor(
          'the review document',
          async () => {
            const text = await visibleText(editor);
            return text.includes(`## ${a.name}`) && text.includes(`## ${b.name}`);
          },
          90_000,
        );
        const review = await visibleText(editor);
        for (const expected of ['Rollout review', 'exo: 1.0.0 → 1.1.0', 'nvtop', 'units to restart: exo.service']) {
          if (!review.includes(expected)) throw new Error(`the review does not show "${expected}": ${review}`);
        }
        // Nothing switched before the deliberate confirmation.
        const confirm = dialog(ui, 'Start Rollout on');
        await confirm.waitFor({ timeout: 30_000 });
        if (running(a) !== `gen1-nixos-system-${a.name}`) throw new Error('a host switched before the confirmation');
        await ui.shot('rollout-review-and-confirm');
        await confirm.locator('.monaco-button', { hasText: 'Start Rollout' }).first().click();

        // Progress: the notification follows the hosts' steps.
        const seen = new Set();
        let resultText = '';
        await ui.waitFor(
          'the rollout to end',
          async () => {
            for (const t of await ui.page
              .locator('.notifications-toasts .notification-toast')
              .allInnerTexts()
              .catch(() => []))
              seen.add(t);
            const editors = (
              await ui.page
                .locator('.editor-instance .view-lines')
                .allInnerTexts()
                .catch(() => [])
            ).map((t) => t.replace(/\u00a0/g, ' '));
            resultText = editors.find((t) => t.includes('not everything went through') || t.includes(': done')) ?? '';
            return resultText.includes('Rollout r');
          },
          150_000,
        );
        const steps = ['switching', 'checking', 'confirming', 'rolling-back'];
        const shown = steps.filter((s) => [...seen].some((t) => t.includes(s)));
        if (!shown.length) throw new Error(`the progress never showed a step; notifications seen: ${[...seen].join(' | ')}`);
        if (!resultText.includes(`${a.name}: done`)) throw new Error(`${a.name} did not end done: ${resultText}`);
        if (!resultText.includes(`${b.name}: rolled-back`)) throw new Error(`${b.name} was not rolled back: ${resultText}`);
        await ui.shot('rollout-result-with-rollback');
        if (running(a) !== `gen2-nixos-system-${a.name}`) throw new Error(`${a.name} does not run the new system`);
        if (running(b) !== `gen1-nixos-system-${b.name}`) throw new Error(`${b.name} was not switched back`);
        if (readlinkSync(path.join(b.root, 'nix/var/nix/profiles/system')) !== 'system-1-link')
          throw new Error(`${b.name}'s profile was not moved back`);
      } finally {
        for (const name of NAMES) rmSync(path.join(ui.workspace, 'hosts', `${name}.yaml`), { force: true });
        if (hadSettings) writeFileSync(settingsFile, originalSettings);
        else rmSync(settingsFile, { force: true });
        exo?.kill();
        exo = undefined;
        await started.stop();
        started = undefined;
      }
    },
  },
];
