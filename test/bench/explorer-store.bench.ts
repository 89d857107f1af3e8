// The state store under telemetry load: N hosts each reporting GPU figures once a second (random phase) for a
// few seconds. Prints how many change events reach the views per second (the store coalesces within 100 ms)
// and how long rebuilding the whole Nodes and GPUs tree models takes per event.
import { performance } from 'node:perf_hooks';
import type { ClusterSpec } from '#core/spec';
import { ClusterStateStore } from '../../client/src/state/store';
import { childrenOf, gpuRows, nodeRoots } from '../../client/src/explorer/model';

function cluster(size: number): ClusterSpec {
  return {
    cluster: { name: 'bench', domain: 'bench', tags: { gpu: 'GPU nodes' } },
    network: { segments: Array.from({ length: Math.ceil(size / 25) }, (_, i) => ({ name: `rack-${i}`, subnet: `10.${i}.0.0/24` })) },
    hosts: Array.from({ length: size }, (_, i) => ({
      name: `node-${i}`,
      addresses: [`10.${Math.floor(i / 25)}.0.${i % 25}`],
      tags: ['gpu'],
      roles: ['exo-worker', 'nats-leaf'],
      hardware: { gpus: [{ vendor: 'nvidia' as const, model: 'H100', vramGB: 80, count: 4 }] },
      interfaces: [{ name: 'eth0', kind: 'ethernet' as const, segment: `rack-${Math.floor(i / 25)}` }],
    })),
  };
}

async function run(size: number, seconds: number): Promise<void> {
  const store = new ClusterStateStore({ batchMs: 100 });
  store.setSpec(cluster(size));
  store.flush();
  let events = 0,
    hostsPerEvent = 0,
    buildMs = 0;
  store.onDidChange((c) => {
    events++;
    hostsPerEvent += c.hosts.size;
    const t0 = performance.now();
    // What a full refresh of both views asks of the model: every group, every host, every host's children, all GPUs.
    for (const group of nodeRoots(store, 'tag')) for (const host of childrenOf(store, group)) childrenOf(store, host);
    gpuRows(store, 'freeMemory');
    buildMs += performance.now() - t0;
  });
  const timers: ReturnType<typeof setInterval>[] = [];
  for (let i = 0; i < size; i++) {
    setTimeout(() => {
      const report = () =>
        store.applyHostFacts(
          'nats',
          `node-${i}`,
          {
            status: 'running',
            gpus: [0, 1, 2, 3].map((g) => ({
              index: g,
              memoryUsedMiB: Math.round(Math.random() * 80000),
              memoryTotalMiB: 81920,
              utilizationPct: Math.random() * 100,
              temperatureC: 40 + Math.random() * 40,
            })),
          },
          'replace',
        );
      report();
      timers.push(setInterval(report, 1000));
    }, Math.random() * 1000);
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const t of timers) clearInterval(t);
  store.dispose();
  console.log(
    `${String(size).padStart(4)} hosts at 1 Hz: ${(events / seconds).toFixed(1)} view updates/s (${(hostsPerEvent / events).toFixed(0)} hosts each), tree models rebuilt in ${(buildMs / events).toFixed(2)} ms per update`,
  );
}

async function main(): Promise<void> {
  await run(100, 3);
  await run(500, 3);
}
void main();
