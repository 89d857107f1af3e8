// A fast reader for the plain subset of YAML that host files are written in: block maps and lists, one-line
// flow collections (`[a, b]`, `{ k: v }`), plain scalars, comments. Validating 50,000 hosts/*.yaml files
// spent most of its time in the yaml package's lexer, composer and toJS; this reads such a file about ten times
// faster. It answers only when the text is certainly in the subset and well-formed (no quotes, anchors, tags,
// block scalars, multi-line scalars, duplicate keys, tabs, non-ASCII or control characters…), and then gives
// exactly the data the yaml package's core schema gives (test/unit/plain-yaml.test.ts compares both);
// anything else returns undefined and is read by the full parser, which also reports its errors.

/** Characters that make a text leave the subset (quotes, anchors, aliases, tags, block scalars, directives…). */
const OUTSIDE_SUBSET = /[^\n\x20-\x7e]|["'&*!|>%@`?\\]/;
const KEY = /^[A-Za-z_][\w.-]*$/;

/** A scalar the core schema reads as something other than a string, with how this reader resolves it. */
function resolvePlain(s: string): { value: unknown } | undefined {
  if (/^(?:~|[Nn]ull|NULL)$/.test(s)) return { value: null };
  if (/^(?:[Tt]rue|TRUE)$/.test(s)) return { value: true };
  if (/^(?:[Ff]alse|FALSE)$/.test(s)) return { value: false };
  if (/^[-+]?[0-9]+$/.test(s)) return { value: parseInt(s, 10) };
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return { value: parseFloat(s) };
  return undefined;
}

/** The core schema's other non-string forms (octal, hex, .inf, .nan): left to the full parser. */
const OTHER_NON_STRING = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/**
 * Nesting (block and flow levels together) this reader follows; deeper text goes to the full parser, which
 * applies PARSE_LIMITS.maxDepth and reports it (host files nest fewer than 10 levels).
 */
const MAX_NESTING = 32;

class OutsideSubset extends Error {}
const refuse = (): never => {
  throw new OutsideSubset();
};

function scalar(s: string, flow: boolean): unknown {
  if (!s) return refuse();
  // an indicator first (a flow collection was handled by the caller; `-` only as a sign or inside a word)
  if (/^[-:,[\]{}#]/.test(s) && !/^-[0-9A-Za-z.]/.test(s)) return refuse();
  if (s.includes(' #') || s.endsWith(':') || s.includes(': ')) return refuse();
  if (flow && /[:,[\]{}]/.test(s)) return refuse();
  if (OTHER_NON_STRING.test(s)) return refuse();
  const resolved = resolvePlain(s);
  return resolved ? resolved.value : s;
}

function mapKey(s: string): string {
  if (!KEY.test(s) || s === '__proto__' || resolvePlain(s) || OTHER_NON_STRING.test(s)) return refuse();
  return s;
}

function setKey(map: Record<string, unknown>, key: string, value: unknown): void {
  if (Object.prototype.hasOwnProperty.call(map, key)) refuse();
  map[key] = value;
}

/** A one-line flow collection or scalar; `at` is advanced past it. */
function flowValue(s: string, at: { i: number }, depth: number): unknown {
  if (depth > MAX_NESTING) refuse();
  const skip = () => {
    while (s[at.i] === ' ') at.i++;
  };
  skip();
  const open = s[at.i];
  if (open === '[' || open === '{') {
    at.i++;
    const close = open === '[' ? ']' : '}';
    const out: unknown[] | Record<string, unknown> = open === '[' ? [] : {};
    skip();
    if (s[at.i] === close) {
      at.i++;
      return out;
    }
    for (;;) {
      if (Array.isArray(out)) {
        out.push(flowValue(s, at, depth + 1));
      } else {
        skip();
        const colon = s.indexOf(':', at.i);
        if (colon < 0 || s[colon + 1] !== ' ') refuse();
        const key = mapKey(s.slice(at.i, colon).trim());
        at.i = colon + 1;
        setKey(out, key, flowValue(s, at, depth + 1));
      }
      skip();
      if (s[at.i] === ',') {
        at.i++;
        skip();
        if (s[at.i] === close || s[at.i] === ',') refuse();
        continue;
      }
      if (s[at.i] === close) {
        at.i++;
        return out;
      }
      return refuse();
    }
  }
  let end = at.i;
  while (end < s.length && !',[]{}'.includes(s[end])) end++;
  const value = scalar(s.slice(at.i, end).trim(), true);
  at.i = end;
  return value;
}

/** The value written after `key: ` or `- ` on one line, `depth` levels deep. */
function inlineValue(s: string, depth: number): unknown {
  if (s[0] === '[' || s[0] === '{') {
    const at = { i: 0 };
    const value = flowValue(s, at, depth);
    if (s.slice(at.i).trim()) refuse();
    return value;
  }
  return scalar(s, false);
}

interface Line {
  indent: number;
  text: string;
}

class Reader {
  i = 0;
  constructor(private readonly lines: Line[]) {}

  /** The block at the current line, which is indented by `indent` and nested `depth` levels deep. */
  block(indent: number, depth: number): unknown {
    if (depth > MAX_NESTING) refuse();
    const line = this.lines[this.i];
    return line.text === '-' || line.text.startsWith('- ') ? this.list(indent, depth) : this.map(indent, depth);
  }

  private list(indent: number, depth: number): unknown[] {
    const out: unknown[] = [];
    while (this.i < this.lines.length) {
      const line = this.lines[this.i];
      if (line.indent < indent) break;
      if (line.indent > indent || !(line.text === '-' || line.text.startsWith('- '))) refuse();
      const rest = line.text.slice(1).trimStart();
      if (!rest) {
        this.i++;
        out.push(this.nested(indent, false, depth));
        continue;
      }
      // `- key: value` or `- - x`: the item is a block starting at the column of its first character
      if (rest.startsWith('- ') || rest === '-' || this.isKeyLine(rest)) {
        const column = line.indent + line.text.length - rest.length;
        this.lines[this.i] = { indent: column, text: rest };
        out.push(this.block(column, depth + 1));
        continue;
      }
      this.i++;
      out.push(inlineValue(rest, depth + 1));
      this.noDeeperThan(indent);
    }
    return out;
  }

  private map(indent: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.i < this.lines.length) {
      const line = this.lines[this.i];
      if (line.indent < indent) break;
      if (line.indent > indent || line.text === '-' || line.text.startsWith('- ')) refuse();
      const colon = line.text.indexOf(':');
      if (colon < 0 || (colon + 1 < line.text.length && line.text[colon + 1] !== ' ')) refuse();
      const key = mapKey(line.text.slice(0, colon));
      const rest = line.text.slice(colon + 1).trim();
      this.i++;
      if (rest) {
        setKey(out, key, inlineValue(rest, depth + 1));
        this.noDeeperThan(indent);
      } else {
        setKey(out, key, this.nested(indent, true, depth));
      }
    }
    return out;
  }

  /** The value of an empty `key:` or `-`: a more indented block, a list at the key's own indent, or null. */
  private nested(indent: number, underKey: boolean, depth: number): unknown {
    const next = this.lines[this.i];
    if (next && next.indent > indent) return this.block(next.indent, depth + 1);
    if (underKey && next && next.indent === indent && (next.text === '-' || next.text.startsWith('- ')))
      return this.list(indent, depth + 1);
    return null;
  }

  private isKeyLine(s: string): boolean {
    const colon = s.indexOf(':');
    return colon > 0 && s[0] !== '[' && s[0] !== '{' && (colon + 1 === s.length || s[colon + 1] === ' ');
  }

  /** After a value on its own line, a more indented line would continue it (a multi-line scalar). */
  private noDeeperThan(indent: number): void {
    const next = this.lines[this.i];
    if (next && next.indent > indent) refuse();
  }
}

/**
 * The data of `text` if it is a block map written in the plain subset, exactly as the yaml package would give
 * it; undefined when the text needs the full parser (anything else, or anything it would report).
 */
export function parsePlainYaml(text: string): Record<string, unknown> | undefined {
  if (OUTSIDE_SUBSET.test(text)) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    // a comment starts at `#` at the line's start or after a space; any other `#` is left to the full parser
    const hash = raw.indexOf('#');
    if (hash > 0 && raw[hash - 1] !== ' ') return undefined;
    const body = (hash < 0 ? raw : raw.slice(0, hash)).trimEnd();
    if (!body) continue;
    const indent = body.length - body.trimStart().length;
    if (indent === 0 && (body.startsWith('---') || body.startsWith('...'))) return undefined;
    lines.push({ indent, text: body.slice(indent) });
  }
  if (!lines.length || lines[0].indent !== 0) return undefined;
  try {
    const reader = new Reader(lines);
    const data = reader.block(0, 0);
    if (reader.i !== lines.length || Array.isArray(data)) return undefined;
    return data as Record<string, unknown>;
  } catch (err) {
    if (err instanceof OutsideSubset) return undefined;
    throw err;
  }
}
