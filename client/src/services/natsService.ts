// The extension's NATS connection: URL from the `gpuCluster.nats.url` setting or the spec's `nats.url`, subject
// prefix from `cluster.domain`, credentials from SecretStorage. Connects only while the live session is on (the
// user chose "Connect to Cluster" in a trusted workspace), follows spec and setting changes while it is, reconnects
// with backoff, and reports through the status bar and one log line per state change — never a popup per retry. Other features append events through `services.nats.appendEvent`.

import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AgentCommandClient,
  type ClusterEvent,
  connectOnce,
  type ConnectionStatus,
  DocumentStore,
  type EventAction,
  EventOutbox,
  EventStore,
  NatsConnectionManager,
  type NatsCredentials,
  syncFacterReports,
} from '#core/nats';
import type { LiveSession } from './liveSession';
import type { SpecStore } from './specStore';

const CREDENTIALS_KEY = 'gpuCluster.nats.credentials';

export interface NatsTarget {
  servers: string[];
  domain: string;
}

/** What the NATS service uses of the extension's services. */
export interface NatsServiceDeps {
  readonly context: vscode.ExtensionContext;
  readonly output: vscode.LogOutputChannel;
  readonly specStore: SpecStore;
  readonly live: LiveSession;
}

export class NatsService implements vscode.Disposable {
  readonly manager: NatsConnectionManager;
  private target: NatsTarget | undefined;
  private eventStore: EventStore | undefined;
  private documentStore: DocumentStore | undefined;
  private readonly connectedEmitter = new vscode.EventEmitter<NatsConnection>();
  private readonly statusEmitter = new vscode.EventEmitter<ConnectionStatus>();
  private readonly backlogEmitter = new vscode.EventEmitter<number>();
  /** Fires on every (re)connection with the event store ready. */
  readonly onDidConnect = this.connectedEmitter.event;
  readonly onDidChangeStatus = this.statusEmitter.event;
  /** Fires with the number of events recorded but not yet stored in NATS. */
  readonly onDidChangeBacklog = this.backlogEmitter.event;
  private readonly disposables: vscode.Disposable[] = [this.connectedEmitter, this.statusEmitter, this.backlogEmitter];
  private eventOutbox: EventOutbox | undefined;
  private lastLoggedState: ConnectionStatus['state'] | undefined;
  private storeConnection: NatsConnection | undefined;

  constructor(private readonly services: NatsServiceDeps) {
    this.manager = new NatsConnectionManager({ servers: [] });
    this.manager.onStatus((status) => this.onStatus(status));
    this.manager.onConnected((nc) => void this.onConnected(nc));
    this.disposables.push(
      services.specStore.onDidChange(() => {
        void this.autoConnect();
        void this.syncFacter();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gpuCluster.nats.url')) void this.autoConnect();
      }),
      services.live.onDidChange((on) => {
        if (on) void this.autoConnect();
        else void this.disconnect();
      }),
    );
  }

  get status(): ConnectionStatus {
    return this.manager.status;
  }
  get domain(): string | undefined {
    return this.target?.domain;
  }
  get connection(): NatsConnection | undefined {
    return this.manager.connection;
  }
  /** The event store of the current connection (undefined while not connected). */
  get events(): EventStore | undefined {
    return this.manager.connection ? this.eventStore : undefined;
  }
  get documents(): DocumentStore | undefined {
    return this.manager.connection ? this.documentStore : undefined;
  }
  /** Events recorded but not yet acknowledged by the event stream. */
  get backlog(): number {
    return this.outbox.backlog;
  }

  /** The on-disk outbox every event goes through (in the workspace's storage), opened on first use. */
  private get outbox(): EventOutbox {
    if (!this.eventOutbox) {
      const { context, output } = this.services;
      const log = (level: 'info' | 'warn' | 'error', message: string) => output[level](message);
      const file = path.join((context.storageUri ?? context.globalStorageUri).fsPath, 'nats-event-outbox.jsonl');
      try {
        this.eventOutbox = new EventOutbox({ file, log });
      } catch (err) {
        output.error(`cannot keep the event outbox in ${file} (${(err as Error).message}); events wait in memory until NATS is reachable`);
        this.eventOutbox = new EventOutbox({ log });
      }
      this.eventOutbox.onBacklog((n) => this.backlogEmitter.fire(n));
    }
    return this.eventOutbox;
  }

  /** Request/reply to host agents, falling back to the caller's SSH implementation. */
  commands(timeoutMs?: number): AgentCommandClient | undefined {
    return this.target ? new AgentCommandClient(() => this.manager.connection, this.target.domain, timeoutMs) : undefined;
  }

  /** Where to connect, from the setting or the spec; undefined (with the reason) when unknown. */
  resolveTarget(): NatsTarget | string {
    const spec = this.services.specStore.model?.spec;
    const configured = vscode.workspace.getConfiguration('gpuCluster').get<string>('nats.url', '').trim();
    const url = configured || spec?.nats?.url;
    if (!url) return 'no NATS URL: set nats.url in cluster.yaml or the gpuCluster.nats.url setting';
    if (!spec?.cluster?.domain) return 'no cluster.domain in the spec (it is the NATS subject prefix)';
    return {
      servers: url
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      domain: spec.cluster.domain,
    };
  }

  async credentials(): Promise<NatsCredentials> {
    const stored = await this.services.context.secrets.get(CREDENTIALS_KEY);
    if (!stored) return { kind: 'none' };
    try {
      return JSON.parse(stored) as NatsCredentials;
    } catch {
      this.services.output.warn('stored NATS credentials are unreadable; connecting without credentials');
      return { kind: 'none' };
    }
  }

  async storeCredentials(credentials: NatsCredentials | undefined): Promise<void> {
    if (!credentials || credentials.kind === 'none') await this.services.context.secrets.delete(CREDENTIALS_KEY);
    else await this.services.context.secrets.store(CREDENTIALS_KEY, JSON.stringify(credentials));
  }

  /** Connects (or reconnects with current settings and credentials). Returns the reason when it cannot start. */
  async connect(): Promise<string | undefined> {
    const target = this.resolveTarget();
    if (typeof target === 'string') return target;
    this.target = target;
    const tls = target.servers.some((s) => s.startsWith('tls://')) ? { caFile: this.localCaFile() } : undefined;
    await this.manager.start({
      servers: target.servers,
      credentials: await this.credentials(),
      tls,
      name: `vscode gpu-cluster ${vscode.env.machineId.slice(0, 8)}`,
    });
    return undefined;
  }

  /**
   * A connection of its own for one job (an upload to the object store while the live session is off): the same
   * URL, credentials and CA as the session's; the caller closes it.
   */
  async dialOnce(job: string): Promise<NatsConnection> {
    const target = this.resolveTarget();
    if (typeof target === 'string') throw new Error(`Cannot reach NATS: ${target}.`);
    return connectOnce(target.servers.join(','), {
      credentials: await this.credentials(),
      tls: target.servers.some((s) => s.startsWith('tls://')) ? { caFile: this.localCaFile() } : undefined,
      name: `vscode gpu-cluster ${job}`,
    });
  }

  /** The spec's `nats.tls.caFile` when it exists on this machine (relative paths are relative to the spec). */
  private localCaFile(): string | undefined {
    const caFile = this.services.specStore.model?.spec.nats?.tls?.caFile;
    const specUri = this.services.specStore.specUri;
    if (!caFile || !specUri) return undefined;
    const resolved = path.resolve(path.dirname(specUri.fsPath), caFile);
    return existsSync(resolved) ? resolved : undefined;
  }

  /** Closes the connection and forgets the target, so the next Connect dials afresh. */
  private async disconnect(): Promise<void> {
    this.target = undefined;
    await this.manager.stop();
  }

  private async autoConnect(): Promise<void> {
    if (!this.services.live.connected) return;
    const target = this.resolveTarget();
    if (typeof target === 'string') return;
    const same = this.target && this.target.domain === target.domain && this.target.servers.join() === target.servers.join();
    if (same && this.manager.status.state !== 'idle') return;
    await this.connect();
  }

  private onStatus(status: ConnectionStatus): void {
    this.statusEmitter.fire(status);
    // One log line per state change, however many retries (each with its own reason) happen in between.
    if (status.state === this.lastLoggedState) return;
    this.lastLoggedState = status.state;
    const line = `${status.state}${status.server ? ` ${status.server}` : ''}${status.reason ? `: ${status.reason}` : ''}`;
    if (status.state === 'connected') this.services.output.info(`NATS ${line}`);
    else if (status.authFailed) this.services.output.error(`NATS ${line}. Set new ones with "GPU Cluster: Set NATS Credentials".`);
    else this.services.output.warn(`NATS ${line}`);
  }

  private async onConnected(nc: NatsConnection): Promise<void> {
    if (!this.target) return;
    if (!this.eventStore || this.storeConnection !== nc) {
      this.eventStore?.close();
      this.storeConnection = nc;
      this.eventStore = new EventStore(nc, this.target.domain, {
        onRetry: (e, attempt, err) => {
          if (attempt === 1) this.services.output.warn(`event ${e.type} not acknowledged yet, retrying: ${(err as Error).message}`);
        },
        onStreamCreated: (stream) =>
          this.services.output.warn(`the event stream ${stream} did not exist on the server (a new or wiped store); created it`),
      });
      this.documentStore = new DocumentStore(nc, this.target.domain);
    }
    try {
      await this.eventStore.ensureStream();
    } catch (err) {
      this.services.output.error(`cannot create the event stream ${this.eventStore.stream}: ${(err as Error).message}`);
    }
    this.outbox.attach(this.eventStore);
    this.connectedEmitter.fire(nc);
    await this.syncFacter();
  }

  /** Keeps every host's nixos-facter report (hardware.facterReport) versioned in the object store. */
  private async syncFacter(): Promise<void> {
    const documents = this.documents;
    const model = this.services.specStore.model;
    const specUri = this.services.specStore.specUri;
    if (!documents || !model || !specUri) return;
    try {
      for (const r of await syncFacterReports(documents, model.spec.hosts, path.dirname(specUri.fsPath))) {
        if (r.error) this.services.output.warn(`facter report of ${r.host} not stored in NATS: ${r.error}`);
        else if (r.stored) this.appendEvent(r.host, 'facter-report-stored', { revision: r.revision });
      }
    } catch (err) {
      this.services.output.warn(`facter reports not synchronised: ${(err as Error).message}`);
    }
  }

  /**
   * Appends a cluster event (`{domain}.events.{aggregate}.{action}`) through the on-disk outbox: without a NATS
   * connection it waits there (the status bar shows the backlog) and is published, in order, once NATS is back.
   * It never throws, so operations do not fail because the event backbone is away.
   * Pass the returned event's `correlationId` (and its `id` as `causationId`) to follow-up events of the same operation.
   */
  appendEvent(
    aggregate: string,
    action: EventAction,
    data: unknown,
    correlation?: { correlationId?: string; causationId?: string },
  ): ClusterEvent | undefined {
    try {
      return this.outbox.record({ aggregate, action, data, source: 'extension', ...correlation });
    } catch (err) {
      this.services.output.error(`event ${aggregate}.${action} not recorded: ${(err as Error).message}`);
      return undefined;
    }
  }

  trace(message: string): void {
    this.services.output.trace(message);
  }

  /** A warning in the extension's log (for helpers without the services object). */
  log(message: string): void {
    this.services.output.warn(message);
  }

  dispose(): void {
    this.eventOutbox?.close();
    this.eventStore?.close();
    void this.manager.stop();
    for (const d of this.disposables) d.dispose();
  }
}
