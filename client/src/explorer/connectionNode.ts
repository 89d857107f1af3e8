// The row at the top of the Nodes view while no live state flows: clicked, it connects to the cluster, or in
// Restricted Mode opens the workspace trust editor.
import type * as vscode from 'vscode';
import type { NodeBase } from './model';
import type { MakeTreeItem } from './treeItem';

export interface ConnectionNode extends NodeBase {
  kind: 'connection';
}

/** Whether live state can flow (the live session), for the row that says so at the top of the Nodes view. */
export interface ConnectionView {
  trusted: boolean;
  connected: boolean;
}

/** The row above the groups while no live state flows: why, and (clicked) what to do about it. */
export function connectionNode(view: ConnectionView): ConnectionNode | undefined {
  if (view.connected) return undefined;
  if (!view.trusted) {
    return {
      kind: 'connection',
      id: 'connection',
      label: 'Live state needs a trusted workspace',
      description: 'the spec is still validated',
      tooltip:
        'This folder is open in **Restricted Mode**: the spec is validated, but the extension contacts none of the machines it names.\n\nTrust the folder to connect to the cluster.',
      icon: { id: 'shield' },
      contextValue: 'connection.untrusted',
      collapsible: false,
    };
  }
  return {
    kind: 'connection',
    id: 'connection',
    label: 'Not connected',
    description: 'Connect to Cluster for live state',
    tooltip:
      "Live state is off: the views show the spec only, and nothing contacts the machines it names.\n\nClick to connect (NATS, exo's API); Disconnect stops it again. The choice is remembered for this workspace.",
    icon: { id: 'plug' },
    contextValue: 'connection.off',
    collapsible: false,
  };
}

export function connectionTreeItem(node: ConnectionNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node);
  item.command =
    node.contextValue === 'connection.untrusted'
      ? { command: 'workbench.trust.manage', title: 'Manage Workspace Trust' }
      : { command: 'gpuCluster.connect', title: 'Connect to Cluster' };
  return item;
}
