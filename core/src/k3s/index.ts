// Public face of core/src/k3s: k3s manifests, node labels and the live Kubernetes reading.
// Code outside core imports this module only through `#core/k3s` (checked by scripts/check-imports.mjs).

export {
  checkpointArchives,
  type EndpointSliceDoc,
  exoService,
  type ExoServiceView,
  gpuPodsByNode,
  type GpuPodView,
  type KubeList,
  nodeProxyCheckpointPath,
  type PodDoc,
  type ServiceDoc,
  statusMessage,
} from './live';
export { exoRegistration } from './manifests';
