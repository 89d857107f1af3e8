// k3s-manifests.nix: the Kubernetes objects of core/src/k3s as a Nix attribute set, by manifest name. Every k3s
// server's host file sets `gpuCluster.k3s.manifests = import ../../k3s-manifests.nix;`, so the objects are written
// once however many servers deploy them.

import type { K3sManifest } from '../k3s/manifests';
import { nixValue, type NixValue } from '../nix/emit';

export const K3S_MANIFESTS_PATH = 'k3s-manifests.nix';

export function renderK3sManifests(manifests: readonly K3sManifest[], header: string): string {
  const byName = Object.fromEntries(manifests.map((m) => [m.name, m.object as unknown as NixValue]));
  return `${header}\n${nixValue(byName)}\n`;
}
