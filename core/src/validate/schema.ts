// JSON Schema validation of spec files (schemas/*.json, compiled once with ajv), with each error placed
// on the offending key or value and worded for people: unknown keys get "did you mean", enums list the
// allowed values. Results are cached per host object, so re-validating a 2,000-host cluster.yaml after a
// one-line edit only re-checks the host that changed (parseSpecFile reuses unchanged host objects).

import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { closest } from '../util/suggest';
import type { ParsedSpecFile, SpecDiagnostic } from '../spec/model';
import { isRecord } from '../spec/workspace';
import { place, replaceFix } from './report/place';

type Segment = string | number;

/** A schema problem at a path relative to the validated object; turned into a diagnostic per file. */
export interface SchemaProblem {
  path: Segment[];
  code: string;
  message: string;
  /** Where to put it: the key at `path`, its value, or the first line of the value (large objects). */
  on: 'key' | 'value' | 'first-line';
  /** Replacement for the key/value text, offered as a quick fix. */
  replacement?: string;
}

interface Validators {
  ajv: Ajv2020;
  cluster: ValidateFunction;
  host: ValidateFunction;
  hostItem: ValidateFunction;
}
let validators: Validators | undefined;

/** The folder holding cluster.schema.json: found upwards from this module (works from out/, dist/ and sources). */
export function schemasDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'schemas');
    if (existsSync(path.join(candidate, 'cluster.schema.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`schemas/cluster.schema.json not found above ${__dirname}`);
    dir = parent;
  }
}

export function loadSchemas(): { cluster: Record<string, unknown>; host: Record<string, unknown> } {
  const dir = schemasDir();
  return {
    cluster: JSON.parse(readFileSync(path.join(dir, 'cluster.schema.json'), 'utf8')),
    host: JSON.parse(readFileSync(path.join(dir, 'host.schema.json'), 'utf8')),
  };
}

function compiled(): Validators {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false });
  // VS Code's JSON/YAML support reads this for pattern errors; we do too.
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  // ajv compares every pair of items unless the items schema states its type inline (a `$ref` does not
  // count): 8,000 addresses made 32 million deep comparisons per host. Same keyword, same error, linear.
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', errors: true, validate: uniqueItems });
  const { cluster, host } = loadSchemas();
  ajv.addSchema(host, 'host.schema.json');
  ajv.addSchema(cluster, 'cluster.schema.json');
  validators = {
    ajv,
    cluster: ajv.getSchema('cluster.schema.json')!,
    host: ajv.getSchema('host.schema.json')!,
    hostItem: ajv.compile({ $id: 'host-item.schema.json', $ref: 'host.schema.json', type: 'object', required: ['name'] }),
  };
  return validators;
}

/** A key equal for deep-equal JSON values (object keys sorted), for finding duplicates with a map. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return `${typeof value}:${JSON.stringify(value)}`;
}

type KeywordValidate = ((schema: boolean, data: unknown[]) => boolean) & { errors?: Partial<ErrorObject>[] };

/** `uniqueItems` in one pass: the first repeated item is reported with the index of its first occurrence. */
const uniqueItems: KeywordValidate = (schema, data) => {
  uniqueItems.errors = [];
  if (!schema) return true;
  const first = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const key = canonical(data[i]);
    const j = first.get(key);
    if (j !== undefined) {
      uniqueItems.errors = [
        { keyword: 'uniqueItems', params: { i, j }, message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)` },
      ];
      return false;
    }
    first.set(key, i);
  }
  return true;
};

const hostItemCache = new WeakMap<object, SchemaProblem[]>();

/** Schema problems of a file's data, paths relative to the file's root. */
export function schemaProblems(kind: 'cluster' | 'host', data: unknown): SchemaProblem[] {
  const v = compiled();
  if (kind === 'host') return run(v.host, data);
  if (!isRecord(data) || !Array.isArray(data.hosts)) return run(v.cluster, data);
  // The hosts are checked one by one (and cached); the rest of the file without them.
  const problems = run(v.cluster, { ...data, hosts: [] });
  data.hosts.forEach((host, i) => {
    let own = isRecord(host) ? hostItemCache.get(host) : undefined;
    if (!own) {
      own = run(v.hostItem, host);
      if (isRecord(host)) hostItemCache.set(host, own);
    }
    for (const p of own) problems.push({ ...p, path: ['hosts', i, ...p.path] });
  });
  return problems;
}

const atRef = new Map<string, ValidateFunction>();

/** Schema problems of a value against one place in the schemas, e.g. `host.schema.json#/$defs/gpu`. */
export function schemaProblemsAt(ref: string, data: unknown): SchemaProblem[] {
  let validate = atRef.get(ref);
  if (!validate) atRef.set(ref, (validate = compiled().ajv.compile({ $ref: ref })));
  return run(validate, data);
}

function run(validate: ValidateFunction, data: unknown): SchemaProblem[] {
  if (validate(data)) return [];
  return describe(validate.errors ?? [], data);
}

/** Splits a JSON pointer into segments, numbers where the data is an array. */
function toPath(pointer: string, data: unknown): Segment[] {
  if (!pointer) return [];
  const out: Segment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: Segment = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    out.push(seg);
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  return `a ${typeof v}`;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function show(v: unknown): string {
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function describe(errors: ErrorObject[], data: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  // A misspelt required key shows up twice (unknown + missing): keep the helpful one.
  const suggestedKeys = new Set<string>();
  const withPropertyName = new Set<string>();
  for (const e of errors)
    if ((e as ErrorObject & { propertyName?: string }).propertyName !== undefined) withPropertyName.add(e.instancePath);

  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const at = toPath(e.instancePath, data);
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    const allowed = Object.keys((e.parentSchema as { properties?: Record<string, unknown> })?.properties ?? {});
    const present = isRecord(e.data) ? new Set(Object.keys(e.data)) : new Set<string>();
    const suggestion = closest(
      key,
      allowed.filter((k) => !present.has(k)),
    );
    if (suggestion) suggestedKeys.add(`${e.instancePath}\u0000${suggestion}`);
    problems.push({
      path: [...at, key],
      code: 'schema.unknown-property',
      on: 'key',
      replacement: suggestion,
      message: suggestion
        ? `Unknown property '${key}' — did you mean '${suggestion}'?`
        : `Unknown property '${key}'. Allowed here: ${allowed.join(', ')}.`,
    });
  }

  for (const e of errors) {
    const at = toPath(e.instancePath, data);
    const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
    const patternMessage = (e.parentSchema as { patternErrorMessage?: string } | undefined)?.patternErrorMessage;
    switch (e.keyword) {
      case 'additionalProperties':
        break;
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        if (suggestedKeys.has(`${e.instancePath}\u0000${missing}`)) break;
        problems.push({
          path: at,
          code: 'schema.required',
          on: at.length && typeof at[at.length - 1] === 'string' ? 'key' : 'first-line',
          message: `Missing required property '${missing}'.`,
        });
        break;
      }
      case 'type': {
        const want = String((e.params as { type: string }).type)
          .split(',')
          .map((t) => TYPE_WORDS[t] ?? t)
          .join(' or ');
        problems.push({
          path: at,
          code: 'schema.type',
          on: 'value',
          message: `Expected ${want}, got ${typeOf(e.data)}${typeof e.data === 'object' || e.data === undefined ? '' : ` (${show(e.data)})`}.`,
        });
        break;
      }
      case 'enum': {
        const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
        const suggestion = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
        problems.push({
          path: at,
          code: 'schema.enum',
          on: 'value',
          replacement: suggestion,
          message: `${show(e.data)} is not allowed${suggestion ? ` — did you mean '${suggestion}'?` : '.'} Allowed: ${allowed.join(', ')}.`,
        });
        break;
      }
      case 'pattern': {
        if (propertyName !== undefined) {
          problems.push({
            path: [...at, propertyName],
            code: 'schema.pattern',
            on: 'key',
            message: `${patternMessage ?? `Key '${propertyName}' does not match ${(e.params as { pattern: string }).pattern}.`}`,
          });
        } else {
          problems.push({
            path: at,
            code: 'schema.pattern',
            on: 'value',
            message: `${show(e.data)}: ${patternMessage ?? `does not match the pattern ${(e.params as { pattern: string }).pattern}.`}`,
          });
        }
        break;
      }
      case 'propertyNames':
        if (!withPropertyName.has(e.instancePath))
          problems.push({ path: at, code: 'schema.pattern', on: 'value', message: 'A key here has an invalid name.' });
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const p = e.params as { comparison: string; limit: number };
        problems.push({
          path: at,
          code: 'schema.range',
          on: 'value',
          message: `${show(e.data)} is out of range: must be ${p.comparison} ${p.limit}.`,
        });
        break;
      }
      case 'minItems':
      case 'maxItems':
      case 'minLength':
      case 'maxLength':
      case 'minProperties':
      case 'maxProperties': {
        const limit = (e.params as { limit: number }).limit;
        const what = e.keyword.endsWith('Items') ? 'item' : e.keyword.endsWith('Length') ? 'character' : 'property';
        const more = e.keyword.startsWith('min');
        problems.push({
          path: at,
          code: 'schema.length',
          on: 'value',
          message: `Must have at ${more ? 'least' : 'most'} ${limit} ${what}${limit === 1 ? '' : 's'}.`,
        });
        break;
      }
      case 'uniqueItems': {
        const { i, j } = e.params as { i: number; j: number };
        const later = Math.max(i, j);
        problems.push({
          path: [...at, later],
          code: 'schema.duplicate-item',
          on: 'value',
          message: `Duplicate ${show((e.data as unknown[])[later])}: the same value is item ${Math.min(i, j) + 1} of this list.`,
        });
        break;
      }
      default:
        problems.push({ path: at, code: 'schema.invalid', on: 'value', message: `${e.message ?? 'Invalid value'}.` });
    }
  }
  return problems;
}

/** Places schema problems in a file: the deepest existing node on the path, then key, value or first line. */
export function schemaDiagnostics(file: ParsedSpecFile, problems: readonly SchemaProblem[]): SpecDiagnostic[] {
  return problems.map((p) => {
    const placed = place(file, p.path, p.on);
    const d: SpecDiagnostic = { uri: file.uri, range: placed.range, severity: 'error', code: p.code, message: p.message };
    if (p.replacement !== undefined && placed.exact && placed.target) d.fixes = [replaceFix(file, placed.target, p.replacement)];
    return d;
  });
}
