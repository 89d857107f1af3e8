// The Kubernetes view of the explorer: exo's Service and its endpoints, and the GPU pods per node, read from the
// k3s API server with the kubeconfig the user chose (`gpuCluster.k3s.kubeconfig`, a user setting: a kubeconfig can
// run programs for authentication, so a workspace cannot choose one). It polls only while the live session is on
// (trusted workspace, "Connect to Cluster"). A pod's context menu checkpoints a container with the kubelet.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ExtensionServices } from '../services/services';
import { exoRegistration, type GpuPodView } from '#core/k3s';
import type { KubeApi } from './kubeApi';
import { K3sLive, type K3sSnapshot } from './k3sLive';
import { k3sNodes, type K3sNode } from './k3sModel';

const CONFIGURED_KEY = 'gpuCluster.k3s.configured';
/** The view's rows hang on the services object under this registered symbol, so the end-to-end suite reads them. */
const VIEW_KEY = Symbol.for('gpuCluster.k3sView');

/** The Kubernetes view's current rows (the end-to-end suite's window into the view). */
export function k3sViewOf(services: object): { rows(): K3sNode[] } | undefined {
  return (services as { [VIEW_KEY]?: { rows(): K3sNode[] } })[VIEW_KEY];
}

/**
 * The Kubernetes client is its own bundle (dist/k3s.js, @kubernetes/client-node inside): loaded when the view first
 * reads the API, so the extension's own bundle stays small and activation does not parse it.
 */
function loadKubeApi(extensionPath: string): typeof import('./kubeApi') {
  return require(path.join(extensionPath, 'dist', 'k3s.js')) as typeof import('./kubeApi');
}

function kubeconfigSetting(): string | undefined {
  // Only the user's own value counts (the setting has application scope; a workspace value is ignored).
  const value = vscode.workspace.getConfiguration('gpuCluster').inspect<string>('k3s.kubeconfig')?.globalValue?.trim();
  return value ? value.replace(/^~(?=\/|$)/, process.env.HOME ?? '~') : undefined;
}

class K3sTreeProvider implements vscode.TreeDataProvider<K3sNode> {
  private readonly changed = new vscode.EventEmitter<K3sNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  snapshot: K3sSnapshot | undefined;
  server: string | undefined;
  active = false;

  update(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: K3sNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children?.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = node.description;
    item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
    item.contextValue = node.contextValue;
    if (node.tooltip) item.tooltip = new vscode.MarkdownString(node.tooltip);
    return item;
  }

  getChildren(node?: K3sNode): K3sNode[] {
    if (node) return node.children ?? [];
    return this.active ? k3sNodes(this.snapshot, this.server) : [];
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerK3s(services: ExtensionServices): void {
  const { context, live, output } = services;
  const store = services.state;
  const tree = new K3sTreeProvider();
  (services as { [VIEW_KEY]?: { rows(): K3sNode[] } })[VIEW_KEY] = { rows: () => tree.getChildren() };
  const view = vscode.window.createTreeView<K3sNode>('gpuCluster.k3s', { treeDataProvider: tree });
  let poller: K3sLive | undefined;
  let api: Promise<KubeApi> | undefined;
  const serviceKey = () => {
    const reg = store.spec ? exoRegistration(store.spec) : undefined;
    return reg ? `${reg.namespace}/${reg.service}` : '';
  };
  let polledService = '';

  const restart = () => {
    poller?.stop();
    poller = undefined;
    api = undefined;
    tree.snapshot = undefined;
    const kubeconfig = kubeconfigSetting();
    void vscode.commands.executeCommand('setContext', CONFIGURED_KEY, kubeconfig !== undefined);
    tree.active = live.connected && kubeconfig !== undefined;
    tree.update();
    if (!tree.active || !kubeconfig) return;
    const reg = store.spec ? exoRegistration(store.spec) : undefined;
    polledService = reg ? `${reg.namespace}/${reg.service}` : '';
    // a kubeconfig that cannot be read is opened again on the next round, when the user may have fixed it
    const connect = () =>
      (api ??= Promise.resolve()
        .then(() => loadKubeApi(context.extensionPath).openKubeApi(kubeconfig))
        .then(
          (a) => {
            tree.server = a.server;
            return a;
          },
          (err: unknown) => {
            api = undefined;
            throw err;
          },
        ));
    const intervalMs = Math.max(1000, vscode.workspace.getConfiguration('gpuCluster').get<number>('k3s.pollIntervalMs', 5000));
    poller = new K3sLive({
      api: connect,
      service: reg && { name: reg.service, namespace: reg.namespace },
      intervalMs,
      onSnapshot: (s) => {
        if (s.errors.length && !tree.snapshot?.errors.length) output.warn(`Kubernetes API: ${s.errors.join('; ')}`);
        tree.snapshot = s;
        tree.update();
      },
    });
    output.info(`Kubernetes view: reading the API server of ${kubeconfig}`);
    poller.start();
  };

  context.subscriptions.push(
    view,
    tree,
    { dispose: () => poller?.stop() },
    live.onDidChange(restart),
    // a spec edit matters only when it moves exo's Service
    store.onDidChange((c) => {
      if (c.specChanged && tree.active && serviceKey() !== polledService) restart();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('gpuCluster.k3s')) restart();
    }),
    vscode.commands.registerCommand('gpuCluster.k3s.refresh', () => poller?.refresh()),
    vscode.commands.registerCommand('gpuCluster.k3s.chooseKubeconfig', async () => {
      const picked = await vscode.window.showOpenDialog({
        title: 'Kubeconfig of the k3s cluster',
        canSelectMany: false,
        openLabel: 'Use This Kubeconfig',
      });
      if (!picked?.[0]) return;
      // a user setting: the choice follows the user, and no workspace can make it for them
      await vscode.workspace.getConfiguration('gpuCluster').update('k3s.kubeconfig', picked[0].fsPath, vscode.ConfigurationTarget.Global);
    }),
    vscode.commands.registerCommand('gpuCluster.k3s.checkpointPod', async (node?: K3sNode) => {
      if (!services.requireTrust('Checkpointing a pod')) return;
      const pod = node?.pod;
      const current = await api?.catch(() => undefined);
      if (!pod || !current) {
        void vscode.window.showWarningMessage('The Kubernetes API is not connected: choose a kubeconfig and Connect to Cluster.');
        return;
      }
      await checkpointPod(current, pod, output);
    }),
  );
  restart();
}

async function checkpointPod(api: KubeApi, pod: GpuPodView, output: vscode.LogOutputChannel): Promise<void> {
  const containers = [...pod.containers].sort((a, b) => b.gpus - a.gpus);
  const picked =
    containers.length === 1
      ? containers[0]
      : (
          await vscode.window.showQuickPick(
            containers.map((c) => ({
              label: c.name,
              description: c.gpus ? `${c.gpus} GPU${c.gpus === 1 ? '' : 's'}` : 'no GPU',
              container: c,
            })),
            { title: `Checkpoint a container of ${pod.namespace}/${pod.name}` },
          )
        )?.container;
  if (!picked) return;
  const go = 'Checkpoint';
  const answer = await vscode.window.showWarningMessage(
    `Checkpoint container ${picked.name} of ${pod.namespace}/${pod.name} on ${pod.node}?`,
    {
      modal: true,
      detail:
        'The kubelet writes every memory page of the container (secrets included) to an archive on the node (/var/lib/kubelet/checkpoints, readable by root only). The container keeps running.',
    },
    go,
  );
  if (answer !== go) return;
  try {
    const archives = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Checkpointing ${pod.namespace}/${pod.name}/${picked.name}` },
      () => api.checkpoint(pod.node, { namespace: pod.namespace, pod: pod.name, container: picked.name }),
    );
    output.info(`checkpoint ${pod.namespace}/${pod.name}/${picked.name} on ${pod.node}: ${archives.join(', ') || 'no archive named'}`);
    void vscode.window.showInformationMessage(
      `Checkpointed ${pod.namespace}/${pod.name}/${picked.name} on ${pod.node}: ${archives.join(', ') || 'the kubelet named no archive'}`,
    );
  } catch (err) {
    output.error(`checkpoint ${pod.namespace}/${pod.name}/${picked.name}: ${(err as Error).message}`);
    void vscode.window.showErrorMessage((err as Error).message);
  }
}
