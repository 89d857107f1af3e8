// Probe fan-out: wall time to probe 1, 8 and 32 hosts (real sshd instances on loopback, nvidia-smi stand-in)
// with the default concurrency (16), on fresh connections (handshake included) and on pooled ones.

import { fanOut, probeHost } from '#core/ops';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SshPool } from '#core/ssh';
import { argv } from '../../core/src/ssh/quote';
import { RecordingPolicy, startSshd } from '../fixtures/ops/sshd';
import { median } from './measure';

const CONCURRENCY = 16;
const ROUNDS = 3;

async function main(): Promise<void> {
  // Sessions get an empty HOME: the shell sshd starts for each command would otherwise run the machine user's own
  // ~/.bashrc, which on build machines may be slow (pyenv's init queues concurrent shells on its rehash lock) and is
  // not what a probe of a NixOS host pays.
  const home = mkdtempSync(path.join(os.tmpdir(), 'probe-bench-home-'));
  const sshd = await startSshd(32, { env: { HOME: home } });
  const policy = new RecordingPolicy([], () => true);
  const endpoints = sshd.hosts.map((h) => h.endpoint({ hostKey: h.hostKey }));
  try {
    console.log(`probe fan-out, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds`);
    console.log('hosts  fresh connections  pooled connections  per host (pooled)');
    for (const n of [1, 8, 32]) {
      const targets = endpoints.slice(0, n);
      const fresh: number[] = [];
      const pooled: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const pool = new SshPool({ policy, auth: { agent: '' } });
        for (const [times] of [[fresh], [pooled]] as const) {
          const t0 = performance.now();
          const results = await fanOut(targets, (ep, signal) => probeHost(pool, ep, ['exo', 'nats'], { signal }), { limit: CONCURRENCY });
          times.push(performance.now() - t0);
          const failed = results.filter((r) => !r.ok);
          if (failed.length) throw new Error(`${failed.length} probes failed: ${failed.map((r) => !r.ok && r.error.message).join('; ')}`);
        }
        pool.closeAll();
      }
      const f = median(fresh);
      const p = median(pooled);
      console.log(
        `${String(n).padStart(5)}  ${f.toFixed(0).padStart(14)} ms  ${p.toFixed(0).padStart(15)} ms  ${(p / n).toFixed(1).padStart(14)} ms`,
      );
    }
    // The floor every remote command pays: sshd starting the login shell for `true` on a pooled connection.
    const pool = new SshPool({ policy, auth: { agent: '' } });
    await pool.exec(endpoints[0], argv(['true']));
    const floor: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await pool.exec(endpoints[0], argv(['true']));
      floor.push(performance.now() - t0);
    }
    pool.closeAll();
    console.log(
      `one pooled \`true\` (remote shell start-up): ${median(floor).toFixed(0)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
  } finally {
    await sshd.stopAll();
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
