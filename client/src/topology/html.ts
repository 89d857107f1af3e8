// The topology page: a strict CSP (scripts and styles only with this load's nonce, images only from the
// webview's own origin or data: URIs; fetches only from that origin and workers only from blob: URLs, for the
// layout worker the page builds from dist/elk-worker.js), a toolbar, the drawing area and its legend. Pure so
// the browser tests load the very same page outside VS Code.

import { randomBytes } from 'node:crypto';

export function makeNonce(): string {
  return randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

export interface TopologyPageOptions {
  /** `webview.cspSource`: the origin the bundle is served from. */
  cspSource: string;
  nonce: string;
  /** `webview.asWebviewUri(dist/webview.js)`. */
  scriptUri: string;
  /** `webview.asWebviewUri(dist/elk-worker.js)`: ELK, fetched when a layered layout is first needed. */
  elkWorkerUri: string;
}

const STYLE = `
  html, body { height: 100%; margin: 0; padding: 0; overflow: hidden; }
  body { display: flex; flex-direction: column; color: var(--vscode-foreground, #ccc); background: var(--vscode-editor-background, #1e1e1e);
         font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 13px); }
  #toolbar { display: flex; gap: 4px; align-items: center; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border, #80808059); }
  #toolbar input { flex: 0 1 240px; color: var(--vscode-input-foreground, inherit); background: var(--vscode-input-background, #3c3c3c);
                   border: 1px solid var(--vscode-input-border, transparent); padding: 3px 6px; }
  #toolbar input:focus { outline: 1px solid var(--vscode-focusBorder, #007fd4); }
  #toolbar button { color: var(--vscode-button-secondaryForeground, inherit); background: var(--vscode-button-secondaryBackground, #3a3d41);
                    border: none; padding: 3px 8px; cursor: pointer; }
  #toolbar button:hover { background: var(--vscode-button-secondaryHoverBackground, #45494e); }
  #count, #status { color: var(--vscode-descriptionForeground, #9d9d9d); margin-left: 6px; }
  #stage { flex: 1; position: relative; min-height: 0; }
  #cy { position: absolute; inset: 0; }
  #card { position: absolute; z-index: 10; max-width: 260px; padding: 6px 8px; pointer-events: none;
          background: var(--vscode-editorHoverWidget-background, #252526); color: var(--vscode-editorHoverWidget-foreground, inherit);
          border: 1px solid var(--vscode-editorHoverWidget-border, #454545); }
  #card .title { font-weight: bold; }
  #card .hint { color: var(--vscode-descriptionForeground, #9d9d9d); margin-top: 4px; }
  #card .state.running { color: var(--vscode-charts-green, #89d185); }
  #card .state.failed { color: var(--vscode-charts-red, #f14c4c); }
  #card .state.deploying { color: var(--vscode-charts-yellow, #cca700); }
  #card .state.unreachable { color: var(--vscode-charts-orange, #d18616); }
  #card .state.reachable { color: var(--vscode-charts-blue, #3794ff); }
  #toolbar button[aria-pressed="true"] { background: var(--vscode-button-secondaryHoverBackground, #45494e); }
  #legend { position: absolute; left: 8px; bottom: 8px; z-index: 5; display: flex; gap: 14px; padding: 6px 8px;
            font-size: 11px; line-height: 15px; color: var(--vscode-descriptionForeground, #9d9d9d);
            background: var(--vscode-editorWidget-background, #252526); border: 1px solid var(--vscode-panel-border, #80808059); opacity: 0.92; }
  #legend[hidden] { display: none; }
  #legend ul { margin: 0; padding: 0; list-style: none; }
  #legend li { display: flex; align-items: center; gap: 6px; }
  #legend li.heading { color: var(--vscode-foreground, #ccc); font-weight: bold; }
`;

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function topologyHtml(o: TopologyPageOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data: blob:`,
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `script-src 'nonce-${o.nonce}'`,
    `font-src ${o.cspSource}`,
    `connect-src ${o.cspSource}`,
    'worker-src blob:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Cluster Topology</title>
<style nonce="${o.nonce}">${STYLE}</style>
<!-- cytoscape injects a style element with this id unless one exists; the CSP would block the injected one. -->
<style nonce="${o.nonce}" id="__________cytoscape_stylesheet"></style>
</head>
<body data-elk-worker="${escapeAttribute(o.elkWorkerUri)}">
<div id="toolbar" role="toolbar" aria-label="Topology">
  <input id="filter" type="search" placeholder="Filter hosts (name, tag, role, GPU, address)" aria-label="Filter hosts">
  <button data-action="fit" title="Fit the whole cluster">Fit</button>
  <button data-action="zoom-in" title="Zoom in">+</button>
  <button data-action="zoom-out" title="Zoom out">−</button>
  <button data-action="relayout" title="Lay the cluster out again">Re-layout</button>
  <button data-action="export-png" title="Save as PNG">PNG</button>
  <button data-action="export-svg" title="Save as SVG">SVG</button>
  <button id="legend-toggle" data-action="legend" title="Show or hide the legend" aria-pressed="true">Legend</button>
  <span id="count"></span><span id="status" aria-live="polite"></span>
</div>
<div id="stage"><div id="cy"></div><div id="card" hidden></div><div id="legend" role="group" aria-label="Legend"></div></div>
<script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}
