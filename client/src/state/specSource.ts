// The spec as a state source: every loaded SpecModel becomes the store's spec (made safe to draw by displayableSpec) (the hosts, GPUs, interfaces and
// links the views draw); live sources add to it. Takes any event-emitting holder of the model, so it stays
// free of vscode and unit-testable.

import type { SpecModel } from '#core/spec';
import type { ClusterStateStore, StateSource } from './store';
import { displayableSpec } from './displaySpec';

export interface SpecFeed {
  readonly model: SpecModel | undefined;
  onDidChange(listener: () => void): { dispose(): void };
}

export const SPEC_SOURCE_ID = 'spec';

export class SpecSource implements StateSource {
  readonly id = SPEC_SOURCE_ID;
  private subscription: { dispose(): void } | undefined;

  constructor(private readonly feed: SpecFeed) {}

  start(store: ClusterStateStore): void {
    store.setSpec(displayableSpec(this.feed.model?.spec));
    this.subscription = this.feed.onDidChange(() => {
      const model = this.feed.model;
      const before = new Set(store.spec?.hosts.map((h) => h.name) ?? []);
      store.setSpec(displayableSpec(model?.spec));
      // Facts about hosts that left the spec would otherwise linger as phantom hosts.
      const after = new Set(store.spec?.hosts.map((h) => h.name) ?? []);
      for (const name of before) if (!after.has(name)) for (const source of store.sourcesOf(name)) store.clearSource(source, name);
    });
  }

  dispose(): void {
    this.subscription?.dispose();
  }
}
