// Reads the type descriptions nixpkgs prints for options (`lib.types.*.description`, as found in
// options.json and in `optionAttrSetToDocList` output) back into OptionType, so options evaluated from a
// real flake and the curated set share one representation. Unknown phrases become `any`: never a false error.

import type { OptionType } from './types';

const ATOMS: [string, OptionType][] = [
  ['(optionally newline-terminated) single-line string', { kind: 'str', singleLine: true }],
  ['signed integer or floating point number', { kind: 'number' }],
  ['unsigned integer, meaning >=0', { kind: 'int', min: 0 }],
  ['positive integer, meaning >0', { kind: 'int', min: 1 }],
  ['signed integer', { kind: 'int' }],
  ['floating point number', { kind: 'float' }],
  ['non-empty string', { kind: 'str', nonEmpty: true }],
  ['string', { kind: 'str' }],
  ['boolean', { kind: 'bool' }],
  ['absolute path', { kind: 'path' }],
  ['path in the Nix store', { kind: 'path' }],
  ['path', { kind: 'path' }],
  ['package', { kind: 'package' }],
  ['submodule', { kind: 'submodule' }],
  ['attribute set', { kind: 'attrs' }],
  ['anything', { kind: 'any', description: 'anything' }],
  ['raw value', { kind: 'any', description: 'raw value' }],
  ['unspecified value', { kind: 'any', description: 'unspecified value' }],
  ['JSON value', { kind: 'any', description: 'JSON value' }],
  ['null', { kind: 'enum', values: [null] }],
];

export function parseTypeDescription(text: string): OptionType {
  const p = new DescriptionReader(text.trim());
  try {
    const t = p.phrase();
    return p.done() ? t : { kind: 'any', description: text };
  } catch {
    return { kind: 'any', description: text };
  }
}

class DescriptionReader {
  private pos = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.pos >= this.s.length;
  }

  /** phrase := unit (" or " unit)* — `null or X` becomes nullOr. */
  phrase(): OptionType {
    const parts = [this.unit()];
    while (this.eat(' or ')) parts.push(this.unit());
    const isNull = (t: OptionType) => t.kind === 'enum' && t.values.length === 1 && t.values[0] === null;
    const rest = parts.filter((t) => !isNull(t));
    const inner: OptionType = rest.length === 1 ? rest[0] : { kind: 'oneOf', of: rest };
    return rest.length < parts.length ? { kind: 'nullOr', of: inner } : inner;
  }

  private unit(): OptionType {
    if (this.eat('(')) {
      // "(optionally newline-terminated) …" is an atom that starts with a parenthesis.
      this.pos--;
      const atom = this.atom();
      if (atom) return atom;
      this.pos++;
      const t = this.phrase();
      this.expect(')');
      return t;
    }
    if (this.eat('list of ')) return { kind: 'listOf', of: this.unit() };
    if (this.eat('non-empty (list of ')) {
      const of = this.unit();
      this.expect(')');
      return { kind: 'listOf', of };
    }
    if (this.eat('attribute set of ') || this.eat('lazy attribute set of ')) return { kind: 'attrsOf', of: this.unit() };
    if (this.eat('function that evaluates to a(n) ')) {
      this.unit();
      return { kind: 'function' };
    }
    if (this.eat('one of ')) return { kind: 'enum', values: this.values() };
    if (this.eat('value ')) {
      const [v] = this.values();
      this.eat(' (singular enum)');
      return { kind: 'enum', values: [v] };
    }
    if (this.eat('string matching the pattern ')) {
      const rest = this.s.slice(this.pos);
      this.pos = this.s.length;
      return { kind: 'str', pattern: rest };
    }
    if (this.eat('strings concatenated with ')) {
      this.values();
      return { kind: 'str' };
    }
    const range = /^(?:(\d+) bit (?:un)?signed integer; between|integer between) (-?\d+) and (-?\d+) \(both inclusive\)/.exec(
      this.s.slice(this.pos),
    );
    if (range) {
      this.pos += range[0].length;
      return { kind: 'int', min: Number(range[2]), max: Number(range[3]) };
    }
    const atom = this.atom();
    if (atom) return atom;
    throw new Error(`unknown type phrase at ${this.pos}`);
  }

  private atom(): OptionType | undefined {
    for (const [phrase, type] of ATOMS) {
      if (this.s.startsWith(phrase, this.pos)) {
        const after = this.s[this.pos + phrase.length];
        if (after === undefined || after === ' ' || after === ')' || after === ',') {
          this.pos += phrase.length;
          return type;
        }
      }
    }
    return undefined;
  }

  /** Comma-separated values as nixpkgs shows them: "quoted", numbers, true/false/null. */
  private values(): (string | number | boolean | null)[] {
    const out: (string | number | boolean | null)[] = [];
    do {
      const rest = this.s.slice(this.pos);
      const m = /^("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)/.exec(rest);
      if (!m) throw new Error('bad enum value');
      this.pos += m[0].length;
      out.push(JSON.parse(m[0]));
    } while (this.eat(', '));
    return out;
  }

  private eat(word: string): boolean {
    if (this.s.startsWith(word, this.pos)) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private expect(word: string): void {
    if (!this.eat(word)) throw new Error(`expected ${word}`);
  }
}
