// Issue 6 in the workbench, against a real sshd on loopback (hardware stand-ins on its PATH: nvidia-smi,
// cuda-checkpoint, and CRIU's where `criu check` fails): Deploy Host from the explorer (phases and build
// choice, erase confirmation, the unknown host key shown with its fingerprint and pinned, pre-flight in the
// deploy terminal, the progress following nixos-anywhere's steps (a stand-in that fails at the boot loader on
// cue) and the actionable failure message), and
// Checkpoint GPU Process from the explorer (process pick, confirmation, the checkpoint listed under the host,
// then restored and deleted with its inline actions), and with S3 storage (s3rver on loopback) the missing-keys error,
// Set S3 Credentials from it, the upload after the checkpoint, and Restore Checkpoint from the Spec's Storage once the
// host no longer has it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { repoRoot } from '../setup.mjs';

// Each check adds its own host, so a row on screen proves the spec with that check's edits has loaded.
const DEPLOY_HOST = 'e2e-deploy';
const CHECKPOINT_HOST = 'e2e-ckpt';
const { startSshd } = await tsImport('../../fixtures/ops/sshd.ts', import.meta.url);

let sshd; // started once, shared by the checks, stopped when the harness exits
const state = mkdtempSync(path.join(os.tmpdir(), 'e2e-ops-ui-'));
const images = path.join(state, 'images');
mkdirSync(images);
const workloads = [];
process.once('exit', () => {
  for (const h of sshd?.hosts ?? []) h.process.kill('SIGKILL');
  for (const pid of workloads) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(state, { recursive: true, force: true });
  if (sshd) rmSync(sshd.dir, { recursive: true, force: true });
});

async function ensureSshd() {
  if (sshd) return sshd;
  const criuWorks = spawnSync('criu', ['check']).status === 0;
  sshd = await startSshd(1, {
    env: { OPS_FIXTURE_STATE: state },
    pathPrefix: criuWorks ? [] : [path.join(repoRoot, 'test/fixtures/ops/criu-standin')],
  });
  return sshd;
}

function writeHost(ui, name, { pinned }) {
  const h = sshd.hosts[0];
  writeFileSync(
    path.join(ui.workspace, 'hosts', `${name}.yaml`),
    [
      `name: ${name}`,
      'addresses: [127.0.0.1]',
      `ssh: { port: ${h.port}, identity: ${JSON.stringify(sshd.userKey)}${pinned ? `, hostKey: ${JSON.stringify(h.hostKey)}` : ''} }`,
      'roles: [checkpoint-agent]',
      'hardware:',
      '  gpus:',
      '    - { vendor: nvidia, model: RTX 4090, count: 2 }',
      'disks:',
      '  - { device: /dev/loop0, layout: ext4, role: os }',
      '',
    ].join('\n'),
  );
}

async function showContainer(ui) {
  const header = ui.page.locator('.sidebar .pane-header', { hasText: 'Nodes' }).first();
  // The activity bar entry toggles the side bar: only click when the view is not showing already.
  if (!(await header.isVisible())) await ui.page.locator('.activitybar [aria-label^="GPU Cluster"]').first().click();
  await header.waitFor({ timeout: 20_000 });
}

/** A process the nvidia-smi stand-in lists as a GPU process, on a driver that can checkpoint; returns its pid. */
function startGpuWorkload() {
  const started = spawnSync('sh', ['-c', 'setsid sleep 3900 </dev/null >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
  const pid = Number(started.stdout.trim());
  workloads.push(pid);
  writeFileSync(path.join(state, 'gpu-apps.csv'), `${pid}, /usr/bin/sleep, 18176, GPU-5d5a5f8e-7f2c-3b2a-9a61-2f4b8c0d1e11\n`);
  // checkpoints need driver 570 (lock --timeout); the stand-in's recorded default is 550
  writeFileSync(path.join(state, 'driver_version'), '570.86.10\n');
  return pid;
}

const dialog = (ui, text) => ui.page.locator('.monaco-dialog-box', { hasText: text }).first();
const toast = (ui, text) => ui.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
/** An error message as a toast, or in the notification center when a toast was already put away. */
/** Waits for the "restored on … as process N" message and checks that process N runs (it is stopped after the run). */
async function expectRestored(ui, timeout) {
  const restored = toast(ui, `restored on ${CHECKPOINT_HOST} as process`);
  await restored.waitFor({ timeout });
  const pid = Number(/as process (\d+)/.exec(await restored.innerText())?.[1]);
  workloads.push(pid);
  try {
    process.kill(pid, 0);
  } catch {
    throw new Error(`restored process ${pid} is not running`);
  }
}

async function errorMessage(ui, text) {
  const shown = toast(ui, text);
  if (
    await shown.waitFor({ timeout: 45_000 }).then(
      () => true,
      () => false,
    )
  )
    return shown;
  await ui.runCommand('Notifications: Show Notifications');
  const kept = ui.page.locator('.notifications-center .notification-list-item', { hasText: text }).first();
  await kept.waitFor({ timeout: 10_000 });
  return kept;
}

export const checks = [
  {
    name: "ops: Deploy Host from the explorer: confirm, accept the unknown host key by fingerprint, pre-flight, progress through nixos-anywhere's steps, boot-loader failure explained",
    async run(ui) {
      await ensureSshd();
      const flakeDir = path.join(ui.workspace, 'flake');
      const createdFlake = !existsSync(flakeDir);
      mkdirSync(flakeDir, { recursive: true });
      writeHost(ui, DEPLOY_HOST, { pinned: false });
      try {
        await showContainer(ui);
        const confirm = await ui.startDeploy(DEPLOY_HOST);
        const confirmText = await confirm.innerText();
        if (!confirmText.includes('/dev/loop0') || !confirmText.includes('ERASED') || !confirmText.includes('phases: disko,install,reboot'))
          throw new Error(`the confirmation does not say what is erased: ${confirmText}`);
        // The erasing action is not the dialog's default: Enter on the dialog only leads to the deliberate step.
        const focused = await confirm
          .locator('.monaco-button:focus')
          .innerText()
          .catch(() => '');
        if (/deploy|erase|install/i.test(focused)) throw new Error(`the focused button would erase the disks: ${focused}`);
        await ui.shot('ops-deploy-confirm');
        await confirm.locator('.monaco-button', { hasText: 'Continue' }).first().click();
        // Typing something else is refused with a message, and Enter does not go on.
        const input = ui.page.locator('.quick-input-widget input.input');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill('hub-1');
        await ui.page
          .locator('.quick-input-widget', { hasText: `Type "${DEPLOY_HOST}" exactly` })
          .first()
          .waitFor({ timeout: 10_000 });
        await ui.page.keyboard.press('Enter');
        await ui.shot('ops-deploy-type-host-name');
        if (!(await input.isVisible())) throw new Error('a wrong host name was accepted');
        await input.fill(DEPLOY_HOST);
        await ui.page.keyboard.press('Enter');

        const keyDialog = dialog(ui, "can't be established");
        await keyDialog.waitFor({ timeout: 30_000 });
        const expected = execFileSync('ssh-keygen', ['-lf', path.join(sshd.dir, 'test-1', 'ssh_host_ed25519_key.pub')], {
          encoding: 'utf8',
        }).split(' ')[1];
        const keyText = await keyDialog.innerText();
        if (!keyText.includes(expected)) throw new Error(`the host-key prompt does not show ${expected}: ${keyText}`);
        await ui.shot('ops-deploy-host-key');
        await keyDialog.locator('.monaco-button', { hasText: 'Accept and Pin' }).first().click();

        // nixos-anywhere here is the stand-in (test/fixtures/ops/local-bin): it runs every step against the test
        // host with the real ssh client and fails at the boot loader on cue. Watch the progress follow its steps.
        const seen = new Set();
        const failed = toast(ui, 'Installing the boot loader failed');
        await ui.waitFor(
          'the deploy to fail at the boot loader',
          async () => {
            for (const t of await ui.page
              .locator('.notifications-toasts .notification-toast')
              .allInnerTexts()
              .catch(() => []))
              seen.add(t);
            return failed.isVisible();
          },
          90_000,
        );
        const steps = ['Gathering machine facts', 'Formatting hard drive with disko', 'Uploading the system closure', 'Installing NixOS'];
        const progressed = steps.filter((step) => [...seen].some((t) => t.includes(step)));
        if (progressed.length === 0)
          throw new Error(`the progress never showed a nixos-anywhere step; notifications seen: ${[...seen].join(' | ')}`);
        const facter = path.join(flakeDir, 'hosts', DEPLOY_HOST, 'facter.json');
        if (!existsSync(facter)) throw new Error(`nixos-anywhere was not asked for the facter report at ${facter}`);
        await ui.page
          .locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: `Deploy ${DEPLOY_HOST}` })
          .first()
          .waitFor({ timeout: 15_000 })
          .catch(() => undefined);
        await ui.shot('ops-deploy-steps-and-bootloader-failure');
        // The extension's managed known_hosts, in the global storage of whichever profile this window uses.
        const runDir = path.dirname(ui.workspace);
        const managed = readdirSync(runDir)
          .filter((d) => d.startsWith('user'))
          .map((d) => path.join(runDir, d, 'User', 'globalStorage', 'nix-gpu-cluster.nix-gpu-cluster', 'known_hosts'))
          .find((f) => existsSync(f));
        if (!managed) throw new Error(`no managed known_hosts under ${runDir}`);
        const pinned = readFileSync(managed, 'utf8');
        if (!pinned.includes(`[127.0.0.1]:${sshd.hosts[0].port} ${sshd.hosts[0].hostKey}`))
          throw new Error(`the accepted key is not pinned in ${managed}: ${pinned}`);
        await ui.waitFor(
          `${DEPLOY_HOST} marked failed in the Nodes view`,
          async () => (await ui.nodesRow(DEPLOY_HOST).innerText()).includes('failed'),
          20_000,
        );
      } finally {
        rmSync(path.join(ui.workspace, 'hosts', `${DEPLOY_HOST}.yaml`), { force: true });
        if (createdFlake) rmSync(flakeDir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'ops: Checkpoint GPU Process from the explorer; the checkpoint is listed under the host, restored and deleted from there',
    async run(ui) {
      await ensureSshd();
      const specPath = path.join(ui.workspace, 'cluster.yaml');
      const original = readFileSync(specPath, 'utf8');
      const pid = startGpuWorkload();
      const edited = original.replace(/storage: \{ kind: local, path: [^}]+\}/, `storage: { kind: local, path: ${images} }`);
      if (edited === original) throw new Error('cluster.yaml has no local checkpoint storage to point at a temporary folder');
      writeFileSync(specPath, edited);
      writeHost(ui, CHECKPOINT_HOST, { pinned: true });
      try {
        await showContainer(ui);
        await ui.nodesRow(CHECKPOINT_HOST).waitFor({ timeout: 30_000 });
        await ui.contextMenu(ui.nodesRow(CHECKPOINT_HOST), 'Checkpoint GPU Process');
        const pick = ui.page.locator('.quick-input-widget .monaco-list-row', { hasText: String(pid) }).first();
        await pick.waitFor({ timeout: 45_000 });
        await ui.shot('ops-checkpoint-pick-process');
        await pick.click();
        const confirm = dialog(ui, `Checkpoint process ${pid}`);
        await confirm.waitFor({ timeout: 15_000 });
        await confirm.locator('.monaco-button', { hasText: 'Checkpoint and Stop' }).first().click();
        await toast(ui, `Checkpoint ${CHECKPOINT_HOST}-${pid}-`).waitFor({ timeout: 60_000 });
        await ui.waitFor(
          'the manifest on the host',
          () => readdirSync(images).some((d) => existsSync(path.join(images, d, 'manifest.json'))),
          10_000,
        );
        // Expand the host: the checkpoint is listed under it, as its last child. The other views are folded
        // so the Nodes view has room, and End keeps the tree scrolled to its end while it updates.
        await ui.setPanesExpanded(['GPUs', 'Events'], false);
        await ui.nodesRow(CHECKPOINT_HOST).click();
        await ui.page.keyboard.press('ArrowRight');
        const checkpointRow = ui.nodesRow('sleep @');
        await ui.waitFor(
          'the checkpoint under the host',
          async () => {
            await ui.page.keyboard.press('End');
            return checkpointRow.isVisible();
          },
          20_000,
        );
        await checkpointRow.hover();
        await ui.shot('ops-checkpoint-listed');

        // Restore (inline action): the process runs again, under the pid CRIU reports.
        await checkpointRow.locator('.action-label[aria-label="Restore Checkpoint"]').click();
        await expectRestored(ui, 60_000);
        await ui.shot('ops-checkpoint-restored');

        // Delete (inline action, confirmed): the row and the images go.
        await checkpointRow.hover();
        await checkpointRow.locator('.action-label[aria-label="Delete Checkpoint"]').click();
        const confirmDelete = dialog(ui, 'Delete checkpoint');
        await confirmDelete.waitFor({ timeout: 15_000 });
        await confirmDelete.locator('.monaco-button', { hasText: 'Delete' }).first().click();
        await checkpointRow.waitFor({ state: 'detached', timeout: 30_000 });
        if (readdirSync(images).length !== 0) throw new Error(`images left after delete: ${readdirSync(images).join(', ')}`);
      } finally {
        await ui.setPanesExpanded(['GPUs', 'Events'], true).catch(() => undefined);
        writeFileSync(specPath, original);
        rmSync(path.join(ui.workspace, 'hosts', `${CHECKPOINT_HOST}.yaml`), { force: true });
        rmSync(path.join(state, 'driver_version'), { force: true });
      }
    },
  },
  {
    name: 'ops: checkpoint storage in S3 (s3rver on loopback): missing keys offer Set S3 Credentials, then the checkpoint is uploaded, and restored from the bucket once the host lost it',
    async run(ui) {
      await ensureSshd();
      const { default: S3rver } = await import('s3rver');
      const s3dir = mkdtempSync(path.join(os.tmpdir(), 'e2e-ops-s3-'));
      const port = await new Promise((resolve) => {
        const srv = net.createServer().listen(0, '127.0.0.1', () => {
          const p = srv.address().port;
          srv.close(() => resolve(p));
        });
      });
      const s3 = new S3rver({
        address: '127.0.0.1',
        port,
        silent: true,
        directory: s3dir,
        configureBuckets: [{ name: 'e2e-ckpt', configs: [] }],
      });
      await s3.run();
      const specPath = path.join(ui.workspace, 'cluster.yaml');
      const original = readFileSync(specPath, 'utf8');
      const pid = startGpuWorkload();
      const edited = original.replace(
        /storage: \{ kind: local, path: [^}]+\}/,
        `storage: { kind: s3, bucket: e2e-ckpt, endpoint: "http://127.0.0.1:${port}", path: ${images} }`,
      );
      if (edited === original) throw new Error('cluster.yaml has no local checkpoint storage to point at S3');
      writeFileSync(specPath, edited);
      writeHost(ui, CHECKPOINT_HOST, { pinned: true });
      const checkpointProcess = async () => {
        await ui.contextMenu(ui.nodesRow(CHECKPOINT_HOST), 'Checkpoint GPU Process');
        const pick = ui.page.locator('.quick-input-widget .monaco-list-row', { hasText: String(pid) }).first();
        await pick.waitFor({ timeout: 45_000 });
        await pick.click();
      };
      const stored = () => {
        const walk = (d) =>
          readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [e.name]));
        return existsSync(path.join(s3dir, 'e2e-ckpt')) ? walk(path.join(s3dir, 'e2e-ckpt')) : [];
      };
      try {
        await showContainer(ui);
        await ui.nodesRow(CHECKPOINT_HOST).waitFor({ timeout: 30_000 });
        // No keys in secret storage for this endpoint: the error offers the command, and the process is not touched.
        await checkpointProcess();
        const missing = await errorMessage(ui, 'The S3 bucket e2e-ckpt needs credentials');
        await ui.shot('ops-checkpoint-s3-missing-keys');
        if (readdirSync(images).length) throw new Error(`checkpointed without a store: ${readdirSync(images).join(', ')}`);
        await missing.locator('.monaco-button', { hasText: 'Set S3 Credentials' }).first().click();
        const input = ui.page.locator('.quick-input-widget input.input');
        for (const [title, value] of [
          ['S3 access key id for e2e-ckpt', 'S3RVER'],
          ['S3 secret access key for e2e-ckpt', 'S3RVER'],
          ['S3 session token', ''],
          ['S3 region', ''],
        ]) {
          await ui.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).first().waitFor({ timeout: 15_000 });
          await input.fill(value);
          await ui.page.keyboard.press('Enter');
        }
        await toast(ui, 'S3 credentials for e2e-ckpt').waitFor({ timeout: 15_000 });
        // With the keys: checkpoint, then the upload (a progress notification), then one message saying both.
        await checkpointProcess();
        const confirm = dialog(ui, `Checkpoint process ${pid}`);
        await confirm.waitFor({ timeout: 15_000 });
        await confirm.locator('.monaco-button', { hasText: 'Checkpoint and Stop' }).first().click();
        await toast(ui, 'and uploaded to S3 bucket e2e-ckpt').waitFor({ timeout: 90_000 });
        await ui.shot('ops-checkpoint-s3-uploaded');
        const objects = stored();
        if (!objects.some((n) => n.startsWith('manifest.json')) || !objects.some((n) => n.startsWith('images.tar')))
          throw new Error(`the bucket holds ${objects.join(', ') || 'nothing'}`);
        // The host loses it; Restore Checkpoint from the Spec's Storage lists the bucket's and restores the one picked.
        for (const d of readdirSync(images)) rmSync(path.join(images, d), { recursive: true, force: true });
        await ui.runCommand("GPU Cluster: Restore Checkpoint from the Spec's Storage");
        const storedRow = ui.page.locator('.quick-input-widget .monaco-list-row', { hasText: CHECKPOINT_HOST }).first();
        await storedRow.waitFor({ timeout: 30_000 });
        await ui.shot('ops-checkpoint-s3-stored-list');
        await storedRow.click();
        await expectRestored(ui, 90_000);
        if (!readdirSync(images).some((d) => existsSync(path.join(images, d, 'manifest.json'))))
          throw new Error('the checkpoint was not downloaded into the storage path');
        await ui.shot('ops-checkpoint-s3-restored');
      } finally {
        writeFileSync(specPath, original);
        rmSync(path.join(ui.workspace, 'hosts', `${CHECKPOINT_HOST}.yaml`), { force: true });
        rmSync(path.join(state, 'driver_version'), { force: true });
        for (const d of readdirSync(images)) rmSync(path.join(images, d), { recursive: true, force: true });
        await s3.close();
        rmSync(s3dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'ops: SSH failures say what to check and offer the action: a host with no identity, a closed port',
    async run(ui) {
      await ensureSshd();
      const keyless = 'e2e-nokey';
      const closed = 'e2e-closed';
      const files = [keyless, closed].map((n) => path.join(ui.workspace, 'hosts', `${n}.yaml`));
      const h = sshd.hosts[0];
      // No identity and no agent: nothing to log in with. A closed loopback port: nothing listens.
      writeFileSync(
        files[0],
        [`name: ${keyless}`, 'addresses: [127.0.0.1]', `ssh: { port: ${h.port}, hostKey: ${JSON.stringify(h.hostKey)} }`, ''].join('\n'),
      );
      const port = await new Promise((resolve) => {
        const srv = net.createServer().listen(0, '127.0.0.1', () => {
          const p = srv.address().port;
          srv.close(() => resolve(p));
        });
      });
      writeFileSync(
        files[1],
        [
          `name: ${closed}`,
          'addresses: [127.0.0.1]',
          `ssh: { port: ${port}, identity: ${JSON.stringify(sshd.userKey)}, hostKey: ${JSON.stringify(h.hostKey)} }`,
          '',
        ].join('\n'),
      );
      try {
        await showContainer(ui);
        await ui.runCommand('Notifications: Clear All Notifications');
        await ui.contextMenu(ui.nodesRow(keyless), 'Probe Hosts');
        // The example's defaults name ~/.ssh/id_ed25519, which this machine lacks: the identity cannot be read.
        const noKey = await errorMessage(ui, `${keyless}:`);
        for (const action of ['Choose Identity File', 'Open Spec at ssh.identity']) {
          if (!(await noKey.innerText()).includes(action)) throw new Error(`the error offers no "${action}": ${await noKey.innerText()}`);
        }
        await ui.shot('ops-ssh-no-identity');
        await noKey.locator('.monaco-button', { hasText: 'Open Spec at ssh.identity' }).first().click();
        await ui.page.locator('.tabs-container .tab.active', { hasText: `${keyless}.yaml` }).waitFor({ timeout: 20_000 });

        await ui.runCommand('Notifications: Clear All Notifications');
        await ui.contextMenu(ui.nodesRow(closed), 'Probe Hosts');
        const refused = await errorMessage(ui, 'connection refused');
        const text = await refused.innerText();
        for (const want of [`127.0.0.1 port ${port}`, 'sshd runs', 'firewall', 'Probe Host']) {
          if (!text.includes(want)) throw new Error(`the unreachable-host error lacks "${want}": ${text}`);
        }
        await ui.shot('ops-ssh-unreachable');
      } finally {
        for (const f of files) rmSync(f, { force: true });
      }
    },
  },
];
