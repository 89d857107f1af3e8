// deploy's build and copy (core/src/rollout/build.ts) with the real nix on this machine (Debian's nix-bin 2.8) and
// a real sshd on loopback: `nix build --json` of a flake's `nixosConfigurations.HOST.config.system.build.toplevel`
// into a chroot store (`store = local?root=…` in NIX_CONFIG, so the machine's own /nix is never written), then
// `nix copy --to ssh-ng://root@127.0.0.1?remote-store=local?root=…` with the NIX_SSHOPTS Update Host uses: nix's
// ssh runs `nix-daemon --stdio` on the "host" and the closure lands in the host's own chroot store. A NixOS toplevel
// cannot be built offline, so the flake's toplevel is a derivation with Nix's built-in `builtin:buildenv` builder
// (no nixpkgs, no /bin/sh in the build sandbox); what is built, copied and checked is a real store path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAndCopySystem, builtOutPath, copyDestination } from '#core/rollout';
import { REPO_ROOT, startSshd, type TestSshd } from '../fixtures/ops/sshd';

let work: string;
let sshd: TestSshd;
let knownHosts: string;
const saved = process.env.NIX_CONFIG;

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'rollout-build-'));
  mkdirSync(path.join(work, 'flake'));
  writeFileSync(
    path.join(work, 'flake/flake.nix'),
    `{
  outputs = { self }: {
    nixosConfigurations.gpu-a.config.system.build.toplevel = derivation {
      name = "nixos-system-gpu-a-test";
      system = "x86_64-linux";
      builder = "builtin:buildenv";
      derivations = "";
      manifest = "/dev/null";
    };
  };
}
`,
  );
  // nix reads NIX_CONFIG from the environment runLocal passes on: the build and the copy's source use a chroot store.
  process.env.NIX_CONFIG = [
    `store = local?root=${path.join(work, 'local')}`,
    'substituters =',
    'experimental-features = nix-command flakes',
  ].join('\n');
  sshd = await startSshd(1);
  knownHosts = path.join(work, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.hosts[0].port} ${sshd.hosts[0].hostKey}\n`);
});

after(async () => {
  if (saved === undefined) delete process.env.NIX_CONFIG;
  else process.env.NIX_CONFIG = saved;
  await sshd?.stopAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

const pathInfo = (store: string, p: string) =>
  execFileSync('nix', ['--extra-experimental-features', 'nix-command', 'path-info', '--store', store, p], { encoding: 'utf8' }).trim();

test("builds the host's toplevel and copies it into the host's store over ssh-ng", async () => {
  const remote = path.join(work, 'remote');
  const toplevel = await buildAndCopySystem({
    flakeDir: path.join(work, 'flake'),
    host: 'gpu-a',
    endpoint: sshd.hosts[0].endpoint(),
    knownHostsFile: knownHosts,
    remoteStore: `local?root=${remote}`,
  });
  assert.match(toplevel, /^\/nix\/store\/[a-z0-9]{32}-nixos-system-gpu-a-test$/);
  assert.ok(existsSync(path.join(work, 'local', toplevel)), 'built in the local chroot store');
  assert.ok(existsSync(path.join(remote, toplevel, 'manifest.nix')), "the output's files are in the host's store");
  assert.equal(pathInfo(`local?root=${remote}`, toplevel), toplevel, "registered as valid in the host's store database");
  assert.ok(!existsSync(toplevel), "the machine's own /nix/store is not touched");
});

test('a configuration the flake lacks and a host key nobody pinned fail with the step and nix last line', async () => {
  await assert.rejects(
    buildAndCopySystem({
      flakeDir: path.join(work, 'flake'),
      host: 'gpu-b',
      endpoint: sshd.hosts[0].endpoint(),
      knownHostsFile: knownHosts,
    }),
    /^Error: building gpu-b failed: .*does not provide attribute .*nixosConfigurations\.gpu-b/,
  );
  const empty = path.join(work, 'empty_known_hosts');
  writeFileSync(empty, '');
  await assert.rejects(
    buildAndCopySystem({
      flakeDir: path.join(work, 'flake'),
      host: 'gpu-a',
      endpoint: sshd.hosts[0].endpoint(),
      knownHostsFile: empty,
      remoteStore: `local?root=${path.join(work, 'remote2')}`,
    }),
    /^Error: copying gpu-a's system failed: /,
  );
  assert.ok(!existsSync(path.join(work, 'remote2')), 'nothing reached a host whose key is not known');
});

test('the out path comes from `nix build --json`; the destination carries the remote store encoded', () => {
  assert.equal(
    builtOutPath('[{"drvPath":"/nix/store/a-x.drv","outputs":{"out":"/nix/store/b-nixos-system-h"}}]\n'),
    '/nix/store/b-nixos-system-h',
  );
  assert.throws(() => builtOutPath('warning: Git tree is dirty\n'), /nix build printed no JSON/);
  assert.throws(() => builtOutPath('[]'), /named no out path/);
  const ep = { name: 'h', address: '127.0.0.1', port: 22, user: 'root' };
  assert.equal(copyDestination(ep), 'ssh-ng://root@127.0.0.1');
  assert.equal(copyDestination(ep, 'local?root=/srv/h'), 'ssh-ng://root@127.0.0.1?remote-store=local%3Froot%3D%2Fsrv%2Fh');
});

test('gpu-cluster deploy --flake --remote-store: the bundled CLI builds and copies before its preview', () => {
  const cli = path.join(REPO_ROOT, 'dist/cli.js');
  assert.ok(existsSync(cli), 'dist/cli.js is built (node scripts/build.mjs)');
  const h = sshd.hosts[0];
  const spec = path.join(work, 'spec');
  mkdirSync(spec);
  writeFileSync(
    path.join(spec, 'cluster.yaml'),
    [
      'cluster: { name: t, domain: t, nixpkgs: "github:NixOS/nixpkgs/nixos-26.05", system: x86_64-linux, stateVersion: "26.05" }',
      'hosts:',
      '  - name: gpu-a',
      '    addresses: [127.0.1.1]',
      '    roles: [nats-hub]',
      `    ssh: { address: 127.0.0.1, port: ${h.port}, user: root, identity: ${h.endpoint().identity}, hostKey: "${h.hostKey}" }`,
      '',
    ].join('\n'),
  );
  const remote = path.join(work, 'remote-cli');
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'deploy',
      spec,
      '--flake',
      path.join(work, 'flake'),
      '--remote-store',
      `gpu-a=local?root=${remote}`,
      '--known-hosts',
      knownHosts,
      '--preview',
      '--json',
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, SSH_AUTH_SOCK: '' } },
  );
  assert.match(r.stderr, /gpu-a: building and copying its system/);
  // this sshd host has no NixOS profile, so the preview after the copy fails; the copy itself is what is checked
  const [toplevel] = execFileSync(
    'nix',
    ['--extra-experimental-features', 'nix-command', 'path-info', '--store', `local?root=${remote}`, '--all'],
    {
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n');
  assert.match(toplevel, /-nixos-system-gpu-a-test$/, r.stderr);
  const preview = JSON.parse(r.stdout).previews[0];
  assert.equal(preview.host, 'gpu-a');
  assert.ok(preview.error, 'the preview ran after the copy (and failed on a host without profiles)');
});
