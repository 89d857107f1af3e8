// Rename hosts, interfaces, segments and tags: the definition and every reference, in every file of the
// cluster (also files that are not open). A host whose file is hosts/<old>.yaml gets the file renamed too,
// when the client can rename files.

import {
  LSPErrorCodes,
  ResponseError,
  type Position,
  type Range,
  type TextDocumentEdit,
  type TextEdit,
  type WorkspaceEdit,
  type RenameFile,
} from 'vscode-languageserver/node';
import { fileStem, type SpecSymbol, type SymbolKind } from '#core/spec';
import type { SpecSnapshot } from '#core/validate';

/** What a new name must look like, per kind (the schema's rules for these names). */
const NAME_RULES: Record<SymbolKind, { pattern: RegExp; describe: string }> = {
  host: {
    pattern: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    describe: 'a host name: lowercase letters, digits and inner hyphens, at most 63 characters',
  },
  interface: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$/,
    describe: 'an interface name: at most 15 letters, digits, `_`, `.`, `@` or `-`',
  },
  segment: { pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, describe: 'a segment name: letters, digits, `_`, `.` or `-`' },
  tag: { pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, describe: 'a tag: letters, digits, `_`, `.` or `-`' },
};

function symbolAt(snapshot: SpecSnapshot, uri: string, position: Position) {
  const hit = snapshot.model.symbols.at(uri, position);
  if (!hit) throw new ResponseError(LSPErrorCodes.RequestFailed, 'Only hosts, interfaces, segments and tags can be renamed.');
  return hit;
}

const isEmpty = (r: Range) => r.start.line === r.end.line && r.start.character === r.end.character;

export function specPrepareRename(snapshot: SpecSnapshot, uri: string, position: Position): { range: Range; placeholder: string } {
  const { symbol } = symbolAt(snapshot, uri, position);
  if (isEmpty(symbol.location.range)) {
    throw new ResponseError(
      LSPErrorCodes.RequestFailed,
      `The host name comes from the file name; add \`name: ${symbol.name}\` to rename it here, or rename it where it is referenced.`,
    );
  }
  return { range: symbol.location.range, placeholder: symbol.name };
}

export function specRename(
  snapshot: SpecSnapshot,
  uri: string,
  position: Position,
  newName: string,
  canRenameFiles: boolean,
): WorkspaceEdit {
  const { symbol, definition, references } = symbolAt(snapshot, uri, position);
  const rule = NAME_RULES[symbol.kind];
  if (!rule.pattern.test(newName)) throw new ResponseError(LSPErrorCodes.RequestFailed, `'${newName}' is not ${rule.describe}.`);
  if (newName === symbol.name) return {};
  const scope = symbol.kind === 'interface' ? (symbol.host ?? definition?.host) : undefined;
  const clash = snapshot.model.symbols.definitionsOf(symbol.kind, scope).find((d) => d.name === newName);
  if (clash)
    throw new ResponseError(
      LSPErrorCodes.RequestFailed,
      `A ${symbol.kind} named '${newName}' already exists${scope ? ` on ${scope}` : ''}.`,
    );

  const edits = new Map<string, TextEdit[]>();
  const add = (s: SpecSymbol) => {
    if (isEmpty(s.location.range)) return; // a name taken from the file name: handled by renaming the file
    let list = edits.get(s.location.uri);
    if (!list) edits.set(s.location.uri, (list = []));
    if (!list.some((e) => sameRange(e.range, s.location.range))) list.push({ range: s.location.range, newText: newName });
  };
  if (definition) add(definition);
  references.forEach(add);

  // hosts/<old>.yaml follows its host's name.
  const hostFile =
    symbol.kind === 'host' &&
    definition &&
    /[\\/]hosts[\\/][^\\/]+\.ya?ml$/i.test(definition.location.uri) &&
    fileStem(definition.location.uri) === symbol.name
      ? definition.location.uri
      : undefined;
  if (hostFile && isEmpty(definition!.location.range) && !canRenameFiles) {
    throw new ResponseError(
      LSPErrorCodes.RequestFailed,
      `The host name comes from the file name ${fileStem(hostFile)}.yaml, and this editor cannot rename files; add \`name:\` to the file first.`,
    );
  }
  if (!hostFile || !canRenameFiles) return { changes: Object.fromEntries(edits) };
  const changes: (TextDocumentEdit | RenameFile)[] = [...edits].map(([u, e]) => ({ textDocument: { uri: u, version: null }, edits: e }));
  const newUri = hostFile.replace(/[^/\\]+(\.ya?ml)$/i, (_m, ext: string) => `${encodeURIComponent(newName)}${ext}`);
  changes.push({ kind: 'rename', oldUri: hostFile, newUri, options: { overwrite: false, ignoreIfExists: false } });
  return { documentChanges: changes };
}

function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}
