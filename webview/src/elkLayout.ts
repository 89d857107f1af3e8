// ELK's layered layout, run in a Web Worker and loaded only when a drawing needs it: ELK is 1.6 MB of
// minified code, three quarters of what the page would otherwise parse before its first paint, and its layout
// would block the page while it runs. The worker script (dist/elk-worker.js, elkjs's own worker build) is
// fetched from the webview's resource origin and started from a blob: URL, because a webview may not start a
// worker from another origin and workers do not go through VS Code's resource loader. The page's CSP allows
// exactly this: `connect-src` the resource origin, `worker-src blob:`.

import ELK from 'elkjs/lib/elk-api.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
}
export interface LayoutEdge {
  id: string;
  source: string;
  target: string;
}
export type Positions = Record<string, { x: number; y: number }>;

const LAYERED_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'POLYLINE',
  'elk.spacing.nodeNode': '110',
  'elk.layered.spacing.nodeNodeBetweenLayers': '90',
  'elk.spacing.componentComponent': '60',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.layering.strategy': 'COFFMAN_GRAHAM',
};

let elk: Promise<InstanceType<typeof ELK>> | undefined;

/** Starts the worker (once); `workerUrl` is the webview URI of dist/elk-worker.js. */
function start(workerUrl: string): Promise<InstanceType<typeof ELK>> {
  elk ??= fetch(workerUrl)
    .then((response) => {
      if (!response.ok) throw new Error(`the layout worker did not load (${response.status} ${workerUrl})`);
      return response.blob();
    })
    .then((script) => {
      const url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
      return new ELK({ workerFactory: () => new Worker(url) });
    });
  elk.catch(() => {
    elk = undefined;
  });
  return elk;
}

/** Positions (centres) of the nodes, laid out in layers along the edges, at most `layerWidth` nodes a layer. */
export async function layered(workerUrl: string, nodes: LayoutNode[], edges: LayoutEdge[], layerWidth: number): Promise<Positions> {
  const engine = await start(workerUrl);
  const ids = new Set(nodes.map((n) => n.id));
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: { ...LAYERED_OPTIONS, 'elk.layered.layering.coffmanGraham.layerBound': String(layerWidth) },
    children: nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e): ElkExtendedEdge => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
  const result = await engine.layout(graph);
  const positions: Positions = {};
  for (const c of result.children ?? []) positions[c.id] = { x: (c.x ?? 0) + (c.width ?? 0) / 2, y: (c.y ?? 0) + (c.height ?? 0) / 2 };
  return positions;
}
