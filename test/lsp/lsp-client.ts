// A small LSP client for tests and benchmarks: spawns a language server over stdio, speaks JSON-RPC
// with vscode-languageserver-protocol, answers `workspace/configuration`, and records every
// `textDocument/publishDiagnostics` so tests can wait for the ones they expect.

import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ConfigurationRequest,
  createProtocolConnection,
  IPCMessageReader,
  IPCMessageWriter,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';

export const repoRoot = findRepoRoot(__dirname);
export const serverPath = path.join(repoRoot, 'dist/server.js');

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'nix-gpu-cluster') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no nix-gpu-cluster package.json above ${from}`);
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Bundle dist/server.js when it is missing or older than its sources (server/ and core/). */
export function ensureServerBuilt(): void {
  const built = existsSync(serverPath) ? statSync(serverPath).mtimeMs : 0;
  const sources = Math.max(newestMtime(path.join(repoRoot, 'server/src')), newestMtime(path.join(repoRoot, 'core/src')));
  if (built >= sources) return;
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}

export function fileUri(p: string): string {
  return pathToFileURL(p).href;
}

export interface StartOptions {
  /** Command and arguments; defaults to `node dist/server.js --stdio`. */
  command?: { file: string; args: string[] };
  /** Talk to dist/server.js over Node IPC (`--node-ipc`, as the VS Code client may) instead of stdio. */
  ipc?: boolean;
  /** Workspace folder (a directory). */
  rootPath: string;
  /** Answers to `workspace/configuration`, by section (e.g. `gpuCluster`, `yaml`). */
  settings?: Record<string, unknown>;
  /** Collect every publishDiagnostics (true) or only the latest per uri (false, less memory for benchmarks). */
  keepHistory?: boolean;
}

export class LspClient {
  readonly published = new Map<string, PublishDiagnosticsParams[]>();
  private waiters: { uri: string; test: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  private versions = new Map<string, number>();
  private stderr = '';
  private pullWaiters: (() => void)[] = [];
  /** How many `workspace/configuration` requests the server made. */
  configurationPulls = 0;

  private constructor(
    readonly process: ChildProcess,
    readonly connection: ProtocolConnection,
    private settings: Record<string, unknown>,
    private readonly keepHistory: boolean,
  ) {}

  static async start(options: StartOptions): Promise<LspClient> {
    const command = options.command ?? { file: process.execPath, args: [serverPath, '--stdio'] };
    if (!options.command) ensureServerBuilt();
    const child = options.ipc
      ? fork(serverPath, ['--node-ipc'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe', 'ipc'] })
      : spawn(command.file, command.args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const connection = options.ipc
      ? createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child))
      : createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, connection, options.settings ?? {}, options.keepHistory ?? true);
    child.stderr!.on('data', (d: Buffer) => {
      client.stderr = (client.stderr + d.toString()).slice(-20_000);
    });
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => client.onDiagnostics(p));
    connection.onRequest(ConfigurationRequest.type, (p) => {
      client.configurationPulls++;
      for (const resolve of client.pullWaiters.splice(0)) resolve();
      return p.items.map((i) => (i.section ? client.settings[i.section] : undefined) ?? null);
    });
    connection.onRequest(RegistrationRequest.type, () => undefined);
    connection.onNotification('window/logMessage', () => undefined);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.listen();
    const rootUri = fileUri(options.rootPath);
    await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: path.basename(options.rootPath) }],
      capabilities: {
        workspace: {
          configuration: true,
          workspaceFolders: true,
          didChangeConfiguration: { dynamicRegistration: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
          workspaceEdit: { documentChanges: true },
        },
        textDocument: {
          synchronization: { didSave: true, dynamicRegistration: false },
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
          rename: { prepareSupport: true },
        },
      },
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  get pid(): number {
    return this.process.pid!;
  }
  get serverErrors(): string {
    return this.stderr;
  }

  /** Change the settings the client answers with, tell the server, and wait until it pulled them. */
  async configure(settings: Record<string, unknown>): Promise<void> {
    this.settings = settings;
    const pulled = new Promise<void>((resolve) => this.pullWaiters.push(resolve));
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings });
    await Promise.race([pulled, new Promise((r) => setTimeout(r, 5000))]);
    // Let the server apply what it received before the caller goes on.
    await new Promise((r) => setTimeout(r, 50));
  }

  async open(uri: string, text: string, languageId = 'yaml'): Promise<void> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Send one didChange (incremental or full) and return the new version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: changes,
    });
    return version;
  }

  async close(uri: string): Promise<void> {
    this.versions.delete(uri);
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  versionOf(uri: string): number | undefined {
    return this.versions.get(uri);
  }

  /** The latest diagnostics published for a uri. */
  latest(uri: string): Diagnostic[] | undefined {
    const list = this.published.get(uri);
    return list?.[list.length - 1]?.diagnostics;
  }

  /**
   * The latest publishDiagnostics for `uri` if it passes `test` (unless `fresh`), otherwise the next one
   * that does. Rejects after `timeoutMs`, showing what was last published.
   */
  waitForDiagnostics(
    uri: string,
    test: (p: PublishDiagnosticsParams) => boolean = () => true,
    options: { timeoutMs?: number; fresh?: boolean } = {},
  ): Promise<PublishDiagnosticsParams> {
    if (!options.fresh) {
      const last = this.published.get(uri)?.at(-1);
      if (last && test(last)) return Promise.resolve(last);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        uri,
        test,
        resolve: (p: PublishDiagnosticsParams) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `no matching diagnostics for ${uri} within ${options.timeoutMs ?? 60_000} ms; last: ${JSON.stringify(this.latest(uri))}\nserver stderr: ${this.stderr}`,
          ),
        );
      }, options.timeoutMs ?? 60_000);
      this.waiters.push(waiter);
    });
  }

  /** Diagnostics published for `uri` at the given document version (or later). */
  diagnosticsForVersion(uri: string, version: number, timeoutMs?: number): Promise<PublishDiagnosticsParams> {
    return this.waitForDiagnostics(uri, (p) => (p.version ?? -1) >= version, { timeoutMs });
  }

  private onDiagnostics(p: PublishDiagnosticsParams): void {
    if (this.keepHistory) {
      let list = this.published.get(p.uri);
      if (!list) this.published.set(p.uri, (list = []));
      list.push(p);
    } else {
      this.published.set(p.uri, [p]);
    }
    for (const w of this.waiters.filter((w) => w.uri === p.uri && w.test(p))) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(p);
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
      try {
        await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 2000))]);
        await this.connection.sendNotification(ExitNotification.type);
      } catch {
        /* the server may already be gone */
      }
      const killTimer = setTimeout(() => this.process.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killTimer);
    }
    this.connection.dispose();
  }
}
