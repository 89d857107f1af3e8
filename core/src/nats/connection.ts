// One NATS connection with a status the UI can show: connecting, connected, reconnecting (with the reason and
// the next retry), disconnected (with the reason). Failures become status changes, never exceptions thrown into
// a loop and never one popup per retry. Refused credentials stop the retries: retrying cannot fix them.

import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  PermissionViolationError,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  UserAuthenticationExpiredError,
  type Authenticator,
  type NatsConnection,
  type Status,
} from '@nats-io/transport-node';

/** How long stop() lets a connected client flush before closing it. */
const DRAIN_TIMEOUT_MS = 2000;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export type NatsCredentials =
  | { kind: 'none' }
  /** Content of a `.creds` file (JWT + nkey seed). */
  | { kind: 'creds'; creds: string }
  /** An nkey seed (`SU…`). */
  | { kind: 'nkey'; seed: string }
  | { kind: 'userpass'; user: string; pass: string }
  | { kind: 'token'; token: string };

export interface NatsTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface NatsConnectOptions {
  servers: string | string[];
  credentials?: NatsCredentials;
  tls?: NatsTls;
  /** Shown by the server's monitoring pages. */
  name?: string;
  inboxPrefix?: string;
  /** First retry delay of an outage (default 100 ms); the delay grows with the outage's length up to maxRetryMs. */
  initialRetryMs?: number;
  /** Longest pause between two dials (default 1 s): a server that comes back is found within about this long. */
  maxRetryMs?: number;
  connectTimeoutMs?: number;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Server of the current or last connection. */
  server?: string;
  /** Why the connection is not (or no longer) up, in words a user can act on. */
  reason?: string;
  /** Next retry time (ms since epoch) while reconnecting. */
  retryAt?: number;
  /** True when the server refused the credentials; the manager stops retrying until restarted. */
  authFailed?: boolean;
}

export function authenticatorFor(credentials: NatsCredentials | undefined): Authenticator | undefined {
  const bytes = (s: string) => new TextEncoder().encode(s);
  switch (credentials?.kind) {
    case undefined:
    case 'none':
      return undefined;
    case 'creds':
      return credsAuthenticator(bytes(credentials.creds));
    case 'nkey':
      return nkeyAuthenticator(bytes(credentials.seed.trim()));
    case 'userpass':
      return usernamePasswordAuthenticator(credentials.user, credentials.pass);
    case 'token':
      return tokenAuthenticator(credentials.token);
  }
}

/** True for errors that mean "these credentials will not work", as opposed to "the server is away". */
export function isAuthError(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (e instanceof AuthorizationError || e instanceof UserAuthenticationExpiredError) return true;
    if (/authori[sz]ation violation|authentication (timeout|expired)/i.test(e.message)) return true;
  }
  return false;
}

/** A one-line explanation of a NATS or socket error for the status bar and logs. */
export function describeNatsError(err: unknown, servers?: string | string[]): string {
  const where = servers ? ` (${[servers].flat().join(', ')})` : '';
  if (isAuthError(err)) {
    return `NATS refused the credentials${where}: authorization violation`;
  }
  if (err instanceof PermissionViolationError) {
    return `NATS permissions violation: this user may not ${err.operation} to "${err.subject}"`;
  }
  const chain: string[] = [];
  for (let e = err; e instanceof Error && chain.length < 4; e = (e as Error & { cause?: unknown }).cause) {
    const code = (e as NodeJS.ErrnoException).code;
    chain.push(code && !e.message.includes(code) ? `${e.message} (${code})` : e.message);
  }
  const text = chain.length ? chain.join(': ') : String(err);
  if (/certificate|self[- ]signed|SSL|TLS|handshake/i.test(text)) return `NATS TLS handshake failed${where}: ${text}`;
  if (/ECONNREFUSED|connection refused/i.test(text)) return `NATS server not reachable${where}: connection refused`;
  if (/ENOTFOUND|EAI_AGAIN/i.test(text)) return `NATS server name does not resolve${where}`;
  if (/timeout/i.test(text)) return `NATS server did not answer in time${where}`;
  return `NATS error${where}: ${text}`;
}

/**
 * Pause before the next dial of an outage that began `elapsedMs` ago: `initialMs` at first, growing by a tenth of
 * the outage's length, never beyond `maxMs`, so a server that returns after any outage is found within `maxMs`.
 * `jitter` (0..1, drawn once per outage) shortens it by up to half, which spreads a fleet of clients that lost the
 * same server over the whole interval instead of having them dial in step.
 */
export function reconnectDelay(elapsedMs: number, jitter: number, initialMs = 100, maxMs = 1000): number {
  const base = Math.min(maxMs, initialMs + Math.max(0, elapsedMs) / 10);
  return Math.max(1, Math.round(base * (1 - jitter / 2)));
}

type Listener<T> = (value: T) => void;

export class NatsConnectionManager {
  private nc: NatsConnection | undefined;
  private current: ConnectionStatus = { state: 'idle' };
  private readonly statusListeners = new Set<Listener<ConnectionStatus>>();
  private readonly connectedListeners = new Set<Listener<NatsConnection>>();
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Failed attempts of our own connect loop (before a connection exists, or after the client gave up). */
  private attempt = 0;
  /** When the current outage began (undefined while connected) and its jitter; see reconnectDelay. */
  private outage: { since: number; jitter: number } | undefined;
  private generation = 0;

  constructor(private options: NatsConnectOptions) {}

  get connection(): NatsConnection | undefined {
    return this.current.state === 'connected' ? this.nc : undefined;
  }
  get status(): ConnectionStatus {
    return this.current;
  }

  onStatus(listener: Listener<ConnectionStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }
  /** Called after the first connect and after every reconnect (subscriptions survive reconnects; this is for resync). */
  onConnected(listener: Listener<NatsConnection>): () => void {
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  /** Starts connecting (in the background); call again with new options to switch servers or credentials. */
  async start(options?: NatsConnectOptions): Promise<void> {
    if (options) this.options = options;
    await this.stop();
    this.stopped = false;
    this.attempt = 0;
    this.outage = undefined;
    void this.tryConnect(++this.generation);
  }

  /** Resolves when connected, or rejects with the status reason if the connection fails for good (auth) or times out. */
  ready(timeoutMs = 10_000): Promise<NatsConnection> {
    return new Promise((resolve, reject) => {
      const check = (s: ConnectionStatus) => {
        if (s.state === 'connected' && this.nc) {
          done();
          resolve(this.nc);
        } else if (s.authFailed || (s.state === 'disconnected' && this.stopped)) {
          done();
          reject(new Error(s.reason ?? 'not connected'));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(this.current.reason ?? `NATS not connected after ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onStatus(check);
      const done = () => {
        clearTimeout(timer);
        off();
      };
      check(this.current);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    const nc = this.nc;
    this.nc = undefined;
    if (nc && !nc.isClosed()) {
      // Draining flushes to the server, so only a connected client can drain; one whose server is gone would
      // wait for it forever (it retries without limit), and a new URL or new credentials would never take effect.
      const drained =
        this.current.state === 'connected' &&
        (await Promise.race([
          nc.drain().then(
            () => true,
            () => false,
          ),
          pause(DRAIN_TIMEOUT_MS).then(() => false),
        ]));
      if (!drained) await nc.close().catch(() => undefined);
    }
    if (this.current.state !== 'idle' && this.current.state !== 'disconnected')
      this.set({ state: 'disconnected', reason: 'closed by the user' });
  }

  private set(status: ConnectionStatus): void {
    this.current = status;
    for (const l of this.statusListeners) {
      try {
        l(status);
      } catch {
        /* a listener's failure must not stop the others */
      }
    }
  }

  private beginOutage(): void {
    this.outage = { since: Date.now(), jitter: Math.random() };
  }

  /**
   * The pause before the next dial, for our own loop and for nats.js's. nats.js asks on every pass of its wait
   * loop, not once per dial (dodialLoop in @nats-io/nats-core 3.4 lib/protocol.js: it dials once
   * `lastConnect + delay <= now`, else sleeps and asks again), so the answer must depend on time, not on calls.
   */
  private retryDelay(): number {
    if (!this.outage) this.beginOutage();
    return reconnectDelay(Date.now() - this.outage!.since, this.outage!.jitter, this.options.initialRetryMs, this.options.maxRetryMs);
  }

  private async tryConnect(generation: number): Promise<void> {
    if (this.stopped || generation !== this.generation) return;
    const servers = this.options.servers;
    this.set({ state: this.attempt === 0 ? 'connecting' : 'reconnecting', reason: this.current.reason, server: [servers].flat()[0] });
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers,
        authenticator: authenticatorFor(this.options.credentials),
        tls: this.options.tls && Object.values(this.options.tls).some(Boolean) ? this.options.tls : undefined,
        name: this.options.name,
        inboxPrefix: this.options.inboxPrefix,
        timeout: this.options.connectTimeoutMs ?? 5000,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: () => this.retryDelay(),
        ignoreAuthErrorAbort: false,
      });
    } catch (err) {
      if (this.stopped || generation !== this.generation) return;
      const reason = describeNatsError(err, servers);
      if (isAuthError(err)) {
        this.stopped = true;
        this.set({ state: 'disconnected', reason, authFailed: true });
        return;
      }
      this.attempt++;
      const delay = this.retryDelay();
      this.set({ state: 'reconnecting', reason, retryAt: Date.now() + delay });
      this.retryTimer = setTimeout(() => void this.tryConnect(generation), delay);
      return;
    }
    if (this.stopped || generation !== this.generation) {
      await nc.close().catch(() => undefined);
      return;
    }
    this.nc = nc;
    this.attempt = 0;
    this.outage = undefined;
    this.set({ state: 'connected', server: nc.getServer() });
    this.emitConnected(nc);
    void this.watch(nc, generation);
  }

  private emitConnected(nc: NatsConnection): void {
    for (const l of this.connectedListeners) {
      try {
        l(nc);
      } catch {
        /* see set() */
      }
    }
  }

  private async watch(nc: NatsConnection, generation: number): Promise<void> {
    let lastError: unknown;
    const statuses = (async () => {
      for await (const s of nc.status() as AsyncIterable<Status>) {
        if (generation !== this.generation) return;
        switch (s.type) {
          case 'disconnect':
            this.beginOutage();
            this.set({
              state: 'reconnecting',
              server: s.server,
              reason: lastError ? describeNatsError(lastError, s.server) : `lost the connection to ${s.server}`,
            });
            break;
          case 'reconnecting':
            if (this.current.state !== 'reconnecting') this.set({ state: 'reconnecting', reason: this.current.reason });
            break;
          case 'reconnect':
            this.outage = undefined;
            lastError = undefined;
            this.set({ state: 'connected', server: s.server });
            this.emitConnected(nc);
            break;
          case 'error':
            lastError = s.error;
            break;
        }
      }
    })();
    const closedWith = await nc.closed();
    await statuses.catch(() => undefined);
    if (generation !== this.generation) return;
    this.nc = undefined;
    const err = closedWith ?? lastError;
    if (err && isAuthError(err)) {
      this.stopped = true;
      this.set({ state: 'disconnected', reason: describeNatsError(err, this.options.servers), authFailed: true });
      return;
    }
    // Closed for another reason (e.g. the client gave up): keep trying from scratch, with backoff.
    this.attempt++;
    const delay = this.retryDelay();
    this.set({
      state: 'reconnecting',
      reason: err ? describeNatsError(err, this.options.servers) : 'connection closed',
      retryAt: Date.now() + delay,
    });
    this.retryTimer = setTimeout(() => void this.tryConnect(generation), delay);
  }
}

/**
 * One connection for a short job (a CLI command, a policy run, an upload): `url` is the spec's `nats.url`
 * (comma-separated servers). Fails at once when no server answers, rather than retrying like the manager.
 */
export function connectOnce(
  url: string,
  options: { credentials?: NatsCredentials; tls?: NatsTls; name: string; timeoutMs?: number },
): Promise<NatsConnection> {
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!servers.length) throw new Error('No NATS server given.');
  return connect({
    servers,
    authenticator: authenticatorFor(options.credentials),
    tls: options.tls && Object.values(options.tls).some(Boolean) ? options.tls : undefined,
    name: options.name,
    timeout: options.timeoutMs ?? 5000,
  }).catch((err: unknown) => {
    throw new Error(describeNatsError(err, servers));
  });
}
