// The rollout over real SSH: sshd hosts on loopback, each with a NixOS-style profile of generations in the test
// root, the switch-to-configuration / systemd-run / systemctl / nix stand-ins at the edge (test/fixtures/rollout)
// and the GPU stand-ins (nvidia-smi, cuda-checkpoint; CRIU's stand-in where the real one cannot run here).
// Faults: a failed health check rolls back, a failed checkpoint never starts the switch, a host that cuts
// itself off reverts by its own timer, and a killed engine leaves a journal a new engine resumes from.

import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SshPool } from '#core/ssh';
import { EventOutbox } from '#core/nats';
import { checkpointSettings } from '#core/ops';
import type { ClusterSpec } from '#core/spec';
import {
  DEFAULT_ROLLOUT_OPTIONS,
  hostLayout,
  newRolloutId,
  specHealthChecks,
  previewHost,
  readJournal,
  resumeRollout,
  RolloutJournal,
  rolloutStatus,
  runRollout,
  type RolloutOptions,
  type RolloutPlanRecord,
  type RolloutTarget,
} from '../../core/src/rollout/index';
import { RecordingPolicy, REPO_ROOT } from '../fixtures/ops/sshd';
import { startGpuWorkload, stopWorkloads } from '../fixtures/ops/gpuWorkload';
import { startRolloutHosts, type RolloutHost, type SystemSpec } from '../fixtures/rollout/hosts';

const CURRENT: SystemSpec = {
  units: { 'exo.service': 'active', 'nats.service': 'active', 'sshd.service': 'active' },
  closure: [
    ['nixos-system', '25.05', 40_000],
    ['exo', '1.0.0', 900_000],
    ['nats-server', '2.10.22', 30_000_000],
    ['openssl', '3.0.14', 6_000_000],
    ['old-tool', '1.2', 50_000],
  ],
};
const NEXT = (over: Partial<SystemSpec> = {}): SystemSpec => ({
  units: { 'exo.service': 'active changed', 'nats.service': 'active', 'sshd.service': 'active', 'gpu-cluster-agent.service': 'active' },
  closure: [
    ['nixos-system', '25.05', 40_000],
    ['exo', '1.1.0', 1_000_000],
    ['nats-server', '2.10.22', 30_000_000],
    ['openssl', '3.0.15', 6_100_000],
    ['nvtop', '3.1.0', 700_000],
  ],
  ...over,
});
// The stand-in's units files hold "unit state"; a changed unit line ("active changed") is how it marks a unit whose
// definition changed, so the stand-in systemctl sees its state as the first word only.

const policy = new RecordingPolicy([], () => assert.fail('host keys are pinned'));
const pools: SshPool[] = [];
const newPool = () => {
  const p = new SshPool({ policy, auth: { agent: '' } });
  pools.push(p);
  return p;
};
let cleanup: Array<() => Promise<void>> = [];
const journalDir = mkdtempSync(path.join(os.tmpdir(), 'rollout-journal-'));
after(() => rmSync(journalDir, { recursive: true, force: true }));
afterEach(async () => {
  for (const p of pools.splice(0)) p.closeAll();
  for (const c of cleanup.splice(0)) await c();
});

async function hosts(names: string[]): Promise<RolloutHost[]> {
  const h = await startRolloutHosts(names, CURRENT);
  cleanup.push(h.stop);
  return h.hosts;
}

const options = (over: Partial<RolloutOptions> = {}): RolloutOptions => ({
  ...DEFAULT_ROLLOUT_OPTIONS,
  confirmTimeoutSec: 30,
  healthTimeoutSec: 2,
  ...over,
});
const target = (h: RolloutHost, newSystem: string | undefined, imagesDir: string): RolloutTarget => ({
  name: h.name,
  endpoint: h.endpoint,
  layout: hostLayout(h.root),
  newSystem,
  units: ['exo.service', 'nats.service'],
  checkpoint: { ...checkpointSettings({ storage: { kind: 'local', path: imagesDir } }), lockTimeoutMs: 5000 },
});
const profile = (h: RolloutHost) => readlinkSync(path.join(h.root, 'nix/var/nix/profiles/system'));
const running = (h: RolloutHost) => path.basename(readlinkSync(path.join(h.root, 'run/current-system')));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const started: number[] = [];
after(() => stopWorkloads(started));

/** A process on the host listed by the nvidia-smi stand-in as a GPU process of exo.service. */
async function gpuWorkload(h: RolloutHost, pool: SshPool, tag: number): Promise<number> {
  const pid = await startGpuWorkload(pool, h.endpoint, { stateDir: h.state, tag, started, name: 'python3' });
  const cg = path.join(h.root, 'proc', String(pid));
  (await import('node:fs')).mkdirSync(cg, { recursive: true });
  writeFileSync(path.join(cg, 'cgroup'), '0::/system.slice/exo.service\n');
  return pid;
}

function plan(hostsList: RolloutHost[], o: RolloutOptions, kind: 'update' | 'rollback' = 'update'): RolloutPlanRecord {
  return { rolloutId: newRolloutId(), createdAt: new Date().toISOString(), hosts: hostsList.map((h) => h.name), options: o, kind };
}

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('rollout over SSH', () => {
  it('previews the closure difference, the units and the interrupted GPU process', async () => {
    const [h] = await hosts(['gpu-a']);
    const pool = newPool();
    const next = h.addSystem('gen2', NEXT());
    const pid = await gpuWorkload(h, pool, 4101);
    const p = await previewHost(pool, h.endpoint, hostLayout(h.root), next);
    assert.equal(p.unchanged, false);
    assert.equal(path.basename(p.currentSystem), 'gen1-nixos-system-gpu-a');
    assert.deepEqual(
      p.packages.map((c) => [c.name, c.kind, c.before, c.after, c.sizeDelta]),
      [
        ['exo', 'changed', ['1.0.0'], ['1.1.0'], Math.round(97.7 * 1024)],
        ['nvtop', 'added', [], ['3.1.0'], Math.round(683.6 * 1024)],
        ['old-tool', 'removed', ['1.2'], [], Math.round(-48.8 * 1024)],
        ['openssl', 'changed', ['3.0.14'], ['3.0.15'], Math.round(97.7 * 1024)],
      ],
    );
    assert.equal(p.closureAfter! - p.closureBefore!, 850_000);
    assert.deepEqual([p.currentGeneration, p.nextGeneration], [1, 2]);
    assert.deepEqual(p.units.restart, ['exo.service']);
    assert.deepEqual(p.units.start, ['gpu-cluster-agent.service']);
    assert.deepEqual(
      p.interrupts.gpuProcesses.map((g) => [g.pid, g.unit]),
      [[pid, 'exo.service']],
    );
    assert.deepEqual(p.unreadable, []);
  });

  it('rolls two hosts out: checkpoint, switch, checks, restore, confirm over a fresh connection; every step journaled and an event', async () => {
    const hs = await hosts(['gpu-a', 'gpu-b']);
    const pool = newPool();
    const images = mkdtempSync(path.join(os.tmpdir(), 'rollout-images-'));
    cleanup.push(async () => rmSync(images, { recursive: true, force: true }));
    const pid = await gpuWorkload(hs[0], pool, 4102);
    const targets = hs.map((h) => target(h, h.addSystem('gen2', NEXT()), images));
    const outboxFile = path.join(journalDir, 'outbox.jsonl');
    const outbox = new EventOutbox({ file: outboxFile, log: () => {} });
    const p = plan(hs, options({ concurrency: 2 }));
    let freshPools = 0;
    const result = await runRollout(p, targets, {
      pool,
      freshPool: () => {
        freshPools++;
        return newPool();
      },
      journal: new RolloutJournal(journalDir, p.rolloutId, outbox),
      pollMs: 100,
    });
    assert.equal(result.ok, true, JSON.stringify(result.hosts.map((x) => [x.host, x.phase, x.detail])));
    assert.deepEqual(
      result.hosts.map((x) => x.history.map((s) => s.phase)),
      [
        ['checkpointing', 'switching', 'checking', 'restoring', 'confirming', 'done'],
        ['switching', 'checking', 'restoring', 'confirming', 'done'],
      ],
    );
    assert.equal(freshPools, 2, 'each confirmation on its own new connection');
    for (const h of hs) {
      assert.equal(profile(h), 'system-2-link');
      assert.equal(running(h), `gen2-nixos-system-${h.name}`);
      assert.equal(
        existsSync(path.join(h.root, 'run/systemd-standin', `gpu-cluster-revert-${p.rolloutId}.timer`)),
        false,
        'timer disarmed',
      );
    }
    // the GPU process was checkpointed before the switch and restored after it
    const cuda = readFileSync(path.join(hs[0].state, 'cuda-checkpoint.log'), 'utf8').trim().split('\n');
    assert.equal(cuda[0], `lock ${pid} timeout=5000`);
    assert.equal(cuda[1], `checkpoint ${pid}`);
    assert.match(cuda[2], /^restore \d+$/);
    const restoredPid = Number(cuda[2].split(' ')[1]);
    started.push(restoredPid);
    assert.ok(alive(restoredPid));
    // journal and events
    const status = rolloutStatus(path.join(journalDir, `${p.rolloutId}.jsonl`));
    assert.equal(status.finished, true);
    assert.deepEqual(
      status.hosts.map((x) => x.phase),
      ['done', 'done'],
    );
    const events = readFileSync(outboxFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event)
      .filter(Boolean);
    assert.deepEqual(
      events.filter((e) => e.aggregate === 'gpu-a').map((e) => `${e.action}:${e.data.phase}`),
      [
        'rollout-step:checkpointing',
        'rollout-step:switching',
        'rollout-step:checking',
        'rollout-step:restoring',
        'rollout-step:confirming',
        'rollout-step:done',
      ],
    );
    assert.deepEqual([events[0].action, events.at(-1).action], ['rollout-started', 'rollout-finished']);
    assert.ok(events.every((e) => e.correlationId === p.rolloutId));
    outbox.close();
  });

  it('a failed health check rolls the host back to its previous generation and restores the checkpoint there', async () => {
    const [h] = await hosts(['gpu-a']);
    const pool = newPool();
    const images = mkdtempSync(path.join(os.tmpdir(), 'rollout-images-'));
    cleanup.push(async () => rmSync(images, { recursive: true, force: true }));
    const pid = await gpuWorkload(h, pool, 4103);
    const bad = h.addSystem(
      'gen2',
      NEXT({ units: { 'exo.service': 'inactive changed', 'nats.service': 'active', 'sshd.service': 'active' } }),
    );
    const p = plan([h], options());
    const result = await runRollout(p, [target(h, bad, images)], {
      pool,
      freshPool: newPool,
      journal: new RolloutJournal(journalDir, p.rolloutId),
      pollMs: 100,
    });
    assert.equal(result.ok, false);
    const [standing] = result.hosts;
    assert.deepEqual(
      standing.history.map((s) => s.phase),
      ['checkpointing', 'switching', 'checking', 'rolling-back', 'rolled-back'],
    );
    assert.match(standing.history[3].detail!, /health check failed: exo.service is inactive/);
    assert.match(standing.detail!, /1 checkpoint\(s\) restored on generation 1/);
    assert.equal(profile(h), 'system-1-link');
    assert.equal(running(h), 'gen1-nixos-system-gpu-a');
    assert.deepEqual(
      readFileSync(path.join(h.root, 'switch.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => path.basename(l)),
      ['gen2-nixos-system-gpu-a', 'gen1-nixos-system-gpu-a'],
    );
    const cuda = readFileSync(path.join(h.state, 'cuda-checkpoint.log'), 'utf8').trim().split('\n');
    assert.deepEqual(cuda.slice(0, 2), [`lock ${pid} timeout=5000`, `checkpoint ${pid}`]);
    assert.match(cuda[2], /^restore \d+$/);
    started.push(Number(cuda[2].split(' ')[1]));
  });

  it('a failed checkpoint never starts the switch; with stop-on-failure the next host is not touched', async () => {
    const hs = await hosts(['gpu-a', 'gpu-b']);
    const pool = newPool();
    const images = mkdtempSync(path.join(os.tmpdir(), 'rollout-images-'));
    cleanup.push(async () => rmSync(images, { recursive: true, force: true }));
    const pid = await gpuWorkload(hs[0], pool, 4104);
    writeFileSync(path.join(hs[0].state, 'cuda-checkpoint.fail-lock'), '');
    const targets = hs.map((h) => target(h, h.addSystem('gen2', NEXT()), images));
    const p = plan(hs, options({ concurrency: 1, onFailure: 'stop' }));
    const result = await runRollout(p, targets, {
      pool,
      freshPool: newPool,
      journal: new RolloutJournal(journalDir, p.rolloutId),
      pollMs: 100,
    });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.hosts.map((x) => x.phase),
      ['failed', 'pending'],
    );
    assert.match(result.hosts[0].detail!, /checkpoint failed, the switch did not start/);
    for (const h of hs) {
      assert.equal(profile(h), 'system-1-link');
      assert.equal(existsSync(path.join(h.root, 'switch.log')), false, `${h.name} never switched`);
    }
    assert.ok(alive(pid), 'the GPU process keeps running');
  });

  it('a host whose new config cuts SSH off switches back by itself when its timer fires', async () => {
    const [h] = await hosts(['gpu-a']);
    const pool = newPool();
    const images = mkdtempSync(path.join(os.tmpdir(), 'rollout-images-'));
    cleanup.push(async () => rmSync(images, { recursive: true, force: true }));
    const cutoff = h.addSystem('gen2', NEXT({ cues: ['cut-ssh'] }));
    const p = plan([h], options({ confirmTimeoutSec: 5 }));
    const result = await runRollout(p, [target(h, cutoff, images)], {
      pool,
      freshPool: newPool,
      journal: new RolloutJournal(journalDir, p.rolloutId),
      pollMs: 100,
    });
    const [standing] = result.hosts;
    assert.equal(standing.phase, 'reverting', JSON.stringify(standing.history));
    assert.match(standing.detail!, /timer switches it back/);
    assert.equal(running(h), 'gen2-nixos-system-gpu-a', 'the new system ran and cut the host off');
    await waitFor('the timer to switch the host back', () => running(h) === 'gen1-nixos-system-gpu-a');
    assert.equal(profile(h), 'system-1-link');
    // once the host answers again, a resume records what happened
    await h.restartSshd();
    const resumed = await resumeRollout(path.join(journalDir, `${p.rolloutId}.jsonl`), [target(h, cutoff, images)], {
      pool: newPool(),
      freshPool: newPool,
      journal: new RolloutJournal(journalDir, p.rolloutId),
      pollMs: 100,
    });
    assert.equal(resumed.hosts[0].phase, 'rolled-back');
    assert.match(resumed.hosts[0].detail!, /switched back to generation 1 by its timer/);
  });

  it('an engine killed mid-switch leaves a journal that shows where each host stands, and a new engine finishes the rollout', async () => {
    const hs = await hosts(['gpu-a', 'gpu-b']);
    const images = mkdtempSync(path.join(os.tmpdir(), 'rollout-images-'));
    cleanup.push(async () => rmSync(images, { recursive: true, force: true }));
    const systems = hs.map((h) => h.addSystem('gen2', NEXT({ cues: ['slow-switch'] })));
    const p = plan(hs, options({ concurrency: 2, confirmTimeoutSec: 60 }));
    const config = path.join(journalDir, `${p.rolloutId}.child.json`);
    writeFileSync(config, JSON.stringify({ plan: p, journalDir, targets: hs.map((h, i) => target(h, systems[i], images)) }));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'out/test/fixtures/rollout/engineChild.js'), config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let childErr = '';
    child.stderr!.on('data', (d) => {
      childErr += d;
    });
    const journal = path.join(journalDir, `${p.rolloutId}.jsonl`);
    const switchRunning = (h: RolloutHost) =>
      existsSync(path.join(h.root, 'run/systemd-standin', `gpu-cluster-switch-${p.rolloutId}.service`));
    // killed while both switches run: journaled as switching, timers armed, the (slow) switch still going
    await waitFor(
      `both hosts switching (engine: ${childErr})`,
      () => existsSync(journal) && rolloutStatus(journal).hosts.every((x) => x.phase === 'switching') && hs.every(switchRunning),
      120_000,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const status = rolloutStatus(journal);
    assert.equal(status.finished, false);
    assert.deepEqual(
      status.hosts.map((x) => [x.host, x.phase, x.facts.previousGeneration, x.facts.newGeneration]),
      [
        ['gpu-a', 'switching', 1, 2],
        ['gpu-b', 'switching', 1, 2],
      ],
    );
    // the switches themselves run on in their transient units
    assert.ok(
      hs.every((h) => running(h) === `gen1-nixos-system-${h.name}`),
      'killed before a switch finished',
    );
    const resumed = await resumeRollout(
      journal,
      hs.map((h, i) => target(h, systems[i], images)),
      { pool: newPool(), freshPool: newPool, journal: new RolloutJournal(journalDir, p.rolloutId), pollMs: 100 },
    );
    assert.equal(resumed.ok, true, JSON.stringify(resumed.hosts.map((x) => [x.phase, x.detail])));
    assert.deepEqual(
      resumed.hosts.map((x) => x.history.map((s) => s.phase)),
      [
        ['switching', 'checking', 'restoring', 'confirming', 'done'],
        ['switching', 'checking', 'restoring', 'confirming', 'done'],
      ],
    );
    for (const h of hs) {
      assert.equal(running(h), `gen2-nixos-system-${h.name}`);
      assert.equal(
        readFileSync(path.join(h.root, 'switch.log'), 'utf8').trim().split('\n').length,
        1,
        'the switch that was running is waited for, not run twice',
      );
      assert.equal(existsSync(path.join(h.root, 'run/systemd-standin', `gpu-cluster-revert-${p.rolloutId}.timer`)), false);
    }
    const records = readJournal(journal).records;
    assert.equal(records.filter((r) => r.kind === 'plan').length, 1, 'the resumed rollout is the same one');
  });

  it('rolls back to the previous generation with the same engine', async () => {
    const [h] = await hosts(['gpu-a']);
    const pool = newPool();
    const images = mkdtempSync(path.join(os.tmpdir(), 'rollout-images-'));
    cleanup.push(async () => rmSync(images, { recursive: true, force: true }));
    const up = plan([h], options());
    await runRollout(up, [target(h, h.addSystem('gen2', NEXT()), images)], {
      pool,
      freshPool: newPool,
      journal: new RolloutJournal(journalDir, up.rolloutId),
      pollMs: 100,
    });
    assert.equal(running(h), 'gen2-nixos-system-gpu-a');
    const back = plan([h], options(), 'rollback');
    const result = await runRollout(back, [target(h, undefined, images)], {
      pool,
      freshPool: newPool,
      journal: new RolloutJournal(journalDir, back.rolloutId),
      pollMs: 100,
    });
    assert.equal(result.ok, true, JSON.stringify(result.hosts));
    assert.equal(running(h), 'gen1-nixos-system-gpu-a');
    assert.equal(profile(h), 'system-3-link');
    assert.equal(path.basename(readlinkSync(path.join(h.root, 'nix/var/nix/profiles/system-3-link'))), 'gen1-nixos-system-gpu-a');
  });

  it("the spec's own health checks run on the hosts they select, without a shell; a host that fails one rolls back", async () => {
    const [a, b] = await hosts(['gpu-a', 'gpu-b']);
    const pool = newPool();
    const images = mkdtempSync(path.join(os.tmpdir(), 'rollout-images-'));
    cleanup.push(async () => rmSync(images, { recursive: true, force: true }));
    writeFileSync(path.join(a.root, "model ready; it's"), '');
    // The last argument has a space, a quote and a semicolon: it reaches the program as it is.
    const modelCheck = (h: RolloutHost) => ({
      name: 'model loaded',
      command: ['sh', '-c', 'test -e "$0" || { echo "no $0" >&2; exit 3; }', path.join(h.root, "model ready; it's")],
      hosts: [h.name],
    });
    const spec = {
      cluster: { name: 'lab', domain: 'lab' },
      hosts: [
        { name: 'gpu-a', addresses: ['127.0.0.1'], tags: ['gpu'] },
        { name: 'gpu-b', addresses: ['127.0.0.1'], tags: ['gpu'] },
        { name: 'hub', addresses: ['127.0.0.2'], tags: ['hub'] },
      ],
      rollout: { healthChecks: [modelCheck(a), modelCheck(b), { name: 'hub only', command: ['false'], tags: ['hub'] }] },
    } as unknown as ClusterSpec;
    const p = plan([a, b], options({ onFailure: 'continue' }));
    const result = await runRollout(p, [target(a, a.addSystem('gen2', NEXT()), images), target(b, b.addSystem('gen2', NEXT()), images)], {
      pool,
      freshPool: newPool,
      journal: new RolloutJournal(journalDir, p.rolloutId),
      pollMs: 100,
      checks: specHealthChecks(spec, pool),
    });
    const [sa, sb] = result.hosts;
    assert.equal(sa.phase, 'done', JSON.stringify(sa));
    assert.equal(sb.phase, 'rolled-back', JSON.stringify(sb));
    assert.ok(
      sb.history
        .find((s) => s.phase === 'rolling-back')!
        .detail!.includes(`health check failed: model loaded: exit 3: no ${path.join(b.root, "model ready; it's")}`),
      JSON.stringify(sb),
    );
    assert.equal(running(a), 'gen2-nixos-system-gpu-a');
    assert.equal(running(b), 'gen1-nixos-system-gpu-b');
  });
});
