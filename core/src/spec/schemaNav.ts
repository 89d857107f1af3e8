// Navigation in the JSON Schemas of the spec (schemas/*.schema.json): which subschemas apply at a path of
// a document, what keys an object there may have, and what its documentation, enum values and defaults
// are. For completion and hover (language server, client). Pure: the schema objects are passed in.
//
// Supports what the spec schemas use and the usual combinators: `$ref` (same file `#/…` or another file
// by name, e.g. `host.schema.json`), sibling keywords next to `$ref`, `allOf`/`anyOf`/`oneOf` (all
// alternatives are offered), `properties`, `patternProperties`, `additionalProperties`, `items`,
// `prefixItems`.

export type JsonSchemaObject = { [keyword: string]: unknown };

/** A subschema together with the file it lives in (needed to resolve its `$ref`s). */
export interface SchemaAt {
  schema: JsonSchemaObject;
  file: string;
}

export interface PropertyInfo {
  name: string;
  schemas: SchemaAt[];
  required: boolean;
}

export interface SchemaFacts {
  description?: string;
  title?: string;
  types: string[];
  enum: unknown[];
  default?: unknown;
  examples: unknown[];
  deprecated: boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

const isObject = (v: unknown): v is JsonSchemaObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export class SchemaNavigator {
  /** @param files schema documents by file name, e.g. `{ 'cluster.schema.json': …, 'host.schema.json': … }` */
  constructor(private readonly files: Readonly<Record<string, JsonSchemaObject>>) {}

  root(file: string): SchemaAt[] {
    const schema = this.files[file];
    return schema ? this.expand({ schema, file }) : [];
  }

  /** The subschemas that apply to the value at `path` of a document whose root schema is `file`. */
  at(file: string, path: readonly (string | number)[]): SchemaAt[] {
    let current = this.root(file);
    for (const segment of path) {
      current = this.child(current, segment);
      if (!current.length) break;
    }
    return current;
  }

  /** The subschemas of one key or index below `schemas`. */
  child(schemas: readonly SchemaAt[], segment: string | number): SchemaAt[] {
    const out: SchemaAt[] = [];
    for (const { schema, file } of schemas) {
      const next: unknown[] = [];
      if (typeof segment === 'number') {
        const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
        if (segment < prefix.length) next.push(prefix[segment]);
        else if (isObject(schema.items)) next.push(schema.items);
      } else {
        const props = isObject(schema.properties) ? schema.properties : {};
        if (Object.hasOwn(props, segment)) next.push(props[segment]);
        else {
          let matched = false;
          if (isObject(schema.patternProperties)) {
            for (const [pattern, sub] of Object.entries(schema.patternProperties)) {
              if (safeRegExp(pattern)?.test(segment)) {
                next.push(sub);
                matched = true;
              }
            }
          }
          if (!matched && isObject(schema.additionalProperties)) next.push(schema.additionalProperties);
        }
      }
      for (const sub of next) if (isObject(sub)) out.push(...this.expand({ schema: sub, file }));
    }
    return dedupe(out);
  }

  /** Properties an object at these schemas may have, in schema order. */
  properties(schemas: readonly SchemaAt[]): PropertyInfo[] {
    const byName = new Map<string, PropertyInfo>();
    const required = new Set<string>();
    for (const { schema, file } of schemas) {
      if (Array.isArray(schema.required)) for (const r of schema.required) if (typeof r === 'string') required.add(r);
      if (isObject(schema.properties)) {
        for (const [name, sub] of Object.entries(schema.properties)) {
          let info = byName.get(name);
          if (!info) byName.set(name, (info = { name, schemas: [], required: false }));
          if (isObject(sub)) info.schemas.push(...this.expand({ schema: sub, file }));
        }
      }
    }
    for (const info of byName.values()) info.required = required.has(info.name);
    return [...byName.values()];
  }

  /** Documentation and value constraints, merged over the subschemas (the first description wins). */
  facts(schemas: readonly SchemaAt[]): SchemaFacts {
    const facts: SchemaFacts = { types: [], enum: [], examples: [], deprecated: false };
    for (const { schema } of schemas) {
      if (facts.description === undefined) {
        const d = schema.markdownDescription ?? schema.description;
        if (typeof d === 'string') facts.description = d;
      }
      if (facts.title === undefined && typeof schema.title === 'string') facts.title = schema.title;
      const types = Array.isArray(schema.type) ? schema.type : schema.type !== undefined ? [schema.type] : [];
      for (const t of types) if (typeof t === 'string' && !facts.types.includes(t)) facts.types.push(t);
      if (Array.isArray(schema.enum)) for (const v of schema.enum) if (!facts.enum.includes(v)) facts.enum.push(v);
      if (schema.const !== undefined && !facts.enum.includes(schema.const)) facts.enum.push(schema.const);
      if (facts.default === undefined && schema.default !== undefined) facts.default = schema.default;
      if (Array.isArray(schema.examples)) facts.examples.push(...schema.examples);
      if (schema.deprecated === true) facts.deprecated = true;
      if (facts.pattern === undefined && typeof schema.pattern === 'string') facts.pattern = schema.pattern;
      if (facts.minimum === undefined && typeof schema.minimum === 'number') facts.minimum = schema.minimum;
      if (facts.maximum === undefined && typeof schema.maximum === 'number') facts.maximum = schema.maximum;
    }
    return facts;
  }

  /**
   * A schema followed by what it refers to: `$ref` targets (after the schema itself, so sibling keywords
   * such as a more specific `description` come first) and `allOf`/`anyOf`/`oneOf` members.
   */
  private expand(start: SchemaAt, seen = new Set<JsonSchemaObject>()): SchemaAt[] {
    if (seen.has(start.schema)) return [];
    seen.add(start.schema);
    const out: SchemaAt[] = [start];
    const { schema, file } = start;
    if (typeof schema.$ref === 'string') {
      const target = this.resolve(schema.$ref, file);
      if (target) out.push(...this.expand(target, seen));
    }
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
      const list = schema[key];
      if (Array.isArray(list)) for (const sub of list) if (isObject(sub)) out.push(...this.expand({ schema: sub, file }, seen));
    }
    return out;
  }

  private resolve(ref: string, fromFile: string): SchemaAt | undefined {
    const hash = ref.indexOf('#');
    const filePart = hash < 0 ? ref : ref.slice(0, hash);
    const pointer = hash < 0 ? '' : ref.slice(hash + 1);
    const file = filePart ? filePart.slice(filePart.lastIndexOf('/') + 1) : fromFile;
    let node: unknown = this.files[file];
    for (const raw of pointer.split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
    }
    return isObject(node) ? { schema: node, file } : undefined;
  }
}

function dedupe(list: SchemaAt[]): SchemaAt[] {
  const seen = new Set<JsonSchemaObject>();
  return list.filter((s) => (seen.has(s.schema) ? false : (seen.add(s.schema), true)));
}

const regexCache = new Map<string, RegExp | undefined>();
function safeRegExp(pattern: string): RegExp | undefined {
  if (!regexCache.has(pattern)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = undefined;
    }
    regexCache.set(pattern, re);
  }
  return regexCache.get(pattern);
}
