// The "Events" view (gpuCluster.events): cluster events newest first, 50 per page with a "Load more" item,
// filtered by aggregate (host or `cluster`), action, time and correlation (gpuCluster.events.filter), and
// followed live: new events appear at the top as they are appended.
import * as vscode from 'vscode';
import { CLUSTER_AGGREGATE, type EventFilter, type StoredEvent } from '#core/nats';
import type { NatsService } from '../services/natsService';
import type { LiveSession } from '../services/liveSession';

const PAGE = 50;
/** Live events beyond this many are dropped from the bottom (still reachable with Load more). */
const MAX_ITEMS = 2000;

type EventNode =
  | { kind: 'event'; event: StoredEvent }
  | { kind: 'field'; id: string; label: string; value: string }
  | { kind: 'more' }
  | { kind: 'loading' };

export function describeFilter(f: EventFilter): string {
  const parts: string[] = [];
  if (f.aggregate) parts.push(f.aggregate);
  if (f.action) parts.push(f.action);
  if (f.since !== undefined) parts.push(`since ${new Date(f.since).toLocaleString()}`);
  if (f.correlationId) parts.push(`op ${f.correlationId.slice(0, 8)}`);
  return parts.join(' · ');
}

/** Time of day for today's events, date and time for older ones. */
function when(timestamp: string): string {
  const t = new Date(timestamp);
  return t.toDateString() === new Date().toDateString() ? t.toLocaleTimeString() : t.toLocaleString();
}

function iconFor(action: string): vscode.ThemeIcon {
  if (/failed|missing|error/.test(action)) return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
  if (/started|requested|launch/.test(action)) return new vscode.ThemeIcon('play-circle');
  if (/stopped/.test(action)) return new vscode.ThemeIcon('debug-stop');
  if (/deployed|created|restored|generated|added|completed/.test(action))
    return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
  if (/checkpoint/.test(action)) return new vscode.ThemeIcon('save');
  return new vscode.ThemeIcon('circle-small');
}

export class EventsTree implements vscode.TreeDataProvider<EventNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EventNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<EventNode>;
  private events: StoredEvent[] = [];
  private nextBefore: number | undefined;
  private filter: EventFilter = {};
  private loading = false;
  private stopFollowing: (() => Promise<void>) | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly nats: NatsService,
    private readonly log: vscode.LogOutputChannel,
    private readonly hostNames: () => string[],
    private readonly live: LiveSession,
  ) {
    this.view = vscode.window.createTreeView('gpuCluster.events', { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.changed,
      nats.onDidConnect(() => void this.reload()),
      nats.onDidChangeStatus(() => this.updateMessage()),
      vscode.commands.registerCommand('gpuCluster.events.filter', () => this.editFilter()),
      vscode.commands.registerCommand('gpuCluster.events.loadMore', () => this.loadMore()),
    );
    this.updateMessage();
    if (nats.events) void this.reload();
  }

  /** Events currently listed, newest first (tests). */
  get items(): readonly StoredEvent[] {
    return this.events;
  }

  getTreeItem(node: EventNode): vscode.TreeItem {
    switch (node.kind) {
      case 'event': {
        const e = node.event;
        const item = new vscode.TreeItem(e.action, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `event-${e.seq}`;
        item.description = `${e.aggregate} · ${when(e.timestamp)}`;
        item.iconPath = iconFor(e.action);
        item.contextValue = 'event';
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${e.type}** on \`${e.aggregate}\`  \n${new Date(e.timestamp).toLocaleString()} · #${e.seq} · ${e.source}\n\n`);
        md.appendCodeblock(JSON.stringify(e.data, null, 2).slice(0, 2000), 'json');
        item.tooltip = md;
        return item;
      }
      case 'field': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = node.value;
        item.tooltip = node.value;
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
        item.id = 'events-load-more';
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: 'gpuCluster.events.loadMore', title: 'Load more events' };
        return item;
      }
      case 'loading': {
        const item = new vscode.TreeItem('Loading…', vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('loading~spin');
        return item;
      }
    }
  }

  getChildren(node?: EventNode): EventNode[] {
    if (!node) {
      const nodes: EventNode[] = this.events.map((event) => ({ kind: 'event', event }));
      if (this.loading) nodes.push({ kind: 'loading' });
      else if (this.nextBefore !== undefined) nodes.push({ kind: 'more' });
      return nodes;
    }
    if (node.kind !== 'event') return [];
    const e = node.event;
    const field = (label: string, value: unknown): EventNode => ({
      kind: 'field',
      id: `event-${e.seq}-${label}`,
      label,
      value: typeof value === 'string' ? value : JSON.stringify(value),
    });
    const data =
      e.data && typeof e.data === 'object' && !Array.isArray(e.data)
        ? Object.entries(e.data as Record<string, unknown>).map(([k, v]) => field(k, v))
        : [field('data', e.data)];
    return [
      ...data,
      field('type', e.type),
      field('time', e.timestamp),
      field('source', e.source),
      field('correlation', e.correlationId),
      field('causation', e.causationId),
      field('event id', e.id),
      field('sequence', e.seq),
    ];
  }

  private updateMessage(): void {
    const s = this.nats.status;
    if (!this.live.connected) {
      // Empty, the view's welcome content says why (Restricted Mode, or not connected) and offers the action.
      this.view.message = this.events.length ? 'Not connected to the cluster: showing what was loaded before.' : undefined;
    } else if (s.state === 'connected') {
      this.view.message =
        this.events.length || this.loading ? undefined : `No events${describeFilter(this.filter) ? ' match the filter' : ' yet'}.`;
    } else if (s.state === 'idle') {
      const target = this.nats.resolveTarget();
      this.view.message =
        typeof target === 'string' ? `Events need NATS: ${target}.` : 'Not connected to NATS. Click NATS in the status bar to connect.';
    } else {
      this.view.message = `NATS ${s.state}${s.reason ? `: ${s.reason}` : ''}. Showing what was loaded before.`;
    }
    this.view.description = describeFilter(this.filter) || undefined;
  }

  /** Reloads the first page and (re)starts following with the current filter. */
  async reload(): Promise<void> {
    const store = this.nats.events;
    const generation = ++this.generation;
    await this.stopFollowing?.().catch(() => undefined);
    this.stopFollowing = undefined;
    if (!store) {
      this.updateMessage();
      return;
    }
    this.loading = true;
    this.changed.fire(undefined);
    try {
      const page = await store.page(this.filter, { limit: PAGE });
      if (generation !== this.generation) return;
      this.events = page.events;
      this.nextBefore = page.nextBefore;
      const after = page.events[0]?.seq ?? (await store.page({}, { limit: 1 })).events[0]?.seq ?? 0;
      this.stopFollowing = await store.follow(this.filter, (e) => this.onLive(e, generation), after);
    } catch (err) {
      this.log.warn(`events: ${(err as Error).message}`);
      this.view.message = `Cannot read events: ${(err as Error).message}`;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.changed.fire(undefined);
        this.updateMessage();
      }
    }
  }

  private onLive(event: StoredEvent, generation: number): void {
    if (generation !== this.generation || this.events.some((e) => e.seq === event.seq)) return;
    this.events.unshift(event);
    if (this.events.length > MAX_ITEMS) {
      this.events.length = MAX_ITEMS;
      this.nextBefore = this.events[this.events.length - 1].seq;
    }
    // Bursts (a deploy of many hosts) refresh the view a few times a second, not once per event.
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      this.changed.fire(undefined);
      this.updateMessage();
    }, 100);
  }

  async loadMore(): Promise<void> {
    const store = this.nats.events;
    if (!store || this.nextBefore === undefined || this.loading) return;
    const generation = this.generation;
    this.loading = true;
    this.changed.fire(undefined);
    try {
      const page = await store.page(this.filter, { before: this.nextBefore, limit: PAGE });
      if (generation !== this.generation) return;
      this.events.push(...page.events);
      this.nextBefore = page.nextBefore;
    } catch (err) {
      this.log.warn(`events: ${(err as Error).message}`);
    } finally {
      this.loading = false;
      this.changed.fire(undefined);
    }
  }

  async setFilter(filter: EventFilter): Promise<void> {
    this.filter = filter;
    await this.reload();
  }

  private async editFilter(): Promise<void> {
    const f = this.filter;
    type Pick = vscode.QuickPickItem & { key: 'aggregate' | 'action' | 'since' | 'correlationId' | 'clear' };
    const picks: Pick[] = [
      { key: 'aggregate', label: 'Host or aggregate', description: f.aggregate ?? 'any' },
      { key: 'action', label: 'Action', description: f.action ?? 'any' },
      { key: 'since', label: 'Since', description: f.since !== undefined ? new Date(f.since).toLocaleString() : 'the beginning' },
      { key: 'correlationId', label: 'Operation (correlation id)', description: f.correlationId ?? 'any' },
      { key: 'clear', label: '$(clear-all) Clear all filters' },
    ];
    const pick = await vscode.window.showQuickPick(picks, { title: 'Filter events' });
    if (!pick) return;
    const next: EventFilter = { ...f };
    const token = (v: string) => (/^[A-Za-z0-9_-]*$/.test(v) ? undefined : 'Only letters, digits, - and _');
    switch (pick.key) {
      case 'clear':
        await this.setFilter({});
        return;
      case 'aggregate': {
        const value = await vscode.window.showQuickPick(['(any)', CLUSTER_AGGREGATE, ...this.hostNames()], {
          title: 'Events of which host or aggregate?',
        });
        if (value === undefined) return;
        next.aggregate = value === '(any)' ? undefined : value;
        break;
      }
      case 'action': {
        const value = await vscode.window.showInputBox({
          title: 'Action (empty for any)',
          value: f.action ?? '',
          placeHolder: 'deployed, deploy-failed, gpu-missing…',
          validateInput: token,
        });
        if (value === undefined) return;
        next.action = value || undefined;
        break;
      }
      case 'since': {
        const spans: Record<string, number | undefined> = {
          '15 minutes': 15 * 60_000,
          '1 hour': 3600_000,
          '24 hours': 86_400_000,
          '7 days': 7 * 86_400_000,
          'the beginning': undefined,
        };
        const value = await vscode.window.showQuickPick(Object.keys(spans), { title: 'Events since' });
        if (value === undefined) return;
        const span = spans[value];
        next.since = span === undefined ? undefined : Date.now() - span;
        break;
      }
      case 'correlationId': {
        const value = await vscode.window.showInputBox({
          title: 'Correlation id (empty for any)',
          value: f.correlationId ?? '',
          validateInput: token,
        });
        if (value === undefined) return;
        next.correlationId = value || undefined;
        break;
      }
    }
    await this.setFilter(next);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    void this.stopFollowing?.();
    for (const d of this.disposables) d.dispose();
  }
}
