// Pure parts of the operations: tool output parsers, command-line builders, failure classification,
// checkpoint and exo document readers, the fan-out, and what reaches the explorer's store.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { parseNvidiaApps, parseNvidiaGpus, parseRocmSmi } from '../../core/src/ops/nvidiaSmi';
import { nixSystemOf, parseProbeOutput } from '../../core/src/ops/probe';
import { classifyDeployFailure, nixosAnywhereArgs, parseStepLine } from '../../core/src/ops/deploy';
import { nixosRebuildArgs, nixSshOpts } from '../../core/src/ops/update';
import { exoServiceCommand, waitForExo, type Fetch } from '../../core/src/ops/exo';
import {
  criuDumpArgs,
  criuRestoreArgs,
  checkpointId,
  checkpointSettings,
  evaluatePrerequisites,
  kubeletCheckpointPath,
  parseManifests,
  unitFromCgroup,
} from '../../core/src/ops/checkpoint';
import { evaluatePreflight } from '../../core/src/ops/preflight';
import { fanOut, servicesForRoles } from '#core/ops';
import { findOnPath, MissingToolError, requireTool } from '../../core/src/ops/tools';
import { probeToHostFacts } from '../../client/src/ops/probeFacts';

const endpoint = { name: 'gpu-2', address: '10.0.0.11', port: 2222, user: 'root', identity: '/keys/id_ed25519' };

describe('nvidia-smi and rocm-smi', () => {
  it('parses GPUs, treating [N/A] as unknown', () => {
    const { gpus, driverVersion } = parseNvidiaGpus('0, NVIDIA A100 80GB PCIe, GPU-aa, 81920, [N/A], [Not Supported], 41, 550.90.07\n');
    assert.equal(driverVersion, '550.90.07');
    assert.deepEqual(gpus, [
      {
        index: 0,
        vendor: 'nvidia',
        name: 'NVIDIA A100 80GB PCIe',
        uuid: 'GPU-aa',
        memoryTotalMiB: 81920,
        memoryUsedMiB: undefined,
        utilizationPct: undefined,
        temperatureC: 41,
      },
    ]);
    assert.throws(
      () => parseNvidiaGpus('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'),
      /Unexpected nvidia-smi output/,
    );
  });

  it('parses compute apps and the empty case', () => {
    assert.deepEqual(parseNvidiaApps('No running processes found\n'), []);
    assert.deepEqual(parseNvidiaApps('123, /usr/bin/python3, 4000, GPU-aa\n'), [
      { pid: 123, processName: '/usr/bin/python3', usedMemoryMiB: 4000, gpuUuid: 'GPU-aa' },
    ]);
  });

  it('parses rocm-smi JSON', () => {
    const json = JSON.stringify({
      card1: {
        'Card series': 'Instinct MI210',
        'VRAM Total Memory (B)': '68702699520',
        'VRAM Total Used Memory (B)': '10485760',
        'GPU use (%)': '12',
        'Temperature (Sensor edge) (C)': '35.0',
      },
      card0: {
        'Card series': 'Radeon RX 7900 XTX',
        'VRAM Total Memory (B)': '25753026560',
        'VRAM Total Used Memory (B)': '0',
        'GPU use (%)': '0',
        'Temperature (Sensor edge) (C)': '30.0',
      },
      system: { 'Driver version': '6.7.0' },
    });
    const gpus = parseRocmSmi(json);
    assert.deepEqual(
      gpus.map((g) => [g.index, g.name, g.memoryTotalMiB, g.memoryUsedMiB, g.utilizationPct, g.temperatureC]),
      [
        [0, 'Radeon RX 7900 XTX', 24560, 0, 0, 30],
        [1, 'Instinct MI210', 65520, 10, 12, 35],
      ],
    );
  });
});

describe('probe output', () => {
  it('reads a Mac (no /proc/meminfo, no systemd, no nvidia-smi)', () => {
    const out = [
      '@@uname',
      'Darwin',
      'arm64',
      '24.1.0',
      '@@os-release',
      '@@meminfo',
      'MemBytes: 206158430208',
      '@@nvidia',
      '@@absent',
      '@@rocm',
      '@@absent',
      '@@services',
      'exo.service ',
      '@@end',
      '',
    ].join('\n');
    const f = parseProbeOutput('mac-studio', out, ['exo'], new Date('2026-01-01T00:00:00Z'));
    assert.equal(f.system, 'aarch64-darwin');
    assert.equal(f.osName, 'macOS');
    assert.equal(f.memory?.totalBytes, 206158430208);
    assert.deepEqual(f.services, { exo: 'unknown' });
    assert.deepEqual(f.gpus, []);
  });

  it('recognises the NixOS installer and service states', () => {
    const out = [
      '@@uname',
      'Linux',
      'x86_64',
      '6.6.1',
      '@@os-release',
      'ID=nixos',
      'VARIANT_ID=installer',
      'PRETTY_NAME="NixOS 25.05 (Warbler)"',
      '@@meminfo',
      'MemTotal:       16318412 kB',
      'MemAvailable:   15000000 kB',
      '@@nvidia',
      '@@absent',
      '@@rocm',
      '@@absent',
      '@@services',
      'exo.service active',
      'nats.service failed',
      '@@end',
    ].join('\n');
    const f = parseProbeOutput('hub-1', out, ['exo', 'nats', 'k3s']);
    assert.equal(f.isNixos, true);
    assert.equal(f.isInstaller, true);
    assert.equal(f.memory?.availableBytes, 15000000 * 1024);
    assert.deepEqual(f.services, { exo: 'active', nats: 'failed', k3s: 'unknown' });
    const facts = probeToHostFacts(f);
    assert.equal(facts.status, 'running');
    assert.deepEqual(facts.services, { exo: { status: 'running' }, nats: { status: 'failed' }, k3s: { status: 'unknown' } });
    assert.match(facts.statusDetail!, /NixOS installer · x86_64 · kernel 6\.6\.1/);
  });

  it('refuses output cut short', () => {
    assert.throws(() => parseProbeOutput('x', '@@uname\nLinux\n', []), /cut short/);
  });

  it('maps platforms to nix systems', () => {
    assert.equal(nixSystemOf('Linux', 'aarch64'), 'aarch64-linux');
    assert.equal(nixSystemOf('Linux', 'riscv64'), undefined);
    assert.deepEqual(servicesForRoles(['exo-worker', 'nats-leaf', 'checkpoint-agent', 'exo-api']), ['exo', 'nats']);
  });
});

describe('deploy', () => {
  it('builds the nixos-anywhere argument vector', () => {
    const args = nixosAnywhereArgs({
      flakeDir: '/work/flake',
      host: 'gpu-2',
      endpoint: { ...endpoint, jump: { name: 'hub-1', address: '10.0.0.10', port: 22, user: 'ops' } },
      phases: ['disko', 'install'],
      buildOn: 'remote',
    });
    assert.deepEqual(args, [
      '--flake',
      '/work/flake#gpu-2',
      '--target-host',
      'root@10.0.0.11',
      '-p',
      '2222',
      '-i',
      '/keys/id_ed25519',
      '--ssh-option',
      'ProxyJump=ops@10.0.0.10:22',
      '--generate-hardware-config',
      'nixos-facter',
      '/work/flake/hosts/gpu-2/facter.json',
      '--phases',
      'disko,install',
      '--build-on',
      'remote',
    ]);
    assert.throws(() => nixosAnywhereArgs({ flakeDir: '/x', host: 'a#b', endpoint }), /not a host name/);
    assert.throws(() => nixosAnywhereArgs({ flakeDir: '/x#y', host: 'a', endpoint }), /contains '#'/);
  });

  it('parses step lines and leaves other lines alone', () => {
    assert.equal(parseStepLine('### Formatting hard drive with disko ###')?.label, 'Formatting disks with disko');
    assert.equal(parseStepLine('### Something new ###')?.index, -1);
    assert.equal(parseStepLine('building /nix/store/…'), undefined);
  });

  it('only blames kexec for a timeout after the kexec step', () => {
    const before = ['### Uploading install SSH keys ###', 'ssh: connect to host 10.0.0.11 port 22: Connection timed out'];
    assert.equal(classifyDeployFailure(before).kind, 'unknown');
    const afterKexec = ['### Switching system into kexec ###', 'ssh: connect to host 10.0.0.11 port 22: Connection timed out'];
    assert.equal(classifyDeployFailure(afterKexec).kind, 'kexec-unreachable');
    assert.equal(classifyDeployFailure(['Permission denied (publickey).']).kind, 'ssh-auth');
    assert.match(classifyDeployFailure(['aborted: something odd']).message, /aborted: something odd/);
  });
});

describe('update', () => {
  it('builds nixos-rebuild arguments and NIX_SSHOPTS', () => {
    assert.deepEqual(nixosRebuildArgs({ flakeDir: '/f', host: 'gpu-2', system: 'x86_64-linux', endpoint: { ...endpoint, user: 'ops' } }), [
      'switch',
      '--flake',
      '/f#gpu-2',
      '--target-host',
      'ops@10.0.0.11',
      '--use-remote-sudo',
    ]);
    assert.equal(
      nixSshOpts(endpoint, '/store/known_hosts'),
      `-p 2222 -o StrictHostKeyChecking=yes -o BatchMode=yes -i /keys/id_ed25519 -o IdentitiesOnly=yes -o UserKnownHostsFile=/store/known_hosts -o GlobalKnownHostsFile=${os.homedir()}/.ssh/known_hosts`,
    );
    assert.throws(() => nixSshOpts({ ...endpoint, identity: '/my keys/id' }), /whitespace/);
  });
});

describe('exo', () => {
  it('builds service commands for root, sudo users and Macs', () => {
    assert.equal(exoServiceCommand('restart', endpoint).text, 'systemctl restart exo.service');
    assert.equal(exoServiceCommand('stop', { ...endpoint, user: 'admin' }).text, 'sudo -n systemctl stop exo.service');
    assert.equal(exoServiceCommand('stop', { ...endpoint, user: 'admin' }, true).text, 'sudo -n launchctl bootout system/org.exo.node');
  });
});

describe('exo API client', () => {
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('waits through refused connections and a cluster without the node, until the node is present', async () => {
    const answers: (() => Response)[] = [
      () => {
        throw new TypeError('fetch failed');
      },
      () => json({ topology: { nodes: [] } }),
      () => json({ topology: { nodes: ['node-a'] } }),
    ];
    const seen: string[] = [];
    const attempts: string[] = [];
    const fetchFn: Fetch = async (url) => {
      seen.push(String(url));
      return answers.shift()!();
    };
    const state = await waitForExo({
      baseUrl: 'http://10.0.0.10:52415',
      nodePresent: (s) => (s as { topology: { nodes: string[] } }).topology.nodes.includes('node-a'),
      fetch: fetchFn,
      intervalMs: 1,
      onAttempt: (a) => attempts.push(a.answered ? 'answered' : `no: ${a.error}`),
    });
    assert.deepEqual(state, { topology: { nodes: ['node-a'] } });
    assert.deepEqual(seen, Array(3).fill('http://10.0.0.10:52415/state'));
    assert.deepEqual(attempts, ['no: fetch failed', 'answered']);
  });

  it('gives up with the last reason', async () => {
    await assert.rejects(
      waitForExo({ baseUrl: 'http://x', nodePresent: () => false, fetch: async () => json({}, 503), intervalMs: 5, timeoutMs: 30 }),
      /exo did not come up: timed out after 0 s \(http:\/\/x\/state answered 503\)/,
    );
  });
});

describe('checkpoints', () => {
  it('refuses with every reason at once', () => {
    const r = evaluatePrerequisites('@@arch\naarch64\n@@driver\n\n@@criu\nmissing\n@@cuda-checkpoint\n/usr/bin/cuda-checkpoint\n@@end\n');
    assert.deepEqual(r.reasons, [
      'cuda-checkpoint needs an x86_64 host; this one is aarch64',
      'no NVIDIA driver answers (nvidia-smi is missing or failing)',
      'criu is not installed on the host',
    ]);
  });

  it('needs driver 570 (the lock with a timeout), not just 550 where cuda-checkpoint first ran', () => {
    const at = (driver: string) =>
      evaluatePrerequisites(
        `@@arch\nx86_64\n@@driver\n${driver}\n@@criu\n/usr/bin/criu\n@@cuda-checkpoint\n/usr/bin/cuda-checkpoint\n@@end\n`,
      );
    assert.deepEqual(at('550.54.14').reasons, [
      "NVIDIA driver 550.54.14 is too old: checkpointing needs 570 or newer (cuda-checkpoint's lock with a timeout came with driver 570)",
    ]);
    assert.deepEqual(at('565.57.01').reasons.length, 1);
    assert.equal(at('570.86.10').ok, true);
    assert.equal(at('580.65.06').ok, true);
  });

  it('builds criu command lines from the settings', () => {
    const s = checkpointSettings({
      storage: { kind: 'local', path: '/ckpt' },
      criu: { shellJob: true, tcpEstablished: true, leaveRunning: true, extraArgs: ['--ext-unix-sk'] },
    });
    assert.equal(s.baseDir, '/ckpt');
    assert.deepEqual(criuDumpArgs(42, '/ckpt/x', s), [
      'criu',
      'dump',
      '--tree',
      '42',
      '--images-dir',
      '/ckpt/x',
      '--log-file',
      'dump.log',
      '--shell-job',
      '--tcp-established',
      '--leave-running',
      '--ext-unix-sk',
    ]);
    const m = { imagesDir: '/ckpt/x', criu: { shellJob: true, tcpEstablished: false } } as Parameters<typeof criuRestoreArgs>[0];
    assert.deepEqual(criuRestoreArgs(m), [
      'criu',
      'restore',
      '--images-dir',
      '/ckpt/x',
      '--restore-detached',
      '--pidfile',
      '/ckpt/x/restore.pid',
      '--log-file',
      'restore.log',
      '--shell-job',
    ]);
    assert.equal(checkpointSettings(undefined).baseDir, '/var/lib/gpu-cluster/checkpoints');
  });

  it('finds the unit in /proc/PID/cgroup, makes safe ids, reads manifests', () => {
    assert.equal(unitFromCgroup('0::/system.slice/exo.service\n'), 'exo.service');
    assert.equal(unitFromCgroup('0::/user.slice/user-0.slice/session-3.scope\n'), undefined);
    assert.equal(checkpointId('hub-1', 42, new Date('2026-11-22T01:02:03.456Z')), 'hub-1-42-20261122T010203Z');
    const { manifests, unreadable } = parseManifests(
      '\n@@manifest /c/a/manifest.json\n{"version":1,"id":"a","pid":1,"createdAt":"2026-01-01"}\n@@manifest /c/b/manifest.json\n{oops\n',
    );
    assert.deepEqual(
      manifests.map((m) => m.id),
      ['a'],
    );
    assert.deepEqual(unreadable, ['/c/b/manifest.json']);
  });

  it('builds the kubelet checkpoint path and refuses names that are not Kubernetes names', () => {
    assert.equal(kubeletCheckpointPath({ namespace: 'default', pod: 'vllm-0', container: 'server' }), '/checkpoint/default/vllm-0/server');
    assert.throws(() => kubeletCheckpointPath({ namespace: 'default', pod: '../../x', container: 'c' }), /not a Kubernetes name/);
  });
});

describe('pre-flight evaluation', () => {
  it('accepts an installer without kexec and refuses a small machine', () => {
    const out = [
      '@@id',
      '1000',
      '@@sudo',
      'yes',
      '@@uname',
      'Linux',
      'x86_64',
      '@@mem',
      'MemTotal: 1048576 kB',
      '@@os-release',
      'ID=nixos',
      'VARIANT_ID=installer',
      '@@kexec',
      'missing',
      '@@container',
      'none',
      '@@disks',
      'present /dev/sda',
      '@@end',
    ].join('\n');
    const r = evaluatePreflight({ name: 'x', addresses: [], disks: [{ device: '/dev/sda', layout: 'ext4' }] }, 'x86_64-linux', out);
    const by = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    assert.equal(by.privileges.ok, true);
    assert.equal(by.kexec.ok, true);
    assert.match(by.kexec.detail, /already running a NixOS installer/);
    assert.equal(by.memory.ok, false);
    assert.match(by.memory.detail, /1\.0 GiB RAM \(the kexec installer needs at least 1\.5 GB\)/);
    assert.equal(by.disks.ok, true);
  });
});

describe('fan-out', () => {
  it('keeps results in input order, bounds concurrency, and skips what has not started after cancel', async () => {
    let running = 0;
    let peak = 0;
    const controller = new AbortController();
    const results = await fanOut(
      [1, 2, 3, 4, 5, 6],
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        if (n === 3) controller.abort(); // 1 is still running: it finishes, 4–6 never start
        await new Promise((r) => setTimeout(r, 10 * (7 - n)));
        running--;
        if (n === 2) throw new Error('two fails');
        return n * 10;
      },
      { limit: 2, signal: controller.signal },
    );
    assert.equal(peak, 2);
    assert.deepEqual(
      results.map((r) => (r.ok ? r.value : r.error.message)),
      [10, 'two fails', 30, 'Cancelled before it started.', 'Cancelled before it started.', 'Cancelled before it started.'],
    );
  });
});

describe('local tools', () => {
  it('finds programs on PATH and names the command that provides a missing one', async () => {
    assert.equal(await findOnPath('sh', '/nonexistent:/bin'), '/bin/sh');
    await assert.rejects(
      requireTool('nixos-anywhere', '/nonexistent'),
      (e: Error) => e instanceof MissingToolError && /nix-shell -p nixos-anywhere/.test(e.message),
    );
  });
});
