import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ClusterSpec } from '#core/spec';
import { loadSpec } from '#core/validate';
import { ClusterStateStore } from '../../client/src/state/store';
import { buildTopologyGraph, buildTopologyState } from '../../client/src/topology/graph';
import { packLayout, sketchLayout } from '../../webview/src/packLayout';
import { makeNonce, topologyHtml } from '../../client/src/topology/html';

let root = __dirname;
while (!existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
let spec: ClusterSpec;
before(async () => {
  spec = (await loadSpec(path.join(root, 'examples/lab'))).model.spec;
});

test('the graph has every host, its segment, the spec links and NATS leaf → hub edges', () => {
  const g = buildTopologyGraph(spec);
  assert.equal(g.cluster, 'lab');
  assert.deepEqual(
    g.hosts.map((h) => `${h.id}@${h.segment}:${h.gpuBadge}:${h.nats}`),
    ['hub-1@mgmt:2× RTX 4090:hub', 'mac-studio@mgmt:M3 Ultra:leaf', 'gpu-2@mgmt:A100 80GB:leaf'],
  );
  assert.deepEqual(
    g.links.map((l) => `${l.kind}:${l.source}-${l.target}:${l.bandwidthGbps ?? ''}`),
    ['bond:hub-1-gpu-2:50', 'thunderbolt:hub-1-mac-studio:80', 'nats:mac-studio-hub-1:', 'nats:gpu-2-hub-1:'],
  );
  assert.equal(g.links[0].detail, 'bond0 ↔ eth1');
  // Every segment an interface is on, not only each host's first: hub-1 is on all three.
  assert.deepEqual(
    g.segments.map((s) => `${s.id}:${s.subnet}:${s.vlan ?? ''}`),
    ['mgmt:10.0.0.0/24:10', 'data:10.1.0.0/24:20', 'tb:10.99.0.0/30:'],
  );
  assert.deepEqual(
    g.hosts.map((h) => `${h.id}=${h.attachments.map((a) => `${a.iface}@${a.segment}`).join(',')}`),
    ['hub-1=eth0@mgmt,bond0@data,tb0@tb', 'mac-studio=en0@mgmt,tb0@tb', 'gpu-2=eth0@mgmt,eth1@data'],
  );
  assert.deepEqual(
    g.hosts.map((h) => h.memoryGB),
    [256, 192, 128],
  );
});

test('links to hosts that do not exist are left out (the validator reports them)', () => {
  const broken = structuredClone(spec);
  broken.network!.links!.push({ from: 'hub-1:eth0', to: 'ghost:eth0', kind: 'ethernet' });
  assert.equal(buildTopologyGraph(broken).links.filter((l) => l.kind === 'ethernet').length, 0);
});

test('state: status text, memory fraction from RAM or GPU memory, exo links once per pair', () => {
  const store = new ClusterStateStore();
  store.setSpec(spec);
  const GiB = 2 ** 30;
  store.applyHostFacts('exo', 'hub-1', {
    status: 'running',
    statusDetail: 'in exo',
    memory: { totalBytes: 256 * GiB, availableBytes: 192 * GiB },
  });
  store.applyHostFacts('exo', 'mac-studio', {
    status: 'running',
    gpus: [{ index: 0, memoryUsedMiB: 96 * 1024, memoryTotalMiB: 192 * 1024, utilizationPct: 40 }],
  });
  // Two GPUs reporting VRAM: summed, and shown instead of RAM.
  store.applyHostFacts('nats', 'gpu-2', {
    memory: { totalBytes: 128 * GiB, availableBytes: 64 * GiB },
    gpus: [
      { index: 0, memoryUsedMiB: 20 * 1024, memoryTotalMiB: 80 * 1024, utilizationPct: 90 },
      { index: 1, memoryUsedMiB: 0, memoryTotalMiB: 80 * 1024, utilizationPct: 10 },
    ],
  });
  store.setLiveLinks('exo', [
    { from: 'hub-1', to: 'mac-studio', kind: 'rdma' },
    { from: 'mac-studio', to: 'hub-1', kind: 'rdma' },
  ]);
  const s = buildTopologyState(store);
  const hub = s.hosts.find((h) => h.id === 'hub-1')!;
  assert.equal(hub.statusText, 'running — in exo');
  assert.equal(hub.memoryUsed, 0.25);
  assert.equal(hub.memoryShort, 'RAM 64.0 / 256 GiB');
  assert.equal(hub.memoryText, '64.0 / 256 GiB RAM');
  const mac = s.hosts.find((h) => h.id === 'mac-studio')!;
  assert.equal(mac.memoryUsed, 0.5);
  assert.equal(mac.memoryShort, 'VRAM 96.0 / 192 GiB');
  assert.equal(mac.gpuUsagePct, 40);
  const gpu2 = s.hosts.find((h) => h.id === 'gpu-2')!;
  assert.equal(gpu2.memoryUsed, 0.125);
  assert.equal(gpu2.memoryShort, 'VRAM 20.0 / 160 GiB');
  assert.equal(gpu2.memoryText, '20.0 / 160 GiB GPU memory (2 GPUs)');
  assert.equal(gpu2.gpuUsagePct, 50);
  assert.deepEqual(
    s.liveLinks.map((l) => l.kind),
    ['exo-rdma'],
  );
  store.dispose();
});

test('pack layout: 500 hosts in 20 segments, no overlaps, each segment a separate block', () => {
  const hosts = Array.from({ length: 500 }, (_, i) => ({ id: `n${i}`, segment: `s${i % 20}` }));
  const w = 176,
    h = 52;
  const pos = packLayout({ hosts, hostWidth: w, hostHeight: h });
  assert.equal(Object.keys(pos).length, 500);
  const cells = new Set(Object.values(pos).map((p) => `${Math.round(p.x / w)},${Math.round(p.y / h)}`));
  assert.equal(cells.size, 500, 'no two hosts share a place');
  const boxes = new Map<string, { x1: number; y1: number; x2: number; y2: number }>();
  for (const host of hosts) {
    const p = pos[host.id];
    const b = boxes.get(host.segment) ?? { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
    boxes.set(host.segment, {
      x1: Math.min(b.x1, p.x - w / 2),
      y1: Math.min(b.y1, p.y - h / 2),
      x2: Math.max(b.x2, p.x + w / 2),
      y2: Math.max(b.y2, p.y + h / 2),
    });
  }
  const list = [...boxes.values()];
  for (let i = 0; i < list.length; i++)
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i],
        b = list[j];
      assert.ok(a.x2 <= b.x1 || b.x2 <= a.x1 || a.y2 <= b.y1 || b.y2 <= a.y1, `segment blocks ${i} and ${j} overlap`);
    }
  const all = Object.values(pos);
  const width = Math.max(...all.map((p) => p.x)) - Math.min(...all.map((p) => p.x));
  const height = Math.max(...all.map((p) => p.y)) - Math.min(...all.map((p) => p.y));
  assert.ok(width / height > 0.8 && width / height < 3, `picture is roughly landscape (${(width / height).toFixed(2)})`);
});

test('sketch layout: segments in a row above, each host under the middle of its segments, nothing overlaps', () => {
  const pos = sketchLayout({
    segments: [
      { id: 'data', width: 200 },
      { id: 'mgmt', width: 200 },
      { id: 'tb', width: 150 },
    ],
    hosts: [
      { id: 'mac', segments: ['mgmt', 'tb'] },
      { id: 'hub', segments: ['mgmt', 'data', 'tb'] },
      { id: 'gpu', segments: ['mgmt', 'data'] },
    ],
    hostWidth: 184,
    hostHeight: 64,
  });
  assert.deepEqual(
    ['data', 'mgmt', 'tb'].map((s) => pos[s].y),
    [0, 0, 0],
  );
  assert.ok(pos.data.x < pos.mgmt.x && pos.mgmt.x < pos.tb.x);
  // One row of hosts below the segments, ordered by where their segments are: gpu (data) left, mac (tb) right.
  assert.ok(pos.gpu.y > 0 && pos.gpu.y === pos.hub.y && pos.hub.y === pos.mac.y);
  assert.ok(pos.gpu.x < pos.hub.x && pos.hub.x < pos.mac.x, JSON.stringify(pos));
  assert.ok(pos.hub.x - pos.gpu.x >= 184 && pos.mac.x - pos.hub.x >= 184, 'hosts do not overlap');
  const many = sketchLayout({
    segments: [],
    hosts: Array.from({ length: 40 }, (_, i) => ({ id: `h${i}`, segments: [] })),
    hostWidth: 184,
    hostHeight: 64,
  });
  const rows = new Set(Object.values(many).map((p) => p.y));
  assert.ok(rows.size > 1 && rows.size < 40, `40 hosts wrap into rows (${rows.size})`);
});

test('the page has a strict CSP: nonce-only scripts and styles, nothing else loaded', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
  assert.notEqual(nonce, makeNonce());
  const html = topologyHtml({
    cspSource: 'https://webview.example',
    nonce,
    scriptUri: 'https://webview.example/dist/webview.js',
    elkWorkerUri: 'https://webview.example/dist/elk-worker.js',
  });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  // The layout worker: fetched from the webview's own origin, started from a blob: URL; nothing else.
  assert.match(csp, /connect-src https:\/\/webview.example(;|$)/);
  assert.match(csp, /worker-src blob:(;|$)/);
  assert.match(html, /<body data-elk-worker="https:\/\/webview.example\/dist\/elk-worker.js">/);
  const tags = html.match(/<(script|style)\b[^>]*>/g)!;
  for (const tag of tags) assert.match(tag, new RegExp(`nonce="${nonce}"`), tag);
});
