// The seam between the generic server (server.ts, lsp/diagnosticsScheduler.ts) and each language it serves.
// A language claims documents with `matches` and answers whichever requests it implements; the server
// routes each request to the first language that claims the document.

import type { CancellationToken, ClientCapabilities, Connection } from 'vscode-languageserver/node';
import type {
  CodeAction,
  CodeActionParams,
  CompletionItem,
  CompletionList,
  CompletionParams,
  Definition,
  Diagnostic,
  DocumentFormattingParams,
  DocumentSymbol,
  FileEvent,
  FoldingRange,
  Hover,
  Location,
  Position,
  Range,
  ReferenceParams,
  RenameParams,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ServerSettings } from './settings';

/** What the server hands every language when it is created. */
export interface LanguageContext {
  connection: Connection;
  /** Open documents (the editor's text wins over the file on disk). */
  documents: { get(uri: string): TextDocument | undefined; all(): TextDocument[] };
  /** The current settings (pulled from the client, refreshed on didChangeConfiguration). */
  settings(): ServerSettings;
  /** What the client said it supports in `initialize`. */
  clientCapabilities(): ClientCapabilities;
  /** Folders the client opened, as file URIs. */
  workspaceFolders(): string[];
  /** Ask the server to (re)validate a document that is not necessarily open (dependants of a changed file). */
  requestValidation(uri: string): void;
}

/** Diagnostics for one or more documents: a run for one file may also settle diagnostics of others. */
export type DiagnosticsByUri = Map<string, Diagnostic[]>;

export interface LanguageFeatures {
  /** Short name, used in logs. */
  readonly id: string;
  matches(uri: string, languageId: string): boolean;
  /**
   * Validate `uri` (open or on disk). May take long: yield to the event loop between chunks of work and
   * stop when `token` is cancelled (a newer edit superseded the run). Returns every document whose
   * diagnostics this run determined, including `uri` itself.
   */
  diagnostics(uri: string, token: CancellationToken): Promise<DiagnosticsByUri>;
  /**
   * Runs that share a scope supersede each other (e.g. every file of one cluster spec feeds one model);
   * defaults to the document itself.
   */
  validationScope?(uri: string): string;
  /** Files on disk changed (created, changed, deleted); returns URIs whose diagnostics may have changed. */
  filesChanged?(changes: FileEvent[]): Promise<string[]>;
  documentClosed?(uri: string): void;
  settingsChanged?(settings: ServerSettings): void;

  completion?(doc: TextDocument, params: CompletionParams, token: CancellationToken): Promise<CompletionList | CompletionItem[] | null>;
  hover?(doc: TextDocument, position: Position, token: CancellationToken): Promise<Hover | null>;
  definition?(doc: TextDocument, position: Position, token: CancellationToken): Promise<Definition | null>;
  references?(doc: TextDocument, params: ReferenceParams, token: CancellationToken): Promise<Location[] | null>;
  prepareRename?(doc: TextDocument, position: Position, token: CancellationToken): Promise<{ range: Range; placeholder: string } | null>;
  rename?(doc: TextDocument, params: RenameParams, token: CancellationToken): Promise<WorkspaceEdit | null>;
  codeActions?(doc: TextDocument, params: CodeActionParams, token: CancellationToken): Promise<CodeAction[] | null>;
  documentSymbols?(doc: TextDocument, token: CancellationToken): Promise<DocumentSymbol[] | null>;
  foldingRanges?(doc: TextDocument, token: CancellationToken): Promise<FoldingRange[] | null>;
  formatting?(doc: TextDocument, params: DocumentFormattingParams, token: CancellationToken): Promise<TextEdit[] | null>;
}

export type LanguageFactory = (context: LanguageContext) => LanguageFeatures;

/** The first language that claims a document, if any. */
export function languageOf(languages: readonly LanguageFeatures[], uri: string, languageId: string): LanguageFeatures | undefined {
  return languages.find((l) => l.matches(uri, languageId));
}
