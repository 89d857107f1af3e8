// A cluster service on a host (exo, NATS, k3s, checkpoint agent) with its state; exo's contextValue says whether
// it runs, so only Launch or Stop is offered.
import type * as vscode from 'vscode';
import type { ServiceFacts, ServiceName } from '../state/store';
import { EXO_UP, SERVICE_LABEL, SERVICE_LOOK } from './look';
import type { NodeBase } from './model';
import type { MakeTreeItem } from './treeItem';

export interface ServiceNode extends NodeBase {
  kind: 'service';
  host: string;
  service: ServiceName;
}

export function serviceNode(host: string, service: ServiceName, facts: ServiceFacts, parentId: string): ServiceNode {
  const contextValue = service === 'exo' ? `service.exo.${EXO_UP.has(facts.status) ? 'running' : 'stopped'}` : `service.${service}`;
  const status = facts.progressPct === undefined ? facts.status : `${facts.status} ${facts.progressPct}%`;
  return {
    kind: 'service',
    id: `${parentId}/service/${service}`,
    label: SERVICE_LABEL[service],
    description: [status, facts.detail].filter(Boolean).join(' · '),
    tooltip: `**${SERVICE_LABEL[service]}** on \`${host}\`: ${status}${facts.detail ? `\n\n${facts.detail}` : ''}`,
    icon: SERVICE_LOOK[facts.status],
    contextValue,
    collapsible: false,
    host,
    service,
  };
}

export function serviceTreeItem(node: ServiceNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node);
  item.accessibilityInformation = { label: `${node.label} on ${node.host}: ${node.description ?? 'unknown'}`, role: 'treeitem' };
  return item;
}
