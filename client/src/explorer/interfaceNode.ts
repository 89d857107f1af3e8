// A network interface of a host (kind, segment, addresses, live link state when a probe reported it).
import type * as vscode from 'vscode';
import type { InterfaceSpec } from '#core/spec';
import type { InterfaceFacts } from '../state/store';
import { INTERFACE_ICON } from './look';
import type { NodeBase } from './model';
import type { MakeTreeItem } from './treeItem';

export interface InterfaceNode extends NodeBase {
  kind: 'interface';
  host: string;
  interfaceName: string;
}

export function interfaceNode(host: string, iface: InterfaceSpec, live: InterfaceFacts | undefined, parentId: string): InterfaceNode {
  const link = live?.up === undefined ? undefined : live.up ? 'up' : 'down';
  const detail = [
    iface.kind,
    iface.segment,
    ...(iface.addresses ?? []),
    iface.members ? `members ${iface.members.join('+')}` : undefined,
    link,
  ].filter(Boolean);
  return {
    kind: 'interface',
    id: `${parentId}/interface/${iface.name}`,
    label: iface.name,
    description: detail.join(' · '),
    tooltip: `**${iface.name}** (${iface.kind}) on \`${host}\`\n\n- Segment: ${iface.segment ?? 'none'}\n- Addresses: ${iface.addresses?.join(', ') || (iface.dhcp ? 'DHCP' : 'none')}${iface.rdma ? '\n- RDMA capable' : ''}${live?.speedMbps ? `\n- Link speed: ${live.speedMbps} Mb/s` : ''}${link ? `\n- Link: ${link}` : ''}`,
    icon: { id: INTERFACE_ICON[iface.kind] ?? 'plug', color: live?.up === false ? 'charts.red' : undefined },
    contextValue: 'interface',
    collapsible: false,
    host,
    interfaceName: iface.name,
  };
}

export function interfaceTreeItem(node: InterfaceNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node);
  item.accessibilityInformation = { label: `Interface ${node.label} on ${node.host}: ${node.description ?? ''}`, role: 'treeitem' };
  return item;
}
