// Debian packages the project needs outside npm, installed on demand so `npm start` and `npm test` work on a
// fresh machine: as root with apt-get they are installed; otherwise the exact command to run is printed.
import { spawnSync } from 'node:child_process';

export const DEBIAN_PACKAGES = {
  /** code-server builds native modules (kerberos needs the GSSAPI headers). */
  codeServer: ['libkrb5-dev', 'build-essential', 'python3'],
  /** The end-to-end tests drive VS Code in Chromium. */
  browser: ['chromium'],
  /** Real servers and tools the integration tests talk to. */
  tests: [
    'nats-server',
    'openssh-server',
    'openssh-client',
    'nix-bin',
    'criu',
    'iproute2',
    'procps',
    'util-linux',
    'openssl',
    'git',
    'strace',
  ],
};

const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

export function ensureDebianPackages(names, log = (m) => console.log(m)) {
  if (!ok('dpkg', ['--version'])) {
    log(`not a Debian system: make sure these (or their equivalents) are installed: ${names.join(' ')}`);
    return;
  }
  const missing = [...new Set(names)].filter((n) => !ok('dpkg', ['-s', n]));
  if (missing.length === 0) return;
  const command = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0 || !ok('apt-get', ['--version'])) {
    throw new Error(`missing Debian packages: ${missing.join(', ')}. Install them with: sudo apt-get update && sudo ${command}`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...missing],
  ]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed; run it yourself: ${command}`);
  }
}
