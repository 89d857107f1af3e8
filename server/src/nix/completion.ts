// Completion in .nix files: option paths in NixOS modules, in dotted (`services.exo.apiP|`) and nested
// (`services = { exo = { | }; }`) form, enum and boolean values after `=`, and `config.` references.
// The text before the cursor decides the context, so half-typed input that does not parse still completes.

import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem } from 'vscode-languageserver/node';
import { moduleAttrs, type OptionDatabase, type OptionDecl, optionPathAt, type OptionType } from '#core/options';
import type { ParsedNix } from './nixDocuments';

const IDENT = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

export function nixCompletion(doc: ParsedNix, offset: number, db: OptionDatabase): CompletionItem[] {
  const before = doc.text.slice(doc.text.lastIndexOf('\n', offset - 1) + 1, offset);
  const position = doc.lines.positionAt(offset);
  const replace = (length: number) => ({
    start: { line: position.line, character: position.character - length },
    end: position,
  });

  const configRef = /\bconfig((?:\.[A-Za-z_][\w'-]*)*)\.([\w'-]*)$/.exec(before);
  if (configRef) {
    const path = configRef[1].split('.').filter(Boolean);
    return optionItems(db, path, replace(configRef[2].length));
  }
  if (!moduleAttrs(doc.parsed.root, 'maybe-module')) return [];

  const value = /([A-Za-z_][\w'.-]*)\s*=\s*("?)([\w.-]*)$/.exec(before);
  if (value && /(^|[{;])\s*$/.test(before.slice(0, value.index))) {
    const keyStart = offset - before.length + value.index;
    const decl = declAt(db, enclosingPath(doc, keyStart), value[1].split('.'));
    return decl ? valueItems(decl, value[2] ? 'inString' : 'bare', replace(value[3].length)) : [];
  }

  const key = /(?:^|[{;])\s*([A-Za-z_][\w'-]*(?:\.[A-Za-z_][\w'-]*)*\.)?([\w'-]*)$/.exec(before);
  if (!key) return [];
  const tokenStart = offset - (key[1]?.length ?? 0) - key[2].length;
  const written = key[1] ? key[1].slice(0, -1).split('.') : [];
  return optionItems(db, [...enclosingPath(doc, tokenStart), ...written], replace(key[2].length));
}

/** The option path of the attribute set the text at `offset` is written in. */
export function enclosingPath(doc: ParsedNix, offset: number): string[] {
  const at = optionPathAt(doc.parsed.root, offset);
  return at.inKey ? at.path.slice(0, -1) : at.path;
}

function declAt(db: OptionDatabase, prefix: string[], rest: string[]): OptionDecl | undefined {
  const found = db.lookup([...prefix, ...rest]);
  return found.status === 'option' ? found.decl : undefined;
}

type Range = { start: { line: number; character: number }; end: { line: number; character: number } };

function optionItems(db: OptionDatabase, path: string[], range: Range): CompletionItem[] {
  return db.childrenOf(path).map(({ name, decl, isGroup }) => {
    const label = IDENT.test(name) ? name : JSON.stringify(name);
    const item: CompletionItem = {
      label,
      kind: decl ? CompletionItemKind.Property : CompletionItemKind.Module,
      detail: decl ? decl.typeDescription : `${[...path, name].join('.')} (set of options)`,
      textEdit: { range, newText: label },
      sortText: (decl ? '0' : '1') + label,
    };
    if (decl) item.documentation = { kind: MarkupKind.Markdown, value: optionMarkdown(decl) };
    else if (isGroup) item.commitCharacters = ['.'];
    return item;
  });
}

function valueItems(decl: OptionDecl, where: 'inString' | 'bare', range: Range): CompletionItem[] {
  const values = enumValues(decl.type);
  return values.map((v) => {
    const text = typeof v === 'string' ? (where === 'inString' ? v : JSON.stringify(v)) : String(v);
    return {
      label: typeof v === 'string' ? JSON.stringify(v) : String(v),
      kind: CompletionItemKind.EnumMember,
      detail: decl.name,
      textEdit: { range, newText: text },
      insertTextFormat: InsertTextFormat.PlainText,
    };
  });
}

function enumValues(t: OptionType): (string | number | boolean | null)[] {
  switch (t.kind) {
    case 'bool':
      return [true, false];
    case 'enum':
      return t.values;
    case 'nullOr':
      return [...enumValues(t.of), null];
    case 'oneOf':
      return t.of.flatMap(enumValues);
    default:
      return [];
  }
}

/** The Markdown shown for an option in hover and completion documentation. */
export function optionMarkdown(decl: OptionDecl, source?: string): string {
  const lines = [`**${decl.name}**`, '', `*Type:* ${decl.typeDescription}`];
  if (decl.default !== undefined) lines.push('', `*Default:* \`${decl.default}\``);
  if (decl.example !== undefined) lines.push('', `*Example:* \`${decl.example}\``);
  if (decl.description) lines.push('', decl.description);
  const where = decl.declarations[0]?.file;
  if (where) lines.push('', `*Declared in:* ${where.startsWith('file:') ? where.split('/').slice(-2).join('/') : where}`);
  if (source) lines.push('', `_${source}_`);
  return lines.join('\n');
}
