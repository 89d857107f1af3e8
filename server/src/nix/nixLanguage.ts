// The Nix language in the server: .nix files get syntax errors, undefined variables and NixOS option
// checks, option completion and hover, go to definition, outline, folding and formatting.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CancellationToken, FileEvent } from 'vscode-languageserver/node';
import type { LanguageContext, LanguageFeatures } from '../lsp/languages';
import { nixCodeActions } from './codeActions';
import { nixCompletion } from './completion';
import { nixDefinition } from './definition';
import { nixDiagnostics } from './diagnostics';
import { formatWithNixfmt } from './formatting';
import { nixHover } from './hover';
import { NixDocuments } from './nixDocuments';
import { defaultTemplatesDir, OptionStore } from './optionStore';
import { nixDocumentSymbols, nixFoldingRanges } from './symbols';

/** Sent by the client after "Load NixOS Options from This Flake" wrote the evaluated options to a file. */
export const NIX_OPTIONS_LOADED = 'gpuCluster/nixOptionsLoaded';
export interface NixOptionsLoadedParams {
  file: string;
  label: string;
}

export function createNixLanguage(context: LanguageContext): LanguageFeatures {
  const docs = new NixDocuments(context.documents);
  const options = new OptionStore(process.env.GPU_CLUSTER_TEMPLATES_DIR ?? defaultTemplatesDir());
  let scanned: Promise<void> | undefined;
  const ready = () =>
    (scanned ??= options.scan(context.workspaceFolders()).catch((err) => {
      context.connection.console.error(`scanning for NixOS modules failed: ${(err as Error).message}`);
    }));
  const revalidateOpenNix = (except?: string) => {
    for (const d of context.documents.all()) if (d.uri !== except && isNix(d.uri, d.languageId)) context.requestValidation(d.uri);
  };
  let formatterMissingSaid = false;

  context.connection.onNotification(NIX_OPTIONS_LOADED, async (params: NixOptionsLoadedParams) => {
    try {
      await ready();
      const count = await options.loadEvaluated(params.file, params.label);
      context.connection.console.log(`loaded ${count} NixOS options from ${params.label}`);
      revalidateOpenNix();
    } catch (err) {
      void context.connection.window.showErrorMessage(`Could not read the evaluated NixOS options: ${(err as Error).message}`);
    }
  });

  return {
    id: 'nix',
    matches: isNix,

    async diagnostics(uri, token: CancellationToken) {
      await ready();
      const doc = docs.get(uri);
      if (!doc || token.isCancellationRequested) return new Map();
      // Editing a module that declares options changes what the other files may define.
      if (await options.updateModule(uri, doc.text)) revalidateOpenNix(uri);
      if (token.isCancellationRequested) return new Map();
      return new Map([[uri, nixDiagnostics(doc, options.databasesFor(uri, doc.parsed.root))]]);
    },

    async filesChanged(changes: FileEvent[]) {
      let changed = false;
      for (const c of changes) {
        if (!c.uri.endsWith('.nix')) continue;
        docs.forget(c.uri);
        const text = await readFile(fileURLToPath(c.uri), 'utf8').catch(() => undefined);
        changed = (await options.updateModule(c.uri, text)) || changed;
      }
      return changed
        ? context.documents
            .all()
            .filter((d) => isNix(d.uri, d.languageId))
            .map((d) => d.uri)
        : [];
    },

    documentClosed: (uri) => {
      docs.forget(uri);
      // What an unsaved file declared goes with it; the others are told again.
      void ready()
        .then(() => options.documentClosed(uri))
        .then((changed) => {
          if (changed) revalidateOpenNix();
        });
    },

    async completion(doc, params) {
      await ready();
      const parsed = docs.get(doc.uri);
      return parsed ? nixCompletion(parsed, doc.offsetAt(params.position), options.databaseFor(doc.uri, parsed.parsed.root)) : null;
    },

    async hover(doc, position) {
      await ready();
      const parsed = docs.get(doc.uri);
      return parsed ? nixHover(parsed, doc.offsetAt(position), options.databaseFor(doc.uri, parsed.parsed.root), options.source) : null;
    },

    async definition(doc, position) {
      await ready();
      const parsed = docs.get(doc.uri);
      return parsed ? nixDefinition(parsed, doc.offsetAt(position), options.databaseFor(doc.uri, parsed.parsed.root)) : null;
    },

    async codeActions(_doc, params) {
      return nixCodeActions(params);
    },

    async documentSymbols(doc) {
      const parsed = docs.get(doc.uri);
      return parsed ? nixDocumentSymbols(parsed) : null;
    },

    async foldingRanges(doc) {
      const parsed = docs.get(doc.uri);
      return parsed ? nixFoldingRanges(parsed) : null;
    },

    async formatting(doc, _params, token) {
      const configured = context.settings().raw.nixfmt;
      const command =
        typeof (configured as { path?: unknown } | undefined)?.path === 'string' ? (configured as { path: string }).path : 'nixfmt';
      const result = await formatWithNixfmt(command, doc.getText(), doc.lineCount, token);
      if ('edits' in result) return result.edits;
      if (!result.missing || !formatterMissingSaid) void context.connection.window.showWarningMessage(result.error);
      if (result.missing) formatterMissingSaid = true;
      return null;
    },
  };
}

function isNix(uri: string, languageId: string): boolean {
  return languageId === 'nix' || uri.endsWith('.nix');
}
