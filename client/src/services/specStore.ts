// Finds the workspace's cluster spec, loads it with the core loader and re-loads it when its files change.
// Features read `model` and listen to `onDidChange`; the language server does its own live (unsaved) analysis.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { SpecDiagnostic, SpecModel } from '#core/spec';
import { loadSpec } from '#core/validate';

const RELOAD_DELAY_MS = 300;

interface CurrentSpec {
  model: SpecModel | undefined;
  diagnostics: SpecDiagnostic[];
}

export class SpecStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SpecStore>();
  /** Fires after every (re)load, including when the spec disappears. */
  readonly onDidChange = this.changed.event;

  private candidates: vscode.Uri[] = [];
  private selected: vscode.Uri | undefined;
  private loaded: CurrentSpec = { model: undefined, diagnostics: [] };
  private failure: string | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.watch();
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gpuCluster.specPatterns')) {
          this.watch();
          this.scheduleReload();
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleReload()),
      vscode.window.onDidChangeActiveTextEditor((editor) => editor && this.followEditor(editor.document.uri)),
    );
  }

  /** The cluster.yaml in use (the first found, or the one whose files were edited last in a multi-root workspace). */
  get specUri(): vscode.Uri | undefined {
    return this.selected;
  }
  /** Every cluster spec found in the workspace folders. */
  get specUris(): readonly vscode.Uri[] {
    return this.candidates;
  }
  /** The merged spec (cluster.yaml + hosts/*.yaml), or undefined when there is none or it cannot be read. */
  get model(): SpecModel | undefined {
    return this.loaded.model;
  }
  /** Every problem of the saved files (syntax, schema, semantic); the language server reports unsaved edits live. */
  get diagnostics(): readonly SpecDiagnostic[] {
    return this.loaded.diagnostics;
  }
  /** Why the last load failed (unreadable file), if it did. */
  get error(): string | undefined {
    return this.failure;
  }

  /** Finds the spec files again and loads the selected one now. */
  async reload(): Promise<void> {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    const candidates = await findSpecRoots();
    if (generation !== this.generation) return;
    this.candidates = candidates;
    if (!this.selected || !candidates.some((c) => c.toString() === this.selected!.toString())) this.selected = candidates[0];
    let loaded: CurrentSpec = { model: undefined, diagnostics: [] };
    let failure: string | undefined;
    if (this.selected) {
      try {
        const { model, diagnostics } = await loadSpec(this.selected.fsPath);
        loaded = { model, diagnostics };
      } catch (e) {
        failure = e instanceof Error ? e.message : String(e);
        this.output.error(`could not load ${this.selected.fsPath}: ${failure}`);
      }
    }
    if (generation !== this.generation) return;
    this.loaded = loaded;
    this.failure = failure;
    await vscode.commands.executeCommand('setContext', 'gpuCluster.hasSpec', this.selected !== undefined);
    this.output.info(
      this.selected
        ? `spec ${this.selected.fsPath}: ${loaded.model?.spec.hosts.length ?? 0} hosts, ${loaded.diagnostics.length} problems`
        : 'no cluster spec in the workspace',
    );
    this.changed.fire(this);
  }

  /** Coalesces bursts of file events (saves, git checkouts) into one load. */
  scheduleReload(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.reload();
    }, RELOAD_DELAY_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private watch(): void {
    this.watcher?.dispose();
    this.watcher = vscode.workspace.createFileSystemWatcher(specGlob());
    const onEvent = () => this.scheduleReload();
    this.watcher.onDidCreate(onEvent);
    this.watcher.onDidChange(onEvent);
    this.watcher.onDidDelete(onEvent);
  }

  /** In a workspace with several clusters, the one being edited becomes the current one. */
  private followEditor(uri: vscode.Uri): void {
    const owner = this.candidates.find((c) => {
      const dir = path.dirname(c.fsPath);
      return c.toString() === uri.toString() || path.dirname(uri.fsPath) === path.join(dir, 'hosts');
    });
    if (owner && owner.toString() !== this.selected?.toString()) {
      this.selected = owner;
      this.scheduleReload();
    }
  }
}

/** The `gpuCluster.specPatterns` setting: which files are specs. */
export function specPatterns(): string[] {
  return vscode.workspace.getConfiguration('gpuCluster').get<string[]>('specPatterns', ['**/cluster.yaml', '**/cluster.yml']);
}

function specGlob(): string {
  const patterns = specPatterns();
  return patterns.length === 1 ? patterns[0] : `{${patterns.join(',')}}`;
}

/** Spec roots: files matching the spec patterns that are not host files (those live in a `hosts/` folder). */
async function findSpecRoots(): Promise<vscode.Uri[]> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0 || specPatterns().length === 0) return [];
  const found = await vscode.workspace.findFiles(specGlob(), '**/node_modules/**', 200);
  const folderIndex = (u: vscode.Uri) => vscode.workspace.getWorkspaceFolder(u)?.index ?? folders.length;
  const depth = (u: vscode.Uri) => u.path.split('/').length;
  return found
    .filter((u) => u.scheme === 'file' && path.basename(path.dirname(u.fsPath)) !== 'hosts')
    .sort((a, b) => folderIndex(a) - folderIndex(b) || depth(a) - depth(b) || a.path.localeCompare(b.path));
}
