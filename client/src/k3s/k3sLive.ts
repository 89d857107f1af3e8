// Polls the Kubernetes API for the live view: exo's Service with its endpoints and the GPU pods per node, every few
// seconds while the live session is on, backing off while the API server does not answer. Each round yields one
// snapshot (what was read, or why not). No vscode imports.
import type { ExoServiceView, GpuPodView } from '#core/k3s';
import type { KubeApi } from './kubeApi';

export interface K3sSnapshot {
  /** When the round ended (ms since the epoch). */
  at: number;
  service?: ExoServiceView;
  gpuPods?: Map<string, GpuPodView[]>;
  /** Why a part could not be read. */
  errors: string[];
}

export interface K3sLiveOptions {
  api: () => Promise<KubeApi>;
  service: { name: string; namespace: string } | undefined;
  intervalMs: number;
  onSnapshot: (s: K3sSnapshot) => void;
}

/** Longest wait between rounds while the API server fails. */
const MAX_BACKOFF_MS = 60_000;

export class K3sLive {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly options: K3sLiveOptions) {}

  start(): void {
    if (this.timer || this.running || this.stopped) return;
    this.schedule(0);
  }

  /** Polls now (the view's Refresh); resolves when the round is done. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return this.running ?? this.round();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.round();
    }, ms);
  }

  private round(): Promise<void> {
    const run = async () => {
      const errors: string[] = [];
      const snapshot: K3sSnapshot = { at: 0, errors };
      try {
        const api = await this.options.api();
        const { service } = this.options;
        const [svc, pods] = await Promise.allSettled([
          service ? api.exoService(service.name, service.namespace) : Promise.resolve(undefined),
          api.gpuPods(),
        ]);
        if (svc.status === 'fulfilled') snapshot.service = svc.value;
        else errors.push((svc.reason as Error).message);
        if (pods.status === 'fulfilled') snapshot.gpuPods = pods.value;
        else errors.push((pods.reason as Error).message);
      } catch (err) {
        errors.push((err as Error).message);
      }
      snapshot.at = Date.now();
      this.failures = errors.length ? this.failures + 1 : 0;
      if (!this.stopped) this.options.onSnapshot(snapshot);
    };
    this.running = run().finally(() => {
      this.running = undefined;
      const wait = this.failures
        ? Math.min(MAX_BACKOFF_MS, this.options.intervalMs * 2 ** Math.min(this.failures, 6))
        : this.options.intervalMs;
      if (!this.timer) this.schedule(wait);
    });
    return this.running;
  }
}
