// Layout for large clusters: each segment becomes a block of hosts in rows, and the blocks are packed on
// shelves into a roughly 16:10 picture. Linear in the number of hosts, so 500 hosts are placed in a few
// milliseconds without blocking the page (ELK's packing algorithms take seconds at that size). Pure: no DOM.

export interface PackInput {
  /** Hosts in drawing order, each with the segment it is drawn in ('' for none). */
  hosts: { id: string; segment: string }[];
  hostWidth: number;
  hostHeight: number;
  /** Gap between hosts, and between blocks. */
  gap?: number;
  /** Room a segment box needs around its hosts: label on top, padding on the other sides. */
  header?: number;
  padding?: number;
  aspect?: number;
}

export function packLayout(input: PackInput): Record<string, { x: number; y: number }> {
  const gap = input.gap ?? 20,
    header = input.header ?? 40,
    padding = input.padding ?? 20,
    aspect = input.aspect ?? 1.6;
  const cellW = input.hostWidth + gap,
    cellH = input.hostHeight + gap;
  const groups = new Map<string, string[]>();
  for (const h of input.hosts) {
    const list = groups.get(h.segment);
    if (list) list.push(h.id);
    else groups.set(h.segment, [h.id]);
  }
  const blocks = [...groups.values()].map((ids) => {
    const cols = Math.max(1, Math.ceil(Math.sqrt((ids.length * aspect * cellH) / cellW)));
    const rows = Math.ceil(ids.length / cols);
    return { ids, cols, width: cols * cellW - gap + 2 * padding, height: rows * cellH - gap + header + padding };
  });
  const area = blocks.reduce((sum, b) => sum + (b.width + gap * 2) * (b.height + gap * 2), 0);
  const targetWidth = Math.max(Math.sqrt(area * aspect), ...blocks.map((b) => b.width));
  const positions: Record<string, { x: number; y: number }> = {};
  let x = 0,
    y = 0,
    shelf = 0;
  for (const b of blocks) {
    if (x > 0 && x + b.width > targetWidth * 1.1) {
      x = 0;
      y += shelf + gap * 2;
      shelf = 0;
    }
    b.ids.forEach((id, i) => {
      const col = i % b.cols,
        row = Math.floor(i / b.cols);
      positions[id] = { x: x + padding + col * cellW + input.hostWidth / 2, y: y + header + row * cellH + input.hostHeight / 2 };
    });
    x += b.width + gap * 2;
    shelf = Math.max(shelf, b.height);
  }
  return positions;
}

export interface SketchInput {
  segments: { id: string; width: number }[];
  /** Hosts in drawing order with the segments they are on. */
  hosts: { id: string; segments: string[] }[];
  hostWidth: number;
  hostHeight: number;
  gap?: number;
}

/**
 * The first picture of a small cluster, drawn before ELK (in its worker) has answered: the segments in a row on
 * top, the hosts in rows below, each host under the middle of its segments so few attachments cross.
 * Linear after a sort; pure.
 */
export function sketchLayout(input: SketchInput): Record<string, { x: number; y: number }> {
  const gap = input.gap ?? 40;
  const positions: Record<string, { x: number; y: number }> = {};
  const segmentX = new Map<string, number>();
  let x = 0;
  for (const s of input.segments) {
    segmentX.set(s.id, x + s.width / 2);
    positions[s.id] = { x: x + s.width / 2, y: 0 };
    x += s.width + gap;
  }
  const segmentsWidth = Math.max(0, x - gap);
  const centre = (h: { segments: string[] }) => {
    const xs = h.segments.map((s) => segmentX.get(s)).filter((v): v is number => v !== undefined);
    return xs.length ? xs.reduce((t, v) => t + v, 0) / xs.length : segmentsWidth / 2;
  };
  const hosts = input.hosts.map((h, i) => ({ id: h.id, at: centre(h), i })).sort((a, b) => a.at - b.at || a.i - b.i);
  const cols = Math.max(1, Math.min(hosts.length, Math.ceil(Math.sqrt(hosts.length * 2.5))));
  const cellW = input.hostWidth + gap,
    cellH = input.hostHeight + gap;
  const rowWidth = cols * cellW - gap;
  const left = (segmentsWidth - rowWidth) / 2;
  const top = input.segments.length ? 60 + gap + input.hostHeight / 2 : 0;
  hosts.forEach((h, i) => {
    positions[h.id] = { x: left + (i % cols) * cellW + input.hostWidth / 2, y: top + Math.floor(i / cols) * cellH };
  });
  return positions;
}
