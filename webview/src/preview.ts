// The first picture of the topology, drawn on a plain canvas the moment the graph arrives: the same places,
// boxes, status colours and links the cytoscape drawing will show, without its styling and element
// bookkeeping (its first frame of 500 hosts takes a second or more). The cytoscape drawing replaces it at
// its own first frame; until then the picture is not interactive.

import {
  EDGE_LOOKS,
  HOST_HEIGHT,
  HOST_WIDTH,
  LABEL_ZOOM,
  LAYERED_LIMIT,
  SEGMENT_HEIGHT,
  hostLabel,
  segmentBoxAround,
  segmentLabel,
  segmentNodeId,
  segmentWidth,
} from './graphView';
import type { Positions } from './elkLayout';
import type { TopologyGraph, TopologyState } from './protocol';
import type { Palette } from './theme';

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
  kind: 'host' | 'segment' | 'box';
  border: string;
}

/** A viewport showing `bb` whole, centred, no larger than `maxZoom`; undefined while the area has no size. */
export function fitTo(
  bb: { x1: number; y1: number; x2: number; y2: number },
  w: number,
  h: number,
  minZoom: number,
  maxZoom: number,
  padding = 30,
): { zoom: number; pan: { x: number; y: number } } | undefined {
  if (w <= 2 * padding || h <= 2 * padding) return undefined;
  const zoom = Math.max(
    minZoom,
    Math.min(maxZoom, (w - 2 * padding) / Math.max(bb.x2 - bb.x1, 1), (h - 2 * padding) / Math.max(bb.y2 - bb.y1, 1)),
  );
  return { zoom, pan: { x: (w - zoom * (bb.x1 + bb.x2)) / 2, y: (h - zoom * (bb.y1 + bb.y2)) / 2 } };
}

/** Draws the graph at `positions` on a canvas laid over `container`; returns the canvas (remove it to end the preview). */
export function drawPreview(
  container: HTMLElement,
  graph: TopologyGraph,
  state: TopologyState,
  positions: Positions,
  palette: Palette,
  minZoom: number,
  maxZoom: number,
): HTMLCanvasElement | undefined {
  const large = graph.hosts.length > LAYERED_LIMIT;
  const live = new Map(state.hosts.map((h) => [h.id, h]));
  const rects: Rect[] = [];
  const centres = new Map<string, { x: number; y: number }>();
  if (large) {
    const members = new Map<string, { x: number; y: number }[]>();
    for (const h of graph.hosts) {
      const p = positions[h.id];
      if (p && h.segment) {
        const list = members.get(h.segment);
        if (list) list.push(p);
        else members.set(h.segment, [p]);
      }
    }
    for (const s of graph.segments) {
      const hosts = members.get(s.id);
      if (!hosts) continue;
      const box = segmentBoxAround(hosts);
      rects.push({ ...box, label: segmentLabel(s), kind: 'box', border: palette.groupBorder });
    }
  } else {
    for (const s of graph.segments) {
      const p = positions[segmentNodeId(s.id)];
      const label = segmentLabel(s);
      if (p) {
        rects.push({ ...p, w: segmentWidth(label), h: SEGMENT_HEIGHT, label, kind: 'segment', border: palette.muted });
        centres.set(segmentNodeId(s.id), p);
      }
    }
  }
  for (const h of graph.hosts) {
    const p = positions[h.id];
    if (!p) continue;
    const l = live.get(h.id);
    rects.push({
      ...p,
      w: HOST_WIDTH,
      h: HOST_HEIGHT,
      label: hostLabel(h.id, h.gpuBadge, h.memoryGB, l, h.containers ?? []),
      kind: 'host',
      border: palette.status[l?.status ?? 'unknown'],
    });
    centres.set(h.id, p);
  }
  if (!rects.length) return undefined;
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  for (const r of rects) {
    x1 = Math.min(x1, r.x - r.w / 2);
    x2 = Math.max(x2, r.x + r.w / 2);
    y1 = Math.min(y1, r.y - r.h / 2);
    y2 = Math.max(y2, r.y + r.h / 2);
  }
  const width = container.clientWidth,
    height = container.clientHeight;
  const view = fitTo({ x1, y1, x2, y2 }, width, height, minZoom, maxZoom);
  if (!view) return undefined;

  const canvas = document.createElement('canvas');
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.cssText = 'position:absolute;inset:0;width:100%;height:100%;pointer-events:none';
  const g = canvas.getContext('2d');
  if (!g) return undefined;
  g.setTransform(ratio * view.zoom, 0, 0, ratio * view.zoom, ratio * view.pan.x, ratio * view.pan.y);

  // links under the boxes, as the drawing orders them (NATS's star is left out of a large cluster's picture)
  if (!large) {
    const attachments = graph.hosts.flatMap((h) => h.attachments.map((a) => ({ source: h.id, target: segmentNodeId(a.segment) })));
    drawLines(g, attachments, centres, EDGE_LOOKS.segment.colour(palette), EDGE_LOOKS.segment.width, 0.6);
  }
  for (const l of graph.links) {
    if (large && l.kind === 'nats') continue;
    drawLines(g, [l], centres, EDGE_LOOKS[l.kind].colour(palette), EDGE_LOOKS[l.kind].width, l.kind === 'nats' ? 0.6 : 0.85);
  }
  const labels = !large || view.zoom >= LABEL_ZOOM;
  for (const r of rects) {
    g.beginPath();
    g.roundRect(r.x - r.w / 2, r.y - r.h / 2, r.w, r.h, 6);
    g.globalAlpha = r.kind === 'box' ? 0.35 : 1;
    g.fillStyle = r.kind === 'host' ? palette.track : palette.groupFill;
    g.fill();
    g.globalAlpha = 1;
    g.lineWidth = r.kind === 'host' ? 3 : r.kind === 'box' ? 1 : 1.5;
    g.setLineDash(r.kind === 'host' ? [] : [6, 4]);
    g.strokeStyle = r.border;
    g.stroke();
    if (!labels && r.kind !== 'box') continue;
    g.fillStyle = r.kind === 'box' ? palette.muted : palette.foreground;
    g.font = `${r.kind === 'box' ? 13 : 12}px ${palette.font}`;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    const lines = r.label.split('\n');
    const top = r.kind === 'box' ? r.y - r.h / 2 + 14 : r.y - ((lines.length - 1) * 15) / 2;
    lines.forEach((text, i) => g.fillText(text, r.x, top + i * 15, r.w - 12));
  }
  container.parentElement?.insertBefore(canvas, container.nextSibling);
  return canvas;
}

function drawLines(
  g: CanvasRenderingContext2D,
  edges: readonly { source: string; target: string }[],
  at: Map<string, { x: number; y: number }>,
  colour: string,
  width: number,
  alpha: number,
): void {
  g.beginPath();
  for (const e of edges) {
    const a = at.get(e.source),
      b = at.get(e.target);
    if (!a || !b) continue;
    g.moveTo(a.x, a.y);
    g.lineTo(b.x, b.y);
  }
  g.globalAlpha = alpha;
  g.strokeStyle = colour;
  g.lineWidth = width;
  g.setLineDash([]);
  g.stroke();
  g.globalAlpha = 1;
}
