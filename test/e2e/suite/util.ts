// Shared helpers for the extension-host suite.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../../client/src/services/services';

export const EXTENSION_ID = 'nix-gpu-cluster.nix-gpu-cluster';

/** Activates the extension under test and returns what activate() returned. */
export async function activateExtension(): Promise<ExtensionServices> {
  const ext = vscode.extensions.getExtension<ExtensionServices>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed`);
  return ext.activate();
}

/** The event reportFigure() emits on `process` for index.ts: test files are bundled apart, the process is shared. */
export const FIGURE_EVENT = 'gpuCluster:e2eFigure';

/** A measured figure (benchmark-style, never asserted): index.ts records it and run.mjs prints it after the suite. */
export function reportFigure(line: string): void {
  console.log(line);
  (process as NodeJS.EventEmitter).emit(FIGURE_EVENT, line);
}

/** The first workspace folder (the copy of examples/lab the suite runs in). */
export function workspaceUri(...segments: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite needs a workspace folder');
  return vscode.Uri.joinPath(folder.uri, ...segments);
}

/** Polls until `probe` returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Position of the `nth` (0-based) occurrence of `needle` in a document, optionally `offset` characters into it. */
export function positionOf(doc: vscode.TextDocument, needle: string, nth = 0, offset = 0): vscode.Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = doc.getText().indexOf(needle, at + 1);
    assert.ok(at >= 0, `"${needle}" (occurrence ${nth}) not found in ${doc.uri.path}`);
  }
  return doc.positionAt(at + offset);
}

/** A text with the example's 10.a.b.c addresses moved where the suite's workspace has them: test/fixtures/loopback.mjs with
 * offset 100, written again here because the suite is TypeScript bundled apart from the .mjs harness. */
export function onLoopback(text: string): string {
  return text.replace(/\b10\.(\d+)\.(\d+)\.(\d+)\b/g, (_, a: string, b: string, c: string) => `127.${Number(a) + 100}.${b}.${c}`);
}
