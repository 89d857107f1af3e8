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

function rgb(colour: string): [number, number, number] | undefined {
  const c = colour.trim();
  const hex = /^#([0-9a-f]{3,8})$/i.exec(c)?.[1];
  if (hex && (hex.length === 3 || hex.length === 4)) return [0, 1, 2].map((i) => parseInt(hex[i] + hex[i], 16)) as [number, number, number];
  if (hex && (hex.length === 6 || hex.length === 8))
    return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  const m = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(c);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** `a` blended over `b` at `t` (0..1), as an opaque colour: canvas gradients ignore a stop's alpha in places. */
export function mix(a: string, b: string, t: number): string {
  const x = rgb(a),
    y = rgb(b);
  if (!x || !y) return a;
  const c = x.map((v, i) => Math.round(v * t + y[i] * (1 - t)));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
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
    memoryFill: mix(v('charts-blue', '#3794ff'), v('editorWidget-background', '#2d2d30'), 0.45),
    selection: v('focusBorder', '#007fd4'),
    status: {
      unknown: v('disabledForeground', '#808080'),
      reachable: blue,
      unreachable: orange,
      deploying: yellow,
      running: green,
      failed: red,
    },
    link: {
      ethernet: foreground,
      bond: foreground,
      thunderbolt: purple,
      infiniband: orange,
      nats: muted,
      'exo-socket': green,
      'exo-rdma': purple,
    },
    font: v('font-family', 'system-ui, sans-serif'),
  };
}
