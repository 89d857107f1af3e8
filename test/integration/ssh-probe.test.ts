// Probing real sshd test hosts: facts parsed from the real machine (kernel, memory, OS) and the recorded
// nvidia-smi stand-in; fan-out over 8 hosts honours its concurrency limit and reports each host on its own;
// pre-flight checks see this machine as it is (a container: no kexec; no /dev/nvme0n1).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SshPool, type SshEndpoint } from '#core/ssh';
import { fanOut, preflight, probeHost } from '#core/ops';
import { argv } from '../../core/src/ssh/quote';
import type { HostSpec } from '#core/spec';
import { freePort, RecordingPolicy, startSshd, type TestSshd } from '../fixtures/ops/sshd';

let sshd: TestSshd;
let state: string;
let pool: SshPool;

before(async () => {
  state = mkdtempSync(path.join(os.tmpdir(), 'ops-probe-state-'));
  sshd = await startSshd(8, { env: { OPS_FIXTURE_STATE: state } });
  pool = new SshPool({ policy: new RecordingPolicy([], () => assert.fail('keys are pinned')), auth: { agent: '' } });
});

after(async () => {
  pool?.closeAll();
  await sshd?.stopAll();
  rmSync(state, { recursive: true, force: true });
});

const endpoint = (i: number): SshEndpoint => sshd.hosts[i].endpoint({ hostKey: sshd.hosts[i].hostKey });

describe('probe', () => {
  it('gathers OS, architecture, kernel, memory, GPUs and service states', async () => {
    const facts = await probeHost(pool, endpoint(0), ['exo', 'nats']);
    assert.equal(facts.kernelName, 'Linux');
    assert.equal(facts.arch, os.arch() === 'x64' ? 'x86_64' : facts.arch);
    assert.equal(facts.kernelRelease, os.release());
    assert.equal(facts.system, 'x86_64-linux');
    assert.equal(facts.isNixos, false);
    assert.equal(facts.osName, /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]);
    const memDiff = Math.abs(facts.memory!.totalBytes - os.totalmem());
    assert.ok(memDiff < 4 * 1024 * 1024, `memory ${facts.memory!.totalBytes} vs ${os.totalmem()}`);
    assert.equal(facts.gpus.length, 2);
    assert.deepEqual(
      facts.gpus.map((g) => [g.index, g.name, g.memoryTotalMiB, g.memoryUsedMiB, g.utilizationPct, g.temperatureC]),
      [
        [0, 'NVIDIA GeForce RTX 4090', 24564, 18211, 87, 71],
        [1, 'NVIDIA GeForce RTX 4090', 24564, 3, 0, 34],
      ],
    );
    assert.equal(facts.nvidiaDriver, '550.54.14');
    // No systemd in this sandbox: states are unknown rather than guessed.
    assert.deepEqual(facts.services, { exo: 'unknown', nats: 'unknown' });
  });

  it('reports a failing nvidia-smi as a GPU problem, not as a crash', async () => {
    writeFileSync(path.join(state, 'nvidia-smi.fail'), '');
    try {
      const facts = await probeHost(pool, endpoint(1), []);
      assert.equal(facts.gpus.length, 0);
      assert.match(facts.gpuProblems[0], /nvidia-smi failed \(exit 18\): Failed to initialize NVML/);
    } finally {
      rmSync(path.join(state, 'nvidia-smi.fail'));
    }
  });
});

describe('fan-out', () => {
  it('probes 8 hosts with at most 3 at once; an unreachable host fails alone', async () => {
    const deadPort = await freePort();
    const targets = [
      ...sshd.hosts.map((_, i) => endpoint(i)),
      { name: 'gone', address: '127.0.0.1', port: deadPort, user: 'root', identity: sshd.userKey },
    ];
    let inFlight = 0;
    let peak = 0;
    const finished: string[] = [];
    const results = await fanOut(
      targets,
      async (ep, signal) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        try {
          return await probeHost(pool, ep, ['exo'], { signal });
        } finally {
          inFlight--;
        }
      },
      { limit: 3, onResult: (r) => finished.push(r.item.name) },
    );
    assert.equal(peak, 3);
    assert.equal(finished.length, 9);
    const ok = results.filter((r) => r.ok);
    assert.equal(ok.length, 8);
    const failed = results.find((r) => !r.ok)!;
    assert.equal(failed.item.name, 'gone');
    assert.ok(!failed.ok && /connection refused/.test(failed.error.message));
    assert.deepEqual(new Set(ok.map((r) => r.ok && r.value.host)), new Set(sshd.hosts.map((h) => h.name)));
  });

  it('cancelling a fan-out stops the running probes and skips the rest', async () => {
    const controller = new AbortController();
    const targets = sshd.hosts.map((_, i) => endpoint(i));
    const started: string[] = [];
    const run = fanOut(
      targets,
      async (ep, signal) => {
        started.push(ep.name);
        if (started.length === 2) controller.abort();
        return pool.exec(ep, argv(['sleep', '30']), { signal });
      },
      { limit: 2, signal: controller.signal },
    );
    const results = await run;
    assert.ok(results.every((r) => !r.ok && r.cancelled));
    assert.equal(started.length, 2);
  });
});

describe('pre-flight', () => {
  const host = (disks: string[]): HostSpec => ({
    name: 'test-1',
    addresses: ['127.0.0.1'],
    disks: disks.map((device) => ({ device, layout: 'ext4' as const })),
  });

  it('checks privileges, memory, architecture, kexec and disks on the real machine', async () => {
    const r = await preflight(pool, endpoint(0), host(['/dev/loop0', '/dev/nvme0n1']), 'x86_64-linux');
    const by = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    assert.equal(by.reachable.ok, true);
    assert.equal(by.privileges.ok, true);
    assert.match(by.privileges.detail, /root/);
    assert.equal(by.memory.ok, true);
    assert.equal(by.architecture.ok, true);
    assert.equal(by.disks.ok, false);
    assert.match(by.disks.detail, /not found on the machine: \/dev\/nvme0n1$/);
    assert.equal(r.ok, false);
  });

  it('refuses an architecture mismatch', async () => {
    const r = await preflight(pool, endpoint(0), host(['/dev/loop0']), 'aarch64-linux');
    const arch = r.checks.find((c) => c.id === 'architecture')!;
    assert.equal(arch.ok, false);
    assert.equal(arch.detail, 'the machine is x86_64-linux, the spec says aarch64-linux');
  });
});
