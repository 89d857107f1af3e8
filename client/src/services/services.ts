// The services every client feature receives: created once in activate(), handed to each entry of features.ts.
// Shared state lives here and nowhere else (no module singletons): the spec, the live session, the cluster state
// store with its sources, the NATS connection and the operation events recorded through it.
import * as vscode from 'vscode';
import { ClusterStateStore, type StateSource } from '../state/store';
import { ClusterLanguageClient } from './languageClient';
import { LiveSession } from './liveSession';
import { NatsService } from './natsService';
import { OperationEvents } from './operationEvents';
import { SpecStore } from './specStore';

export interface ExtensionServices {
  readonly context: vscode.ExtensionContext;
  /** The "GPU Cluster" output channel; features log there rather than to the console. */
  readonly output: vscode.LogOutputChannel;
  /** The workspace's cluster spec, re-loaded when its files change. */
  readonly specStore: SpecStore;
  /** The language server connection (diagnostics, completion, hover, rename for cluster.yaml and .nix). */
  readonly languageClient: ClusterLanguageClient;
  /** Whether live sources (NATS, exo's API) may contact the cluster: only after the user chose Connect. */
  readonly live: LiveSession;
  /** The one cluster state store: what the explorer, the topology panel and the operations show and feed. */
  readonly state: ClusterStateStore;
  /** The extension's NATS connection (events, telemetry, agent commands); it connects only while live. */
  readonly nats: NatsService;
  /** Deploys, exo runs and checkpoints recorded as cluster events (through `nats`). */
  readonly operations: OperationEvents;
  /**
   * Starts a source feeding `state`; a source with the same id is replaced (disposed, its facts cleared).
   * Returns a disposable that stops the source and removes what it reported.
   */
  addStateSource(source: StateSource): vscode.Disposable;
  /**
   * Call before running any program or touching a machine. In an untrusted workspace it tells the user why
   * nothing happens and returns false.
   */
  requireTrust(action: string): boolean;
}

export function createServices(context: vscode.ExtensionContext): ExtensionServices {
  const output = vscode.window.createOutputChannel('GPU Cluster', { log: true });
  const specStore = new SpecStore(output);
  const languageClient = new ClusterLanguageClient(context, output);
  const live = new LiveSession(context.workspaceState);
  const state = new ClusterStateStore();
  const nats = new NatsService({ context, output, specStore, live });
  const sources = new Map<string, StateSource>();
  context.subscriptions.push(output, specStore, languageClient, live, nats, { dispose: () => state.dispose() });
  return {
    context,
    output,
    specStore,
    languageClient,
    live,
    state,
    nats,
    operations: new OperationEvents(nats),
    addStateSource(source: StateSource): vscode.Disposable {
      const previous = sources.get(source.id);
      if (previous) {
        previous.dispose();
        state.clearSource(previous.id);
      }
      sources.set(source.id, source);
      source.start(state);
      return new vscode.Disposable(() => {
        if (sources.get(source.id) !== source) return;
        sources.delete(source.id);
        source.dispose();
        state.clearSource(source.id);
      });
    },
    requireTrust(action: string): boolean {
      if (vscode.workspace.isTrusted) return true;
      output.warn(`refused in an untrusted workspace: ${action}`);
      const manage = 'Manage Workspace Trust';
      void vscode.window
        .showWarningMessage(`${action} needs a trusted workspace: it can run programs, write files or reach your machines.`, manage)
        .then((choice) => choice === manage && vscode.commands.executeCommand('workbench.trust.manage'));
      return false;
    },
  };
}
