// SVG export: cytoscape draws to canvas and has no SVG output, so this writes the current drawing (segment
// boxes, links as straight lines with their labels, hosts with status border, memory bar and label) as SVG
// from element positions. Colours are the ones on screen.

import type cytoscape from 'cytoscape';
import type { Palette } from './theme';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const n1 = (v: number) => (Math.round(v * 10) / 10).toString();

const DASH: Record<string, string> = { dashed: '6 4', dotted: '2 3' };

export function toSvg(cy: cytoscape.Core, p: Palette): string {
  const visible = cy.elements().filter((e) => !e.hasClass('faded'));
  const bb = (visible.nonempty() ? visible : cy.elements()).boundingBox({});
  const pad = 24;
  const x0 = bb.x1 - pad,
    y0 = bb.y1 - pad,
    w = bb.w + 2 * pad,
    h = bb.h + 2 * pad;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${n1(x0)} ${n1(y0)} ${n1(w)} ${n1(h)}" width="${n1(w)}" height="${n1(h)}" font-family="${esc(p.font)}">`,
    `<rect x="${n1(x0)}" y="${n1(y0)}" width="${n1(w)}" height="${n1(h)}" fill="${esc(p.background)}"/>`,
  ];
  // A small cluster's segment is a node with its label inside; a large one's is a box with its label on top.
  cy.nodes('[kind = "segment"], [kind = "segmentBox"]').forEach((g) => {
    const b = g.boundingBox({ includeLabels: false });
    const box = g.data('kind') === 'segmentBox';
    out.push(
      `<g class="segment" data-id="${esc(g.id())}"><rect x="${n1(b.x1)}" y="${n1(b.y1)}" width="${n1(b.w)}" height="${n1(b.h)}" rx="8" fill="${esc(p.groupFill)}" fill-opacity="${box ? 0.35 : 1}" stroke="${esc(box ? p.groupBorder : p.muted)}" stroke-dasharray="6 4"/>` +
        `<text x="${n1(b.x1 + b.w / 2)}" y="${n1(box ? b.y1 + 18 : b.y1 + b.h / 2 + 4)}" text-anchor="middle" font-size="${box ? 13 : 12}" fill="${esc(box ? p.muted : p.foreground)}">${esc(String(g.data('label')))}</text></g>`,
    );
  });
  cy.edges(':visible').forEach((e) => {
    const s = e.source().position(),
      t = e.target().position();
    const colour = e.style('line-color') as string;
    const width = parseFloat(e.style('width') as string) || 1;
    const dash = DASH[e.style('line-style') as string];
    const label = String(e.data('label') ?? '');
    out.push(
      `<g class="link" data-kind="${esc(String(e.data('kind')))}" data-source="${esc(e.source().id())}" data-target="${esc(e.target().id())}"${e.hasClass('faded') ? ' opacity="0.12"' : ''}>` +
        `<line x1="${n1(s.x)}" y1="${n1(s.y)}" x2="${n1(t.x)}" y2="${n1(t.y)}" stroke="${esc(colour)}" stroke-width="${n1(width)}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>` +
        (label
          ? `<text x="${n1((s.x + t.x) / 2)}" y="${n1((s.y + t.y) / 2 - 4)}" text-anchor="middle" font-size="10" fill="${esc(p.muted)}">${esc(label)}</text>`
          : '') +
        '</g>',
    );
  });
  cy.nodes('[kind = "host"]').forEach((n) => {
    const { x, y } = n.position();
    const w = n.width(),
      h = n.height();
    const left = x - w / 2,
      top = y - h / 2;
    const used = Number(n.data('memUsed'));
    const status = String(n.data('status'));
    const border = p.status[status as keyof Palette['status']] ?? p.status.unknown;
    const lines = String(n.data('display')).split('\n');
    out.push(
      `<g class="host" data-id="${esc(n.id())}" data-status="${esc(status)}"${n.hasClass('faded') ? ' opacity="0.12"' : ''}>` +
        `<rect x="${n1(left)}" y="${n1(top)}" width="${n1(w)}" height="${n1(h)}" rx="8" fill="${esc(p.track)}"/>` +
        (used >= 0
          ? `<rect class="memory" x="${n1(left)}" y="${n1(top)}" width="${n1(w * used)}" height="${n1(h)}" rx="8" fill="${esc(p.memoryFill)}"/>`
          : '') +
        `<rect x="${n1(left)}" y="${n1(top)}" width="${n1(w)}" height="${n1(h)}" rx="8" fill="none" stroke="${esc(border)}" stroke-width="3"/>` +
        lines
          .map(
            (line, i) =>
              `<text x="${n1(x)}" y="${n1(y + (i - (lines.length - 1) / 2) * 14 + 4)}" text-anchor="middle" font-size="12" fill="${esc(p.foreground)}">${esc(line)}</text>`,
          )
          .join('') +
        '</g>',
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
