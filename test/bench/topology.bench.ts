// Topology webview in headless Chromium: time to first paint and to layout done for synthetic clusters of 50 and
// 500 hosts (from the moment the graph message arrives, and from page load), plus the cost of a live-state update
// of every host (delivery to the second frame after it). Run with `npm run bench -- topology`.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ClusterSpec, HostSpec, LinkSpec } from '../../core/src/spec/types';
import { ClusterStateStore, HOST_STATUSES } from '../../client/src/state/store';
import { buildTopologyGraph, buildTopologyState } from '../../client/src/topology/graph';
import { launchChromium, repoRoot, sendToPage, serveTopologyPage, waitForPosted } from '../fixtures/topology/harness';

/** A cluster shaped like a real one: segments of 25 hosts, a hub, bonded pairs, Thunderbolt pairs of Macs. */
function syntheticCluster(size: number): ClusterSpec {
  const segments = Array.from({ length: Math.ceil(size / 25) }, (_, i) => ({ name: `rack-${i}`, subnet: `10.${i}.0.0/24` }));
  const hosts: HostSpec[] = [];
  const links: LinkSpec[] = [];
  for (let i = 0; i < size; i++) {
    const seg = Math.floor(i / 25);
    const mac = i % 10 === 9;
    hosts.push({
      name: `node-${String(i).padStart(3, '0')}`,
      system: mac ? 'aarch64-darwin' : 'x86_64-linux',
      addresses: [`10.${seg}.0.${(i % 25) + 10}`],
      roles: i === 0 ? ['nats-hub', 'exo-master', 'exo-api'] : ['nats-leaf', 'exo-worker'],
      tags: [mac ? 'apple' : 'gpu'],
      hardware: { gpus: [mac ? { vendor: 'apple', model: 'M3 Ultra', vramGB: 192 } : { vendor: 'nvidia', model: i % 3 ? 'RTX 4090' : 'H100', vramGB: i % 3 ? 24 : 80, count: (i % 4) + 1 }] },
      interfaces: [{ name: 'eth0', kind: 'ethernet', segment: `rack-${seg}`, addresses: [`10.${seg}.0.${(i % 25) + 10}/24`] }],
    });
    if (i % 2 === 1) links.push({ from: `node-${String(i - 1).padStart(3, '0')}:eth0`, to: `node-${String(i).padStart(3, '0')}:eth0`, kind: 'bond', bandwidthGbps: 50 });
    if (mac && i + 1 < size) links.push({ from: `node-${String(i).padStart(3, '0')}:tb0`, to: `node-${String(i + 1).padStart(3, '0')}:tb0`, kind: 'thunderbolt', bandwidthGbps: 80, rdma: true });
  }
  return { cluster: { name: `bench-${size}`, domain: 'bench' }, network: { segments, links }, hosts };
}

async function main(): Promise<void> {
  const artifacts = path.join(repoRoot(), 'test-artifacts/topology');
  mkdirSync(artifacts, { recursive: true });
  const server = await serveTopologyPage();
  const browser = await launchChromium();
  try {
    console.log('hosts  links | from graph delivery: first paint, layout done | from page load: first paint, layout done | state update (all hosts)');
    for (const size of [50, 500]) {
      const spec = syntheticCluster(size);
      const store = new ClusterStateStore();
      store.setSpec(spec);
      const graph = buildTopologyGraph(spec);
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await page.goto(server.url);
      await page.evaluate(() => localStorage.clear());
      await waitForPosted(page, 'ready');
      await sendToPage(page, { type: 'graph', graph, state: buildTopologyState(store) });
      const rendered = await waitForPosted(page, 'rendered', 120_000);
      if (rendered.type !== 'rendered') throw new Error('no render report');
      // A live update of every host: time from delivery to the next painted frame.
      spec.hosts.forEach((h, i) => store.applyHostFacts('bench', h.name, { status: HOST_STATUSES[i % HOST_STATUSES.length], memory: { totalBytes: 100, availableBytes: i % 100 } }));
      const state = buildTopologyState(store);
      const updateMs = await page.evaluate((s) => new Promise<number>((resolve) => {
        const t0 = performance.now();
        window.dispatchEvent(new MessageEvent('message', { data: { type: 'state', state: s } }));
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
      }), state);
      await page.screenshot({ path: path.join(artifacts, `bench-${size}.png`) });
      const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace('topology:', ''), m.startTime])));
      const ms = (v: number) => `${v.toFixed(0).padStart(5)} ms`;
      console.log(`${String(size).padStart(5)}  ${String(rendered.links).padStart(5)} | ${ms(rendered.firstPaintMs - marks.graph)}, ${ms(rendered.layoutDoneMs - marks.graph)} | ${ms(rendered.firstPaintMs)}, ${ms(rendered.layoutDoneMs)} | ${updateMs.toFixed(1).padStart(7)} ms`);
      const layout = marks['layout-start'] === undefined ? 'none needed (packed before the first paint)' : ms(marks['layout-done'] - marks['layout-start']).trim();
      console.log(`       script running at ${ms(marks.script).trim()}; elements added in ${ms(marks.elements - marks.graph).trim()}; layout ${layout}`);
      await page.close();
      store.dispose();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
