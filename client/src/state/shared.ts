// The one ClusterStateStore of the extension, shared by every feature that reads or feeds live state (the
// explorer, the topology panel, SSH probes, NATS telemetry) without each of them having to be wired to the
// others: `clusterStateOf(services)` returns the same store for the same services object. The store hangs on
// that object under a registered symbol, so code bundled separately (the end-to-end suite) finds it too.
import { ClusterStateStore, type StateSource } from './store';

const KEY = Symbol.for('gpuCluster.clusterState');

interface Shared { store: ClusterStateStore; sources: Map<string, StateSource> }

function entry(owner: object): Shared {
  const holder = owner as { [KEY]?: Shared };
  return holder[KEY] ??= { store: new ClusterStateStore(), sources: new Map() };
}

export function clusterStateOf(owner: object): ClusterStateStore {
  return entry(owner).store;
}

/**
 * Starts a source feeding the shared store; a source with the same id is replaced (disposed, its facts
 * cleared). Returns a disposable that stops the source and removes what it reported.
 */
export function addStateSource(owner: object, source: StateSource): { dispose(): void } {
  const e = entry(owner);
  const previous = e.sources.get(source.id);
  if (previous) { previous.dispose(); e.store.clearSource(previous.id); }
  e.sources.set(source.id, source);
  source.start(e.store);
  return {
    dispose: () => {
      if (e.sources.get(source.id) !== source) return;
      e.sources.delete(source.id);
      source.dispose();
      e.store.clearSource(source.id);
    },
  };
}
