// The editor's Nix diagnostics for .nix files on disk (syntax, undefined variables, option paths and types), as the
// language server computes them: the same option store (nix-templates/ and every module that declares options in the
// file's flake or folder) and the same nixDiagnostics.

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity } from 'vscode-languageserver/node';
import { parseNix } from '#core/nix';
import type { SpecDiagnostic } from '#core/spec';
import { LineIndex } from '#core/util';
import { nixDiagnostics } from '../../../server/src/nix/diagnostics';
import { OptionStore } from '../../../server/src/nix/optionStore';

/** The folder the editor would have open for a file: the nearest one above it with a flake.nix, else its own. */
function workspaceOf(file: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'flake.nix'))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(file);
  }
}

/** Diagnostics of each file, in the shape `validate` prints for specs. */
export async function nixFileDiagnostics(files: readonly string[], templatesDir: string | undefined): Promise<SpecDiagnostic[]> {
  const stores = new Map<string, OptionStore>();
  const out: SpecDiagnostic[] = [];
  for (const file of files) {
    const workspace = workspaceOf(file);
    let store = stores.get(workspace);
    if (!store) {
      store = new OptionStore(templatesDir);
      await store.scan([pathToFileURL(workspace).toString()]);
      stores.set(workspace, store);
    }
    const text = await readFile(file, 'utf8');
    const uri = pathToFileURL(file).toString();
    const doc = { uri, version: undefined, text, parsed: parseNix(text), lines: new LineIndex(text) };
    for (const d of nixDiagnostics(doc, store.databasesFor(uri, doc.parsed.root))) {
      out.push({
        uri,
        range: d.range,
        severity: d.severity === DiagnosticSeverity.Warning ? 'warning' : 'error',
        code: String(d.code ?? d.source ?? 'nix'),
        message: d.message,
      } as SpecDiagnostic);
    }
  }
  return out;
}

/** Every .nix file below `dir`, sorted. */
export async function nixFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.nix'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
