// A live source that is not answering (e.g. exo's API), shown at the top of the Nodes view instead of a popup;
// clicking it retries now.
import type * as vscode from 'vscode';
import type { ExplorerInput } from './look';
import type { NodeBase } from './model';
import type { MakeTreeItem } from './treeItem';

export interface SourceErrorNode extends NodeBase {
  kind: 'sourceError';
}

export function sourceErrorNodes(input: ExplorerInput): SourceErrorNode[] {
  const out: SourceErrorNode[] = [];
  for (const [source, health] of input.sourceHealth()) {
    if (health.ok) continue;
    const retry = health.retryAt ? ` Retrying at ${new Date(health.retryAt).toLocaleTimeString()}.` : '';
    out.push({
      kind: 'sourceError',
      id: `source/${source}`,
      label: `${source}: not answering`,
      description: health.error,
      tooltip: `**${source}** live state is unavailable.\n\n${health.error ?? ''}\n\nThe views show the spec and other sources meanwhile.${retry}`,
      icon: { id: 'warning', color: 'list.warningForeground' },
      contextValue: 'sourceError',
      collapsible: false,
    });
  }
  return out;
}

export function sourceErrorTreeItem(node: SourceErrorNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node);
  item.command = { command: 'gpuCluster.refresh', title: 'Retry now' };
  return item;
}
