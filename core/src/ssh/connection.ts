// SSH transport over ssh2: a pool of connections keyed by user@host:port (reused, closed when idle), key and
// agent authentication, ProxyJump through another pooled connection, keep-alive, timeouts, and commands that
// can be cancelled. Remote commands run in their own process group under a small wrapper that kills the group
// when our side goes away (abort, or the connection drops). That needs the host to see the connection end; when
// it cannot have (a frozen host, a network cut: our keep-alive gave up, the host's side may still be open), the
// error says the command may still be running, and the pool stops it when the host answers again: every command
// carries a run id in its environment (GPU_CLUSTER_RUN), which is how the stop finds its processes.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Client, utils, type ClientChannel, type ConnectConfig } from 'ssh2';
import { argv, type ShellCommand } from './quote';
import { changedKeyMessage, fingerprint, hostKeyFromBlob, readKnownHosts, verifyHostKey, type HostKey } from './hostKeys';

/** Where and how to reach one host (the spec's effective ssh settings). */
export interface SshEndpoint {
  /** The spec's host name, for messages and prompts. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Private key file; `~/` is expanded. */
  identity?: string;
  /** Pinned host key from the spec (`ssh-ed25519 AAAA…`). */
  hostKey?: string;
  /** Host to jump through (ProxyJump). */
  jump?: SshEndpoint;
}

export interface UnknownHostKey {
  endpoint: SshEndpoint;
  key: HostKey;
  /** `SHA256:…` as OpenSSH prints it. */
  fingerprint: string;
}

/** Implemented by the client (a modal) and by tests. */
export interface HostKeyPolicy {
  /** known_hosts files consulted, in order (e.g. the extension's managed file, then ~/.ssh/known_hosts). */
  knownHostsFiles(): readonly string[];
  /** An unknown key: ask, and pin it when accepted. Resolve false to refuse. */
  confirmUnknownKey(request: UnknownHostKey): Promise<boolean>;
}

export interface SshAuth {
  /** Passphrase of an encrypted identity file; undefined when the user gives none. */
  passphrase?(identity: string, endpoint: SshEndpoint): Promise<string | undefined>;
  /** Called when a passphrase turned out wrong, so a stored one can be forgotten. */
  passphraseRejected?(identity: string): void;
  /** SSH agent socket; defaults to SSH_AUTH_SOCK. Empty string disables the agent. */
  agent?: string;
}

export interface SshPoolOptions {
  policy: HostKeyPolicy;
  auth?: SshAuth;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Close a connection after it has been unused this long. */
  idleCloseMs?: number;
  /**
   * First pause before trying again to stop commands a lost connection left running; it doubles up to 30 times
   * this (a minute by default). A new connection to the host tries at once.
   */
  strandedRetryMs?: number;
  /** Reports about commands left running by a lost connection (found and stopped, or why not yet). */
  log?(message: string): void;
}

export type SshErrorKind =
  'host-key-changed' | 'host-key-refused' | 'auth' | 'identity' | 'unreachable' | 'timeout' | 'connection-lost' | 'cancelled';

export class SshError extends Error {
  constructor(
    readonly kind: SshErrorKind,
    message: string,
    readonly endpoint?: SshEndpoint,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

export interface ExecOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
}

export interface ExecResult {
  /** Exit status; null when the command died from a signal. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

const MAX_OUTPUT = 32 * 1024 * 1024;

// Runs "$1" in a new process group (setsid, or perl's setpgrp where setsid is missing, as on macOS) with
// stdin from /dev/null and GPU_CLUSTER_RUN="$2" in its environment, and kills that group when the wrapper's stdin
// closes: we close it on cancel, sshd closes it when the connection drops.
const WRAPPER = [
  'exec 3<&0',
  'if command -v setsid >/dev/null 2>&1; then GPU_CLUSTER_RUN="$2" setsid sh -c "$1" </dev/null &',
  'elif command -v perl >/dev/null 2>&1; then GPU_CLUSTER_RUN="$2" perl -e \'setpgrp(0,0); exec @ARGV\' sh -c "$1" </dev/null &',
  'else GPU_CLUSTER_RUN="$2" sh -c "$1" </dev/null &',
  'fi',
  'child=$!',
  '( cat >/dev/null 2>&1; kill -TERM -"$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null; sleep 2; kill -KILL -"$child" 2>/dev/null ) <&3 >/dev/null 2>&1 &',
  'watcher=$!',
  'wait "$child"; rc=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$rc"',
].join('\n');

/** The command line sent over the wire. */
function wrapped(command: ShellCommand, runId: string): string {
  // fd 3 keeps the wrapper's stdin for the watcher: a background list's own stdin would be /dev/null.
  return argv(['sh', '-c', WRAPPER, 'sh', command.text, runId]).text;
}

// Stops the processes of the runs given as arguments: those with GPU_CLUSTER_RUN=<id> in their environment
// (/proc/*/environ, or `ps e` where there is no /proc, as on macOS); prints how many it found. The pattern is
// assembled at run time, so this script's own command line never matches it, and ps is read before grep runs.
const STOP_RUNS = [
  'found=',
  'for id in "$@"; do',
  '  m="GPU_CLUSTER_RUN=$id"',
  '  if [ -r /proc/self/environ ]; then',
  '    for f in $(grep -lzxF -- "$m" /proc/[0-9]*/environ 2>/dev/null); do p=${f#/proc/}; found="$found ${p%/environ}"; done',
  '  else',
  '    list=$(ps axeww -o pid=,command= 2>/dev/null)',
  '    found="$found $(printf \'%s\\n\' "$list" | grep -F -- " $m" | awk \'{print $1}\')"',
  '  fi',
  'done',
  'set -- $found',
  'if [ "$#" -gt 0 ]; then kill -TERM "$@" 2>/dev/null; sleep 2; kill -KILL "$@" 2>/dev/null; fi',
  'echo "$#"',
].join('\n');

/** A run id: what marks a command's processes on the host. */
const newRunId = () => randomBytes(12).toString('hex');

/** Commands a lost connection may have left running on one host, and the retry that will stop them. */
interface Stranded {
  endpoint: SshEndpoint;
  runIds: Set<string>;
  attempt: number;
  timer?: NodeJS.Timeout;
  stopping?: boolean;
}

interface Pooled {
  client: Client;
  active: number;
  idleTimer?: NodeJS.Timeout;
  closed: boolean;
  onClose: (() => void)[];
}

/** Pool key: a different identity or pinned key (e.g. the spec changed) means a new, freshly verified connection. */
export function endpointKey(e: SshEndpoint): string {
  const base = `${e.user}@${e.address}:${e.port} ${e.identity ?? '-'} ${e.hostKey ?? '-'}`;
  return e.jump ? `${base} via ${endpointKey(e.jump)}` : base;
}

export function expandHome(file: string): string {
  return file === '~' ? os.homedir() : file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : file;
}

export class SshPool {
  private readonly connections = new Map<string, Promise<Pooled>>();
  private readonly stranded = new Map<string, Stranded>();
  private readonly opts: Required<Omit<SshPoolOptions, 'auth' | 'log'>> & Pick<SshPoolOptions, 'log'> & { auth: SshAuth };

  constructor(options: SshPoolOptions) {
    this.opts = {
      policy: options.policy,
      auth: options.auth ?? {},
      readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      idleCloseMs: options.idleCloseMs ?? 60_000,
      strandedRetryMs: options.strandedRetryMs ?? 2000,
      log: options.log,
    };
  }

  /** How many commands lost connections may have left running, not stopped yet (for tests and the UI). */
  get strandedCount(): number {
    let n = 0;
    for (const s of this.stranded.values()) n += s.runIds.size;
    return n;
  }

  /** How many connections are open or opening (for tests and the status bar). */
  get size(): number {
    return this.connections.size;
  }

  /** Runs a command on a host. Resolves with its exit status, whatever it is; rejects on transport failure. */
  async exec(endpoint: SshEndpoint, command: ShellCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const signal = combineSignals(options.signal, options.timeoutMs);
    const pooled = await this.acquire(endpoint, signal);
    try {
      return await runOnChannel(pooled, endpoint, command, options, signal, (runId) => this.strand(endpoint, runId));
    } finally {
      this.release(endpoint, pooled);
    }
  }

  /** Remembers a command that may still run on the host, and tries to stop it until the host answers. */
  private strand(endpoint: SshEndpoint, runId: string): void {
    const key = endpointKey(endpoint);
    let entry = this.stranded.get(key);
    if (!entry) this.stranded.set(key, (entry = { endpoint, runIds: new Set(), attempt: 0 }));
    entry.runIds.add(runId);
    this.scheduleStop(key, entry);
  }

  private scheduleStop(key: string, entry: Stranded): void {
    if (entry.timer || entry.stopping) return;
    const delay = this.opts.strandedRetryMs * Math.min(30, 2 ** entry.attempt);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.stopStranded(key, entry);
    }, delay);
    entry.timer.unref();
  }

  private async stopStranded(key: string, entry: Stranded): Promise<void> {
    if (entry.stopping || this.stranded.get(key) !== entry) return;
    entry.stopping = true;
    const ids = [...entry.runIds];
    try {
      const pooled = await this.acquire(entry.endpoint, AbortSignal.timeout(this.opts.readyTimeoutMs + 5000));
      let result: ExecResult;
      try {
        result = await runOnChannel(
          pooled,
          entry.endpoint,
          argv(['sh', '-c', STOP_RUNS, 'sh', ...ids]),
          { timeoutMs: 30_000 },
          undefined,
          () => undefined,
        );
      } finally {
        this.release(entry.endpoint, pooled);
      }
      if (result.code !== 0) throw new Error(`the stop command exited with ${result.code ?? result.signal}: ${result.stderr.trim()}`);
      for (const id of ids) entry.runIds.delete(id);
      const count = Number.parseInt(result.stdout.trim(), 10) || 0;
      this.opts.log?.(
        `${entry.endpoint.name} answers again: ${count ? `stopped ${count} process(es) of ` : 'nothing left of '}` +
          `${ids.length} command(s) the lost connection had left running`,
      );
      entry.attempt = 0;
    } catch (err) {
      entry.attempt++;
      if (entry.attempt === 1)
        this.opts.log?.(
          `cannot stop the command(s) a lost connection left on ${entry.endpoint.name} yet, will retry: ${(err as Error).message}`,
        );
    } finally {
      entry.stopping = false;
    }
    if (entry.runIds.size === 0) this.stranded.delete(key);
    else this.scheduleStop(key, entry);
  }

  /** Opens (or reuses) the connection, e.g. to verify the host key up front. */
  async connect(endpoint: SshEndpoint, signal?: AbortSignal): Promise<void> {
    const pooled = await this.acquire(endpoint, signal);
    this.release(endpoint, pooled);
  }

  closeAll(): void {
    for (const p of this.connections.values())
      p.then(
        (c) => c.client.end(),
        () => undefined,
      );
    this.connections.clear();
    for (const s of this.stranded.values()) clearTimeout(s.timer);
    this.stranded.clear();
  }

  private async acquire(endpoint: SshEndpoint, signal?: AbortSignal): Promise<Pooled> {
    throwIfAborted(signal, endpoint);
    const key = endpointKey(endpoint);
    let entry = this.connections.get(key);
    if (!entry) {
      entry = this.open(endpoint);
      this.connections.set(key, entry);
      entry.catch(() => {
        if (this.connections.get(key) === entry) this.connections.delete(key);
      });
    }
    const pooled = await raceAbort(entry, signal, endpoint);
    if (pooled.closed) {
      if (this.connections.get(key) === entry) this.connections.delete(key);
      return this.acquire(endpoint, signal);
    }
    pooled.active++;
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    pooled.idleTimer = undefined;
    return pooled;
  }

  private release(endpoint: SshEndpoint, pooled: Pooled): void {
    pooled.active--;
    if (pooled.active > 0 || pooled.closed) return;
    pooled.idleTimer = setTimeout(() => {
      const key = endpointKey(endpoint);
      pooled.client.end();
      void this.connections.get(key)?.then(
        (p) => {
          if (p === pooled) this.connections.delete(key);
        },
        () => undefined,
      );
    }, this.opts.idleCloseMs);
    pooled.idleTimer.unref();
  }

  private async open(endpoint: SshEndpoint): Promise<Pooled> {
    const config: ConnectConfig = {
      host: endpoint.address,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: this.opts.readyTimeoutMs,
      keepaliveInterval: this.opts.keepaliveIntervalMs,
      keepaliveCountMax: this.opts.keepaliveCountMax,
      tryKeyboard: false,
    };
    const agent = this.opts.auth.agent ?? process.env.SSH_AUTH_SOCK ?? '';
    if (agent) config.agent = agent;
    if (endpoint.identity) Object.assign(config, await this.loadIdentity(endpoint, endpoint.identity));
    if (!config.agent && !config.privateKey) {
      throw new SshError(
        'auth',
        `No way to log in to ${endpoint.name}: set ssh.identity in the spec or start an SSH agent (SSH_AUTH_SOCK).`,
        endpoint,
      );
    }

    let jump: { pooled: Pooled; endpoint: SshEndpoint } | undefined;
    if (endpoint.jump) {
      const pooled = await this.acquire(endpoint.jump);
      jump = { pooled, endpoint: endpoint.jump };
      try {
        config.sock = await forwardOut(pooled.client, endpoint.address, endpoint.port, endpoint);
      } catch (err) {
        this.release(endpoint.jump, pooled);
        throw err;
      }
    }

    const policy = this.opts.policy;
    const knownHosts = await readKnownHosts(policy.knownHostsFiles());
    let refusal: SshError | undefined;
    config.hostVerifier = (blob: Buffer, verify: (ok: boolean) => void) => {
      let key: HostKey;
      try {
        key = hostKeyFromBlob(blob);
      } catch (err) {
        refusal = new SshError(
          'host-key-refused',
          `${endpoint.name} presented an unreadable host key: ${(err as Error).message}`,
          endpoint,
        );
        return verify(false);
      }
      const verdict = verifyHostKey({ host: endpoint.address, port: endpoint.port, key, pinned: endpoint.hostKey, knownHosts });
      if (verdict.kind === 'pinned-match' || verdict.kind === 'known-match') return verify(true);
      if (verdict.kind === 'changed' || verdict.kind === 'revoked') {
        refusal = new SshError('host-key-changed', changedKeyMessage(endpoint.address, endpoint.port, key, verdict), endpoint);
        return verify(false);
      }
      policy.confirmUnknownKey({ endpoint, key, fingerprint: fingerprint(blob) }).then(
        (accepted) => {
          if (!accepted)
            refusal = new SshError(
              'host-key-refused',
              `The host key of ${endpoint.name} (${fingerprint(blob)}) was not accepted.`,
              endpoint,
            );
          verify(accepted);
        },
        (err: Error) => {
          refusal = new SshError('host-key-refused', `Could not confirm the host key of ${endpoint.name}: ${err.message}`, endpoint);
          verify(false);
        },
      );
    };

    const client = new Client();
    // Errors after login (or after a failed one, while closing) surface through channels and 'close'.
    client.on('error', () => undefined);
    const pooled: Pooled = { client, active: 0, closed: false, onClose: [] };
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve());
        client.once('error', (err: Error & { level?: string; code?: string }) => reject(refusal ?? translateConnectError(err, endpoint)));
        client.once('close', () =>
          reject(refusal ?? new SshError('connection-lost', `The connection to ${describe(endpoint)} closed during login.`, endpoint)),
        );
        client.connect(config);
      });
    } catch (err) {
      client.end();
      if (jump) this.release(jump.endpoint, jump.pooled);
      throw err;
    }
    // The host answers again: stop what a lost connection left running there, now rather than at the next retry.
    const stranded = this.stranded.get(endpointKey(endpoint));
    if (stranded && !stranded.stopping) {
      clearTimeout(stranded.timer);
      stranded.timer = undefined;
      queueMicrotask(() => void this.stopStranded(endpointKey(endpoint), stranded));
    }
    client.once('close', () => {
      pooled.closed = true;
      if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
      const key = endpointKey(endpoint);
      void this.connections.get(key)?.then(
        (p) => {
          if (p === pooled) this.connections.delete(key);
        },
        () => undefined,
      );
      if (jump) this.release(jump.endpoint, jump.pooled);
      for (const fn of pooled.onClose.splice(0)) fn();
    });
    return pooled;
  }

  private async loadIdentity(endpoint: SshEndpoint, identity: string): Promise<Pick<ConnectConfig, 'privateKey' | 'passphrase'>> {
    const file = expandHome(identity);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      throw new SshError('identity', `Cannot read the SSH identity ${file} of ${endpoint.name}: ${(err as Error).message}`, endpoint);
    }
    const plain = utils.parseKey(data);
    if (!(plain instanceof Error)) return { privateKey: data };
    if (!/passphrase|encrypted/i.test(plain.message)) {
      throw new SshError('identity', `${file} is not a usable private key: ${plain.message}`, endpoint);
    }
    const passphrase = await this.opts.auth.passphrase?.(file, endpoint);
    if (passphrase === undefined)
      throw new SshError('identity', `${file} is encrypted and no passphrase was given (command: Set SSH Key Passphrase).`, endpoint);
    const unlocked = utils.parseKey(data, passphrase);
    if (unlocked instanceof Error) {
      this.opts.auth.passphraseRejected?.(file);
      throw new SshError('identity', `The passphrase for ${file} is wrong.`, endpoint);
    }
    return { privateKey: data, passphrase };
  }
}

function describe(e: SshEndpoint): string {
  return `${e.name} (${e.user}@${e.address}:${e.port}${e.jump ? ` via ${e.jump.name}` : ''})`;
}

function translateConnectError(err: Error & { level?: string; code?: string }, endpoint: SshEndpoint): SshError {
  const where = describe(endpoint);
  if (err.level === 'client-authentication') {
    return new SshError('auth', `${where} refused the login: no offered key was accepted for user ${endpoint.user}.`, endpoint);
  }
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new SshError('timeout', `${where} did not finish the SSH handshake in time.`, endpoint);
  }
  if (err.code === 'ECONNREFUSED')
    return new SshError('unreachable', `${where}: connection refused (is sshd running on port ${endpoint.port}?).`, endpoint);
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new SshError('unreachable', `${where} is unreachable (${err.code}).`, endpoint);
  }
  return new SshError('unreachable', `Cannot connect to ${where}: ${err.message}`, endpoint);
}

function forwardOut(client: Client, host: string, port: number, endpoint: SshEndpoint): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
      if (err)
        reject(new SshError('unreachable', `Cannot open a tunnel to ${host}:${port} for ${endpoint.name}: ${err.message}`, endpoint));
      else resolve(stream);
    });
  });
}

/**
 * Runs one command on a pooled connection. `strand` is called with the command's run id when the connection is
 * lost before the command's end reached us (whether or not we had already given up on it): the host may not have
 * noticed, so the command may still be running there.
 */
function runOnChannel(
  pooled: Pooled,
  endpoint: SshEndpoint,
  command: ShellCommand,
  options: ExecOptions,
  signal: AbortSignal | undefined,
  strand: (runId: string) => void,
): Promise<ExecResult> {
  const runId = newRunId();
  let ended = false;
  const onLostBeforeEnd = () => {
    if (!ended) strand(runId);
  };
  pooled.onClose.push(onLostBeforeEnd);
  const ends = () => {
    ended = true;
    const at = pooled.onClose.indexOf(onLostBeforeEnd);
    if (at >= 0) pooled.onClose.splice(at, 1);
  };
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      const at = pooled.onClose.indexOf(onConnectionClose);
      if (at >= 0) pooled.onClose.splice(at, 1);
      fn();
    };
    let channel: ClientChannel | undefined;
    const onAbort = () => {
      channel?.end(); // closes the wrapper's stdin: it kills the process group
      finish(() => reject(abortError(signal, endpoint)));
    };
    const onConnectionClose = () =>
      finish(() =>
        reject(
          new SshError(
            'connection-lost',
            `The connection to ${describe(endpoint)} was lost while a command was running. ` +
              `The host could not be told to stop it, so it may still be running there; it will be stopped when ${endpoint.name} answers again.`,
            endpoint,
          ),
        ),
      );
    if (signal?.aborted) {
      ends();
      return onAbort();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    pooled.onClose.push(onConnectionClose);

    pooled.client.exec(wrapped(command, runId), (err, ch) => {
      if (err) {
        ends();
        return finish(() =>
          reject(new SshError('connection-lost', `Could not start a command on ${describe(endpoint)}: ${err.message}`, endpoint)),
        );
      }
      channel = ch;
      if (settled) return void ch.end();
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let size = 0;
      const collect = (into: Buffer[], cb?: (s: string) => void) => {
        const decoder = new StringDecoder('utf8'); // a character may straddle two chunks
        return (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_OUTPUT) into.push(chunk);
          if (cb) cb(decoder.write(chunk));
        };
      };
      ch.on('data', collect(out, options.onStdout));
      ch.stderr.on('data', collect(errOut, options.onStderr));
      let exit: { code: number | null; signal: string | null } | undefined;
      ch.on('exit', (code: number | null, sig?: string) => {
        exit = { code: typeof code === 'number' ? code : null, signal: sig ?? null };
      });
      ch.on('close', () => {
        // Without an exit status the channel died with the connection: the command's end never reached us.
        if (!exit) {
          onLostBeforeEnd();
          ends();
          return onConnectionClose();
        }
        ends();
        const result = { ...exit, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') };
        finish(() => resolve(result));
      });
    });
  });
}

function abortError(signal: AbortSignal | undefined, endpoint: SshEndpoint): SshError {
  const reason = signal?.reason as Error | undefined;
  if (reason?.name === 'TimeoutError')
    return new SshError('timeout', `The command on ${endpoint.name} timed out and was stopped.`, endpoint);
  return new SshError('cancelled', `Cancelled; the command on ${endpoint.name} was stopped.`, endpoint);
}

function throwIfAborted(signal: AbortSignal | undefined, endpoint: SshEndpoint): void {
  if (signal?.aborted) throw abortError(signal, endpoint);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, endpoint: SshEndpoint): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, endpoint));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function combineSignals(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  if (timeoutMs === undefined) return signal;
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
