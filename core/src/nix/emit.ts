// Emits Nix source text from plain values, for the flake generator, the option database and the operations.
// Every value that comes from the spec goes through `nixString` (or `nixValue`, which uses it), so a host name or
// path can never end a string early or start an interpolation in the generated files.

/** A piece of Nix source inserted as it is (paths, references to inputs, function calls). */
export class NixExpr {
  constructor(readonly text: string) {}
}

export const nix = (text: string): NixExpr => new NixExpr(text);

export class NixEmitError extends Error {}

const KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

/** A double-quoted Nix string literal; `\`, `"` and every `$` are escaped, so `${` never interpolates. */
export function nixString(value: string): string {
  if (value.includes('\0')) throw new NixEmitError(`a Nix string cannot hold a NUL character: ${JSON.stringify(value)}`);
  let out = '"';
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '$':
        out += '\\$';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default:
        out += ch;
    }
  }
  return out + '"';
}

/** An attribute name: bare when it is a plain identifier, quoted otherwise. */
export function nixAttrName(name: string): string {
  return IDENTIFIER.test(name) && !KEYWORDS.has(name) ? name : nixString(name);
}

/** A dotted attribute path, each part quoted as needed: `services.exo.enable`, `hosts."hub-1"`. */
export function nixAttrPath(parts: readonly string[]): string {
  return parts.map(nixAttrName).join('.');
}

/** A path relative to the file that contains it; plain segments become a path literal. */
export function nixRelativePath(relative: string): NixExpr {
  const segments = relative.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    throw new NixEmitError(`not a plain relative path: ${JSON.stringify(relative)}`);
  }
  if (segments.every((s) => /^[A-Za-z0-9._+-]+$/.test(s))) return nix(`./${relative}`);
  return nix(`(./. + ${nixString('/' + relative)})`);
}

/** A comment line; line breaks in the text cannot escape the comment. */
export function nixComment(text: string, indent = ''): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `${indent}#${line ? ' ' + line : ''}`)
    .join('\n');
}

export type NixValue = string | number | boolean | null | NixExpr | readonly NixValue[] | { readonly [key: string]: NixValue | undefined };

/** Renders a value as Nix, two spaces per level; `undefined` attributes are left out. */
export function nixValue(value: NixValue, indent = ''): string {
  if (value instanceof NixExpr) return value.text;
  if (value === null) return 'null';
  if (typeof value === 'string') return nixString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NixEmitError(`not a finite number: ${value}`);
    // Nix has no exponent notation for integers; negative literals need parentheses inside lists.
    let text = Number.isInteger(value) ? BigInt(value).toString() : String(value);
    // Nix floats need a dot before an exponent: 1e-7 → 1.0e-7.
    if (/e/.test(text) && !text.includes('.')) text = text.replace('e', '.0e');
    return value < 0 ? `(${text})` : text;
  }
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    const items = value.map((item) => nixValue(item, inner));
    const oneLine = `[ ${items.join(' ')} ]`;
    if (oneLine.length <= 80 && !oneLine.includes('\n')) return oneLine;
    return `[\n${items.map((i) => inner + i).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, NixValue | undefined>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{ }';
  const lines = entries.map(([k, v]) => `${inner}${nixAttrName(k)} = ${nixValue(v as NixValue, inner)};`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

/** `name = value;` lines for an attribute set body, with dotted names allowed (`a.b = …;`). */
export function nixAssignments(entries: readonly [readonly string[], NixValue | undefined][], indent: string): string {
  return entries
    .filter(([, v]) => v !== undefined)
    .map(([path, v]) => `${indent}${nixAttrPath(path)} = ${nixValue(v as NixValue, indent)};`)
    .join('\n');
}
