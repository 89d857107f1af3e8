// Installs, once, what running the extension in real VS Code needs on a machine without a desktop VS Code:
// Node 24 (code-server requires it; taken from the npm registry, which ships headers so native modules build
// offline) and code-server. Everything lands in `.cache/e2e/` at the repo root and is reused by later runs.
// Chromium comes from the system (apt `chromium`); playwright-core is a devDependency of the repo.
// Shared by `npm start` (scripts/start.mjs) and the end-to-end run (test/e2e/run.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { DEBIAN_PACKAGES, ensureDebianPackages } from '../../scripts/system-packages.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cacheDir = path.join(repoRoot, '.cache', 'e2e');
export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const nodeDir = path.join(cacheDir, `node-${NODE_VERSION}`);
const codeServerDir = path.join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
const npmFlags = ['--no-audit', '--no-fund', '--no-update-notifier'];

// What a nested install or code-server may take from the caller's environment. Everything else is left out on
// purpose: under `npm start`/`npm test`, npm exports its own script environment (NODE, npm_node_execpath,
// npm_config_nodedir, npm_config_user_agent, node_modules/.bin on PATH, ...), all naming the Node that runs npm,
// and code-server's postinstall then checks that Node instead of Node 24.
const PASSED_THROUGH =
  /^(HOME|USER|LOGNAME|SHELL|TERM|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|XDG_[A-Z_]+|DISPLAY|SSL_CERT_(FILE|DIR)|NODE_EXTRA_CA_CERTS|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|npm_config_(registry|cafile|proxy|https_proxy|noproxy|strict_ssl|userconfig|globalconfig|cache))$/;

/**
 * An environment built for Node 24 rather than inherited: the variables above, Node 24 and its headers first on
 * PATH (the system npm then runs on Node 24 and node-gyp builds against its headers), and PATH without the
 * caller's node_modules/.bin folders.
 */
export function node24Env(base = process.env) {
  const env = Object.fromEntries(Object.entries(base).filter(([k, v]) => v !== undefined && PASSED_THROUGH.test(k)));
  const systemPath = (base.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(path.delimiter)
    .filter((dir) => dir && !/node_modules[\\/]\.bin$|node-gyp-bin$/.test(dir));
  return { ...env, PATH: [path.join(nodeDir, 'bin'), ...systemPath].join(path.delimiter), npm_config_nodedir: nodeDir };
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal ?? r.error?.message}):\n${tail}`);
  }
  return r.stdout;
}

function ensureNode24(log) {
  const bin = path.join(nodeDir, 'bin', 'node');
  if (existsSync(path.join(nodeDir, '.complete'))) return bin;
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (process.platform !== 'linux' || !arch)
    throw new Error(`no Node 24 package for ${process.platform}-${process.arch}; install code-server yourself`);
  log(`installing Node ${NODE_VERSION} from the npm registry (node-linux-${arch})`);
  const dl = path.join(cacheDir, 'dl');
  mkdirSync(dl, { recursive: true });
  const tgz = run('npm', ['pack', ...npmFlags, '--silent', `node-linux-${arch}@${NODE_VERSION}`], { cwd: dl })
    .trim()
    .split('\n')
    .pop();
  rmSync(nodeDir, { recursive: true, force: true });
  mkdirSync(nodeDir, { recursive: true });
  run('tar', ['xzf', path.join(dl, tgz), '-C', nodeDir, '--strip-components=1']);
  if (!existsSync(path.join(nodeDir, 'include', 'node', 'node.h'))) throw new Error('the Node package has no headers (include/node)');
  writeFileSync(path.join(nodeDir, '.complete'), '');
  rmSync(path.join(dl, tgz), { force: true });
  return bin;
}

function ensureCodeServer(log) {
  const bin = path.join(codeServerDir, 'node_modules', '.bin', 'code-server');
  if (existsSync(path.join(codeServerDir, '.complete'))) return bin;
  log(`installing code-server ${CODE_SERVER_VERSION} (builds native modules; about 2 minutes, once)`);
  mkdirSync(codeServerDir, { recursive: true });
  writeFileSync(path.join(codeServerDir, 'package.json'), '{"name":"code-server-host","private":true}\n');
  run('npm', ['install', ...npmFlags, '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: codeServerDir,
    env: node24Env(),
  });
  writeFileSync(path.join(codeServerDir, '.complete'), '');
  return bin;
}

/**
 * Makes sure Node 24 and code-server are installed under `.cache/e2e/`; returns their paths.
 * Idempotent: a finished install leaves a `.complete` marker, an interrupted one is redone.
 */
export function ensureCodeServer24({ log = (m) => console.log(`setup: ${m}`) } = {}) {
  ensureDebianPackages(DEBIAN_PACKAGES.codeServer, log);
  mkdirSync(cacheDir, { recursive: true });
  const node = ensureNode24(log);
  const codeServer = ensureCodeServer(log);
  return { node, codeServer, env: node24Env() };
}

/** Runs `npm install` when node_modules is missing, then the esbuild bundles. */
export function ensureBuilt({ log = (m) => console.log(`setup: ${m}`), production = false } = {}) {
  if (!existsSync(path.join(repoRoot, 'node_modules', '.package-lock.json'))) {
    log('npm install (node_modules is missing)');
    run('npm', ['install', ...npmFlags], { cwd: repoRoot });
  }
  log('building dist/');
  run(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), ...(production ? ['--production'] : [])], { cwd: repoRoot });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const r = ensureCodeServer24();
  console.log(`setup: ready in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${r.codeServer}`);
}
