// The cluster explorer's tree model as pure functions of the spec and the live state. A tree node is a member of
// the tagged union `TreeNodeModel`; the file of each kind (hostNode.ts, gpuNode.ts, …) owns its record, how it is
// built, its children and its TreeItem. This file joins them: the roots of the Nodes view and the dispatch of
// `childrenOf` by kind. The vscode tree providers (nodesTree.ts, gpusTree.ts) only turn records into TreeItems.

import type { CheckpointNode } from './checkpointNode';
import { connectionNode, type ConnectionNode, type ConnectionView } from './connectionNode';
import type { ContainerNode } from './containerNode';
import type { GpuNode } from './gpuNode';
import { groupChildren, groupNode, type GroupNode } from './groupNode';
import { hostChildren, type HostNode } from './hostNode';
import type { InterfaceNode } from './interfaceNode';
import { hostSegments, type ExplorerInput, type Icon } from './look';
import type { ServiceNode } from './serviceNode';
import { sourceErrorNodes, type SourceErrorNode } from './sourceErrorNode';

export type { ExplorerInput, Icon } from './look';
export { connectionNode, type ConnectionView };
export { gpuRows } from './gpuNode';

export type Grouping = 'tag' | 'segment';
export type GpuSort = 'freeMemory' | 'utilization';

/** What every node record has: what its TreeItem shows and the contextValue the manifest's menus key on. */
export interface NodeBase {
  /** Stable across refreshes, unique in its tree (a host listed under two tags has two ids). */
  id: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip: string;
  icon: Icon;
  contextValue: string;
  collapsible: boolean;
  /** The host the node belongs to (commands run on it), if any. */
  host?: string;
}

export type TreeNodeModel =
  ConnectionNode | SourceErrorNode | GroupNode | HostNode | GpuNode | ServiceNode | InterfaceNode | ContainerNode | CheckpointNode;
export type NodeKind = TreeNodeModel['kind'];

/** Top level of the Nodes view: source errors, then one group per tag or segment. */
export function nodeRoots(input: ExplorerInput, grouping: Grouping): TreeNodeModel[] {
  const spec = input.spec;
  if (!spec) return [];
  const hosts = (spec.hosts ?? []).filter((h) => h && typeof h.name === 'string');
  const groups: TreeNodeModel[] = [];
  if (grouping === 'tag') {
    const declared = Object.keys(spec.cluster?.tags ?? {});
    const used = hosts.flatMap((h) => h.tags ?? []);
    for (const tag of [...new Set([...declared, ...used])]) {
      const members = hosts.filter((h) => h.tags?.includes(tag));
      if (members.length) groups.push(groupNode(`tag/${tag}`, tag, spec.cluster?.tags?.[tag], members, input));
    }
    const untagged = hosts.filter((h) => !h.tags?.length);
    if (untagged.length) groups.push(groupNode('tag/', 'untagged', 'Hosts without tags', untagged, input));
  } else {
    const declared = (spec.network?.segments ?? []).map((s) => s.name);
    const used = hosts.flatMap(hostSegments);
    for (const segment of [...new Set([...declared, ...used])]) {
      const members = hosts.filter((h) => hostSegments(h).includes(segment));
      const def = spec.network?.segments?.find((s) => s.name === segment);
      if (members.length)
        groups.push(
          groupNode(
            `segment/${segment}`,
            segment,
            def ? `${def.subnet}${def.description ? ` — ${def.description}` : ''}` : 'not declared in network.segments',
            members,
            input,
          ),
        );
    }
    const none = hosts.filter((h) => hostSegments(h).length === 0);
    if (none.length) groups.push(groupNode('segment/', 'no segment', 'Hosts with no interface on a segment', none, input));
  }
  return [...sourceErrorNodes(input), ...groups];
}

/** The children of a node: each kind's file says what they are (leaves have none). */
export function childrenOf(input: ExplorerInput, node: TreeNodeModel): TreeNodeModel[] {
  if (!input.spec) return [];
  switch (node.kind) {
    case 'group':
      return groupChildren(input, node);
    case 'host':
      return hostChildren(input, node);
    default:
      return [];
  }
}
