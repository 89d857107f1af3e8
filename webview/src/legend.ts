// The legend in the drawing's corner: a sample line for each kind of edge (drawn with the same width, dash and
// colour as the drawing, from EDGE_LOOKS), the host status colours, and what a host's box shows. Built with DOM
// calls and SVG attributes only: the page's CSP allows no inline style attributes.

import type { EdgeKind, TopologyStatus } from './protocol';
import type { Palette } from './theme';
import { EDGE_LOOKS } from './graphView';

const SVG = 'http://www.w3.org/2000/svg';
const DASH: Record<string, string> = { dashed: '6 4', dotted: '2 3' };
const STATUSES: TopologyStatus[] = ['running', 'reachable', 'deploying', 'unreachable', 'failed', 'unknown'];

function svg(tag: string, attributes: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  return el;
}

function row(sample: SVGElement, text: string, kind: string): HTMLElement {
  const li = document.createElement('li');
  li.dataset.kind = kind;
  const picture = svg('svg', { width: 36, height: 12, viewBox: '0 0 36 12', 'aria-hidden': 'true' });
  picture.appendChild(sample);
  const label = document.createElement('span');
  label.textContent = text;
  li.append(picture, label);
  return li;
}

function edgeSample(kind: EdgeKind, p: Palette): SVGElement {
  const look = EDGE_LOOKS[kind];
  const g = svg('g', {});
  const colour = look.colour(p);
  g.appendChild(
    svg('line', {
      x1: 2,
      y1: 6,
      x2: look.arrow ? 28 : 34,
      y2: 6,
      stroke: colour,
      'stroke-width': Math.min(look.width, 5),
      ...(DASH[look.line] ? { 'stroke-dasharray': DASH[look.line] } : {}),
    }),
  );
  if (look.arrow) g.appendChild(svg('path', { d: 'M28 2 L35 6 L28 10 Z', fill: colour }));
  return g;
}

function section(title: string, rows: HTMLElement[]): HTMLElement {
  const list = document.createElement('ul');
  const heading = document.createElement('li');
  heading.className = 'heading';
  heading.textContent = title;
  list.append(heading, ...rows);
  return list;
}

/** Fills `container` with the legend in the palette's colours; called again when the theme changes. */
export function renderLegend(container: HTMLElement, p: Palette): void {
  const links = (Object.keys(EDGE_LOOKS) as EdgeKind[]).map((kind) => row(edgeSample(kind, p), EDGE_LOOKS[kind].label, kind));
  const hosts = STATUSES.map((status) =>
    row(
      svg('rect', { x: 4, y: 1, width: 28, height: 10, rx: 3, fill: p.track, stroke: p.status[status], 'stroke-width': 2 }),
      status,
      `status-${status}`,
    ),
  );
  const memory = svg('g', {});
  memory.append(
    svg('rect', { x: 4, y: 1, width: 28, height: 10, rx: 3, fill: p.track }),
    svg('rect', { x: 4, y: 1, width: 17, height: 10, rx: 3, fill: p.memoryFill }),
  );
  hosts.push(row(memory, 'fill: memory in use', 'memory'));
  const hub = svg('g', {});
  hub.append(
    svg('rect', { x: 3, y: 0.5, width: 30, height: 11, rx: 3, fill: p.track, stroke: p.status.unknown, 'stroke-width': 1 }),
    svg('rect', { x: 5.5, y: 3, width: 25, height: 6, rx: 2, fill: 'none', stroke: p.status.unknown, 'stroke-width': 1 }),
  );
  hosts.push(row(hub, 'double border: NATS hub', 'hub'));
  container.replaceChildren(section('Links', links), section('Hosts', hosts));
}
