// The rollout's pure parts: the parsers of upstream tool output (nix store diff-closures, nix path-info -S,
// switch-to-configuration dry-activate), which GPU processes and exo instances a switch interrupts, host
// selection, the per-host state machine and the journal it is folded from, and the revert script's quoting.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  advance,
  canMove,
  checkOptions,
  DEFAULT_ROLLOUT_OPTIONS,
  foldJournal,
  hostLayout,
  IllegalTransitionError,
  initialStanding,
  interruptions,
  parseDiffClosures,
  parseDryActivate,
  parseGenerations,
  parsePathInfoSizes,
  readJournal,
  renderPreview,
  resumeAction,
  revertScript,
  RolloutJournal,
  selectHosts,
  summarizePackages,
  checkRolloutId,
  exoHealthCheck,
  heartbeatCheck,
  type RolloutStep,
  type RolloutTarget,
} from '../../core/src/rollout/index';
import type { ClusterSpec } from '#core/spec';

describe('nix store diff-closures', () => {
  it('reads the lines of the upstream documentation (NixOS/nix src/nix/diff-closures.md)', () => {
    const out = [
      'acpi-call: 2020-04-07-5.8.16 → 2020-04-07-5.8.18',
      'baloo-widgets: 20.08.1 → 20.08.2',
      'bluez-qt: +12.6 KiB',
      'dolphin: 20.08.1 → 20.08.2, +13.9 KiB',
      'kdeconnect: 20.08.2 → ∅, -6597.8 KiB',
      'kdeconnect-kde: ∅ → 20.08.2, +6599.7 KiB',
    ].join('\n');
    const { changes, unreadable } = parseDiffClosures(out);
    assert.deepEqual(unreadable, []);
    assert.deepEqual(
      changes.map((c) => [c.name, c.kind, c.before, c.after, c.sizeDelta]),
      [
        ['acpi-call', 'changed', ['2020-04-07-5.8.16'], ['2020-04-07-5.8.18'], undefined],
        ['baloo-widgets', 'changed', ['20.08.1'], ['20.08.2'], undefined],
        ['bluez-qt', 'resized', [], [], Math.round(12.6 * 1024)],
        ['dolphin', 'changed', ['20.08.1'], ['20.08.2'], Math.round(13.9 * 1024)],
        ['kdeconnect', 'removed', ['20.08.2'], [], Math.round(-6597.8 * 1024)],
        ['kdeconnect-kde', 'added', [], ['20.08.2'], Math.round(6599.7 * 1024)],
      ],
    );
    assert.deepEqual(summarizePackages(changes), {
      added: 1,
      removed: 1,
      changed: 3,
      sizeDelta: changes.reduce((s, c) => s + (c.sizeDelta ?? 0), 0),
    });
  });

  it('strips the ANSI colour around sizes, reads ε and several versions, and renderSize units', () => {
    const out = 'glibc: 2.39-52, 2.39-58 → 2.40-36, \u001b[31;1m+1.2 MiB\u001b[0m\nfoo-env: ε → ∅, \u001b[32;1m-10.0 KiB\u001b[0m\n';
    const { changes } = parseDiffClosures(out);
    assert.deepEqual(changes, [
      { name: 'glibc', before: ['2.39-52', '2.39-58'], after: ['2.40-36'], sizeDelta: Math.round(1.2 * 1024 * 1024), kind: 'changed' },
      { name: 'foo-env', before: [''], after: [], sizeDelta: -10240, kind: 'removed' },
    ]);
  });

  it('reports a line it cannot read instead of dropping it', () => {
    assert.deepEqual(parseDiffClosures('warning: something odd\n').unreadable, ['warning: something odd']);
  });
});

it('nix path-info -S: closure size per path', () => {
  const sizes = parsePathInfoSizes('/nix/store/aaa-nixos-system-a-25.05\t1546208504\n/nix/store/bbb-nixos-system-a-25.05   1547000000\n');
  assert.deepEqual(
    [...sizes],
    [
      ['/nix/store/aaa-nixos-system-a-25.05', 1546208504],
      ['/nix/store/bbb-nixos-system-a-25.05', 1547000000],
    ],
  );
});

describe('switch-to-configuration dry-activate', () => {
  // The lines and their order as switch-to-configuration.pl prints them (nixpkgs 037eeee3e0b9c14167c037ed0e9a7cfe7ba5c3b1).
  const output = [
    'would stop the following units: k3s.service, old-exporter.service',
    'would NOT stop the following changed units: systemd-journald.service',
    'would restart systemd',
    'would restart the following units: exo.service, nats.service',
    'would start the following units: gpu-cluster-agent.service, k3s.service',
    'would reload the following units: dbus.service',
  ].join('\n');
  it('reads every list', () => {
    assert.deepEqual(parseDryActivate(output), {
      stop: ['k3s.service', 'old-exporter.service'],
      notStopped: ['systemd-journald.service'],
      restart: ['exo.service', 'nats.service'],
      start: ['gpu-cluster-agent.service', 'k3s.service'],
      reload: ['dbus.service'],
      restartSystemd: true,
    });
  });
  it('an empty output means nothing changes', () => {
    assert.deepEqual(parseDryActivate(''), { stop: [], notStopped: [], restart: [], start: [], reload: [], restartSystemd: false });
  });

  it('names the GPU processes and exo instances the restarts interrupt', () => {
    const dry = parseDryActivate(output);
    const gpu = [
      { pid: 10, processName: 'python3', usedMemoryMiB: 100, gpuUuid: 'GPU-1', unit: 'exo.service' },
      { pid: 11, processName: 'train', usedMemoryMiB: 100, gpuUuid: 'GPU-2', unit: 'train.service' },
      { pid: 12, processName: 'stray', usedMemoryMiB: 100, gpuUuid: 'GPU-2' },
    ];
    const state = {
      instances: {
        i1: { MlxRingInstance: { instanceId: 'i1', shardAssignments: { modelId: 'llama-3.1-8b', nodeToRunner: { nodeA: 'r1' } } } },
        i2: { MlxRingInstance: { instanceId: 'i2', shardAssignments: { modelId: 'qwen', nodeToRunner: { nodeB: 'r2' } } } },
      },
    };
    const r = interruptions(dry, gpu, { state, nodeId: 'nodeA' });
    assert.deepEqual(
      r.gpuProcesses.map((g) => g.pid),
      [10],
    );
    assert.deepEqual(r.exoInstances, [{ instanceId: 'i1', modelId: 'llama-3.1-8b' }]);
    assert.deepEqual(interruptions(parseDryActivate('would start the following units: x.service'), gpu, { state, nodeId: 'nodeA' }), {
      gpuProcesses: [],
      exoInstances: [],
    });
  });
});

it('renders a preview as text', () => {
  const text = renderPreview({
    host: 'gpu-a',
    currentSystem: '/nix/store/a-sys',
    newSystem: '/nix/store/b-sys',
    unchanged: false,
    currentGeneration: 4,
    nextGeneration: 5,
    packages: parseDiffClosures('exo: 1.0 → 1.1, +100.0 KiB').changes,
    closureBefore: 1000,
    closureAfter: 103400,
    units: parseDryActivate('would restart the following units: exo.service'),
    interrupts: {
      gpuProcesses: [{ pid: 7, processName: 'python3', usedMemoryMiB: 512, gpuUuid: 'GPU-1', unit: 'exo.service' }],
      exoInstances: [],
    },
    unreadable: [],
  });
  assert.match(text, /generation 4/);
  assert.match(text, /packages: 0 added, 0 removed, 1 changed, closure \+100\.0 KiB/);
  assert.match(text, /changed exo: 1\.0 → 1\.1 \(\+100\.0 KiB\)/);
  assert.match(text, /units to restart: exo\.service/);
  assert.match(text, /pid 7 python3 \(exo\.service/);
});

describe('host selection and options', () => {
  const spec = {
    hosts: [
      { name: 'a', addresses: ['10.0.0.1'], tags: ['gpu'], interfaces: [{ name: 'eth0', kind: 'ethernet', segment: 'lab' }] },
      { name: 'b', addresses: ['10.0.0.2'], tags: ['cpu'], interfaces: [{ name: 'eth0', kind: 'ethernet', segment: 'edge' }] },
      { name: 'c', addresses: ['10.0.0.3'], tags: ['gpu'] },
    ],
  } as unknown as ClusterSpec;
  it('by name, tag or segment (any of them), in spec order; everything when empty', () => {
    assert.deepEqual(
      selectHosts(spec, {}).map((h) => h.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      selectHosts(spec, { tags: ['gpu'] }).map((h) => h.name),
      ['a', 'c'],
    );
    assert.deepEqual(
      selectHosts(spec, { segments: ['edge'], hosts: ['a'] }).map((h) => h.name),
      ['a', 'b'],
    );
  });
  it('a selector that matches nothing is an error', () => {
    assert.throws(() => selectHosts(spec, { hosts: ['zz'], tags: ['tpu'] }), /No host matches host "zz", tag "tpu"/);
  });
  it('checks options', () => {
    assert.doesNotThrow(() => checkOptions(DEFAULT_ROLLOUT_OPTIONS));
    assert.throws(() => checkOptions({ ...DEFAULT_ROLLOUT_OPTIONS, concurrency: 0 }), /concurrency/);
    assert.throws(() => checkOptions({ ...DEFAULT_ROLLOUT_OPTIONS, confirmTimeoutSec: 1 }), /confirmation timeout/);
  });
});

describe('state machine and journal', () => {
  const step = (host: string, phase: RolloutStep['phase'], facts?: RolloutStep['facts']): RolloutStep => ({
    rolloutId: 'r1',
    host,
    phase,
    at: '2026-01-01T00:00:00Z',
    facts,
  });
  it('allows the documented paths only', () => {
    assert.ok(canMove('pending', 'checkpointing'));
    assert.ok(canMove('confirming', 'reverting'));
    assert.equal(canMove('pending', 'done'), false);
    assert.equal(canMove('checkpointing', 'rolling-back'), false, 'a checkpoint failure never switches, so there is nothing to roll back');
    assert.equal(canMove('done', 'rolling-back'), false);
    assert.throws(() => advance(initialStanding('a'), step('a', 'checking')), IllegalTransitionError);
  });
  it('folds a journal into where each host stands, merging facts, and reports steps that do not follow', () => {
    const { hosts, problems } = foldJournal(
      'r1',
      ['a', 'b'],
      [
        step('a', 'switching', { previousGeneration: 3, newGeneration: 4 }),
        step('a', 'checking'),
        step('b', 'done'),
        { ...step('a', 'done'), rolloutId: 'other' },
      ],
    );
    assert.equal(hosts.get('a')!.phase, 'checking');
    assert.deepEqual(hosts.get('a')!.facts, { previousGeneration: 3, newGeneration: 4 });
    assert.equal(hosts.get('b')!.phase, 'pending');
    assert.deepEqual(problems, ['b: a rollout cannot go from pending to done']);
  });
  it('says what a resumed rollout does per phase', () => {
    assert.equal(resumeAction('pending'), 'start');
    assert.equal(resumeAction('checkpointing'), 'start');
    assert.equal(resumeAction('checking'), 'verify');
    assert.equal(resumeAction('reverting'), 'verify');
    assert.equal(resumeAction('done'), 'none');
    assert.equal(resumeAction('rolled-back'), 'none');
  });
  it('writes records before acting, emits them as events, and skips a torn last line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rollout-unit-'));
    try {
      const events: Array<{ aggregate: string; action: string }> = [];
      const j = new RolloutJournal(dir, 'r1', { record: (e) => events.push(e) });
      j.write({ kind: 'plan', plan: { rolloutId: 'r1', createdAt: '', hosts: ['a'], options: DEFAULT_ROLLOUT_OPTIONS, kind: 'update' } });
      j.write({ kind: 'step', step: step('a', 'switching') });
      appendFileSync(j.file, '{"kind":"step","step":{"rollo');
      const { records, problems } = readJournal(j.file);
      assert.equal(records.length, 2);
      assert.match(problems[0], /r1\.jsonl:3: unreadable record skipped/);
      assert.deepEqual(
        events.map((e) => `${e.aggregate}.${e.action}`),
        ['cluster.rollout-started', 'a.rollout-step'],
      );
      assert.throws(() => checkRolloutId('../x'), /not a rollout id/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('host side', () => {
  it('reads the profile generations', () => {
    const g = parseGenerations(
      'profile\tsystem-12-link\ngen\tsystem-11-link\t/nix/store/a-sys\ngen\tsystem-12-link\t/nix/store/b-sys\nrunning\t/nix/store/b-sys\n',
    );
    assert.equal(g.current, 12);
    assert.deepEqual(
      [...g.byNumber],
      [
        [11, '/nix/store/a-sys'],
        [12, '/nix/store/b-sys'],
      ],
    );
    assert.equal(g.running, '/nix/store/b-sys');
    assert.throws(() => parseGenerations('profile\t\n'), /no system profile generation/);
  });
  it("the revert script moves the profile back and runs the previous generation's switch; roots with shell syntax are refused", () => {
    const script = revertScript(hostLayout('/'), 11);
    assert.match(
      script,
      /ln -sfn system-11-link \/nix\/var\/nix\/profiles\/\.system-rollout-tmp && mv -Tf \/nix\/var\/nix\/profiles\/\.system-rollout-tmp \/nix\/var\/nix\/profiles\/system/,
    );
    assert.match(script, /exec \/nix\/var\/nix\/profiles\/system-11-link\/bin\/switch-to-configuration switch/);
    for (const bad of ['/tmp/$(reboot)', 'relative', '/a b', '/x/../etc', "/it's"])
      assert.throws(() => hostLayout(bad), /not a usable host root/);
  });
});

describe('health checks beyond units', () => {
  const target = { name: 'gpu-a', endpoint: { name: 'gpu-a', address: '127.0.0.1', port: 22, user: 'root' } } as unknown as RolloutTarget;
  const answer = (body: unknown, status = 200): typeof fetch =>
    (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;
  const state = (runner: Record<string, unknown>, nodes = ['nodeA']) => ({
    topology: { nodes },
    nodeIdentities: { nodeA: { friendlyName: 'gpu-a' } },
    instances: { i1: { MlxRingInstance: { instanceId: 'i1', shardAssignments: { modelId: 'm', nodeToRunner: { nodeA: 'r1' } } } } },
    runners: { r1: runner },
  });
  // gpu-a runs exo (an exo role); exo names its node after the host (friendlyName), as the explorer matches it.
  const spec = {
    cluster: { name: 'lab', domain: 'lab' },
    hosts: [
      { name: 'gpu-a', addresses: ['127.0.0.1'], roles: ['exo-worker'] },
      { name: 'hub', addresses: ['127.0.0.2'], roles: ['nats-server'] },
    ],
  } as unknown as ClusterSpec;
  const check = (f: typeof fetch, t: RolloutTarget = target) => exoHealthCheck(spec, { fetch: f }).check(t, undefined);
  it('exo: healthy when the node is back and its runners did not fail', async () => {
    assert.equal(await check(answer(state({ RunnerReady: {} }))), undefined);
  });
  it('exo: says what is wrong', async () => {
    assert.match((await check(answer(state({ RunnerReady: {} }, []))))!, /no exo node of gpu-a is back in exo's topology/);
    assert.match(
      (await check(answer(state({ RunnerFailed: { errorMessage: 'CUDA out of memory' } }))))!,
      /runner r1 on node nodeA is failed: CUDA out of memory/,
    );
    assert.match((await check(answer({}, 503)))!, /answered 503/);
    assert.match(
      (await check((async () => {
        throw new Error('ECONNREFUSED');
      }) as typeof fetch))!,
      /ECONNREFUSED/,
    );
  });
  it('exo: a host without exo passes without asking', async () => {
    const hub = { ...target, name: 'hub' } as RolloutTarget;
    assert.equal(
      await check(
        (async () => {
          throw new Error('must not be asked');
        }) as typeof fetch,
        hub,
      ),
      undefined,
    );
  });
  it('agent heartbeat: a sample received after the checks began, on hosts that run the agent', async () => {
    const withNats = { ...spec, nats: { url: 'nats://127.0.0.2:4222' } } as unknown as ClusterSpec;
    let clock = 1000;
    let last: number | undefined;
    const hb = heartbeatCheck(
      withNats,
      () => last,
      () => clock,
    );
    assert.match((await hb.check(target, undefined))!, /no telemetry/);
    last = 999;
    clock = 1500;
    assert.match((await hb.check(target, undefined))!, /no telemetry/, 'a sample from before the checks began does not count');
    last = 1001;
    assert.equal(await hb.check(target, undefined), undefined);
    // Without nats.url the flake gives no host an agent: nothing to wait for.
    assert.equal(await heartbeatCheck(spec, () => undefined).check(target, undefined), undefined);
  });
});
