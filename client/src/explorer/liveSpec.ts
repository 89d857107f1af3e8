// The spec the explorer shows: the spec store's model (saved files), with the text of spec files that are open
// with unsaved changes parsed in its place, so the trees and the topology follow typing (debounced), not only
// saving. Parsing and merging are the spec core's (parseSpecFile, buildModel).
import * as vscode from 'vscode';
import { buildModel, parseSpecFile, type SpecModel } from '#core/spec';
import type { SpecStore } from '../services/specStore';
import type { SpecFeed } from '../state/specSource';

const TYPING_DEBOUNCE_MS = 300;

export class LiveSpecFeed implements SpecFeed, vscode.Disposable {
  private current: SpecModel | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly specStore: SpecStore) {
    this.current = specStore.model;
    this.disposables.push(
      this.changed,
      specStore.onDidChange(() => this.rebuild()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.isSpecFile(e.document.uri) || e.contentChanges.length === 0) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.rebuild(), TYPING_DEBOUNCE_MS);
      }),
    );
    this.rebuild();
  }

  get model(): SpecModel | undefined { return this.current; }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.changed.event(listener);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }

  private isSpecFile(uri: vscode.Uri): boolean {
    return this.specStore.model?.files.some((f) => f.uri === uri.toString()) ?? false;
  }

  private rebuild(): void {
    const base = this.specStore.model;
    if (!base) {
      this.current = undefined;
    } else {
      const dirty = new Map(vscode.workspace.textDocuments.filter((d) => d.isDirty).map((d) => [d.uri.toString(), d]));
      const files = base.files.map((f) => {
        const doc = dirty.get(f.uri);
        return doc ? parseSpecFile(f.uri, doc.getText(), doc.version, f.kind) : f;
      });
      this.current = files.some((f, i) => f !== base.files[i]) ? buildModel(files) : base;
    }
    this.changed.fire();
  }
}
