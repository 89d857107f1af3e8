// The topology panel: a webview drawing the cluster from the spec and the live state store. Only dist/ may be
// loaded into it, scripts run only with this load's nonce, and the messages in both directions are the typed
// ones of webview/src/protocol.ts. A serializer brings it back after a reload with the webview's saved state.
import * as vscode from 'vscode';
import type { FromWebview, ToWebview } from '../../../webview/src/protocol';
import type { ClusterStateStore, StateChange } from '../state/store';
import { buildTopologyGraph, buildTopologyState } from './graph';
import { makeNonce, topologyHtml } from './html';

export const TOPOLOGY_VIEW_TYPE = 'gpuCluster.topology';

export interface TopologyDeps {
  extensionUri: vscode.Uri;
  store: ClusterStateStore;
  output: vscode.LogOutputChannel;
  revealHost(host: string): Thenable<unknown>;
}

const FROM_WEBVIEW_TYPES = new Set<FromWebview['type']>(['ready', 'revealHost', 'export', 'rendered', 'error']);

function isFromWebview(message: unknown): message is FromWebview {
  return typeof message === 'object' && message !== null && FROM_WEBVIEW_TYPES.has((message as { type: FromWebview['type'] }).type);
}

/** The topology panel of this window: at most one, opened by Show Topology or restored after a reload. */
export class TopologyPanels implements vscode.Disposable {
  private current: TopologyPanel | undefined;

  constructor(private readonly deps: TopologyDeps) {}

  /** Opens the panel, or brings the open one forward. */
  show(): TopologyPanel {
    if (this.current) {
      this.current.reveal();
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(
      TOPOLOGY_VIEW_TYPE,
      'Cluster Topology',
      vscode.ViewColumn.Active,
      panelOptions(this.deps),
    );
    return this.adopt(panel);
  }

  /** Points a host out in the panel, if it is open. */
  focusHost(host: string): void {
    this.current?.focusHost(host);
  }

  serializer(): vscode.WebviewPanelSerializer {
    return {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel): Promise<void> => {
        // The webview restores its own picture from its state; the extension then sends the current graph.
        this.current?.dispose();
        this.adopt(panel);
      },
    };
  }

  dispose(): void {
    this.current?.dispose();
  }

  private adopt(panel: vscode.WebviewPanel): TopologyPanel {
    const adopted: TopologyPanel = new TopologyPanel(panel, this.deps, () => {
      if (this.current === adopted) this.current = undefined;
    });
    return (this.current = adopted);
  }
}

function panelOptions(deps: TopologyDeps): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(deps.extensionUri, 'dist')], enableFindWidget: false };
}

export class TopologyPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: TopologyDeps,
    private readonly onDispose: () => void,
  ) {
    const webview = panel.webview;
    webview.options = panelOptions(deps);
    const dist = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, 'dist', file)).toString();
    webview.html = topologyHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: dist('webview.js'),
      elkWorkerUri: dist('elk-worker.js'),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      deps.store.onDidChange((c) => this.onStateChange(c)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  focusHost(host: string): void {
    this.post({ type: 'focus', host });
  }

  dispose(): void {
    this.onDispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  private post(message: ToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private sendGraph(): void {
    const spec = this.deps.store.spec;
    if (!spec) return;
    this.panel.title = `Topology: ${spec.cluster?.name ?? 'cluster'}`;
    this.post({ type: 'graph', graph: buildTopologyGraph(spec), state: buildTopologyState(this.deps.store) });
  }

  private onStateChange(change: StateChange): void {
    if (change.specChanged) this.sendGraph();
    else if (change.hosts.size || change.linksChanged) this.post({ type: 'state', state: buildTopologyState(this.deps.store) });
  }

  private receive(message: unknown): void {
    if (!isFromWebview(message)) {
      this.deps.output.warn('topology: ignored an unexpected message from the webview');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendGraph();
        break;
      case 'revealHost':
        if (typeof message.host === 'string') void this.deps.revealHost(message.host);
        break;
      case 'export':
        void this.saveExport(message.format, message.data);
        break;
      case 'rendered':
        this.deps.output.info(
          `topology: ${message.hosts} hosts, ${message.links} links; first paint ${Math.round(message.firstPaintMs)} ms, layout done ${Math.round(message.layoutDoneMs)} ms after load`,
        );
        break;
      case 'error':
        this.deps.output.error(`topology webview: ${message.message}`);
        break;
    }
  }

  private async saveExport(format: 'png' | 'svg', data: string): Promise<void> {
    const PNG_PREFIX = 'data:image/png;base64,';
    if (format === 'png' && !data.startsWith(PNG_PREFIX)) {
      this.deps.output.error('topology: the PNG export was not a PNG data URI');
      return;
    }
    const name = `${this.deps.store.spec?.cluster?.name ?? 'cluster'}-topology.${format}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: format === 'png' ? { 'PNG image': ['png'] } : { 'SVG image': ['svg'] },
      title: `Export topology as ${format.toUpperCase()}`,
    });
    if (!target) return;
    const bytes = format === 'png' ? Buffer.from(data.slice(PNG_PREFIX.length), 'base64') : Buffer.from(data, 'utf8');
    try {
      await vscode.workspace.fs.writeFile(target, bytes);
      void vscode.window.showInformationMessage(`Topology saved to ${vscode.workspace.asRelativePath(target)}.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Could not save the topology: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
