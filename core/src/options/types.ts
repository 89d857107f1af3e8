// NixOS option knowledge: the types of options as nixpkgs describes them, and the declarations.

export type OptionType =
  | { kind: 'bool' }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'float' }
  | { kind: 'number' }
  | { kind: 'str'; nonEmpty?: boolean; singleLine?: boolean; pattern?: string }
  | { kind: 'path' }
  | { kind: 'package' }
  | { kind: 'enum'; values: (string | number | boolean | null)[] }
  | { kind: 'listOf'; of: OptionType }
  | { kind: 'attrsOf'; of: OptionType }
  | { kind: 'nullOr'; of: OptionType }
  | { kind: 'oneOf'; of: OptionType[] }
  /** Options below this one are declared separately (`services.exo.ports.api`, `systemd.services.<name>.enable`). */
  | { kind: 'submodule' }
  | { kind: 'attrs' }
  | { kind: 'function' }
  /** anything, raw, unspecified, JSON value and descriptions we do not know: every value is accepted. */
  | { kind: 'any'; description?: string };

export interface SourceLocation {
  file: string;
  line?: number;
  character?: number;
  endLine?: number;
  endCharacter?: number;
}

export interface OptionDecl {
  /** Dotted path with `<name>` for attribute-set-of-submodule levels and `*` for list-of-submodule levels. */
  name: string;
  type: OptionType;
  /** The type as nixpkgs prints it, for hover. */
  typeDescription: string;
  description?: string;
  /** Nix text of the default and example (literalExpression text, or the value printed as Nix). */
  default?: string;
  example?: string;
  readOnly?: boolean;
  declarations: SourceLocation[];
}

/** Human text of a type, in nixpkgs' words (inverse of parseTypeDescription for the common cases). */
export function describeType(t: OptionType): string {
  switch (t.kind) {
    case 'bool':
      return 'boolean';
    case 'int':
      if (t.min === 0 && t.max === 65535) return '16 bit unsigned integer; between 0 and 65535 (both inclusive)';
      if (t.min !== undefined && t.max !== undefined) return `integer between ${t.min} and ${t.max} (both inclusive)`;
      if (t.min === 0) return 'unsigned integer, meaning >=0';
      if (t.min === 1) return 'positive integer, meaning >0';
      return 'signed integer';
    case 'float':
      return 'floating point number';
    case 'number':
      return 'signed integer or floating point number';
    case 'str':
      return t.pattern ? `string matching the pattern ${t.pattern}` : t.nonEmpty ? 'non-empty string' : 'string';
    case 'path':
      return 'path';
    case 'package':
      return 'package';
    case 'enum':
      return `one of ${t.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'listOf':
      return `list of ${wrap(t.of)}`;
    case 'attrsOf':
      return `attribute set of ${wrap(t.of)}`;
    case 'nullOr':
      return `null or ${wrap(t.of)}`;
    case 'oneOf':
      return t.of.map(wrap).join(' or ');
    case 'submodule':
      return 'submodule';
    case 'attrs':
      return 'attribute set';
    case 'function':
      return 'function';
    case 'any':
      return t.description ?? 'anything';
  }
}

function wrap(t: OptionType): string {
  const text = describeType(t);
  return ['listOf', 'attrsOf', 'nullOr', 'oneOf'].includes(t.kind) ? `(${text})` : text;
}
