// The topology webview: receives the cluster graph and its live state from the extension, draws them with
// cytoscape, and sends back reveal requests and exports. Keeps positions, zoom and the filter in the webview
// state so a reload (or a VS Code restart, through the panel serializer) shows the same picture.

import type cytoscape from 'cytoscape';
import type { FromWebview, PersistedTopology, ToWebview, TopologyGraph, TopologyState } from './protocol';
import { GraphView, MIN_ZOOM, initialPositions, isFresh } from './graphView';
import { drawPreview, fitTo } from './preview';
import { readPalette } from './theme';
import { toSvg } from './svgExport';
import { renderLegend } from './legend';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): PersistedTopology | undefined;
  setState(state: PersistedTopology): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// Marks for the benchmark's breakdown (performance.getEntriesByType('mark')).
performance.mark('topology:script');
const vscode = acquireVsCodeApi();
const post = (m: FromWebview) => vscode.postMessage(m);

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`topology page lacks #${id}`);
  return el as T;
}

const container = element<HTMLDivElement>('cy');
const card = element<HTMLDivElement>('card');
const filterInput = element<HTMLInputElement>('filter');
const count = element<HTMLSpanElement>('count');
const statusLine = element<HTMLDivElement>('status');
const legend = element<HTMLDivElement>('legend');
const legendButton = element<HTMLButtonElement>('legend-toggle');

let palette = readPalette();
// The cytoscape drawing is made once the first graph's preview is on screen (see render): making it takes a good
// part of a second, and the graph cannot arrive while the page's script is still running.
let view!: GraphView;
let cy!: cytoscape.Core;
function createView(): void {
  view = new GraphView(container, palette, document.body.dataset.elkWorker ?? '');
  cy = view.cy;
  wireView();
}
let persisted: PersistedTopology = vscode.getState() ?? { positions: {}, filter: '' };
/** The first picture (the preview's, or cytoscape's when there is no preview), and cytoscape's first frame. */
let firstPaintMs: number | undefined;
let drawnMs: number | undefined;
let paintPending = false;
let layoutDone = false;
/** The graph (and latest state) waiting while the preview's frame is shown, before cytoscape draws it. */
let previewing: { graph: TopologyGraph; state: TopologyState } | undefined;
let preview: HTMLCanvasElement | undefined;

/** Read-only handle for tests and benchmarks driving the page in a browser. */
(window as unknown as { __topology: unknown }).__topology = {
  get cy() {
    return cy;
  },
  timings: () => ({ firstPaintMs, drawnMs, layoutDone }),
};

let saveTimer: ReturnType<typeof setTimeout> | undefined;
/** Updates the persisted state; VS Code gets it a moment later, so a burst of changes (and the first paint) pays one serialisation. */
function save(patch: Partial<PersistedTopology>): void {
  persisted = { ...persisted, ...patch };
  saveTimer ??= setTimeout(() => {
    saveTimer = undefined;
    vscode.setState(persisted);
  }, 100);
}

/** A fitted picture is never drawn larger than this: three hosts would otherwise become giant boxes. */
const MAX_FIT_ZOOM = 1;
/** The viewport follows the container's size until the user zooms or pans. */
let autoFit = true;

/** Zoom and pan that show `nodes` whole, centred, at most at MAX_FIT_ZOOM; undefined while the page has no size. */
function fitViewport(nodes: cytoscape.NodeCollection = cy.nodes()): { zoom: number; pan: { x: number; y: number } } | undefined {
  const bb = view.extent(nodes);
  return bb && fitTo(bb, cy.width(), cy.height(), cy.minZoom(), MAX_FIT_ZOOM);
}

/** Fits the cluster (or `nodes`); keeps following the page's size afterwards when it is the whole cluster. */
/** Resolves when the viewport is there (after the animation, when animated). */
function fitAll(animate = false, nodes?: cytoscape.NodeCollection): Promise<void> {
  autoFit = !nodes;
  const target = fitViewport(nodes);
  if (!target) return Promise.resolve();
  if (!animate) {
    cy.viewport(target);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    cy.animate({ ...target, duration: 200, complete: () => resolve() });
  });
}

function updateCount(): void {
  const hosts = cy.nodes('[kind = "host"]').length;
  const shown = cy.nodes('[kind = "host"]').not('.faded').length;
  count.textContent = persisted.filter ? `${shown} of ${hosts} hosts` : `${hosts} hosts`;
}

function render(next: TopologyGraph, state: TopologyState): void {
  performance.mark('topology:graph');
  if (previewing) {
    previewing = { graph: next, state };
    return;
  }
  // The first graph of a fresh page: its preview now, the cytoscape drawing after the preview's frame.
  if (!cy) {
    const positions = isFresh(next, persisted.positions) ? initialPositions(next) : persisted.positions;
    preview = drawPreview(container, next, state, positions, palette, MIN_ZOOM, MAX_FIT_ZOOM);
    if (preview) {
      previewing = { graph: next, state };
      requestAnimationFrame(() => {
        firstPaintMs = performance.now();
        performance.mark('topology:paint');
        setTimeout(() => {
          const latest = previewing!;
          previewing = undefined;
          createView();
          drawGraph(latest.graph, latest.state);
        });
      });
      return;
    }
    createView();
  }
  drawGraph(next, state);
}

function drawGraph(next: TopologyGraph, state: TopologyState): void {
  const layoutDoneBefore = layoutDone && cy.nodes().nonempty();
  const { unplaced, sketched } = view.setGraph(next, state, persisted.positions);
  performance.mark('topology:elements');
  // Everything has a place (saved, or packed at once for a large cluster): remember it so no layout runs.
  if (!sketched && unplaced.length === 0) save({ positions: view.positions() });
  view.filter(persisted.filter);
  updateCount();
  if (drawnMs === undefined) {
    // Once, even if graphs arrive faster than frames: the layout after the first paint sees the latest graph.
    if (!paintPending) {
      paintPending = true;
      cy.one('render', () => {
        drawnMs = performance.now();
        firstPaintMs ??= drawnMs;
        performance.mark('topology:drawn');
        if (firstPaintMs === drawnMs) performance.mark('topology:paint');
        preview?.remove();
        preview = undefined;
        requestAnimationFrame(
          () =>
            void arrange(
              cy
                .nodes('[kind = "host"], [kind = "segment"]')
                .filter((n) => !persisted.positions[n.id()])
                .nonempty(),
            ),
        );
      });
    }
    void fitAll();
    cy.forceRender();
    return;
  }
  if (sketched) {
    void arrange(true);
    return;
  }
  if (unplaced.length === 0) return;
  // A host added to a drawn cluster goes next to its segment; a full re-layout would move everything else.
  if (layoutDoneBefore) {
    view.placeNew(unplaced);
    save({ positions: view.positions() });
  } else {
    void arrange(true);
  }
}

async function arrange(needsLayout: boolean): Promise<void> {
  let layoutMs = 0;
  if (needsLayout) {
    statusLine.textContent = `Laying out ${cy.nodes('[kind = "host"]').length} hosts…`;
    performance.mark('topology:layout-start');
    try {
      layoutMs = (await view.layout()).ms;
      performance.mark('topology:layout-done');
      // the picture is reported done once it has settled
      if (autoFit) await fitAll(true);
      save({ positions: view.positions(), zoom: cy.zoom(), pan: cy.pan() });
    } catch (e) {
      // The sketch stays: every host is drawn, only not arranged along its links.
      post({ type: 'error', message: `layout failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  } else if (persisted.zoom !== undefined && persisted.pan) {
    autoFit = false;
    cy.viewport({ zoom: persisted.zoom, pan: persisted.pan });
  } else {
    void fitAll();
  }
  statusLine.textContent = '';
  if (!layoutDone) {
    layoutDone = true;
    post({
      type: 'rendered',
      hosts: cy.nodes('[kind = "host"]').length,
      links: cy.edges().length,
      firstPaintMs: firstPaintMs ?? 0,
      layoutDoneMs: performance.now(),
    });
    document.body.dataset.layoutMs = String(Math.round(layoutMs));
  }
  document.body.dataset.ready = 'true';
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  try {
    switch (message?.type) {
      case 'graph':
        save({ graph: message.graph, state: message.state });
        render(message.graph, message.state);
        break;
      case 'state':
        save({ state: message.state });
        if (previewing) previewing.state = message.state;
        else if (cy) view.setState(message.state);
        break;
      case 'focus': {
        const node = cy ? cy.getElementById(message.host) : undefined;
        if (node?.nonempty()) {
          autoFit = false;
          cy.$(':selected').unselect();
          node.select();
          cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1) }, { duration: 200 });
        }
        break;
      }
    }
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});

// --- interaction ---

function wireView(): void {
  // The webview's page can start with no size (or a provisional one) and grow: refit then, unless the user has
  // chosen a viewport.
  cy.on('resize', () => {
    if (autoFit) void fitAll();
  });
  cy.on('scrollzoom pinchzoom dragpan', () => {
    autoFit = false;
  });

  cy.on('tap', 'node[kind = "host"]', (e) => post({ type: 'revealHost', host: e.target.id() }));

  function line(parent: HTMLElement, text: string, className?: string): void {
    const div = document.createElement('div');
    div.textContent = text;
    if (className) div.className = className;
    parent.appendChild(div);
  }

  cy.on('mouseover', 'node[kind = "host"]', (e) => {
    const n = e.target;
    card.replaceChildren();
    line(card, n.id(), 'title');
    line(card, String(n.data('statusText')), `state ${n.data('status')}`);
    if (n.data('badge')) line(card, `GPUs: ${n.data('badge')}`);
    if (Number(n.data('gpuUsage')) >= 0) line(card, `Accelerator load: ${Math.round(Number(n.data('gpuUsage')))}%`);
    if (n.data('memoryText')) line(card, `Memory: ${n.data('memoryText')}`);
    if (n.data('exoText')) line(card, `exo: ${n.data('exoText')}`);
    for (const c of String(n.data('containersText') ?? '')
      .split('\n')
      .filter(Boolean))
      line(card, `Container ${c}`);
    line(card, `${n.data('system')} · ${n.data('addresses')}`);
    if (n.data('roles')) line(card, `Roles: ${n.data('roles')}`);
    if (n.data('tags')) line(card, `Tags: ${n.data('tags')}`);
    line(card, 'Click to reveal in the spec', 'hint');
    const p = n.renderedPosition();
    card.style.left = `${Math.min(p.x + 20, container.clientWidth - 260)}px`;
    card.style.top = `${p.y + 20}px`;
    card.hidden = false;
  });
  cy.on('mouseover', 'edge', (e) => {
    const edge = e.target;
    card.replaceChildren();
    line(card, `${edge.source().id()} — ${edge.target().id()}`, 'title');
    line(card, `${edge.data('kind')}${edge.data('label') ? ` · ${edge.data('label')}` : ''}`);
    if (edge.data('detail')) line(card, String(edge.data('detail')));
    const p = edge.renderedMidpoint();
    card.style.left = `${p.x + 12}px`;
    card.style.top = `${p.y + 12}px`;
    card.hidden = false;
  });
  cy.on('mouseout', 'node, edge', () => {
    card.hidden = true;
  });
  cy.on('viewport', () => {
    card.hidden = true;
  });
  let viewportTimer: ReturnType<typeof setTimeout> | undefined;
  cy.on('viewport', () => {
    clearTimeout(viewportTimer);
    viewportTimer = setTimeout(() => save({ zoom: cy.zoom(), pan: cy.pan() }), 300);
  });
  cy.on('dragfree', 'node', () => {
    view.fitSegmentBoxes();
    save({ positions: view.positions() });
  });
}

filterInput.value = persisted.filter;
filterInput.addEventListener('input', () => {
  save({ filter: filterInput.value });
  if (!cy) return;
  view.filter(filterInput.value);
  updateCount();
});
filterInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    if (!cy) return;
    const matches = view.filter(filterInput.value);
    if (matches.nonempty()) void fitAll(true, matches);
  } else if (e.key === 'Escape') {
    filterInput.value = '';
    filterInput.dispatchEvent(new Event('input'));
  }
});

const actions: Record<string, () => void> = {
  fit: () => void fitAll(true),
  'zoom-in': () => {
    autoFit = false;
    cy.zoom({ level: cy.zoom() * 1.25, renderedPosition: { x: container.clientWidth / 2, y: container.clientHeight / 2 } });
  },
  'zoom-out': () => {
    autoFit = false;
    cy.zoom({ level: cy.zoom() / 1.25, renderedPosition: { x: container.clientWidth / 2, y: container.clientHeight / 2 } });
  },
  relayout: () => {
    autoFit = true;
    void arrange(true);
  },
  legend: () => {
    legend.hidden = !legend.hidden;
    legendButton.setAttribute('aria-pressed', String(!legend.hidden));
    save({ legend: !legend.hidden });
  },
  'export-png': () =>
    post({
      type: 'export',
      format: 'png',
      data: cy.png({ output: 'base64uri', full: true, scale: 2, bg: view.colours.background, maxWidth: 8192, maxHeight: 8192 }),
    }),
  'export-svg': () => post({ type: 'export', format: 'svg', data: toSvg(cy, view.colours) }),
};
for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
  // before the drawing exists only the legend has anything to act on
  button.addEventListener('click', () => {
    if (cy || button.dataset.action === 'legend') actions[button.dataset.action ?? '']?.();
  });
}

legend.hidden = persisted.legend === false;
legendButton.setAttribute('aria-pressed', String(!legend.hidden));
renderLegend(legend, palette);

// VS Code swaps the theme by changing <body>'s class and the CSS variables; redraw with the new colours.
new MutationObserver(() => {
  palette = readPalette();
  if (cy) view.setPalette(palette);
  renderLegend(legend, palette);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

// A reload shows the last picture at once; the extension then sends the current graph.
if (persisted.graph && persisted.state) render(persisted.graph, persisted.state);
post({ type: 'ready' });
