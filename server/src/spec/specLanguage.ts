// Cluster and host specs (cluster.yaml, hosts/*.yaml — the `gpuCluster.specPatterns` setting): wires
// the spec workspace (files, parse cache, model, validation from core/) to the feature services.

import { FileChangeType, type Diagnostic } from 'vscode-languageserver/node';
import type { LanguageContext, LanguageFeatures } from '../lsp/languages';
import { codeActionsFromContext, specCodeActions, wantsQuickFixes } from './codeActions';
import { specCompletion } from './completion';
import { specDefinition } from './definition';
import { specDocumentSymbols } from './symbols';
import { specHover } from './hover';
import { specReferences } from './references';
import { specPrepareRename, specRename } from './rename';
import { capPerFile, type SpecSnapshot, SpecWorkspace, yieldToRequests } from '#core/validate';
import { toLspDiagnostic } from './convert';
import { loadSpecSchemas } from './schemas';
import { keyHoverByScan, localHover } from './localView';
import { ValidationWorker } from './validationWorker';

/** Roots with more text than this, or more files, are validated on the worker thread, never on the server's. */
const WORKER_MIN_CHARS = 256 * 1024;
const WORKER_MIN_FILES = 200;
const validatedOnWorker = (chars: number, files: number) => chars >= WORKER_MIN_CHARS || files >= WORKER_MIN_FILES;

export function createSpecLanguage(context: LanguageContext): LanguageFeatures {
  const worker = ValidationWorker.beside(__dirname, (m) => context.connection.console.error(m));
  const workspace = new SpecWorkspace({
    documents: context.documents,
    patterns: () => context.settings().specPatterns,
    log: (m) => context.connection.console.error(m),
    // the model requests build for a big root is not validated here: the worker does that
    validatesElsewhere: (chars, files) => !!worker && validatedOnWorker(chars, files),
    // a root of many files will be validated on the worker: it parses them while the rest is read
    filesRead: (root, files, total) => {
      if (total >= WORKER_MIN_FILES) worker?.readAhead(root, files);
    },
  });
  const schemas = loadSpecSchemas();
  let patternsKey = JSON.stringify(context.settings().specPatterns);

  /** The snapshot for a request: current with the document's text (cheap when nothing changed). */
  const snapshotFor = (uri: string, token?: { isCancellationRequested: boolean }): Promise<SpecSnapshot> =>
    workspace.snapshotFor(uri, () => !!token?.isCancellationRequested);

  return {
    id: 'spec',
    matches: (uri, languageId) =>
      (languageId === 'yaml' || languageId === 'plaintext' || /\.ya?ml$/i.test(uri)) && workspace.isSpecFile(uri),
    validationScope: (uri) => workspace.rootKeyOf(uri),

    async diagnostics(uri, token) {
      // A big root is validated on the worker thread; a small one here, unless its snapshot is current anyway.
      const { current, files, chars } = await workspace.filesFor(uri);
      const snapshot = current ?? (worker && validatedOnWorker(chars, files.length) ? undefined : await snapshotFor(uri, token));
      let out: Map<string, Diagnostic[]>;
      if (worker && !snapshot?.validated) {
        // copying a big text to the worker takes the thread for a while: the requests that came with it go first
        await yieldToRequests();
        out = await worker.validate(workspace.rootKeyOf(uri), files);
      } else {
        out = new Map();
        for (const [fileUri, list] of snapshot!.diagnostics) out.set(fileUri, capPerFile(list).map(toLspDiagnostic));
      }
      // Files that left the spec (deleted, closed untitled documents) lose their diagnostics.
      const reported = workspace.reportedUris(uri);
      const now = [...out.keys()];
      for (const old of reported) if (!out.has(old)) out.set(old, []);
      reported.clear();
      for (const fileUri of now) reported.add(fileUri);
      return out;
    },

    async filesChanged(changes) {
      return workspace.filesChanged(changes.map((c) => ({ uri: c.uri, deleted: c.type === FileChangeType.Deleted })));
    },
    documentClosed: (uri) => workspace.documentClosed(uri),
    settingsChanged(settings) {
      const key = JSON.stringify(settings.specPatterns);
      if (key !== patternsKey) {
        patternsKey = key;
        workspace.reset();
      }
    },

    async completion(doc, params, token) {
      // Completion parses the current text itself; the names it offers may come from the snapshot of the
      // previous keystroke rather than wait for this one's validation.
      const snapshot = workspace.lastSnapshot(doc.uri) ?? (await snapshotFor(doc.uri, token));
      return specCompletion({ snapshot, schemas, uri: doc.uri, text: doc.getText(), offset: doc.offsetAt(params.position) });
    },
    async hover(doc, position, token) {
      // A big file with no model yet (it takes seconds to build): answer from the host under the cursor when
      // that gives the same answer.
      if (!workspace.lastSnapshot(doc.uri) && doc.getText().length >= WORKER_MIN_CHARS) {
        const text = doc.getText();
        const local = keyHoverByScan(doc.uri, text, position, schemas) ?? localHover(doc.uri, text, position, schemas);
        if (local !== undefined) return local;
      }
      const snapshot = await snapshotFor(doc.uri, token);
      const file = snapshot.file(doc.uri);
      return file ? specHover({ snapshot, schemas, file, position }) : null;
    },
    async definition(doc, position, token) {
      return specDefinition(await snapshotFor(doc.uri, token), doc.uri, position);
    },
    async references(doc, params, token) {
      return specReferences(await snapshotFor(doc.uri, token), doc.uri, params.position, params.context.includeDeclaration);
    },
    async prepareRename(doc, position, token) {
      return specPrepareRename(await snapshotFor(doc.uri, token), doc.uri, position);
    },
    async rename(doc, params, token) {
      return specRename(await snapshotFor(doc.uri, token), doc.uri, params.position, params.newName, canRenameFiles(context));
    },
    async codeActions(doc, params, token) {
      if (!wantsQuickFixes(params.context)) return [];
      return (
        codeActionsFromContext(params.context) ?? specCodeActions(await snapshotFor(doc.uri, token), doc.uri, params.range, params.context)
      );
    },
    async documentSymbols(doc, token) {
      const file = (await snapshotFor(doc.uri, token)).file(doc.uri);
      return file ? specDocumentSymbols(file) : null;
    },
  };
}

function canRenameFiles(context: LanguageContext): boolean {
  const edit = context.clientCapabilities().workspace?.workspaceEdit;
  return !!edit?.documentChanges && !!edit.resourceOperations?.includes('rename');
}
