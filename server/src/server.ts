// The language server: `node dist/server.js --stdio` (or `--node-ipc`, as the client starts it).
// It owns the connection, the open documents (incremental sync), the settings and the diagnostics
// scheduler, and routes every request to the language that claims the document (languages.ts).
//
// Adding a language: implement `LanguageFeatures` (see languages.ts and spec/specLanguage.ts for an
// example) in `server/src/<language>/`, export a `LanguageFactory`, and add it to LANGUAGES below —
// one import and one list entry. Order matters: the first language whose `matches` accepts a document
// serves it.

import {
  CodeActionKind,
  createConnection,
  FileChangeType,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  type CancellationToken,
  type ClientCapabilities,
  type InitializeParams,
  type InitializeResult,
  type TextDocumentIdentifier,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { languageOf, type LanguageContext, type LanguageFactory, type LanguageFeatures } from './lsp/languages';
import { DiagnosticsScheduler } from './lsp/diagnosticsScheduler';
import { DEFAULT_SETTINGS, readSettings, type ServerSettings } from './lsp/settings';
import { createSpecLanguage } from './spec/specLanguage';
import { createNixLanguage } from './nix/nixLanguage';

const LANGUAGES: LanguageFactory[] = [createSpecLanguage, createNixLanguage];

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let settings: ServerSettings = DEFAULT_SETTINGS;
let folders: string[] = [];
let clientCapabilities: ClientCapabilities = {};
let clientPullsConfiguration = false;
let clientRegistersConfiguration = false;
let clientRegistersWatchers = false;

const context: LanguageContext = {
  connection,
  documents,
  settings: () => settings,
  clientCapabilities: () => clientCapabilities,
  workspaceFolders: () => folders,
  requestValidation: (uri) => {
    const doc = documents.get(uri);
    const language = languageOf(languages, uri, doc?.languageId ?? 'yaml');
    if (language) scheduler.schedule(uri, language);
  },
};
const languages: LanguageFeatures[] = LANGUAGES.map((create) => create(context));
const scheduler = new DiagnosticsScheduler({
  connection,
  debounceMs: () => settings.validation.debounceMs,
  versionOf: (uri) => documents.get(uri)?.version,
  log: (m) => connection.console.error(m),
});

function languageFor(doc: TextDocument | undefined): LanguageFeatures | undefined {
  return doc && languageOf(languages, doc.uri, doc.languageId);
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
  const caps = (clientCapabilities = params.capabilities);
  clientPullsConfiguration = !!caps.workspace?.configuration;
  clientRegistersConfiguration = !!caps.workspace?.didChangeConfiguration?.dynamicRegistration;
  clientRegistersWatchers = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
  folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  const initial = (params.initializationOptions as { settings?: unknown } | undefined)?.settings;
  if (initial) settings = readSettings(initial);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      completionProvider: { triggerCharacters: [':', ' ', '-', '[', ',', '.'], resolveProvider: false },
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      documentSymbolProvider: true,
      foldingRangeProvider: true,
      documentFormattingProvider: true,
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'nix-gpu-cluster-language-server', version: '0.1.0' },
  };
});

connection.onInitialized(async () => {
  if (clientRegistersConfiguration) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'gpuCluster' });
  }
  await pullSettings();
  if (clientRegistersWatchers) {
    // Host files that are not open still feed the model: follow them on disk.
    void connection.client.register(DidChangeWatchedFilesNotification.type, {
      watchers: settings.specPatterns.map((globPattern) => ({ globPattern })),
    });
  }
  connection.workspace.onDidChangeWorkspaceFolders((e) => {
    const removed = new Set(e.removed.map((f) => f.uri));
    folders = [...folders.filter((f) => !removed.has(f)), ...e.added.map((f) => f.uri)];
  });
});

async function pullSettings(): Promise<void> {
  if (!clientPullsConfiguration) return;
  try {
    const [section] = await connection.workspace.getConfiguration([{ section: 'gpuCluster' }]);
    applySettings(readSettings(section));
  } catch (err) {
    connection.console.error(`could not read settings: ${(err as Error).message}`);
  }
}

function applySettings(next: ServerSettings): void {
  settings = next;
  for (const language of languages) language.settingsChanged?.(settings);
  revalidateOpenDocuments();
}

function revalidateOpenDocuments(): void {
  for (const doc of documents.all()) {
    const language = languageFor(doc);
    if (language) scheduler.schedule(doc.uri, language);
  }
}

connection.onDidChangeConfiguration(async (change) => {
  if (clientPullsConfiguration) await pullSettings();
  else applySettings(readSettings((change.settings as { gpuCluster?: unknown } | undefined)?.gpuCluster));
});

// TextDocuments reports an open as didOpen followed by didChangeContent; only typing is debounced.
const justOpened = new Set<string>();
documents.onDidOpen(({ document }) => {
  const language = languageFor(document);
  if (!language) return;
  justOpened.add(document.uri);
  scheduler.schedule(document.uri, language, 0);
});
documents.onDidChangeContent(({ document }) => {
  if (justOpened.delete(document.uri)) return;
  const language = languageFor(document);
  if (language) scheduler.schedule(document.uri, language);
});
documents.onDidClose(({ document }) => {
  const language = languageFor(document);
  if (!language) return;
  scheduler.clear(document.uri);
  language.documentClosed?.(document.uri);
  // Other open files of the same language may have depended on the editor's text of this one.
  for (const doc of documents.all()) if (languageFor(doc) === language) scheduler.schedule(doc.uri, language);
});

connection.onDidChangeWatchedFiles(async ({ changes }) => {
  // The editor's text wins over the disk while a file is open.
  const relevant = changes.filter((c) => c.type === FileChangeType.Deleted || !documents.get(c.uri));
  for (const language of languages) {
    if (!language.filesChanged) continue;
    for (const uri of await language.filesChanged(relevant)) scheduler.schedule(uri, language);
  }
});

/** Route a request to the document's language; errors are logged and answered with null. */
function route<T>(
  id: TextDocumentIdentifier,
  name: string,
  token: CancellationToken,
  call: (language: LanguageFeatures, doc: TextDocument) => Promise<T | null> | undefined,
): Promise<T | null> | T | null {
  const doc = documents.get(id.uri);
  const language = languageFor(doc);
  if (!doc || !language || token.isCancellationRequested) return null;
  const pending = call(language, doc);
  if (!pending) return null;
  return pending.catch((err: unknown) => {
    if (err instanceof ResponseError) throw err; // a message for the user (e.g. why a rename is refused)
    connection.console.error(`${name} failed on ${doc.uri}: ${(err as Error).stack ?? err}`);
    return null;
  });
}

connection.onCompletion((p, token) => route(p.textDocument, 'completion', token, (l, d) => l.completion?.(d, p, token)));
connection.onHover((p, token) => route(p.textDocument, 'hover', token, (l, d) => l.hover?.(d, p.position, token)));
connection.onDefinition((p, token) => route(p.textDocument, 'definition', token, (l, d) => l.definition?.(d, p.position, token)));
connection.onReferences((p, token) => route(p.textDocument, 'references', token, (l, d) => l.references?.(d, p, token)));
connection.onPrepareRename((p, token) => route(p.textDocument, 'prepareRename', token, (l, d) => l.prepareRename?.(d, p.position, token)));
connection.onRenameRequest((p, token) => route(p.textDocument, 'rename', token, (l, d) => l.rename?.(d, p, token)));
connection.onCodeAction((p, token) => route(p.textDocument, 'codeAction', token, (l, d) => l.codeActions?.(d, p, token)));
connection.onDocumentSymbol((p, token) => route(p.textDocument, 'documentSymbol', token, (l, d) => l.documentSymbols?.(d, token)));
connection.onFoldingRanges((p, token) => route(p.textDocument, 'foldingRange', token, (l, d) => l.foldingRanges?.(d, token)));
connection.onDocumentFormatting((p, token) => route(p.textDocument, 'formatting', token, (l, d) => l.formatting?.(d, p, token)));

connection.onShutdown(() => scheduler.dispose());

documents.listen(connection);
connection.listen();
