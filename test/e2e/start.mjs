// The README's first command, checked as a new user runs it: `npm start` (through npm, whose script environment
// once broke the code-server install) with a fresh HOME serves VS Code on loopback and prints the URL; the page it
// names shows the workbench with the extension loaded on examples/lab (trusting the folder when VS Code asks).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './setup.mjs';

const URL_LINE = /(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)/;

export async function runStartCheck({ newPage, freePort, runDir, log, shot }) {
  const home = path.join(runDir, 'start-home');
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  const child = spawn('npm', ['start'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      PORT: String(port),
      GPU_CLUSTER_USE_CODE_SERVER: '1',
    },
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL within 4 minutes:\n${output.slice(-2000)}`)), 240_000);
    const onData = (chunk) => {
      output += chunk;
      const m = URL_LINE.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before printing a URL:\n${output.slice(-2000)}`));
    });
  });
  log(`npm start printed ${url}`);
  const page = await newPage();
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    // A first visit asks whether to trust the folder; a new user says yes to get everything.
    const trust = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Yes, I trust the authors' }).first();
    await trust.waitFor({ timeout: 20_000 }).then(
      () => trust.click(),
      () => undefined,
    );
    const container = page.locator('.activitybar [aria-label^="GPU Cluster"]').first();
    await container.waitFor({ timeout: 120_000 });
    const nodes = page.locator('.sidebar .pane-header', { hasText: 'Nodes' }).first();
    if (!(await nodes.isVisible())) await container.click();
    const row = (text) =>
      page
        .locator('.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Nodes' }) })
        .locator('.monaco-list-row', { hasText: text })
        .first();
    for (const host of ['hub-1', 'gpu-2', 'mac-studio']) await row(host).waitFor({ timeout: 120_000 });
    // Trusted or not (VS Code may not have asked), the first row says that nothing is connected yet.
    await row(/Not connected|Live state needs a trusted workspace/).waitFor({ timeout: 30_000 });
    await shot(page, 'npm-start');
  } catch (err) {
    await shot(page, 'FAILED-npm-start').catch(() => {});
    throw err;
  } finally {
    await page
      .context()
      .close()
      .catch(() => {});
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
}
