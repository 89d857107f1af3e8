// End-to-end tests in real VS Code: code-server (VS Code 1.139, extension host on Node 24) driven by
// Playwright in Chromium. Builds the extension, links it into a fresh extensions folder, opens copies of
// examples/lab and runs, side by side in two browser windows of one code-server:
//   - the extension-host suite (mocha, test/e2e/suite/*.test.ts), run inside the extension host by the
//     test-only runner extension (test/e2e/runner/) in a window on its own copy of examples/lab;
//   - the UI checks (test/e2e/ui/*.ui.mjs), one after another in a window on a second copy, driven through the page;
//   - then the guard (test/e2e/guard.mjs): every example opened unchanged, trusted and in Restricted Mode, in a
//     code-server traced with strace, asserting that nothing connects to a machine the user did not ask for;
//   - then `npm start` as a new user runs it (test/e2e/start.mjs).
// The workspace copies of the first two have the example's 10.x addresses moved to 127.x (copyOnLoopback).
// Prints `e2e: N passed, M failed` (scripts/test.mjs reads it) and exits non-zero on failures.
// Screenshots go to test-artifacts/e2e/*.png, logs of the run to test-artifacts/e2e/logs/.
//
// Adding tests (both kinds are picked up automatically):
//   - test/e2e/suite/<area>.test.ts: mocha BDD (describe/it) with the `vscode` API; helpers in suite/util.ts.
//     The same files run under @vscode/test-electron (`npm run test:electron`) where VS Code can be downloaded.
//   - test/e2e/ui/<area>.ui.mjs: `export const checks = [{ name, run: async (ui) => { ... } }]`, where `ui` is
//     a Workbench (test/e2e/workbench.mjs: runCommand, openFile, goTo, problems, suggestions, shot, ...).
//     Checks run in file-name order in one window; each starts with editors closed and saves its own
//     screenshots with ui.shot(name). A check throws to fail. A check with `untrusted: true` runs instead in
//     a window in Restricted Mode (a second code-server with workspace trust on), on its own copy of the example.
// Options: --grep <text> runs only suite tests and UI checks whose names contain <text> (`--grep guard`: the guard); --no-build uses dist/
// as it is (scripts/test.mjs has just built it); KEEP_E2E=1 keeps the temporary folder for inspection.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  createWriteStream,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, ensureBuilt, ensureCodeServer24, repoRoot } from './setup.mjs';
import { buildSuite } from './suite-build.mjs';
import { Workbench } from './workbench.mjs';
import { GUARD_MODES, runGuard, traceCommand } from './guard.mjs';
import { runStartCheck } from './start.mjs';
import { onLoopback } from '../fixtures/loopback.mjs';

const SUITE_TIMEOUT_MS = 6 * 60_000; // generous: it shares 2 cores with the UI checks
const CHECK_TIMEOUT_MS = 150_000; // bounds a hung check; a busy 2-core machine needs room
const RUN_TIMEOUT_MS = 15 * 60_000; // the guard phase traces two more code-servers

const t0 = Date.now();
const log = (m) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const grepArg = process.argv.indexOf('--grep');
const grep = grepArg > 0 ? process.argv[grepArg + 1] : undefined;
const artifacts = path.join(repoRoot, 'test-artifacts', 'e2e');
const results = []; // { phase, name, ok, error? }
const servers = []; // code-server children, each the leader of its own process group
let browser;
let runDir; // temporary: profiles, extensions folders, workspace copies; removed at the end

const running = (child) => child.exitCode === null && child.signalCode === null;
/** Stops each code-server and everything it started (extension hosts, language servers): the whole group. */
function killServerGroups(signal) {
  for (const child of servers) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  }
}
/** The processes of a process group other than its leader (from /proc). */
function groupMembers(pgid) {
  const members = [];
  for (const pid of readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)) {
    try {
      // The fields after the command name, which may itself hold spaces and parentheses: state ppid pgrp ...
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (pid !== pgid && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) members.push(pid);
    } catch {
      /* gone meanwhile */
    }
  }
  return members;
}

/**
 * Stops one code-server and waits for it to exit. A traced one is led by strace: its tracees are stopped first,
 * so strace sees them exit, writes out its log and ends by itself.
 */
async function stopGroup(child, { traced = false } = {}) {
  const signal = (pids) => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  };
  if (traced) signal(groupMembers(child.pid));
  else {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  for (let i = 0; i < 160 && running(child); i++) await sleep(125);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
async function stopServers() {
  killServerGroups('SIGTERM');
  for (let i = 0; i < 40 && servers.some(running); i++) await sleep(125);
  // Children that outlive their leader keep the group id: make sure none is left.
  killServerGroups('SIGKILL');
}
process.on('exit', () => killServerGroups('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    killServerGroups('SIGKILL');
    process.exit(130);
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(child, url, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!running(child)) throw new Error(`code-server exited with ${child.exitCode ?? child.signalCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/**
 * Starts a code-server on a free loopback port with its own profile (`user-<name>`) and extensions folder
 * (`ext-<name>`), and returns its base URL. `trusted: false` leaves workspace trust on, so folders open in
 * Restricted Mode.
 */
async function startCodeServer({ codeServer, env: node24 }, { name, trusted, env, trace }) {
  const port = await freePort();
  const home = path.join(runDir, 'home');
  log(`starting code-server "${name}" on 127.0.0.1:${port}${trace ? ' under strace' : ''}`);
  const out = createWriteStream(path.join(runDir, `code-server-${name}.log`));
  const [command, ...prefix] = trace ? [...traceCommand(trace), codeServer] : [codeServer];
  const child = spawn(
    command,
    [
      ...prefix,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      ...(trusted ? ['--disable-workspace-trust'] : []),
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--user-data-dir',
      path.join(runDir, `user-${name}`),
      '--extensions-dir',
      path.join(runDir, `ext-${name}`),
    ],
    {
      detached: true, // own process group, so the whole tree can be stopped at once
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...node24,
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_DATA_HOME: path.join(home, '.local', 'share'),
        XDG_CACHE_HOME: path.join(home, '.cache'),
        ...env,
      },
    },
  );
  servers.push(child);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${base}/healthz`, 60_000);
  return { base, stop: () => stopGroup(child, { traced: Boolean(trace) }) };
}

const USER_SETTINGS = {
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
  // Untrusted windows open in Restricted Mode without asking.
  'security.workspace.trust.startupPrompt': 'never',
  // The DOM renderer keeps terminal text readable by the checks (deploy steps).
  'terminal.integrated.gpuAcceleration': 'off',
};

/**
 * Copies an example with every address 10.a.b.c moved to 127.(a + offset).b.c on loopback: checks that connect to
 * the cluster then reach closed loopback ports (or the servers they start there), never the example's addresses,
 * which belong to someone else's network. (The guard phase opens the examples unchanged.) The windows run side by
 * side in one network namespace, so each gets its own offset: a server one starts is not found by the other.
 */
function copyOnLoopback(from, to, offset) {
  cpSync(from, to, { recursive: true });
  for (const file of readdirSync(to, { recursive: true })
    .map(String)
    .filter((f) => /\.ya?ml$/.test(f))) {
    const at = path.join(to, file);
    writeFileSync(at, onLoopback(readFileSync(at, 'utf8'), offset));
  }
}
/** The loopback offset of each workspace copy (see copyOnLoopback); the suite's tests use 127.100.x. */
const LOOPBACK_OFFSET = { 'ws-suite': 100, 'ws-ui': 0, 'ws-untrusted': 50 };

/**
 * Fresh profiles and extensions folders (product linked; the suite runner only where the suite runs) for the
 * trusted and the untrusted server, and a copy of examples/lab for each window.
 */
/** A profile (`user-<name>`) and extensions folder (`ext-<name>`) for one code-server, with `extensions` linked. */
function prepareProfile(dir, name, extensions) {
  const manifest = (p) => JSON.parse(readFileSync(path.join(p, 'package.json'), 'utf8'));
  mkdirSync(path.join(dir, `user-${name}`, 'User'), { recursive: true });
  writeFileSync(path.join(dir, `user-${name}`, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  mkdirSync(path.join(dir, `ext-${name}`));
  for (const src of extensions) {
    const m = manifest(src);
    // code-server rejects --extensionDevelopmentPath; a folder named publisher.name-version is scanned instead.
    symlinkSync(src, path.join(dir, `ext-${name}`, `${m.publisher}.${m.name}-${m.version}`));
  }
}

function prepareRunDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gpu-cluster-e2e-'));
  const runner = path.join(repoRoot, 'test', 'e2e', 'runner');
  prepareProfile(dir, 'trusted', [repoRoot, runner]);
  prepareProfile(dir, 'untrusted', [repoRoot]);
  for (const mode of GUARD_MODES) prepareProfile(dir, `guard-${mode}`, [repoRoot]);
  for (const [ws, offset] of Object.entries(LOOPBACK_OFFSET))
    copyOnLoopback(path.join(repoRoot, 'examples', 'lab'), path.join(dir, ws), offset);
  // The suite opens a (one-folder) multi-root workspace: tests may add folders to it, which in a plain folder
  // window would turn it into a workspace and restart the extension host mid-suite.
  writeFileSync(path.join(dir, 'suite.code-workspace'), JSON.stringify({ folders: [{ path: 'ws-suite' }] }));
  mkdirSync(path.join(dir, 'home'));
  // The extension host takes its environment from a login shell (VS Code resolves the shell environment), so
  // the stand-ins for tools that would wipe a machine go on the PATH there: nixos-anywhere and nixos-rebuild
  // log in to the loopback test host with the real ssh client, print the real step lines, and fail at the boot
  // loader on cue, so a deploy runs every step the user watches without installing anything.
  writeFileSync(
    path.join(dir, 'home', '.profile'),
    [
      `export PATH=${JSON.stringify(path.join(repoRoot, 'test/fixtures/ops/local-bin'))}:"$PATH"`,
      'export NIXOS_ANYWHERE_FAIL=bootloader',
      '',
    ].join('\n'),
  );
  return dir;
}

/** Opens a folder, or a .code-workspace file, in the page and waits for the workbench. */
async function openWorkbench(page, base, target) {
  const query = target.endsWith('.code-workspace') ? 'workspace' : 'folder';
  // Generous bounds for a busy machine: they only bound the wait.
  await page.goto(`${base}/?${query}=${encodeURIComponent(target)}`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
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
      throw new Error(
        `the suite did not finish in ${SUITE_TIMEOUT_MS / 1000}s; ${r?.running ? `still running: ${r.running}` : 'no test started'} (logs: test-artifacts/e2e/logs)`,
      );
    }
    await sleep(250);
    r = read();
  }
  await new Workbench(page, { workspace: '', artifacts }).shot('suite-window');
  for (const t of r.tests ?? []) results.push({ phase: 'suite', name: t.title, ok: t.state === 'passed', error: t.error });
  for (const figure of r.figures ?? []) log(`figure: ${figure}`);
  if (r.crashed) throw new Error(`the suite did not finish: ${r.crashed}`);
  if (r.tests.length === 0 && !grep) throw new Error('the suite ran no tests');
}

async function loadChecks() {
  const dir = path.join(repoRoot, 'test', 'e2e', 'ui');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ui.mjs'))
        .sort()
    : [];
  const checks = [];
  for (const f of files) {
    const area = f.replace(/\.ui\.mjs$/, '');
    try {
      const mod = await import(pathToFileURL(path.join(dir, f)).href);
      for (const c of mod.checks ?? []) checks.push({ ...c, name: `${area}: ${c.name}` });
    } catch (e) {
      // A broken file fails its own area and nothing else.
      checks.push({
        name: `${area}: loads`,
        run: () => {
          throw e;
        },
      });
    }
  }
  return checks.filter((c) => !grep || c.name.includes(grep));
}

/** Runs UI checks one after another in a window on `folder` (under the run folder). */
async function runUiChecks(page, base, checks, folder) {
  if (checks.length === 0) return;
  log(`${checks.length} UI checks in ${folder}`);
  const workspace = path.join(runDir, folder);
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
        sleep(CHECK_TIMEOUT_MS).then(() => {
          throw new Error(`timed out after ${CHECK_TIMEOUT_MS / 1000}s`);
        }),
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
  for (const name of ['trusted', 'untrusted']) {
    const logsRoot = path.join(runDir, `user-${name}`, 'logs');
    if (existsSync(logsRoot)) cpSync(logsRoot, path.join(dest, `vscode-${name}`), { recursive: true });
    const cs = path.join(runDir, `code-server-${name}.log`);
    if (existsSync(cs)) cpSync(cs, path.join(dest, `code-server-${name}.log`));
  }
}

/** Runs `work`; a throw becomes one failed result (with a screenshot) instead of ending the run. */
function guarded(name, page, work) {
  return work().catch(async (e) => {
    results.push({ phase: 'run', name, ok: false, error: String(e?.stack ?? e) });
    await page?.screenshot({ path: path.join(artifacts, `FAILED-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
  });
}

async function main() {
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  if (!process.argv.includes('--no-build')) ensureBuilt({ log: (m) => log(m) });
  const suiteEntry = await buildSuite();
  const tools = ensureCodeServer24({ log: (m) => log(m) });
  runDir = prepareRunDir();
  const checks = await loadChecks();
  try {
    const untrusted = checks.filter((c) => c.untrusted);
    // Started now so its startup overlaps the other windows; its checks run after the trusted ones.
    const untrustedServer =
      untrusted.length > 0 ? startCodeServer(tools, { name: 'untrusted', trusted: false, env: {} }).then((s) => s.base) : undefined;
    untrustedServer?.catch(() => {}); // awaited (and reported) below
    const { base } = await startCodeServer(tools, {
      name: 'trusted',
      trusted: true,
      env: {
        GPU_CLUSTER_E2E_SUITE: suiteEntry,
        GPU_CLUSTER_E2E_RESULTS: path.join(runDir, 'suite-results.json'), // also marks the suite as started
        GPU_CLUSTER_E2E_WORKSPACE: path.join(runDir, 'ws-suite'),
        ...(grep ? { GPU_CLUSTER_E2E_GREP: grep } : {}),
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
      ],
    });
    // The suite window needs no input, so it only has to stay open while the UI checks drive another
    // window: they run side by side. Each page gets its own context (own focus, own storage).
    const newPage = async () => (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const [suitePage, uiPage] = await Promise.all([newPage(), newPage()]);
    const suite = guarded('extension-host suite', suitePage, () => runSuite(suitePage, base)).then(() =>
      log(
        `suite done: ${results.filter((r) => r.phase === 'suite' && r.ok).length}/${results.filter((r) => r.phase === 'suite').length} passed`,
      ),
    );
    await guarded('UI window', uiPage, () =>
      runUiChecks(
        uiPage,
        base,
        checks.filter((c) => !c.untrusted),
        'ws-ui',
      ),
    );
    if (untrustedServer) {
      await guarded('untrusted window', uiPage, async () => runUiChecks(uiPage, await untrustedServer, untrusted, 'ws-untrusted'));
    }
    await suite;
    // Last, on its own servers: opening the examples, untouched, contacts nothing (test/e2e/guard.mjs).
    if (!grep || grep.startsWith('guard')) {
      await guarded('guard', undefined, async () => {
        const byMode = await runGuard({ startCodeServer: (o) => startCodeServer(tools, o), newPage, log, runDir });
        for (const r of byMode.flat()) {
          results.push(r);
          log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}`);
        }
      });
    }
    // The README's first command, as a new user runs it (test/e2e/start.mjs).
    if (!grep || grep.startsWith('npm start')) {
      await guarded('npm start', undefined, async () => {
        const shot = (page, name) => new Workbench(page, { workspace: '', artifacts }).shot(name);
        await runStartCheck({ newPage, freePort, runDir, log, shot });
        results.push({ phase: 'start', name: 'npm start serves VS Code with the extension on examples/lab', ok: true });
        log('  ok   npm start serves VS Code with the extension on examples/lab');
      });
    }
  } finally {
    await browser?.close().catch(() => {});
    await stopServers();
    collectLogs();
    if (process.env.KEEP_E2E === '1') log(`kept ${runDir}`);
    else rmSync(runDir, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  console.error(`[e2e] the whole run exceeded ${RUN_TIMEOUT_MS / 60_000} minutes`);
  results.push({ phase: 'run', name: 'time limit', ok: false });
  killServerGroups('SIGKILL');
  if (runDir && process.env.KEEP_E2E !== '1') rmSync(runDir, { recursive: true, force: true });
  finish();
}, RUN_TIMEOUT_MS);

function finish() {
  clearTimeout(watchdog);
  for (const r of results.filter((x) => !x.ok))
    console.log(`[e2e] FAILED ${r.phase}: ${r.name}\n${(r.error ?? '').split('\n').slice(0, 12).join('\n')}`);
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(
    `screenshots: ${
      readdirSync(artifacts)
        .filter((f) => f.endsWith('.png'))
        .map((f) => path.join('test-artifacts/e2e', f))
        .join(', ') || 'none'
    }`,
  );
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main()
  .catch((e) => {
    results.push({ phase: 'run', name: 'harness', ok: false, error: String(e?.stack ?? e) });
  })
  .finally(finish);
