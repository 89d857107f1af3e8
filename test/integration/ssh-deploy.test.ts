// Deploy and update flows: our argv reaches a nixos-anywhere stand-in (it would wipe the machine) that logs in to a real
// sshd test host with the -i/-p we pass, prints the real tool's step lines and fails on cue. Steps are parsed
// in order, the facter report lands in the flake, failures become actionable messages, cancel stops it.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deployHost, facterReportPath, type DeployStep } from '../../core/src/ops/deploy';
import { MissingToolError, updateHost } from '#core/ops';
import { appendKnownHost, parsePublicKey } from '../../core/src/ssh/hostKeys';
import { pidsMatching, REPO_ROOT, startSshd, type TestSshd } from '../fixtures/ops/sshd';

let sshd: TestSshd;
let flakeDir: string;
const envPath = `${path.join(REPO_ROOT, 'test/fixtures/ops/local-bin')}:${process.env.PATH}`;

before(async () => {
  sshd = await startSshd(1);
  flakeDir = mkdtempSync(path.join(os.tmpdir(), 'ops-flake-'));
});

after(async () => {
  await sshd?.stopAll();
  rmSync(flakeDir, { recursive: true, force: true });
  delete process.env.NIXOS_ANYWHERE_FAIL;
  delete process.env.NIXOS_ANYWHERE_SLOW;
});

const request = () => ({ flakeDir, host: 'test-1', endpoint: sshd.hosts[0].endpoint() });

describe('deploy', () => {
  it('runs nixos-anywhere against the host, following its steps and writing the facter report', async () => {
    const steps: DeployStep[] = [];
    let output = '';
    const outcome = await deployHost(request(), { envPath, onStep: (s) => steps.push(s), onData: (c) => (output += c) });
    assert.equal(outcome.ok, true, output);
    assert.deepEqual(
      steps.map((s) => s.label),
      [
        'Uploading install SSH keys',
        'Gathering machine facts',
        'Switching into the kexec installer',
        'Generating the hardware report',
        'Formatting disks with disko',
        'Copying the system closure',
        'Installing NixOS',
        'Rebooting',
        'Waiting for the reboot',
        'Done',
      ],
    );
    assert.ok(steps.every((s, i) => i === 0 || s.fraction > steps[i - 1].fraction));
    assert.equal(steps.at(-1)!.fraction, 1);
    const report = JSON.parse(readFileSync(facterReportPath(flakeDir, 'test-1'), 'utf8'));
    assert.equal(report.system, 'x86_64-linux', 'the stand-in read uname over real ssh with our -i and -p');
  });

  it('passes the chosen phases: without kexec there is no kexec step', async () => {
    const steps: string[] = [];
    const outcome = await deployHost(
      { ...request(), phases: ['disko', 'install'], generateHardwareConfig: false },
      { envPath, onStep: (s) => steps.push(s.raw) },
    );
    assert.equal(outcome.ok, true);
    assert.ok(!steps.includes('Switching system into kexec'));
    assert.ok(!steps.includes('Rebooting'));
    assert.ok(steps.includes('Installing NixOS'));
  });

  for (const [cue, kind, phrase] of [
    ['kexec', 'kexec-unreachable', /did not come back reachable after switching into the kexec installer/],
    ['disko', 'missing-disko-script', /no disko script: give the host `disks`/],
    ['bootloader', 'bootloader', /Installing the boot loader failed/],
  ] as const) {
    it(`explains a ${cue} failure`, async () => {
      process.env.NIXOS_ANYWHERE_FAIL = cue;
      try {
        const outcome = await deployHost(request(), { envPath });
        assert.equal(outcome.ok, false);
        assert.equal(outcome.failure?.kind, kind);
        assert.match(outcome.failure!.message, phrase);
        assert.ok(outcome.failure!.evidence);
      } finally {
        delete process.env.NIXOS_ANYWHERE_FAIL;
      }
    });
  }

  it('cancel stops nixos-anywhere and everything it started', async () => {
    process.env.NIXOS_ANYWHERE_SLOW = '1';
    const controller = new AbortController();
    try {
      const run = deployHost(request(), {
        envPath,
        signal: controller.signal,
        onStep: (s) => s.raw === 'Installing NixOS' && controller.abort(),
      });
      const outcome = await run;
      assert.equal(outcome.cancelled, true);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.failure, undefined);
      assert.deepEqual(pidsMatching('sleep 600'), []);
    } finally {
      delete process.env.NIXOS_ANYWHERE_SLOW;
    }
  });

  it('says how to get nixos-anywhere when it is missing', async () => {
    await assert.rejects(deployHost(request(), { envPath: '/nonexistent' }), (err: Error) => {
      assert.ok(err instanceof MissingToolError);
      assert.match(err.message, /nix run github:nix-community\/nixos-anywhere --/);
      return true;
    });
  });
});

describe('update', () => {
  it('nixos-rebuild reaches the host through NIX_SSHOPTS with strict checking against the managed known_hosts', async () => {
    const host = sshd.hosts[0];
    const knownHostsFile = path.join(flakeDir, 'managed_known_hosts');
    await appendKnownHost(knownHostsFile, '127.0.0.1', host.port, parsePublicKey(host.hostKey));
    let output = '';
    const outcome = await updateHost(
      { flakeDir, host: 'test-1', system: 'x86_64-linux', endpoint: host.endpoint(), knownHostsFile },
      { envPath, onData: (c) => (output += c) },
    );
    assert.equal(outcome.ok, true, output);
    assert.match(output, /switching to configuration test-1/);
  });

  it('fails, naming the reason, when the host key is not pinned', async () => {
    const host = sshd.hosts[0];
    const knownHostsFile = path.join(flakeDir, 'empty_known_hosts');
    const outcome = await updateHost(
      { flakeDir, host: 'test-1', system: 'x86_64-linux', endpoint: host.endpoint(), knownHostsFile },
      { envPath },
    );
    assert.equal(outcome.ok, false);
    assert.match(outcome.message, /nixos-rebuild failed: .*(Host key verification failed|No .* host key is known)/);
  });
});
