// Parsed .nix documents, cached by (uri, version): open documents from the editor, others from disk
// (declarations in nix-templates/ that go-to-definition lands in).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { parseNix, type ParseResult } from '#core/nix';
import { LineIndex } from '#core/util';

export interface ParsedNix {
  uri: string;
  version: number | undefined;
  text: string;
  parsed: ParseResult;
  lines: LineIndex;
}

export class NixDocuments {
  private readonly cache = new Map<string, ParsedNix>();

  constructor(private readonly open: { get(uri: string): TextDocument | undefined }) {}

  get(uri: string): ParsedNix | undefined {
    const doc = this.open.get(uri);
    const cached = this.cache.get(uri);
    if (doc) {
      if (cached && cached.version === doc.version) return cached;
      return this.store(uri, doc.version, doc.getText());
    }
    if (cached && cached.version === undefined) return cached;
    try {
      return this.store(uri, undefined, readFileSync(fileURLToPath(uri), 'utf8'));
    } catch {
      return undefined;
    }
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }

  private store(uri: string, version: number | undefined, text: string): ParsedNix {
    const entry = { uri, version, text, parsed: parseNix(text), lines: new LineIndex(text) };
    this.cache.set(uri, entry);
    return entry;
  }
}
