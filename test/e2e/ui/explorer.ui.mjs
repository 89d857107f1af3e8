// Issue 5 in the workbench: the Nodes and GPUs trees on examples/lab, context menus keyed by contextValue, the
// topology panel (every host and link drawn, a click reveals the host in the spec), and live state from a real
// HTTP server answering exo's GET /state recolouring a host in the panel and in the tree.
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../setup.mjs';
import { onLoopback } from '../../fixtures/loopback.mjs';

const SPEC = 'cluster.yaml';

async function showContainer(ui) {
  const header = ui.page.locator('.sidebar .pane-header', { hasText: 'Nodes' }).first();
  // The activity-bar icon toggles: click it only when the container is not already showing.
  if (!(await header.isVisible())) await ui.page.locator('.activitybar [aria-label^="GPU Cluster"]').first().click();
  await header.waitFor({ timeout: 20_000 });
  // Earlier checks may have collapsed a group; open both so their hosts are rows.
  for (const group of ['gpu', 'apple']) {
    const r = row(ui, 'Nodes', group);
    await r.waitFor({ timeout: 30_000 });
    if ((await r.getAttribute('aria-expanded')) === 'false') await r.click();
  }
}

/** A row of a view in the GPU Cluster container. */
function row(ui, view, text) {
  return ui.page
    .locator('.sidebar .pane', { has: ui.page.locator('.pane-header', { hasText: view }) })
    .locator('.monaco-list-row', { hasText: text })
    .first();
}

/** The webview frame that runs the topology page, once it has drawn `hosts` hosts. */
async function topologyFrame(ui, hosts) {
  return ui.waitFor(
    `the topology webview with ${hosts} hosts`,
    async () => {
      for (const frame of ui.page.frames()) {
        const n = await frame
          .evaluate(() =>
            window.__topology && document.body.dataset.ready === 'true' ? window.__topology.cy.nodes('[kind = "host"]').length : -1,
          )
          .catch(() => -1);
        if (n === hosts) return frame;
      }
      return undefined;
    },
    60_000,
  );
}

async function hostBorder(frame, host) {
  return frame.evaluate((h) => {
    const n = window.__topology.cy.getElementById(h);
    return { status: n.data('status'), colour: n.style('border-color') };
  }, host);
}

export const checks = [
  {
    name: "the Nodes view lists the example cluster's hosts and the GPUs view its GPUs",
    async run(ui) {
      await showContainer(ui);
      // Nothing connects until the user asks: the view says so above the groups, and nothing reports an error.
      // The first check of the window also waits for the extension to start (slow on a busy machine).
      for (const host of ['hub-1', 'gpu-2', 'mac-studio']) await row(ui, 'Nodes', host).waitFor({ timeout: 90_000 });
      await row(ui, 'Nodes', 'Not connected').waitFor({ timeout: 30_000 });
      if (await row(ui, 'Nodes', 'not answering').count()) throw new Error('a live source was contacted before the user connected');
      for (const gpu of ['RTX 4090', 'A100 80GB', 'M3 Ultra']) await row(ui, 'GPUs', gpu).waitFor({ timeout: 30_000 });
      const hub = await row(ui, 'Nodes', 'hub-1').innerText();
      if (!hub.includes('2× RTX 4090')) throw new Error(`hub-1's row lacks its GPUs: ${hub}`);
      // Expand hub-1 (a click toggles it): its GPUs, services and interfaces.
      await row(ui, 'Nodes', 'hub-1').click();
      for (const child of ['GPU 1: RTX 4090', 'NATS', 'eth0']) await row(ui, 'Nodes', child).waitFor({ timeout: 20_000 });
      await ui.page.mouse.move(700, 400);
      await ui.shot('explorer-trees');
      // Collapse hub-1 again from the keyboard (it has the focus): no aiming at a row that may have moved.
      await ui.page.keyboard.press('ArrowLeft');
      await row(ui, 'Nodes', 'NATS').waitFor({ state: 'hidden', timeout: 10_000 });
    },
  },
  {
    name: 'the Nodes view groups by segment and back by tag',
    async run(ui) {
      await showContainer(ui);
      await ui.runCommand('GPU Cluster: Group Nodes by Segment');
      for (const segment of ['mgmt', 'data', 'tb']) await row(ui, 'Nodes', segment).waitFor({ timeout: 20_000 });
      await ui.page.mouse.move(700, 400);
      await ui.shot('explorer-grouped-by-segment');
      await ui.runCommand('GPU Cluster: Group Nodes by Tag');
      await row(ui, 'Nodes', 'apple').waitFor({ timeout: 20_000 });
      if (await row(ui, 'Nodes', 'mgmt').isVisible()) throw new Error('segment groups still shown after grouping by tag');
    },
  },
  {
    name: 'context menus offer only what applies: deploy on a Linux host, not on the Mac',
    async run(ui) {
      await showContainer(ui);
      const menu = ui.page.locator('.context-view .monaco-menu');
      await row(ui, 'Nodes', 'hub-1').click({ button: 'right' });
      await menu.waitFor({ timeout: 15_000 });
      const linux = await menu.innerText();
      await ui.shot('explorer-host-context-menu');
      await ui.page.keyboard.press('Escape');
      await menu.waitFor({ state: 'hidden', timeout: 10_000 });
      await ui.page.mouse.move(700, 400);
      for (const item of ['Deploy Host (nixos-anywhere)', 'Checkpoint GPU Process', 'Open SSH Terminal', 'Reveal in Spec']) {
        if (!linux.includes(item)) throw new Error(`hub-1's menu lacks "${item}": ${linux}`);
      }
      await row(ui, 'Nodes', 'mac-studio').click({ button: 'right' });
      await menu.waitFor({ timeout: 15_000 });
      const mac = await menu.innerText();
      await ui.page.keyboard.press('Escape');
      await menu.waitFor({ state: 'hidden', timeout: 10_000 });
      if (mac.includes('Deploy Host') || mac.includes('Checkpoint GPU Process'))
        throw new Error(`mac-studio's menu offers Linux-only actions: ${mac}`);
      if (!mac.includes('Update Host')) throw new Error(`mac-studio's menu lacks Update Host: ${mac}`);
    },
  },
  {
    name: 'the topology panel draws every host and link; a click reveals the host in the spec',
    async run(ui) {
      await ui.runCommand('GPU Cluster: Show Topology');
      const frame = await topologyFrame(ui, 3);
      const edges = await frame.evaluate(() =>
        window.__topology.cy
          .edges()
          .map((e) => `${e.data('kind')}:${e.source().id()}-${e.target().id()}`)
          .sort(),
      );
      for (const e of ['bond:hub-1-gpu-2', 'thunderbolt:hub-1-mac-studio', 'nats:gpu-2-hub-1', 'nats:mac-studio-hub-1']) {
        if (!edges.includes(e)) throw new Error(`link ${e} not drawn: ${edges.join(', ')}`);
      }
      await ui.shot('topology-panel');
      const at = await frame.evaluate(() => {
        const cy = window.__topology.cy;
        const p = cy.getElementById('gpu-2').renderedPosition();
        const box = cy.container().getBoundingClientRect();
        return { x: box.left + p.x, y: box.top + p.y };
      });
      const frameBox = await (await frame.frameElement()).boundingBox();
      await ui.page.mouse.click(frameBox.x + at.x, frameBox.y + at.y);
      await ui.page.locator('.tabs-container .tab.active', { hasText: 'gpu-2.yaml' }).waitFor({ timeout: 20_000 });
      await ui.shot('topology-click-reveals-host');
    },
  },
  {
    name: "the topology shows all three segments of the example, each host's GPUs and memory, and a legend; Fit keeps it at natural size",
    async run(ui) {
      await ui.runCommand('GPU Cluster: Show Topology');
      const frame = await topologyFrame(ui, 3);
      // Re-layout runs ELK in its worker inside the real webview (fetched from the webview's resource origin,
      // started from blob:); the panel may have been restored from its saved positions without a layout.
      const layoutsBefore = await frame.evaluate(() => performance.getEntriesByName('topology:layout-done').length);
      await frame.click('button[data-action="relayout"]');
      await ui.waitFor(
        'the layered layout from the worker',
        () =>
          frame.evaluate(
            (n) => performance.getEntriesByName('topology:layout-done').length > n && !window.__topology.cy.animated(),
            layoutsBefore,
          ),
        30_000,
      );
      const drawn = await frame.evaluate(() => {
        const cy = window.__topology.cy;
        const bb = cy.elements().renderedBoundingBox({});
        return {
          segments: cy
            .nodes('[kind = "segment"]')
            .map((n) => n.data('label'))
            .sort(),
          attachments: cy
            .edges('[kind = "segment"]')
            .map((e) => `${e.source().id()}:${e.data('label')}->${e.target().data('segment')}`)
            .sort(),
          hosts: cy
            .nodes('[kind = "host"]')
            .map((n) => n.data('display'))
            .sort(),
          legend: [...document.querySelectorAll('#legend li[data-kind]')]
            .filter((li) => li.offsetParent !== null)
            .map((li) => li.dataset.kind),
          zoom: cy.zoom(),
          width: cy.width(),
          height: cy.height(),
          bb: { x1: bb.x1, y1: bb.y1, x2: bb.x2, y2: bb.y2, w: bb.w, h: bb.h },
        };
      });
      // The window's copy of the example is on loopback (run.mjs moves 10.a.b.c to 127.a.b.c).
      const expectSegments = ['data · 127.1.0.0/24 · VLAN 20', 'mgmt · 127.0.0.0/24 · VLAN 10', 'tb · 127.99.0.0/30'];
      if (JSON.stringify(drawn.segments) !== JSON.stringify(expectSegments))
        throw new Error(`segments drawn: ${drawn.segments.join(' | ')}`);
      const expectAttachments = [
        'gpu-2:eth0->mgmt',
        'gpu-2:eth1->data',
        'hub-1:bond0->data',
        'hub-1:eth0->mgmt',
        'hub-1:tb0->tb',
        'mac-studio:en0->mgmt',
        'mac-studio:tb0->tb',
      ];
      if (JSON.stringify(drawn.attachments) !== JSON.stringify(expectAttachments))
        throw new Error(`interfaces on segments: ${drawn.attachments.join(', ')}`);
      for (const [host, gpus] of [
        ['hub-1', '2× RTX 4090'],
        ['gpu-2', 'A100 80GB'],
        ['mac-studio', 'M3 Ultra'],
      ]) {
        const label = drawn.hosts.find((l) => l.startsWith(`${host}\n`));
        if (!label || !label.includes(gpus) || !/GB RAM|GiB/.test(label)) throw new Error(`${host}'s box shows ${JSON.stringify(label)}`);
      }
      for (const kind of ['bond', 'thunderbolt', 'nats', 'exo-socket', 'exo-rdma', 'segment']) {
        if (!drawn.legend.includes(kind)) throw new Error(`the legend lacks ${kind}: ${drawn.legend.join(', ')}`);
      }
      const inView = (d) => d.bb.x1 >= 0 && d.bb.y1 >= 0 && d.bb.x2 <= d.width && d.bb.y2 <= d.height;
      const notTiny = (d) => d.bb.w > d.width * 0.4 || d.bb.h > d.height * 0.4;
      if (drawn.zoom > 1 || !inView(drawn) || !notTiny(drawn))
        throw new Error(`first picture: zoom ${drawn.zoom}, drawing ${JSON.stringify(drawn.bb)} in ${drawn.width}×${drawn.height}`);
      await ui.shot('topology-segments-legend');
      // Zoom in twice, then Fit: back to the whole cluster, never beyond natural size.
      for (const action of ['zoom-in', 'zoom-in', 'fit']) await frame.click(`button[data-action="${action}"]`);
      const fitted = await ui.waitFor(
        'the fitted picture',
        async () => {
          const d = await frame.evaluate(() => {
            const cy = window.__topology.cy;
            const bb = cy.elements().renderedBoundingBox({});
            return {
              zoom: cy.zoom(),
              width: cy.width(),
              height: cy.height(),
              bb: { x1: bb.x1, y1: bb.y1, x2: bb.x2, y2: bb.y2, w: bb.w, h: bb.h },
              animating: cy.animated(),
            };
          });
          return !d.animating && Math.abs(d.zoom - drawn.zoom) < 1e-3 ? d : undefined;
        },
        10_000,
      );
      if (fitted.zoom > 1 || !inView(fitted) || !notTiny(fitted))
        throw new Error(`after Fit: zoom ${fitted.zoom}, drawing ${JSON.stringify(fitted.bb)}`);
      await ui.shot('topology-fit');
    },
  },
  {
    name: "live state from exo's API recolours a host in the topology and the tree",
    async run(ui) {
      // exo reports the addresses of the hosts it runs on: those of this workspace, moved to 127.x like the spec.
      const body = onLoopback(readFileSync(path.join(repoRoot, 'test/fixtures/exo/recorded/state-downloading.json'), 'utf8'), 0);
      const server = http.createServer((req, res) => {
        if (req.url === '/state') res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        else res.writeHead(404).end();
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const specPath = path.join(ui.workspace, SPEC);
      const original = readFileSync(specPath, 'utf8');
      try {
        await ui.runCommand('GPU Cluster: Show Topology');
        let frame = await topologyFrame(ui, 3);
        const before = await hostBorder(frame, 'hub-1');
        if (before.status === 'running') throw new Error('hub-1 is running before exo answers');
        writeFileSync(
          specPath,
          original
            .replace('addresses: [127.0.0.10]', 'addresses: [127.0.0.1]')
            .replace(/^exo:\n {2}enable: true\n/m, `exo:\n  enable: true\n  ports: { api: ${server.address().port} }\n`),
        );
        // Live state flows once the user connects: the row at the top of the Nodes view does it.
        await showContainer(ui);
        await row(ui, 'Nodes', 'Not connected').click();
        const after = await ui.waitFor(
          'hub-1 running in the topology',
          async () => {
            frame = await topologyFrame(ui, 3);
            const now = await hostBorder(frame, 'hub-1');
            return now.status === 'running' ? now : undefined;
          },
          60_000,
        );
        if (after.colour === before.colour) throw new Error(`hub-1's colour did not change (${after.colour})`);
        const exoEdges = await frame.evaluate(() => window.__topology.cy.edges('[?live]').length);
        if (exoEdges !== 3) throw new Error(`expected exo's 3 live links, saw ${exoEdges}`);
        await ui.shot('topology-live-exo');
        await showContainer(ui);
        await ui.waitFor('hub-1 running in the Nodes view', async () => (await row(ui, 'Nodes', 'hub-1').innerText()).includes('running'));
        await ui.shot('explorer-live-exo');
      } finally {
        await ui.runCommand('GPU Cluster: Disconnect from Cluster').catch(() => {});
        writeFileSync(specPath, original);
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  },
];
