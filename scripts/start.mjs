// `npm start`: opens examples/lab in VS Code with this extension loaded, from a fresh clone in one command.
// Installs npm dependencies when node_modules is missing and builds dist/. Then:
//   - with a desktop VS Code (`code` on PATH): `code --extensionDevelopmentPath=<repo> examples/lab`;
//   - without one: installs Node 24 and code-server once into .cache/e2e/ (test/e2e/setup.mjs, shared with
//     the end-to-end tests), links the extension into .cache/start/extensions, serves VS Code on 127.0.0.1
//     and prints the URL to open. Runs until Ctrl-C, which stops code-server and everything it started.
// PORT=8080 picks the port (default: 8080, or a free one when that is taken); GPU_CLUSTER_USE_CODE_SERVER=1 uses
// code-server even when `code` exists.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { ensureBuilt, ensureCodeServer24, repoRoot } from '../test/e2e/setup.mjs';

const log = (m) => console.log(`start: ${m}`);
const workspace = path.join(repoRoot, 'examples', 'lab');

ensureBuilt({ log });

const code = spawnSync('code', ['--version'], { stdio: 'ignore' });
if (code.status === 0 && !process.env.GPU_CLUSTER_USE_CODE_SERVER) {
  log(`opening ${workspace} in VS Code with the extension from ${repoRoot}`);
  const r = spawnSync('code', [`--extensionDevelopmentPath=${repoRoot}`, workspace], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

log('no desktop VS Code ("code") found: serving VS Code in the browser with code-server');
const { codeServer, env } = ensureCodeServer24({ log });

const stateDir = path.join(repoRoot, '.cache', 'start');
const extensionsDir = path.join(stateDir, 'extensions');
mkdirSync(path.join(stateDir, 'user', 'User'), { recursive: true });
mkdirSync(extensionsDir, { recursive: true });
const settings = path.join(stateDir, 'user', 'User', 'settings.json');
if (!existsSync(settings)) {
  writeFileSync(
    settings,
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'chat.disableAIFeatures': true,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
      },
      null,
      2,
    ),
  );
}
// code-server has no --extensionDevelopmentPath: a folder named publisher.name-version in the extensions
// folder is loaded instead. Re-link every time so a moved clone or a version bump is picked up.
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const prefix = `${manifest.publisher}.${manifest.name}-`;
for (const entry of readdirSync(extensionsDir)) {
  if (entry.startsWith(prefix) && lstatSync(path.join(extensionsDir, entry)).isSymbolicLink()) rmSync(path.join(extensionsDir, entry));
}
symlinkSync(repoRoot, path.join(extensionsDir, `${prefix}${manifest.version}`));

// Our own config file, so code-server leaves ~/.config/code-server alone; the flags below win over it.
const configFile = path.join(stateDir, 'config.yaml');
writeFileSync(configFile, 'auth: none\ncert: false\n');

function portFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
function anyFreePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
const wanted = Number(process.env.PORT ?? 8080);
const port = (await portFree(wanted)) ? wanted : await anyFreePort();

const server = spawn(
  codeServer,
  [
    '--config',
    configFile,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    path.join(stateDir, 'user'),
    '--extensions-dir',
    extensionsDir,
  ],
  { env, detached: true, stdio: ['ignore', 'ignore', 'inherit'] },
);

const stop = () => {
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    /* already stopped */
  }
};
process.on('SIGINT', () => {
  stop();
  process.exit(0);
});
process.on('SIGTERM', () => {
  stop();
  process.exit(0);
});
process.on('exit', stop);
server.on('exit', (exitCode, signal) => {
  log(`code-server stopped (${signal ?? exitCode})`);
  process.exit(exitCode === 0 ? 0 : 1);
});

const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 240; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch {
    /* starting */
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.log(`\n  VS Code with the Nix GPU Cluster extension: ${base}/?folder=${encodeURIComponent(workspace)}\n  (Ctrl-C stops it)\n`);
