// End-to-end tests in real VS Code: code-server (VS Code 1.139, extension host on Node 24) driven by
// Playwright in Chromium. Builds the extension, links it into a fresh extensions folder, opens copies of
// examples/lab and runs, side by side in two browser windows (one code-server):
//   - the extension-host suite (mocha, test/e2e/suite/*.test.ts), run inside the extension host by the
//     test-only runner extension (test/e2e/runner/) in a window on its own copy of examples/lab;
//   - the UI checks (test/e2e/ui/*.ui.mjs), one after another in a window on a second copy, driven through the page.
// Prints `e2e: N passed, M failed` (scripts/test.mjs reads it) and exits non-zero on failures.
// Screenshots go to test-artifacts/e2e/*.png, logs of the run to test-artifacts/e2e/logs/.
//
// Adding tests (both kinds are picked up automatically):
//   - test/e2e/suite/<area>.test.ts: mocha BDD (describe/it) with the `vscode` API; helpers in suite/util.ts.
//     The same files run under @vscode/test-electron (`npm run test:electron`) where VS Code can be downloaded.
//   - test/e2e/ui/<area>.ui.mjs: `export const checks = [{ name, run: async (ui) => { ... } }]`, where `ui` is
//     a Workbench (test/e2e/workbench.mjs: runCommand, openFile, goTo, problems, suggestions, shot, ...).
//     Checks run in file-name order in one window; each starts with editors closed and saves its own
//     screenshots with ui.shot(name). A check throws to fail.
// Options: --grep <text> runs only suite tests and UI checks whose names contain <text>; --no-build uses dist/
// as it is (scripts/test.mjs has just built it); KEEP_E2E=1 keeps the temporary folder for inspection.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, ensureBuilt, ensureCodeServer24, repoRoot } from './setup.mjs';
import { buildSuite } from './suite-build.mjs';
import { Workbench } from './workbench.mjs';

const SUITE_TIMEOUT_MS = 6 * 60_000; // generous: it shares 2 cores with the UI checks
const CHECK_TIMEOUT_MS = 90_000;
const RUN_TIMEOUT_MS = 10 * 60_000;

const t0 = Date.now();
const log = (m) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const grepArg = process.argv.indexOf('--grep');
const grep = grepArg > 0 ? process.argv[grepArg + 1] : undefined;
const artifacts = path.join(repoRoot, 'test-artifacts', 'e2e');
const results = []; // { phase, name, ok, error? }
let server; // the code-server child, leader of its own process group
let browser;
let runDir; // temporary: profile, extensions folder, workspace copies; removed at the end

/** Stops code-server and everything it started (extension hosts, language servers): the whole group. */
function killServerGroup(signal = 'SIGTERM') {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  try { process.kill(-server.pid, signal); } catch { /* already gone */ }
}
async function stopServer() {
  killServerGroup('SIGTERM');
  for (let i = 0; i < 40 && server && server.exitCode === null && server.signalCode === null; i++) await sleep(125);
  killServerGroup('SIGKILL');
  // Children that outlive the leader keep the group id; make sure none is left.
  if (server) { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* none left */ } }
}
process.on('exit', () => killServerGroup('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killServerGroup('SIGKILL'); process.exit(130); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function waitForHttp(url, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}`);
    try { if ((await fetch(url)).ok) return; } catch { /* not listening yet */ }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** A fresh profile, extensions folder (product + runner, linked) and two copies of examples/lab. */
function prepareRunDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gpu-cluster-e2e-'));
  const userSettings = path.join(dir, 'user', 'User');
  mkdirSync(userSettings, { recursive: true });
  writeFileSync(path.join(userSettings, 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'chat.disableAIFeatures': true,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'files.autoSave': 'off',
    'editor.hover.delay': 300,
  }, null, 2));
  const ext = path.join(dir, 'ext');
  mkdirSync(ext);
  const manifest = (p) => JSON.parse(readFileSync(path.join(p, 'package.json'), 'utf8'));
  for (const src of [repoRoot, path.join(repoRoot, 'test', 'e2e', 'runner')]) {
    const m = manifest(src);
    // code-server rejects --extensionDevelopmentPath; a folder named publisher.name-version is scanned instead.
    symlinkSync(src, path.join(ext, `${m.publisher}.${m.name}-${m.version}`));
  }
  for (const ws of ['ws-suite', 'ws-ui']) cpSync(path.join(repoRoot, 'examples', 'lab'), path.join(dir, ws), { recursive: true });
  // The suite opens a (one-folder) multi-root workspace: tests may add folders to it, which in a plain folder
  // window would turn it into a workspace and restart the extension host mid-suite.
  writeFileSync(path.join(dir, 'suite.code-workspace'), JSON.stringify({ folders: [{ path: 'ws-suite' }] }));
  mkdirSync(path.join(dir, 'home'));
  return dir;
}

/** Opens a folder, or a .code-workspace file, in the page and waits for the workbench. */
async function openWorkbench(page, base, target) {
  const query = target.endsWith('.code-workspace') ? 'workspace' : 'folder';
  await page.goto(`${base}/?${query}=${encodeURIComponent(target)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
}

async function runSuite(page, base) {
  const resultsFile = path.join(runDir, 'suite-results.json');
  const read = () => (existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : undefined);
  log('extension-host suite started');
  await openWorkbench(page, base, path.join(runDir, 'suite.code-workspace'));
  const end = Date.now() + SUITE_TIMEOUT_MS;
  let r = read();
  while (!r?.done && !r?.crashed) {
    if (Date.now() > end) {
      for (const t of r?.tests ?? []) results.push({ phase: 'suite', name: t.title, ok: t.state === 'passed', error: t.error });
      throw new Error(`the suite did not finish in ${SUITE_TIMEOUT_MS / 1000}s; ${r?.running ? `still running: ${r.running}` : 'no test started'} (logs: test-artifacts/e2e/logs)`);
    }
    await sleep(250);
    r = read();
  }
  await new Workbench(page, { workspace: '', artifacts }).shot('suite-window');
  for (const t of r.tests ?? []) results.push({ phase: 'suite', name: t.title, ok: t.state === 'passed', error: t.error });
  if (r.crashed) throw new Error(`the suite did not finish: ${r.crashed}`);
  if (r.tests.length === 0 && !grep) throw new Error('the suite ran no tests');
}

async function loadChecks() {
  const dir = path.join(repoRoot, 'test', 'e2e', 'ui');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ui.mjs')).sort() : [];
  const checks = [];
  for (const f of files) {
    const area = f.replace(/\.ui\.mjs$/, '');
    try {
      const mod = await import(pathToFileURL(path.join(dir, f)).href);
      for (const c of mod.checks ?? []) checks.push({ ...c, name: `${area}: ${c.name}` });
    } catch (e) {
      // A broken file fails its own area and nothing else.
      checks.push({ name: `${area}: loads`, run: () => { throw e; } });
    }
  }
  return checks.filter((c) => !grep || c.name.includes(grep));
}

async function runUiChecks(page, base) {
  const checks = await loadChecks();
  if (checks.length === 0) return;
  log(`${checks.length} UI checks`);
  const workspace = path.join(runDir, 'ws-ui');
  await openWorkbench(page, base, workspace);
  const ui = new Workbench(page, { workspace, artifacts });
  // The extension activates on workspaceContains:cluster.yaml; its view container is the sign it loaded.
  await page.locator('.activitybar [aria-label^="GPU Cluster"]').first().waitFor({ timeout: 60_000 });
  for (const check of checks) {
    const started = Date.now();
    try {
      await ui.reset();
      await Promise.race([
        check.run(ui),
        sleep(CHECK_TIMEOUT_MS).then(() => { throw new Error(`timed out after ${CHECK_TIMEOUT_MS / 1000}s`); }),
      ]);
      results.push({ phase: 'ui', name: check.name, ok: true });
      log(`  ok   ${check.name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    } catch (e) {
      results.push({ phase: 'ui', name: check.name, ok: false, error: String(e?.stack ?? e) });
      log(`  FAIL ${check.name}: ${String(e?.message ?? e).split('\n')[0]}`);
      await ui.shot(`FAILED-${check.name}`).catch(() => {});
    }
  }
}

function collectLogs() {
  const dest = path.join(artifacts, 'logs');
  mkdirSync(dest, { recursive: true });
  const logsRoot = path.join(runDir, 'user', 'logs');
  if (existsSync(logsRoot)) cpSync(logsRoot, path.join(dest, 'vscode'), { recursive: true });
  const cs = path.join(runDir, 'code-server.log');
  if (existsSync(cs)) cpSync(cs, path.join(dest, 'code-server.log'));
}

async function main() {
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  if (!process.argv.includes('--no-build')) ensureBuilt({ log: (m) => log(m) });
  const suiteEntry = await buildSuite();
  const { codeServer, env: node24 } = ensureCodeServer24({ log: (m) => log(m) });
  runDir = prepareRunDir();
  const port = await freePort();
  const home = path.join(runDir, 'home');
  log(`starting code-server on 127.0.0.1:${port}`);
  const out = createWriteStream(path.join(runDir, 'code-server.log'));
  server = spawn(codeServer, [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened',
    '--user-data-dir', path.join(runDir, 'user'), '--extensions-dir', path.join(runDir, 'ext'),
  ], {
    detached: true, // own process group, so the whole tree can be stopped at once
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...node24,
      HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      GPU_CLUSTER_E2E_SUITE: suiteEntry,
      GPU_CLUSTER_E2E_RESULTS: path.join(runDir, 'suite-results.json'), // also marks the suite as started
      GPU_CLUSTER_E2E_WORKSPACE: path.join(runDir, 'ws-suite'),
      ...(grep ? { GPU_CLUSTER_E2E_GREP: grep } : {}),
    },
  });
  server.stdout.pipe(out);
  server.stderr.pipe(out);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/healthz`, 60_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    // The two windows run side by side: the suite needs no input, so it only has to stay open while the
    // UI checks drive the other window. Each page gets its own context (own focus, own storage).
    const newPage = async () => (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const [suitePage, uiPage] = await Promise.all([newPage(), newPage()]);
    const suite = runSuite(suitePage, base).catch(async (e) => {
      results.push({ phase: 'suite', name: 'extension-host suite', ok: false, error: String(e?.stack ?? e) });
      await suitePage.screenshot({ path: path.join(artifacts, 'FAILED-suite.png') }).catch(() => {});
    }).then(() => log(`suite done: ${results.filter((r) => r.phase === 'suite' && r.ok).length}/${results.filter((r) => r.phase === 'suite').length} passed`));
    await runUiChecks(uiPage, base).catch(async (e) => {
      results.push({ phase: 'ui', name: 'UI window', ok: false, error: String(e?.stack ?? e) });
      await uiPage.screenshot({ path: path.join(artifacts, 'FAILED-ui-window.png') }).catch(() => {});
    });
    await suite;
  } finally {
    await browser?.close().catch(() => {});
    await stopServer();
    collectLogs();
    if (process.env.KEEP_E2E === '1') log(`kept ${runDir}`);
    else rmSync(runDir, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  console.error(`[e2e] the whole run exceeded ${RUN_TIMEOUT_MS / 60_000} minutes`);
  results.push({ phase: 'run', name: 'time limit', ok: false });
  killServerGroup('SIGKILL');
  if (runDir && process.env.KEEP_E2E !== '1') rmSync(runDir, { recursive: true, force: true });
  finish();
}, RUN_TIMEOUT_MS);

function finish() {
  clearTimeout(watchdog);
  for (const r of results.filter((x) => !x.ok)) console.log(`[e2e] FAILED ${r.phase}: ${r.name}\n${(r.error ?? '').split('\n').slice(0, 12).join('\n')}`);
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(`screenshots: ${readdirSync(artifacts).filter((f) => f.endsWith('.png')).map((f) => path.join('test-artifacts/e2e', f)).join(', ') || 'none'}`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((e) => {
  results.push({ phase: 'run', name: 'harness', ok: false, error: String(e?.stack ?? e) });
}).finally(finish);
