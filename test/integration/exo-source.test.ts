// The exo source against a real HTTP server on loopback serving recorded exo /state documents; then the same
// server misbehaving (errors, silence, garbage) to check back-off and the error state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterSpec } from '#core/spec';
import { loadSpec } from '#core/validate';
import { ClusterStateStore } from '../../client/src/state/store';
import { ExoSource, exoStateUrl, mapExoState, type ExoState } from '../../client/src/state/exoSource';

let root = __dirname;
while (!existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
// Documents made by exo's own code (test/fixtures/exo/README.md).
const fixture = (name: string) => readFileSync(path.join(root, 'test/fixtures/exo/recorded', name), 'utf8');
const lab = path.join(root, 'examples/lab');
let spec: ClusterSpec;

type Mode = { kind: 'serve'; body: string } | { kind: 'status'; code: number } | { kind: 'silent' } | { kind: 'garbage' };
let mode: Mode = { kind: 'serve', body: fixture('state-downloading.json') };
const requests: { at: number; path: string }[] = [];
const sockets = new Set<Socket>();
const server = http.createServer((req, res) => {
  requests.push({ at: Date.now(), path: req.url ?? '' });
  if (req.url !== '/state') {
    res.writeHead(404).end();
    return;
  }
  switch (mode.kind) {
    case 'serve':
      res.writeHead(200, { 'content-type': 'application/json' }).end(mode.body);
      break;
    case 'status':
      res.writeHead(mode.code).end('exo is not ready');
      break;
    case 'garbage':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"topology": ');
      break;
    case 'silent':
      break; // never answers: the client's timeout has to give up
  }
});
server.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});
let url = '';

before(async () => {
  spec = (await loadSpec(lab)).model.spec;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/state`;
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the recorded documents map onto the spec hosts by address, including a differently named Mac', () => {
  const m = mapExoState(JSON.parse(fixture('state-downloading.json')) as ExoState, spec);
  assert.deepEqual([...m.hosts.keys()].sort(), ['gpu-2', 'hub-1', 'mac-studio']);
  assert.deepEqual(m.unmatched, []);
  assert.deepEqual(m.hosts.get('hub-1')?.services?.exo, {
    status: 'downloading',
    progressPct: 35,
    detail: 'Llama-3.3-70B-Instruct-4bit layers 0–47/80',
  });
  assert.deepEqual(m.hosts.get('gpu-2')?.services?.exo, { status: 'running', detail: 'idle (no instance on this node)' });
  const mac = m.hosts.get('mac-studio')!;
  assert.equal(mac.gpus?.[0].memoryTotalMiB, 192 * 1024);
  assert.equal(mac.gpus?.[0].utilizationPct, 4);
  assert.equal(m.hosts.get('hub-1')?.gpus, undefined, 'exo has no per-GPU figures for discrete GPUs');
  assert.deepEqual(m.links.map((l) => `${l.from}-${l.to}:${l.kind}`).sort(), [
    'gpu-2-mac-studio:socket',
    'hub-1-gpu-2:socket',
    'hub-1-mac-studio:socket',
  ]);
});

test('the API URL comes from the exo-api host and the spec port', () => {
  assert.equal(exoStateUrl(spec), 'http://10.0.0.10:52415/state');
  assert.equal(exoStateUrl({ ...spec, exo: { ports: { api: 8000 } } }), 'http://10.0.0.10:8000/state');
  assert.equal(exoStateUrl({ ...spec, hosts: spec.hosts.filter((h) => h.name === 'gpu-2') }), undefined);
});

test('back-off doubles up to the ceiling and resets after success', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((f) => ExoSource.backoffDelay(2000, f, 30_000)),
    [2000, 4000, 8000, 16000, 30000, 30000],
  );
});

test('polls a live server, follows its changes, reports failures into the state and recovers', async () => {
  const store = new ClusterStateStore({ batchMs: 5 });
  store.setSpec(spec);
  const source = new ExoSource({ url, spec: () => spec, intervalMs: 40, timeoutMs: 300, maxBackoffMs: 400 });
  source.start(store);
  try {
    await until('all hosts running', () => ['hub-1', 'gpu-2', 'mac-studio'].every((h) => store.host(h).status === 'running'));
    assert.equal(store.sourceHealth().get('exo')?.ok, true);
    assert.equal(store.liveLinks().length, 3);
    assert.equal(store.host('mac-studio').gpus[0].utilizationPct, 4);
    assert.equal(store.host('hub-1').services.exo?.status, 'downloading');

    mode = { kind: 'serve', body: fixture('state-ready.json') };
    await until(
      'the model ready on hub-1 and mac-studio',
      () => store.host('hub-1').services.exo?.status === 'ready' && store.host('mac-studio').services.exo?.status === 'ready',
    );
    assert.equal(Math.round(store.host('mac-studio').gpus[0].memoryUsedMiB! / 1024), 42);

    mode = { kind: 'serve', body: fixture('state-hub-only.json') };
    await until('exo gone from gpu-2', () => store.host('gpu-2').services.exo?.status === 'stopped');
    assert.equal(store.host('gpu-2').status, 'unknown');
    assert.equal(store.host('mac-studio').services.exo?.status, 'stopped');
    assert.equal(store.host('hub-1').status, 'running');
    assert.deepEqual(store.liveLinks(), []);

    // Errors: HTTP 503, then back-off. The delays the source chooses are read from the health it reports (the
    // retry time minus the moment it reported), so a loaded machine's late timers cannot blur them.
    const delays: number[] = [];
    const report = store.setSourceHealth.bind(store);
    store.setSourceHealth = (id, health) => {
      if (health.retryAt) delays.push(health.retryAt - Date.now());
      report(id, health);
    };
    const firstFailure = requests.length;
    mode = { kind: 'status', code: 503 };
    await until('error state', () => store.sourceHealth().get('exo')?.ok === false);
    assert.match(store.sourceHealth().get('exo')!.error!, /HTTP 503/);
    assert.equal(store.host('hub-1').status, 'unknown', 'stale exo facts are dropped, not shown as live');
    await until('five failed polls', () => delays.length >= 5 && requests.length >= firstFailure + 5);
    const rounded = delays.slice(0, 5).map((d) => Math.round(d / 10) * 10);
    assert.deepEqual(rounded, [80, 160, 320, 400, 400], `back-off delays ${delays.join(', ')}`);
    store.setSourceHealth = report;

    mode = { kind: 'garbage' };
    source.pollNow();
    await until('JSON error', () => /not JSON/.test(store.sourceHealth().get('exo')?.error ?? ''));

    mode = { kind: 'silent' };
    source.pollNow();
    await until('timeout error', () => /no answer within 300 ms/.test(store.sourceHealth().get('exo')?.error ?? ''));

    mode = { kind: 'serve', body: fixture('state-downloading.json') };
    source.pollNow();
    await until('recovered', () => store.sourceHealth().get('exo')?.ok === true && store.host('gpu-2').status === 'running');
  } finally {
    source.dispose();
    store.dispose();
  }
});

test('an address nothing listens on is an error in the state, not an exception', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const store = new ClusterStateStore({ batchMs: 5 });
  const source = new ExoSource({ url: `http://127.0.0.1:${port}/state`, spec: () => spec, intervalMs: 1000 });
  source.start(store);
  try {
    await until('refused', () => store.sourceHealth().get('exo')?.ok === false);
    assert.match(store.sourceHealth().get('exo')!.error!, /ECONNREFUSED/);
    assert.ok(store.sourceHealth().get('exo')!.retryAt! > Date.now());
  } finally {
    source.dispose();
    store.dispose();
  }
});

test('a spec edit that moves the API is polled at once, not after the back-off', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const livePort = Number(new URL(url).port);
  const withApi = (port: number): ClusterSpec => ({
    ...spec,
    exo: { ...spec.exo, ports: { api: port } },
    hosts: spec.hosts.map((h) => (h.name === 'hub-1' ? { ...h, addresses: ['127.0.0.1'] } : h)),
  });
  mode = { kind: 'serve', body: fixture('state-downloading.json') };
  const store = new ClusterStateStore({ batchMs: 5 });
  store.setSpec(withApi(deadPort));
  // Ten seconds between polls: only the spec change can explain a quick recovery.
  const source = new ExoSource({ spec: () => store.spec, intervalMs: 10_000, timeoutMs: 1000 });
  source.start(store);
  try {
    await until('refused', () => store.sourceHealth().get('exo')?.ok === false);
    store.setSpec(withApi(livePort));
    await until('polled the new address', () => store.sourceHealth().get('exo')?.ok === true, 3000);
    assert.equal(store.host('hub-1').status, 'running');
  } finally {
    source.dispose();
    store.dispose();
  }
});
