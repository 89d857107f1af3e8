// The topology webview in a real browser (headless Chromium): the panel's own page and bundle, fed the example
// cluster through the same messages the extension sends. Screenshots go to test-artifacts/topology/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ClusterSpec } from '#core/spec';
import { loadSpec } from '#core/validate';
import { ClusterStateStore } from '../../client/src/state/store';
import { mapExoState, type ExoState } from '../../client/src/state/exoSource';
import { buildTopologyGraph, buildTopologyState } from '../../client/src/topology/graph';
import {
  launchChromium,
  posted,
  repoRoot,
  sendToPage,
  serveTopologyPage,
  waitForPosted,
  type TopologyServer,
} from '../fixtures/topology/harness';

const root = repoRoot();
const artifacts = path.join(root, 'test-artifacts/topology');
const lab = path.join(root, 'examples/lab');
let spec: ClusterSpec;

let server: TopologyServer;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];
const pageErrors: string[] = [];
const store = new ClusterStateStore({ batchMs: 1 });

interface DrawnHost {
  id: string;
  x: number;
  y: number;
  border: string;
  status: string;
}
async function drawnHosts(): Promise<DrawnHost[]> {
  return page.evaluate(() => {
    const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
    return cy.nodes('[kind = "host"]').map((n) => ({
      id: n.id(),
      x: n.position().x,
      y: n.position().y,
      border: String(n.style('border-color')),
      status: String(n.data('status')),
    }));
  });
}
async function drawnEdges(): Promise<string[]> {
  return page.evaluate(() => {
    const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
    return cy
      .edges()
      .map((e) => `${e.data('kind')}:${e.source().id()}-${e.target().id()}`)
      .sort();
  });
}

before(async () => {
  spec = (await loadSpec(lab)).model.spec;
  store.setSpec(spec);
  mkdirSync(artifacts, { recursive: true });
  server = await serveTopologyPage();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.exposeFunction('__cspViolation', (v: string) => cspViolations.push(v));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolation(v: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`);
    }),
  );
  await page.goto(server.url);
  await waitForPosted(page, 'ready');
});

after(async () => {
  await browser?.close();
  await server?.close();
  store.dispose();
});

test('draws every host, every segment each host is on, every link, and a legend', async () => {
  const graph = buildTopologyGraph(spec);
  await sendToPage(page, { type: 'graph', graph, state: buildTopologyState(store) });
  const rendered = await waitForPosted(page, 'rendered');
  assert.equal(rendered.type === 'rendered' && rendered.hosts, 3);
  const hosts = await drawnHosts();
  assert.deepEqual(hosts.map((h) => h.id).sort(), ['gpu-2', 'hub-1', 'mac-studio']);
  assert.deepEqual(await drawnEdges(), [
    'bond:hub-1-gpu-2',
    'nats:gpu-2-hub-1',
    'nats:mac-studio-hub-1',
    'segment:gpu-2-segment/data',
    'segment:gpu-2-segment/mgmt',
    'segment:hub-1-segment/data',
    'segment:hub-1-segment/mgmt',
    'segment:hub-1-segment/tb',
    'segment:mac-studio-segment/mgmt',
    'segment:mac-studio-segment/tb',
    'thunderbolt:hub-1-mac-studio',
  ]);
  const drawn = await page.evaluate(() => {
    const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
    const box = (n: import('cytoscape').NodeSingular) => n.boundingBox({ includeLabels: false });
    const all = cy.elements().renderedBoundingBox({});
    return {
      segments: cy.nodes('[kind = "segment"]').map((n) => ({ id: n.id(), label: String(n.data('label')), bb: box(n) })),
      hostBoxes: cy.nodes('[kind = "host"]').map((n) => ({ id: n.id(), label: String(n.data('display')), bb: box(n) })),
      zoom: cy.zoom(),
      width: cy.width(),
      height: cy.height(),
      rendered: all,
    };
  });
  assert.deepEqual(drawn.segments.map((s) => s.label).sort(), [
    'data · 10.1.0.0/24 · VLAN 20',
    'mgmt · 10.0.0.0/24 · VLAN 10',
    'tb · 10.99.0.0/30',
  ]);
  // Each host's box: its name, its GPUs, its memory (the spec's size until a live source reports it).
  // gpu-2's container `infer` is drawn inside its box (not running: no state reported yet).
  assert.deepEqual(drawn.hostBoxes.map((h) => h.label).sort(), [
    'gpu-2\nA100 80GB\n128 GB RAM\n□ infer',
    'hub-1\n2× RTX 4090\n256 GB RAM',
    'mac-studio\nM3 Ultra\n192 GB RAM',
  ]);
  // Laid out: no two nodes (hosts or segments) overlap.
  const boxes = [...drawn.segments, ...drawn.hostBoxes];
  for (const a of boxes)
    for (const b of boxes) {
      if (a === b) continue;
      const apart = a.bb.x2 <= b.bb.x1 || b.bb.x2 <= a.bb.x1 || a.bb.y2 <= b.bb.y1 || b.bb.y2 <= a.bb.y1;
      assert.ok(apart, `${a.id} overlaps ${b.id}`);
    }
  // Fitted: all of it in view, at most at natural size, and not a speck in the middle.
  assert.ok(drawn.zoom <= 1, `zoom ${drawn.zoom}`);
  assert.ok(
    drawn.rendered.x1 >= 0 && drawn.rendered.y1 >= 0 && drawn.rendered.x2 <= drawn.width && drawn.rendered.y2 <= drawn.height,
    JSON.stringify(drawn.rendered),
  );
  assert.ok(
    drawn.rendered.w > drawn.width * 0.4 || drawn.rendered.h > drawn.height * 0.4,
    `the drawing fills ${Math.round(drawn.rendered.w)}×${Math.round(drawn.rendered.h)} of ${drawn.width}×${drawn.height}`,
  );
  // The legend names every kind of edge.
  const legend = await page.$$eval('#legend li[data-kind]', (items) =>
    items.map((li) => `${(li as HTMLElement).dataset.kind}=${li.textContent}`),
  );
  for (const item of [
    'bond=bond',
    'thunderbolt=Thunderbolt (RDMA)',
    'nats=NATS leaf → hub',
    'exo-socket=exo (socket)',
    'exo-rdma=exo (RDMA)',
    'segment=interface on a segment',
  ]) {
    assert.ok(legend.includes(item), `legend lacks ${item}: ${legend.join(', ')}`);
  }
  assert.match((await page.textContent('#count')) ?? '', /^3 hosts$/);
  await page.screenshot({ path: path.join(artifacts, 'lab.png') });
  assert.deepEqual(cspViolations, [], 'the page runs under its CSP without violations');
  assert.deepEqual(pageErrors, []);
});

test('Fit shows the whole cluster at most at natural size; the legend can be hidden', async () => {
  const view = () =>
    page.evaluate(() => {
      const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
      return { zoom: cy.zoom(), bb: cy.elements().renderedBoundingBox({}), width: cy.width(), height: cy.height() };
    });
  const fitted = await view();
  await page.click('button[data-action="zoom-in"]');
  await page.click('button[data-action="zoom-in"]');
  assert.ok((await view()).zoom > fitted.zoom * 1.5);
  await page.click('button[data-action="fit"]');
  await page.waitForFunction(
    (z) => Math.abs((window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy.zoom() - z) < 1e-3,
    fitted.zoom,
  );
  // within 1e-3 of a fit at natural size (zoom 1) the animation may still be a step above it
  await page.waitForFunction(() => !(window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy.animated());
  const again = await view();
  assert.ok(again.zoom <= 1);
  assert.ok(again.bb.x1 >= 0 && again.bb.x2 <= again.width && again.bb.y1 >= 0 && again.bb.y2 <= again.height);
  // A page that grows (VS Code sizes the webview after it loads) is fitted again while the user has not zoomed.
  await page.setViewportSize({ width: 700, height: 450 });
  await page.waitForFunction((w) => {
    const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
    const bb = cy.elements().renderedBoundingBox({});
    return cy.width() < w && bb.x1 >= 0 && bb.x2 <= cy.width();
  }, fitted.width);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForFunction(
    (z) => Math.abs((window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy.zoom() - z) < 1e-3,
    fitted.zoom,
  );
  await page.click('#legend-toggle');
  assert.equal(await page.isVisible('#legend'), false);
  await page.click('#legend-toggle');
  assert.equal(await page.isVisible('#legend'), true);
});

test('live state from exo recolours hosts and adds exo edges without moving any node', async () => {
  const before = await drawnHosts();
  const doc = JSON.parse(readFileSync(path.join(root, 'test/fixtures/exo/recorded/state-downloading.json'), 'utf8')) as ExoState;
  const mapping = mapExoState(doc, spec);
  for (const [host, facts] of mapping.hosts) store.applyHostFacts('exo', host, facts, 'replace');
  store.setLiveLinks('exo', mapping.links);
  store.applyHostFacts('deploy', 'gpu-2', { status: 'failed', statusDetail: 'nixos-rebuild switch exited with 1' });
  const live = buildTopologyState(store);
  // The instance's shards on the hosts, with exo's lifecycle there.
  assert.equal(live.hosts.find((h) => h.id === 'hub-1')!.exoText, 'downloading 35% · Llama-3.3-70B-Instruct-4bit layers 0–47/80');
  assert.equal(live.hosts.find((h) => h.id === 'mac-studio')!.exoText, 'downloading 60% · Llama-3.3-70B-Instruct-4bit layers 47–80/80');
  await sendToPage(page, { type: 'state', state: live });
  await page.waitForFunction(
    () =>
      (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy.getElementById('hub-1').data('status') ===
      'running',
  );
  assert.equal(
    await page.evaluate(() =>
      (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy.getElementById('hub-1').data('exoText'),
    ),
    'downloading 35% · Llama-3.3-70B-Instruct-4bit layers 0–47/80',
  );
  const afterUpdate = await drawnHosts();
  for (const h of afterUpdate) {
    const b = before.find((x) => x.id === h.id)!;
    assert.deepEqual([h.x, h.y], [b.x, b.y], `${h.id} did not move`);
  }
  const colour = (list: DrawnHost[], id: string) => list.find((h) => h.id === id)!.border;
  assert.notEqual(colour(afterUpdate, 'hub-1'), colour(before, 'hub-1'), 'running recolours hub-1');
  assert.notEqual(colour(afterUpdate, 'gpu-2'), colour(afterUpdate, 'hub-1'), 'failed and running differ');
  assert.equal(colour(afterUpdate, 'hub-1'), colour(afterUpdate, 'mac-studio'));
  const edges = await drawnEdges();
  assert.ok(edges.includes('exo-socket:hub-1-mac-studio'), edges.join(', '));
  assert.ok(edges.includes('exo-socket:hub-1-gpu-2'), edges.join(', '));
  await page.screenshot({ path: path.join(artifacts, 'lab-live.png') });
});

test('hovering a host shows its details; clicking it asks the extension to reveal it in the spec', async () => {
  const at = await page.evaluate(() => {
    const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
    const p = cy.getElementById('mac-studio').renderedPosition();
    const box = cy.container()!.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  });
  await page.mouse.move(at.x, at.y);
  await page.waitForSelector('#card:not([hidden])');
  const card = (await page.textContent('#card')) ?? '';
  assert.match(card, /mac-studio/);
  assert.match(card, /running/);
  assert.match(card, /GiB GPU memory/);
  await page.screenshot({ path: path.join(artifacts, 'lab-hover.png') });
  await page.mouse.click(at.x, at.y);
  const reveal = await waitForPosted(page, 'revealHost');
  assert.deepEqual(reveal, { type: 'revealHost', host: 'mac-studio' });
});

test('the filter fades hosts that do not match', async () => {
  await page.fill('#filter', 'apple');
  assert.equal(await page.textContent('#count'), '1 of 3 hosts');
  const faded = await page.evaluate(() =>
    (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy
      .nodes('.faded')
      .map((n) => n.id())
      .sort(),
  );
  assert.deepEqual(faded, ['gpu-2', 'hub-1']);
  await page.screenshot({ path: path.join(artifacts, 'lab-filtered.png') });
  await page.fill('#filter', '');
  assert.equal(await page.textContent('#count'), '3 hosts');
});

test('exports PNG and SVG through the extension', async () => {
  await page.click('button[data-action="export-svg"]');
  const svg = await waitForPosted(page, 'export');
  assert.ok(svg.type === 'export' && svg.format === 'svg');
  const text = svg.type === 'export' ? svg.data : '';
  assert.match(text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const host of ['hub-1', 'gpu-2', 'mac-studio']) assert.match(text, new RegExp(`class="host" data-id="${host}"`));
  assert.equal((text.match(/class="link"/g) ?? []).length, (await drawnEdges()).length);
  assert.match(text, /data-id="gpu-2" data-status="failed"/);
  writeFileSync(path.join(artifacts, 'lab-export.svg'), text);
  // The SVG is well-formed: the browser parses it without a parser error.
  const parsed = await page.evaluate(
    (s) => new DOMParser().parseFromString(s, 'image/svg+xml').getElementsByTagName('parsererror').length,
    text,
  );
  assert.equal(parsed, 0);

  await page.click('button[data-action="export-png"]');
  await page.waitForFunction(() =>
    (window as unknown as { __posted: { type: string; format?: string }[] }).__posted.some(
      (m) => m.type === 'export' && m.format === 'png',
    ),
  );
  const png = (await posted(page)).find((m) => m.type === 'export' && m.format === 'png');
  assert.ok(png?.type === 'export' && png.data.startsWith('data:image/png;base64,'));
  const bytes = Buffer.from(png.data.slice('data:image/png;base64,'.length), 'base64');
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
  writeFileSync(path.join(artifacts, 'lab-export.png'), bytes);
});

test('a reload restores the picture from the persisted state before the extension answers', async () => {
  const before = await drawnHosts();
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const restored = await drawnHosts();
  assert.deepEqual(
    restored.map((h) => [h.id, Math.round(h.x), Math.round(h.y), h.status]).sort(),
    before.map((h) => [h.id, Math.round(h.x), Math.round(h.y), h.status]).sort(),
  );
  // A spec edit that adds a host places only the new one; existing hosts keep their place.
  const grown = structuredClone(spec);
  grown.hosts.push({
    name: 'gpu-3',
    addresses: ['10.0.0.12'],
    tags: ['gpu'],
    roles: ['exo-worker', 'nats-leaf'],
    interfaces: [{ name: 'eth0', kind: 'ethernet', segment: 'mgmt' }],
    hardware: { gpus: [{ vendor: 'amd', model: 'MI300X', vramGB: 192 }] },
  });
  store.setSpec(grown);
  await sendToPage(page, { type: 'graph', graph: buildTopologyGraph(grown), state: buildTopologyState(store) });
  await page.waitForFunction(() =>
    (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy.getElementById('gpu-3').nonempty(),
  );
  const hosts = await drawnHosts();
  assert.equal(hosts.length, 4);
  for (const h of restored) {
    const now = hosts.find((x) => x.id === h.id)!;
    assert.deepEqual([now.x, now.y], [h.x, h.y], `${h.id} kept its place`);
  }
  const added = hosts.find((h) => h.id === 'gpu-3')!;
  for (const h of restored) assert.ok(Math.abs(added.x - h.x) > 100 || Math.abs(added.y - h.y) > 40, `gpu-3 overlaps ${h.id}`);
  assert.deepEqual(cspViolations, []);
  assert.deepEqual(pageErrors, []);
  await page.screenshot({ path: path.join(artifacts, 'lab-grown.png') });
});

test('a large cluster is packed by segment before its first paint, boxes around each segment', async () => {
  const big: ClusterSpec = {
    cluster: { name: 'big', domain: 'big' },
    network: { segments: ['a', 'b', 'c', 'd'].map((name, i) => ({ name, subnet: `10.${i}.0.0/24` })) },
    hosts: Array.from({ length: 80 }, (_, i) => ({
      name: `h${i}`,
      addresses: [`10.${i % 4}.0.${i}`],
      roles: i === 0 ? ['nats-hub' as const] : ['nats-leaf' as const],
      interfaces: [{ name: 'eth0', kind: 'ethernet' as const, segment: ['a', 'b', 'c', 'd'][i % 4] }],
      hardware: { gpus: [{ vendor: 'nvidia' as const, model: 'H100', count: 8 }] },
    })),
  };
  const bigStore = new ClusterStateStore({ batchMs: 1 });
  bigStore.setSpec(big);
  const other = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await other.goto(server.url);
    await other.evaluate(() => localStorage.clear());
    await other.reload();
    await other.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    await sendToPage(other, { type: 'graph', graph: buildTopologyGraph(big), state: buildTopologyState(bigStore) });
    await other.waitForFunction(() => document.body.dataset.ready === 'true');
    const layout = await other.evaluate(() => {
      const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
      return {
        ran: performance.getEntriesByName('topology:layout-start').length,
        compound: cy.nodes(':parent').length,
        hosts: cy.nodes('[kind = "host"]').map((n) => ({ id: n.id(), seg: n.data('segment') as string, ...n.position() })),
        boxes: cy
          .nodes('[kind = "segmentBox"]')
          .map((b) => ({ seg: b.data('segment') as string, bb: b.boundingBox({ includeLabels: false }) })),
      };
    });
    assert.equal(layout.ran, 0, 'no layout pass after the first paint');
    assert.equal(layout.compound, 0, 'segments are boxes, not compound parents');
    assert.equal(layout.hosts.length, 80);
    assert.equal(layout.boxes.length, 4);
    for (const h of layout.hosts) {
      const box = layout.boxes.find((b) => b.seg === h.seg)!.bb;
      assert.ok(h.x > box.x1 && h.x < box.x2 && h.y > box.y1 && h.y < box.y2, `${h.id} inside its segment box`);
      for (const o of layout.boxes)
        if (o.seg !== h.seg)
          assert.ok(!(h.x > o.bb.x1 && h.x < o.bb.x2 && h.y > o.bb.y1 && h.y < o.bb.y2), `${h.id} outside segment ${o.seg}`);
    }
    bigStore.applyHostFacts('nats', 'h7', { status: 'failed', memory: { totalBytes: 10, availableBytes: 1 } });
    await sendToPage(other, { type: 'state', state: buildTopologyState(bigStore) });
    await other.waitForFunction(
      () =>
        (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy.getElementById('h7').data('status') ===
        'failed',
    );
    const after = await other.evaluate(() =>
      (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy
        .nodes('[kind = "host"]')
        .map((n) => ({ id: n.id(), ...n.position() })),
    );
    assert.deepEqual(
      after,
      layout.hosts.map(({ id, x, y }) => ({ id, x, y })),
      'a state update moves nothing',
    );
    await other.screenshot({ path: path.join(artifacts, 'large-80.png') });
    // Leaf → hub lines only for the selected host (79 leaves would cross the whole picture); all of them for the hub.
    const nats = await other.evaluate(() => {
      const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
      const lines = () => cy.edges('[kind = "nats"]').map((e) => `${e.source().id()}-${e.target().id()}`);
      const none = lines();
      cy.getElementById('h7').select();
      const leaf = lines();
      cy.getElementById('h7').unselect();
      cy.getElementById('h0').select();
      const hub = lines().length;
      cy.getElementById('h0').unselect();
      return { none, leaf, hub, after: lines().length };
    });
    assert.deepEqual(nats, { none: [], leaf: ['h7-h0'], hub: 79, after: 0 });
    // Zoomed out below readable size, labels are left out of the style (too small to draw, costly to measure);
    // zoomed in they are back.
    const labels = await other.evaluate(() => {
      const cy = (window as unknown as { __topology: { cy: import('cytoscape').Core } }).__topology.cy;
      const label = () => String(cy.getElementById('h7').style('label'));
      const fitted = label();
      cy.zoom(0.3);
      const out = label();
      cy.zoom({ level: 1, position: cy.getElementById('h7').position() });
      return { fitted, out, in: label() };
    });
    assert.match(labels.fitted, /^h7\n8× H100/, 'fitted at readable size: labelled');
    assert.equal(labels.out, '');
    assert.match(labels.in, /^h7\n8× H100/);
    await other.screenshot({ path: path.join(artifacts, 'large-80-zoomed.png') });
  } finally {
    await other.close();
    bigStore.dispose();
  }
});

test('the first picture is a preview drawn at once from the graph, with each host where the drawing then puts it', async () => {
  const spec80: ClusterSpec = {
    cluster: { name: 'preview', domain: 'preview' },
    network: { segments: ['a', 'b'].map((name, i) => ({ name, subnet: `10.${i}.0.0/24` })) },
    hosts: Array.from({ length: 80 }, (_, i) => ({
      name: `p${i}`,
      addresses: [`10.${i % 2}.0.${i}`],
      interfaces: [{ name: 'eth0', kind: 'ethernet' as const, segment: ['a', 'b'][i % 2] }],
    })),
  };
  const previewStore = new ClusterStateStore({ batchMs: 1 });
  previewStore.setSpec(spec80);
  const other = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await other.goto(server.url);
    await other.evaluate(() => localStorage.clear());
    await other.reload();
    await other.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    // keep the preview's canvas when it is put on the page (it is removed when the drawing replaces it)
    await other.evaluate(() => {
      const w = window as unknown as { __preview?: HTMLCanvasElement };
      new MutationObserver((records) => {
        for (const r of records)
          for (const n of r.addedNodes) if (n instanceof HTMLCanvasElement && n.parentElement?.id === 'stage') w.__preview ??= n;
      }).observe(document.getElementById('stage')!, { childList: true });
    });
    await sendToPage(other, { type: 'graph', graph: buildTopologyGraph(spec80), state: buildTopologyState(previewStore) });
    await other.waitForFunction(() => document.body.dataset.ready === 'true');
    const seen = await other.evaluate(() => {
      const w = window as unknown as {
        __preview?: HTMLCanvasElement;
        __topology: { cy: import('cytoscape').Core; timings(): { firstPaintMs?: number; drawnMs?: number } };
      };
      const canvas = w.__preview!;
      const g = canvas.getContext('2d')!;
      const ratio = window.devicePixelRatio || 1;
      const alphaAt = (x: number, y: number) => g.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data[3];
      const cy = w.__topology.cy;
      const hosts = cy.nodes('[kind = "host"]').map((n) => n.renderedPosition());
      const bb = cy.nodes().renderedBoundingBox({ includeLabels: false });
      return {
        attached: canvas.isConnected,
        timings: w.__topology.timings(),
        hostsPainted: hosts.filter((p) => alphaAt(p.x, p.y) > 0).length,
        hosts: hosts.length,
        outsidePainted: [
          [bb.x1 - 20, bb.y1 - 20],
          [bb.x2 + 20, bb.y2 + 20],
        ].filter(([x, y]) => alphaAt(x, y) > 0).length,
      };
    });
    assert.equal(seen.attached, false, 'the drawing replaced the preview');
    assert.ok(seen.timings.firstPaintMs! <= seen.timings.drawnMs!, 'the preview came first');
    assert.equal(seen.hostsPainted, seen.hosts, 'every host is painted in the preview where the drawing puts it');
    assert.equal(seen.outsidePainted, 0, 'nothing is painted outside the drawing');
  } finally {
    await other.close();
    previewStore.dispose();
  }
});
