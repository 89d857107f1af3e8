// The services every client feature receives: created once in activate(), handed to each entry of features.ts.
import * as vscode from 'vscode';
import { SpecStore } from './specStore';
import { ClusterLanguageClient } from './languageClient';
import { LiveSession } from './live/liveSession';

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
  context.subscriptions.push(output, specStore, languageClient, live);
  return {
    context,
    output,
    specStore,
    languageClient,
    live,
    requireTrust(action: string): boolean {
      if (vscode.workspace.isTrusted) return true;
      output.warn(`refused in an untrusted workspace: ${action}`);
      const manage = 'Manage Workspace Trust';
      void vscode.window.showWarningMessage(
        `${action} needs a trusted workspace: it can run programs, write files or reach your machines.`,
        manage,
      ).then((choice) => choice === manage && vscode.commands.executeCommand('workbench.trust.manage'));
      return false;
    },
  };
}
