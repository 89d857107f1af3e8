import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ClusterSpec } from '../../core/src/spec/types';
import { loadSpec } from '../../core/src/spec/load';
import { ClusterStateStore } from '../../client/src/state/store';
import { buildTopologyGraph, buildTopologyState } from '../../client/src/topology/graph';
import { packLayout } from '../../webview/src/packLayout';
import { makeNonce, topologyHtml } from '../../client/src/topology/html';

let root = __dirname;
while (!existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
let spec: ClusterSpec;
before(async () => { spec = (await loadSpec(path.join(root, 'examples/lab'))).model.spec; });

test('the graph has every host, its segment, the spec links and NATS leaf → hub edges', () => {
  const g = buildTopologyGraph(spec);
  assert.equal(g.cluster, 'lab');
  assert.deepEqual(g.hosts.map((h) => `${h.id}@${h.segment}:${h.gpuBadge}:${h.nats}`), [
    'hub-1@mgmt:2× RTX 4090:hub', 'mac-studio@mgmt:M3 Ultra:leaf', 'gpu-2@mgmt:A100 80GB:leaf',
  ]);
  assert.deepEqual(g.links.map((l) => `${l.kind}:${l.source}-${l.target}:${l.bandwidthGbps ?? ''}`), [
    'bond:hub-1-gpu-2:50', 'thunderbolt:hub-1-mac-studio:80', 'nats:mac-studio-hub-1:', 'nats:gpu-2-hub-1:',
  ]);
  assert.equal(g.links[0].detail, 'bond0 ↔ eth1');
  assert.deepEqual(g.segments.map((s) => s.id), ['mgmt']);
});

test('links to hosts that do not exist are left out (the validator reports them)', () => {
  const broken = structuredClone(spec);
  broken.network!.links!.push({ from: 'hub-1:eth0', to: 'ghost:eth0', kind: 'ethernet' });
  assert.equal(buildTopologyGraph(broken).links.filter((l) => l.kind === 'ethernet').length, 0);
});

test('state: status text, memory fraction from RAM or GPU memory, exo links once per pair', () => {
  const store = new ClusterStateStore();
  store.setSpec(spec);
  store.applyHostFacts('exo', 'hub-1', { status: 'running', statusDetail: 'in exo', memory: { totalBytes: 100, availableBytes: 75 } });
  store.applyHostFacts('exo', 'mac-studio', { status: 'running', gpus: [{ index: 0, memoryUsedMiB: 512, memoryTotalMiB: 1024, utilizationPct: 40 }] });
  store.setLiveLinks('exo', [{ from: 'hub-1', to: 'mac-studio', kind: 'rdma' }, { from: 'mac-studio', to: 'hub-1', kind: 'rdma' }]);
  const s = buildTopologyState(store);
  const hub = s.hosts.find((h) => h.id === 'hub-1')!;
  assert.equal(hub.statusText, 'running — in exo');
  assert.equal(hub.memoryUsed, 0.25);
  const mac = s.hosts.find((h) => h.id === 'mac-studio')!;
  assert.equal(mac.memoryUsed, 0.5);
  assert.equal(mac.gpuUsagePct, 40);
  assert.equal(s.hosts.find((h) => h.id === 'gpu-2')!.memoryUsed, undefined);
  assert.deepEqual(s.liveLinks.map((l) => l.kind), ['exo-rdma']);
  store.dispose();
});

test('pack layout: 500 hosts in 20 segments, no overlaps, each segment a separate block', () => {
  const hosts = Array.from({ length: 500 }, (_, i) => ({ id: `n${i}`, segment: `s${i % 20}` }));
  const w = 176, h = 52;
  const pos = packLayout({ hosts, hostWidth: w, hostHeight: h });
  assert.equal(Object.keys(pos).length, 500);
  const cells = new Set(Object.values(pos).map((p) => `${Math.round(p.x / w)},${Math.round(p.y / h)}`));
  assert.equal(cells.size, 500, 'no two hosts share a place');
  const boxes = new Map<string, { x1: number; y1: number; x2: number; y2: number }>();
  for (const host of hosts) {
    const p = pos[host.id];
    const b = boxes.get(host.segment) ?? { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
    boxes.set(host.segment, { x1: Math.min(b.x1, p.x - w / 2), y1: Math.min(b.y1, p.y - h / 2), x2: Math.max(b.x2, p.x + w / 2), y2: Math.max(b.y2, p.y + h / 2) });
  }
  const list = [...boxes.values()];
  for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) {
    const a = list[i], b = list[j];
    assert.ok(a.x2 <= b.x1 || b.x2 <= a.x1 || a.y2 <= b.y1 || b.y2 <= a.y1, `segment blocks ${i} and ${j} overlap`);
  }
  const all = Object.values(pos);
  const width = Math.max(...all.map((p) => p.x)) - Math.min(...all.map((p) => p.x));
  const height = Math.max(...all.map((p) => p.y)) - Math.min(...all.map((p) => p.y));
  assert.ok(width / height > 0.8 && width / height < 3, `picture is roughly landscape (${(width / height).toFixed(2)})`);
});

test('the page has a strict CSP: nonce-only scripts and styles, nothing else loaded', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
  assert.notEqual(nonce, makeNonce());
  const html = topologyHtml({ cspSource: 'https://webview.example', nonce, scriptUri: 'https://webview.example/dist/webview.js' });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const tags = html.match(/<(script|style)\b[^>]*>/g)!;
  for (const tag of tags) assert.match(tag, new RegExp(`nonce="${nonce}"`), tag);
});
