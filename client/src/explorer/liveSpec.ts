// The spec the explorer shows: the spec store's model (saved files) while no spec file has unsaved changes;
// otherwise the model of the workspace's spec with the unsaved text in place of the saved files, from the same
// loader the language server uses (core's SpecWorkspace, here without validation). So the trees and the topology
// follow typing (debounced), not only saving.
import * as vscode from 'vscode';
import type { SpecModel } from '#core/spec';
import { SpecWorkspace, SupersededError, type OpenDocument } from '#core/validate';
import { specPatterns, type SpecStore } from '../services/specStore';
import type { SpecFeed } from '../state/specSource';

const TYPING_DEBOUNCE_MS = 300;

export class LiveSpecFeed implements SpecFeed, vscode.Disposable {
  private current: SpecModel | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly workspace: SpecWorkspace;
  /** The unsaved documents the workspace was last given: one that is no longer unsaved gives way to the disk. */
  private edited = new Set<string>();
  private generation = 0;

  constructor(
    private readonly specStore: SpecStore,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.current = specStore.model;
    this.workspace = new SpecWorkspace({
      documents: {
        get: (uri) => this.unsaved().find((d) => d.uri === uri),
        all: () => this.unsaved(),
      },
      patterns: specPatterns,
      log: (message) => output.warn(message),
      validate: false,
    });
    this.disposables.push(
      this.changed,
      specStore.onDidChange(() => {
        // the saved files changed: read them again when unsaved edits need the workspace's model
        this.workspace.reset();
        this.edited.clear();
        void this.rebuild();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.isSpecFile(e.document.uri) || e.contentChanges.length === 0) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.rebuild(), TYPING_DEBOUNCE_MS);
      }),
    );
    void this.rebuild();
  }

  get model(): SpecModel | undefined {
    return this.current;
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.changed.event(listener);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.generation++;
    for (const d of this.disposables) d.dispose();
  }

  private isSpecFile(uri: vscode.Uri): boolean {
    return this.specStore.model?.files.some((f) => f.uri === uri.toString()) ?? false;
  }

  /** Open spec documents with unsaved changes, as the workspace reads them. */
  private unsaved(): OpenDocument[] {
    return vscode.workspace.textDocuments
      .filter((d) => d.isDirty && this.isSpecFile(d.uri))
      .map((d) => ({ uri: d.uri.toString(), version: d.version, getText: () => d.getText() }));
  }

  private async rebuild(): Promise<void> {
    const generation = ++this.generation;
    const base = this.specStore.model;
    const root = this.specStore.specUri;
    const unsaved = this.unsaved();
    for (const uri of this.edited) if (!unsaved.some((d) => d.uri === uri)) this.workspace.documentClosed(uri);
    this.edited = new Set(unsaved.map((d) => d.uri));
    let model = base;
    if (base && root && unsaved.length > 0) {
      try {
        model = (await this.workspace.snapshotFor(root.toString())).model;
      } catch (err) {
        if (err instanceof SupersededError) return; // a newer edit rebuilds
        this.output.warn(`the spec with unsaved edits could not be read: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (generation !== this.generation) return;
    this.current = model;
    this.changed.fire();
  }
}
