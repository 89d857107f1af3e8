// Runs the language server (dist/server.js) in a Node child process over IPC for the spec files (language
// `yaml`, narrowed by the gpuCluster.specPatterns globs, so we coexist with other YAML extensions) and `.nix` files.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import type { DocumentSelector, LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';

const RESTART_DELAY_MS = 200;

export class ClusterLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private watchers: vscode.FileSystemWatcher[] = [];
  private pending: Promise<void> = Promise.resolve();
  private readonly configListener: vscode.Disposable;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.configListener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('gpuCluster.specPatterns') || !this.client) return;
      // Restart on the next turn: the running client first forwards this same change to its server (a
      // client already stopping would fail to), and a burst of changes restarts once.
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => {
        this.output.info('spec patterns changed: restarting the language server');
        void this.restart();
      }, RESTART_DELAY_MS);
    });
  }

  /** The running client, for features that send custom requests; undefined while stopped. */
  get current(): LanguageClient | undefined {
    return this.client;
  }

  start(): Promise<void> {
    return this.serialize(() => this.doStart());
  }
  stop(): Promise<void> {
    return this.serialize(() => this.doStop());
  }
  restart(): Promise<void> {
    return this.serialize(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  dispose(): void {
    clearTimeout(this.restartTimer);
    this.configListener.dispose();
    void this.stop();
  }

  /** Start/stop calls run one after another, so a restart never races a stop. */
  private serialize(step: () => Promise<void>): Promise<void> {
    this.pending = this.pending.then(step, step);
    return this.pending;
  }

  private async doStart(): Promise<void> {
    if (this.client) return;
    const serverModule = this.context.asAbsolutePath('dist/server.js');
    if (!existsSync(serverModule)) {
      this.output.error(`language server not found at ${serverModule}; run "npm run build"`);
      return;
    }
    // Loaded here, on the turn after activate(), rather than at the top: the client library is large, and VS Code
    // counts what runs in activate()'s promise chain as activation.
    await new Promise((resolve) => setImmediate(resolve));
    const { LanguageClient, TransportKind } = await import('vscode-languageclient/node');
    const patterns = vscode.workspace.getConfiguration('gpuCluster').get<string[]>('specPatterns', []);
    const documentSelector: DocumentSelector = [
      ...patterns.map((pattern) => ({ scheme: 'file', language: 'yaml', pattern })),
      { scheme: 'file', language: 'nix' },
    ];
    // Host files may be created or deleted without being opened; the server merges them into the model.
    // Module files declare NixOS options the server indexes, so their edits on disk matter too.
    this.watchers = [...patterns, '**/*.nix'].map((p) => vscode.workspace.createFileSystemWatcher(p));
    const server = { module: serverModule, transport: TransportKind.ipc };
    const serverOptions: ServerOptions = { run: server, debug: server };
    const clientOptions: LanguageClientOptions = {
      documentSelector,
      synchronize: { configurationSection: 'gpuCluster', fileEvents: this.watchers },
      outputChannel: this.output,
    };
    // The id `gpuCluster` makes the client honour the `gpuCluster.trace.server` setting.
    const client = new LanguageClient('gpuCluster', 'GPU Cluster Language Server', serverOptions, clientOptions);
    this.client = client;
    try {
      await client.start();
      this.output.info('language server started');
    } catch (e) {
      this.output.error(`language server failed to start: ${e instanceof Error ? e.message : String(e)}`);
      this.client = undefined;
      this.disposeWatchers();
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    try {
      if (client?.isRunning()) await client.stop();
    } catch (e) {
      this.output.warn(`language server did not stop cleanly: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.disposeWatchers();
    }
  }

  private disposeWatchers(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
  }
}
