// A 32-host rollout's overhead per host beyond the switch itself: real sshd hosts on loopback with NixOS-style
// profiles and the switch-to-configuration / systemd-run / systemctl / nix stand-ins (test/fixtures/rollout),
// concurrency 8. The stand-in switch does almost nothing, so a host's time is the rollout's own work: the
// preview (profile, diff-closures + path-info + dry-activate in one round trip, GPU processes), arming the
// timer, the health checks, the confirmation over a new connection. Printed next to one pooled SSH round trip
// and one bare switch over SSH on the same machine, so the figures can be read as round trips.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SshPool } from '#core/ssh';
import { argv } from '../../core/src/ssh/quote';
import { checkpointSettings } from '#core/ops';
import {
  DEFAULT_ROLLOUT_OPTIONS,
  hostLayout,
  newRolloutId,
  RolloutJournal,
  runRollout,
  type RolloutTarget,
} from '../../core/src/rollout/index';
import { RecordingPolicy } from '../fixtures/ops/sshd';
import { startRolloutHosts, type SystemSpec } from '../fixtures/rollout/hosts';
import { median } from './measure';

const HOSTS = 32;
const CONCURRENCY = 8;
const CURRENT: SystemSpec = {
  units: { 'exo.service': 'active', 'nats.service': 'active' },
  closure: [
    ['exo', '1.0.0', 900_000],
    ['glibc', '2.39', 30_000_000],
  ],
};
const NEXT: SystemSpec = {
  units: { 'exo.service': 'active changed', 'nats.service': 'active' },
  closure: [
    ['exo', '1.1.0', 1_000_000],
    ['glibc', '2.39', 30_000_000],
  ],
};

async function main(): Promise<void> {
  const names = Array.from({ length: HOSTS }, (_, i) => `gpu-${String(i + 1).padStart(2, '0')}`);
  // An empty HOME for the hosts' sessions: the machine user's ~/.bashrc (pyenv's init on build machines) would otherwise
  // add its own cost to every remote command, which a NixOS host does not pay.
  const home = mkdtempSync(path.join(os.tmpdir(), 'rollout-bench-home-'));
  const started = await startRolloutHosts(names, CURRENT, { home });
  const journalDir = mkdtempSync(path.join(os.tmpdir(), 'rollout-bench-'));
  const policy = new RecordingPolicy([], () => false);
  const newPool = () => new SshPool({ policy, auth: { agent: '' } });
  const pool = newPool();
  try {
    const hosts = started.hosts;
    const targets: RolloutTarget[] = hosts.map((h) => ({
      name: h.name,
      endpoint: h.endpoint,
      layout: hostLayout(h.root),
      newSystem: h.addSystem('gen2', NEXT),
      units: ['exo.service', 'nats.service'],
      checkpoint: checkpointSettings(undefined),
    }));
    // baselines on a spare system of the first host: one round trip, and one bare switch (the switch itself)
    const rtt: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await pool.exec(hosts[0].endpoint, argv(['true']));
      rtt.push(performance.now() - t0);
    }
    const spare = hosts[0].addSystem('spare', CURRENT);
    const bare: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await pool.exec(
        hosts[0].endpoint,
        argv(['systemd-run', '--wait', '--pipe', '--quiet', `--unit=bench-switch-${i}`, `${spare}/bin/switch-to-configuration`, 'test']),
      );
      if (r.code !== 0) throw new Error(`bare switch failed: ${r.stdout}${r.stderr}`);
      bare.push(performance.now() - t0);
    }
    const rolloutId = newRolloutId();
    const plan = {
      rolloutId,
      createdAt: new Date().toISOString(),
      hosts: names,
      options: { ...DEFAULT_ROLLOUT_OPTIONS, concurrency: CONCURRENCY, healthTimeoutSec: 30, onFailure: 'continue' as const },
      kind: 'update' as const,
    };
    const t0 = performance.now();
    const result = await runRollout(plan, targets, {
      pool,
      freshPool: newPool,
      journal: new RolloutJournal(journalDir, rolloutId),
      pollMs: 250,
    });
    const wall = performance.now() - t0;
    // On an overloaded machine a host may time out; its figures are left out and the reason printed.
    const failed = result.hosts.filter((h) => h.phase !== 'done');
    for (const h of failed) console.log(`  not done: ${h.host}: ${h.phase} — ${h.detail}`);
    const done = result.hosts.filter((h) => h.phase === 'done');
    if (!done.length) throw new Error('no host finished');
    // per host, from the journal's step times: preview (start → switching), then each phase
    const at = (iso: string) => Date.parse(iso);
    const start = Date.parse(plan.createdAt);
    const phases = ['switching', 'checking', 'restoring', 'confirming', 'done'] as const;
    const durations: Record<string, number[]> = { preview: [], switching: [], checking: [], restoring: [], confirming: [], total: [] };
    for (const h of done) {
      const t = new Map(h.history.map((s) => [s.phase, at(s.at)]));
      durations.preview.push(t.get('switching')! - start);
      for (let i = 0; i < phases.length - 1; i++) durations[phases[i]].push(t.get(phases[i + 1])! - t.get(phases[i])!);
      durations.total.push(t.get('done')! - start);
    }
    const rt = median(rtt);
    const sw = median(bare);
    console.log(
      `rollout of ${HOSTS} hosts, concurrency ${CONCURRENCY} (sshd on loopback, stand-in switch); load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(`one pooled SSH round trip: ${rt.toFixed(0)} ms; a bare switch over SSH (the switch itself): ${sw.toFixed(0)} ms`);
    console.log(
      `wall time ${(wall / 1000).toFixed(1)} s, ${(wall / HOSTS).toFixed(0)} ms per host amortised; ${done.length} of ${HOSTS} hosts done`,
    );
    console.log('per host (median)      ms   round trips');
    for (const [k, xs] of Object.entries(durations))
      console.log(`  ${k.padEnd(12)} ${median(xs).toFixed(0).padStart(8)}   ${(median(xs) / rt).toFixed(1).padStart(5)}`);
    // Times from the journal count from the rollout's start, so a host that waited for one of the CONCURRENCY slots
    // carries the wait; the time a host holds a slot is wall × concurrency ÷ hosts.
    const overhead = median(durations.total) - sw;
    console.log(
      `overhead per host beyond the switch, from the rollout's start (slot waits included): ${overhead.toFixed(0)} ms (${(overhead / rt).toFixed(1)} round trips)`,
    );
    const slot = (wall * CONCURRENCY) / HOSTS - sw;
    console.log(
      `overhead per host beyond the switch, in its slot (wall × ${CONCURRENCY} ÷ ${HOSTS} − switch): ${slot.toFixed(0)} ms (${(slot / rt).toFixed(1)} round trips)`,
    );
  } finally {
    pool.closeAll();
    await started.stop();
    rmSync(journalDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
