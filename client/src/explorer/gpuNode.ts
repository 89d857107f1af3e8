// A GPU: model, VRAM used / total, utilisation and temperature. In the Nodes view a child of its host; the GPUs
// view lists every GPU of the cluster with the host it lives on (`gpuRows`).
import type * as vscode from 'vscode';
import type { GpuFacts } from '../state/store';
import { formatGiB, gpuFreeMiB, gpuMetrics, gpuSlots, gpuTooltip, HOST_STATUS_LOOK, type ExplorerInput, type GpuSlot } from './look';
import type { GpuSort, NodeBase } from './model';
import type { MakeTreeItem } from './treeItem';

export interface GpuNode extends NodeBase {
  kind: 'gpu';
  host: string;
  gpuIndex: number;
}

/** A GPU under its host in the Nodes view. */
export function gpuNode(host: string, slot: GpuSlot, live: GpuFacts | undefined, parentId: string): GpuNode {
  return {
    kind: 'gpu',
    id: `${parentId}/gpu/${slot.index}`,
    label: `GPU ${slot.index}: ${slot.model}`,
    description: gpuMetrics(slot, live).join(' · '),
    get tooltip() {
      return gpuTooltip(host, slot, live);
    },
    icon: { id: 'circuit-board', color: live?.utilizationPct !== undefined && live.utilizationPct >= 90 ? 'charts.orange' : undefined },
    contextValue: 'gpu',
    collapsible: false,
    host,
    gpuIndex: slot.index,
  };
}

/** The GPUs view: every GPU, most free memory (or least utilised) first; GPUs without live figures last. */
export function gpuRows(input: ExplorerInput, sort: GpuSort): GpuNode[] {
  const spec = input.spec;
  if (!spec) return [];
  const rows: { node: GpuNode; key: number | undefined }[] = [];
  for (const host of spec.hosts.filter((h) => h && typeof h.name === 'string')) {
    const state = input.host(host.name);
    for (const slot of gpuSlots(host)) {
      const live = state.gpus.find((g) => g.index === slot.index);
      const free = gpuFreeMiB(slot, live);
      const metrics = gpuMetrics(slot, live);
      if (free !== undefined) metrics.splice(1, 0, `${formatGiB(free)} GiB free`);
      rows.push({
        key: sort === 'freeMemory' ? free : live?.utilizationPct,
        node: {
          kind: 'gpu',
          id: `gpu/${host.name}/${slot.index}`,
          label: slot.model,
          description: `${host.name} #${slot.index} · ${metrics.join(' · ')}`,
          get tooltip() {
            return gpuTooltip(host.name, slot, live);
          },
          icon: { id: 'circuit-board', color: HOST_STATUS_LOOK[state.status].icon.color },
          contextValue: 'gpu',
          collapsible: false,
          host: host.name,
          gpuIndex: slot.index,
        },
      });
    }
  }
  const direction = sort === 'freeMemory' ? -1 : 1;
  rows.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) return a.key === b.key ? 0 : a.key === undefined ? 1 : -1;
    return direction * (a.key - b.key);
  });
  return rows.map((r) => r.node);
}

export function gpuTreeItem(node: GpuNode, make: MakeTreeItem): vscode.TreeItem {
  const item = make(node);
  item.accessibilityInformation = {
    label: `GPU ${node.gpuIndex} on ${node.host}: ${node.label}, ${node.description ?? 'no live figures'}`,
    role: 'treeitem',
  };
  return item;
}
