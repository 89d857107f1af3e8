// A checkpoint of a GPU process on a host; restore and delete are its inline actions.
import type * as vscode from 'vscode';
import type { CheckpointFacts } from '../state/store';
import { formatGiB } from './look';
import type { NodeBase } from './model';
import type { MakeTreeItem } from './treeItem';

export interface CheckpointNode extends NodeBase {
  kind: 'checkpoint';
  host: string;
  checkpointId: string;
}

export function checkpointNode(host: string, cp: CheckpointFacts, parentId: string): CheckpointNode {
  return {
    kind: 'checkpoint',
    id: `${parentId}/checkpoint/${cp.id}`,
    label: cp.unit ? `${cp.unit} @ ${cp.createdAt ?? cp.id}` : cp.id,
    description: cp.sizeBytes !== undefined ? `${formatGiB(cp.sizeBytes / 2 ** 20)} GiB` : undefined,
    tooltip: `**Checkpoint** \`${cp.id}\` on \`${host}\`${cp.unit ? `\n\n- Unit: ${cp.unit}` : ''}${cp.createdAt ? `\n- Created: ${cp.createdAt}` : ''}`,
    icon: { id: 'save' },
    contextValue: 'checkpoint',
    collapsible: false,
    host,
    checkpointId: cp.id,
  };
}

export function checkpointTreeItem(node: CheckpointNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node);
  item.accessibilityInformation = { label: `Checkpoint ${node.label} on ${node.host}`, role: 'treeitem' };
  return item;
}
