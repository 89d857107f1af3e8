// The Kubernetes view as plain records: exo's Service with its endpoints, then each node with the pods that hold its
// GPUs. Built from the latest snapshot of the live poller; k3sTree.ts turns the records into TreeItems. No vscode.
import type { GpuPodView } from '#core/k3s';
import type { K3sSnapshot } from './k3sLive';

export interface K3sNode {
  id: string;
  label: string;
  description?: string;
  icon: { id: string; color?: string };
  /** `k3s.pod` on pods whose containers can be checkpointed (the pod context menu). */
  contextValue?: string;
  /** Markdown. */
  tooltip?: string;
  children?: K3sNode[];
  pod?: GpuPodView;
}

const gpuText = (gpus: Record<string, number>) =>
  Object.entries(gpus)
    .map(([r, n]) => `${n} × ${r}`)
    .join(', ');
/** Backticks in API text must not end a Markdown code span. */
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

export function k3sNodes(snapshot: K3sSnapshot | undefined, server: string | undefined): K3sNode[] {
  if (!snapshot) return [{ id: 'k3s.loading', label: 'Reading the Kubernetes API…', description: server, icon: { id: 'loading~spin' } }];
  const out: K3sNode[] = snapshot.errors.map((message, i) => ({
    id: `k3s.error.${i}`,
    label: message,
    icon: { id: 'error', color: 'errorForeground' },
    tooltip: `${code(server ?? '')}: ${code(message)}`,
  }));
  const svc = snapshot.service;
  if (svc) {
    out.push({
      id: 'k3s.service',
      label: `exo Service ${svc.dns}`,
      description: !svc.exists
        ? 'not deployed'
        : `${svc.clusterIP ?? 'no cluster IP'} · ${svc.endpoints.length} endpoint${svc.endpoints.length === 1 ? '' : 's'}`,
      icon: { id: 'globe', color: svc.exists && svc.endpoints.some((e) => e.ready) ? 'testing.iconPassed' : 'list.warningForeground' },
      tooltip: svc.exists
        ? `Pods reach exo's API at ${code(`${svc.dns}:${svc.endpoints[0]?.port ?? ''}`)} (cluster IP ${code(svc.clusterIP ?? '?')}).`
        : `The Service ${code(`${svc.namespace}/${svc.name}`)} is not in the cluster: the k3s server deploys it from the generated flake (services.k3s.manifests).`,
      children: svc.endpoints.map((e) => ({
        id: `k3s.endpoint.${e.address}`,
        label: `${e.address}${e.port ? `:${e.port}` : ''}`,
        description: [e.node ?? e.hostname, e.ready ? 'ready' : 'not ready'].filter(Boolean).join(' · '),
        icon: { id: 'plug', color: e.ready ? undefined : 'list.warningForeground' },
      })),
    });
  }
  for (const [node, pods] of snapshot.gpuPods ?? []) {
    const total: Record<string, number> = {};
    for (const p of pods) for (const [r, n] of Object.entries(p.gpus)) total[r] = (total[r] ?? 0) + n;
    out.push({
      id: `k3s.node.${node}`,
      label: node,
      description: `${gpuText(total)} in pods`,
      icon: { id: 'server' },
      children: pods.map((p) => ({
        id: `k3s.pod.${p.namespace}.${p.name}`,
        label: `${p.namespace}/${p.name}`,
        description: `${gpuText(p.gpus)}${p.exoReservation ? ' · held for exo' : ''} · ${p.phase}`,
        icon: { id: p.exoReservation ? 'lock' : 'package', color: p.phase === 'Running' ? undefined : 'list.warningForeground' },
        // the reservation's pause container holds no state worth a checkpoint
        contextValue: p.exoReservation || p.phase !== 'Running' ? 'k3s.pod.other' : 'k3s.pod',
        tooltip: `${code(`${p.namespace}/${p.name}`)} on ${code(node)}\n\n${p.containers.map((c) => `- ${code(c.name)}: ${c.gpus} GPU${c.gpus === 1 ? '' : 's'}${c.ready === false ? ' (not ready)' : ''}`).join('\n')}`,
        pod: p,
      })),
    });
  }
  if (!svc && !snapshot.gpuPods?.size && !snapshot.errors.length) {
    out.push({ id: 'k3s.empty', label: 'No pod holds a GPU', icon: { id: 'info' } });
  }
  return out;
}
