// Colours come from VS Code's theme variables (set on the webview's <html> by VS Code), so the drawing
// follows light, dark and high-contrast themes; fallbacks keep a standalone page legible.
import type { LinkKind, TopologyStatus } from './protocol';

export interface Palette {
  background: string;
  foreground: string;
  muted: string;
  groupBorder: string;
  groupFill: string;
  track: string;
  memoryFill: string;
  selection: string;
  status: Record<TopologyStatus, string>;
  link: Record<LinkKind, string>;
  font: string;
}

/** `#rrggbb` (or `#rgb`) with an alpha; other notations are returned unchanged. */
export function withAlpha(colour: string, alpha: number): string {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i.exec(colour.trim());
  if (!m) return colour;
  const hex = m[1].length === 3 ? m[1].split('').map((c) => c + c).join('') : m[1];
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readPalette(root: Element = document.documentElement): Palette {
  const s = getComputedStyle(root);
  const v = (name: string, fallback: string) => cssVar(s, `--vscode-${name}`, fallback);
  const green = v('charts-green', '#89d185');
  const blue = v('charts-blue', '#3794ff');
  const yellow = v('charts-yellow', '#cca700');
  const red = v('charts-red', '#f14c4c');
  const orange = v('charts-orange', '#d18616');
  const purple = v('charts-purple', '#b180d7');
  const foreground = v('editor-foreground', '#cccccc');
  const muted = v('descriptionForeground', '#9d9d9d');
  return {
    background: v('editor-background', '#1e1e1e'),
    foreground,
    muted,
    groupBorder: v('panel-border', '#80808059'),
    groupFill: v('sideBar-background', '#252526'),
    track: v('editorWidget-background', '#2d2d30'),
    memoryFill: withAlpha(v('charts-blue', '#3794ff'), 0.4),
    selection: v('focusBorder', '#007fd4'),
    status: { unknown: v('disabledForeground', '#808080'), reachable: blue, unreachable: orange, deploying: yellow, running: green, failed: red },
    link: { ethernet: foreground, bond: foreground, thunderbolt: purple, infiniband: orange, nats: muted, 'exo-socket': green, 'exo-rdma': purple },
    font: v('font-family', 'system-ui, sans-serif'),
  };
}
