// A nixos-container on a host: its state in the icon and description; contextValue offers Start, Stop, Destroy or
// Create from Spec as fits (`container.<state>.<origin>`, from the views of client/src/containers/model.ts).
import type * as vscode from 'vscode';
import type { HostSpec } from '#core/spec';
import { CONTAINER_STATE_TEXT, containerSummary, containerViews, gib, type ContainerState } from '../containers/model';
import type { HostState } from '../state/store';
import type { Icon } from './look';
import type { NodeBase } from './model';
import type { MakeTreeItem } from './treeItem';

export interface ContainerNode extends NodeBase {
  kind: 'container';
  host: string;
  containerName: string;
}

const ICON: Record<ContainerState, Icon> = {
  up: { id: 'vm-running', color: 'charts.green' },
  down: { id: 'vm', color: undefined },
  absent: { id: 'vm-outline', color: 'disabledForeground' },
  unknown: { id: 'vm-outline', color: undefined },
};

/** A host's containers: the spec's, then those only the host reports. */
export function containerNodes(host: HostSpec, state: HostState, parentId: string): ContainerNode[] {
  return containerViews(host, state).map((v) => {
    const text = CONTAINER_STATE_TEXT[v.state];
    const icon = v.origin === 'drift' ? { id: ICON[v.state].id, color: 'charts.orange' } : ICON[v.state];
    const origin =
      v.origin === 'declarative'
        ? "declared by the host's NixOS configuration"
        : v.origin === 'drift'
          ? 'created on the host, **not in the spec** (drift)'
          : v.state === 'absent' || v.state === 'unknown'
            ? 'in the spec'
            : 'created from the spec';
    return {
      kind: 'container',
      id: `${parentId}/container/${v.name}`,
      label: v.name,
      description: containerSummary(v),
      tooltip: `**Container** \`${v.name}\` on \`${host.name}\`: ${text}\n\n- ${origin}${v.live?.cpuPercent !== undefined ? `\n- CPU: ${v.live.cpuPercent.toFixed(1)}%` : ''}${v.live?.memoryBytes !== undefined ? `\n- Memory: ${gib(v.live.memoryBytes)}` : ''}`,
      icon,
      contextValue: `container.${v.state}.${v.origin}`,
      collapsible: false,
      host: host.name,
      containerName: v.name,
    };
  });
}

export function containerTreeItem(node: ContainerNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node);
  item.accessibilityInformation = { label: `Container ${node.label} on ${node.host}: ${node.description ?? 'unknown'}`, role: 'treeitem' };
  return item;
}
