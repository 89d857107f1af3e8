// Whether the extension may contact the machines the spec names. A trusted workspace can still be a repository
// someone else wrote, so live sources (NATS, exo's API, agent telemetry) start only after the user chooses
// "Connect to Cluster" in this workspace (remembered per workspace), or where the user's own settings say so
// (`gpuCluster.live.autoConnect` has application scope: a workspace cannot turn it on for itself).
// In Restricted Mode nothing connects, whatever was remembered.
import * as vscode from 'vscode';

const REMEMBERED_KEY = 'gpuCluster.live.connected';
const CONTEXT_KEY = 'gpuCluster.live.connected';

export class LiveSession implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<boolean>();
  /** Fires with the new value whenever live sources should start (true) or stop (false). */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private wanted: boolean;

  constructor(private readonly state: vscode.Memento) {
    this.wanted = state.get<boolean>(REMEMBERED_KEY) ?? autoConnectSetting();
    this.disposables.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (this.wanted) this.publish();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        // The setting applies to workspaces where the user has not chosen Connect or Disconnect yet.
        if (!e.affectsConfiguration('gpuCluster.live.autoConnect') || state.get<boolean>(REMEMBERED_KEY) !== undefined) return;
        this.set(autoConnectSetting());
      }),
    );
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, this.connected);
  }

  /** True when live sources may run: the user asked for it and the workspace is trusted. */
  get connected(): boolean {
    return this.wanted && vscode.workspace.isTrusted;
  }

  /** The user chose Connect (remembered for this workspace). The caller checks trust first. */
  async connect(): Promise<void> {
    await this.choose(true);
  }

  /** The user chose Disconnect: every live source stops, and stays stopped after a reload. */
  async disconnect(): Promise<void> {
    await this.choose(false);
  }

  private async choose(wanted: boolean): Promise<void> {
    await this.state.update(REMEMBERED_KEY, wanted);
    this.set(wanted);
  }

  private set(wanted: boolean): void {
    const before = this.connected;
    this.wanted = wanted;
    if (this.connected !== before) this.publish();
  }

  private publish(): void {
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, this.connected);
    this.changed.fire(this.connected);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function autoConnectSetting(): boolean {
  // Only the user's own (global) value counts, even if a workspace file sets one.
  return vscode.workspace.getConfiguration('gpuCluster').inspect<boolean>('live.autoConnect')?.globalValue ?? false;
}
