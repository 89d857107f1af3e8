// Telemetry benchmark against a real nats-server: 100 node agents (in a child process, one NATS connection each)
// sample at 1 Hz for 10 s; this process plays the extension (telemetry source → cluster state store). Prints the
// latency from an agent's sample to the client receiving it and to the store applying it (which includes the
// batching window), and the client's CPU time. A second run pushes 1,000 synthetic hosts at 1 Hz through the
// same client path.
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { EventStore, NatsConnectionManager, Subjects, type TelemetrySample } from '#core/nats';
import { NodeAgent } from '../../agent/src/agent';
import { ClusterStateStore } from '../../client/src/state/store';
import { NatsTelemetrySource } from '../../client/src/nats/telemetrySource';
import { NatsServer } from '../integration/nats-harness';

const DURATION_MS = 10_000;

async function runAgents(url: string, count: number, durationMs: number): Promise<void> {
  const agents: NodeAgent[] = [];
  const ncs = [];
  for (let i = 0; i < count; i++) {
    const host = `node-${String(i).padStart(4, '0')}`;
    const nc = await connect({ servers: url, name: host });
    ncs.push(nc);
    const agent = new NodeAgent({
      domain: 'lab',
      host,
      intervalMs: 1000,
      collect: { gpuTool: 'none' },
      exoUnit: 'exo.service',
      checkpointDir: '/nonexistent',
      log: () => undefined,
    });
    await agent.start(nc);
    agents.push(agent);
  }
  process.send?.('started');
  await new Promise((r) => setTimeout(r, durationMs));
  for (const a of agents) await a.stop();
  for (const a of agents) await a.flushEvents(2000);
  for (const nc of ncs) await nc.drain();
}

/** 1,000 hosts from one connection, each host's sample once a second, spread over the second. */
async function runSynthetic(url: string, count: number, durationMs: number): Promise<void> {
  const nc = await connect({ servers: url, name: 'synthetic' });
  const subjects = new Subjects('lab');
  const seqs = new Array<number>(count).fill(0);
  process.send?.('started');
  const end = Date.now() + durationMs;
  const slotMs = 1000 / count;
  let i = 0;
  const start = Date.now();
  while (Date.now() < end) {
    const due = start + i * slotMs;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    const h = i % count;
    const host = `node-${String(h).padStart(4, '0')}`;
    const sample: TelemetrySample = {
      host,
      seq: ++seqs[h],
      sentAt: Date.now(),
      gpus: [0, 1].map((index) => ({
        index,
        vendor: 'nvidia' as const,
        name: 'NVIDIA H100',
        memoryUsedMiB: (i * 7) % 80000,
        memoryTotalMiB: 81559,
        utilizationPct: i % 100,
        temperatureC: 60,
      })),
      memory: { totalBytes: 2 ** 38, availableBytes: 2 ** 37 + i },
    };
    nc.publish(subjects.telemetry(host), JSON.stringify(sample));
    i++;
  }
  await nc.drain();
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

async function scenario(server: NatsServer, label: string, mode: 'agents' | 'synthetic', count: number): Promise<void> {
  const manager = new NatsConnectionManager({ servers: server.url, name: 'bench-client' });
  await manager.start();
  const nc = await manager.ready();
  const store = new ClusterStateStore({ batchMs: 100 });
  let storeChanges = 0;
  let hostsTouched = 0;
  store.onDidChange((c) => {
    storeChanges++;
    hostsTouched += c.hosts.size;
    // What a tree refresh does: read every changed host's merged state.
    for (const h of c.hosts) store.host(h);
  });
  const transport: number[] = [];
  const toStore: number[] = [];
  const source = new NatsTelemetrySource('lab', {
    flushMs: 250,
    onBatch: (batch) => {
      const now = Date.now();
      for (const { sample, receivedAt } of batch.values()) {
        transport.push(receivedAt - sample.sentAt);
        toStore.push(now - sample.sentAt);
      }
    },
  });
  source.start(store);
  source.attach(nc);

  const child = spawn(process.execPath, [__filename, mode, server.url, String(count), String(DURATION_MS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${mode} process exited early (${code})`)));
  });
  // Measure only while the hosts are publishing, not while the child sets up its connections.
  transport.length = 0;
  toStore.length = 0;
  const received0 = source.stats.received;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const elapsed = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  source.flush();
  store.flush();

  const received = source.stats.received - received0;
  const latest = [...Array(count).keys()].filter((i) => source.lastSeq(`node-${String(i).padStart(4, '0')}`) !== undefined).length;
  transport.sort((a, b) => a - b);
  toStore.sort((a, b) => a - b);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `${label}: ${received} samples in ${(elapsed / 1000).toFixed(1)} s (${(received / (elapsed / 1000)).toFixed(0)}/s), ${latest}/${count} hosts in the store`,
  );
  console.log(
    `  agent → client latency   p50 ${quantile(transport, 0.5)} ms  p95 ${quantile(transport, 0.95)} ms  max ${transport[transport.length - 1]} ms`,
  );
  console.log(
    `  agent → store (250 ms batches) p50 ${quantile(toStore, 0.5)} ms  p95 ${quantile(toStore, 0.95)} ms  max ${toStore[toStore.length - 1]} ms`,
  );
  console.log(
    `  client CPU ${cpuMs.toFixed(0)} ms (${((100 * cpuMs) / elapsed).toFixed(1)}% of one core; user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms)`,
  );
  console.log(
    `  store: ${storeChanges} change events (${(storeChanges / (elapsed / 1000)).toFixed(1)}/s), ${hostsTouched} host refreshes; event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
  );
  source.dispose();
  store.dispose();
  await manager.stop();
}

async function main(): Promise<void> {
  const [mode, url, count, duration] = process.argv.slice(2);
  if (mode === 'agents') return runAgents(url, Number(count), Number(duration));
  if (mode === 'synthetic') return runSynthetic(url, Number(count), Number(duration));
  const server = new NatsServer();
  await server.start();
  try {
    // The agents append an agent-started event each, as in a real cluster.
    const setup = await connect({ servers: server.url });
    await new EventStore(setup, 'lab').ensureStream();
    await setup.close();
    await scenario(server, '100 node agents at 1 Hz', 'agents', 100);
    await scenario(server, '1,000 synthetic hosts at 1 Hz (2 GPUs each)', 'synthetic', 1000);
  } finally {
    await server.dispose();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
