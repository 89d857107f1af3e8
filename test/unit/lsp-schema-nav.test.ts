// Schema navigation over the real spec schemas: the subschemas, keys and docs completion and hover use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaNavigator, type JsonSchemaObject } from '../../core/src/spec/schemaNav';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const load = (name: string) => JSON.parse(readFileSync(path.join(root, 'schemas', name), 'utf8')) as JsonSchemaObject;
const nav = new SchemaNavigator({ 'cluster.schema.json': load('cluster.schema.json'), 'host.schema.json': load('host.schema.json') });

test('top-level keys of cluster.yaml, with required ones marked', () => {
  const props = nav.properties(nav.root('cluster.schema.json'));
  const names = props.map((p) => p.name);
  for (const key of ['cluster', 'network', 'hosts', 'nats', 'exo']) assert.ok(names.includes(key), key);
  assert.equal(props.find((p) => p.name === 'cluster')?.required, true);
  assert.equal(props.find((p) => p.name === 'hosts')?.required, false);
});

test('a host item in cluster.yaml follows the $ref into host.schema.json', () => {
  const host = nav.at('cluster.schema.json', ['hosts', 3]);
  const props = nav.properties(host);
  assert.ok(props.some((p) => p.name === 'interfaces'));
  // the sibling `required: [name]` next to the $ref applies too
  assert.equal(props.find((p) => p.name === 'name')?.required, true);
  assert.deepEqual(nav.properties(nav.root('host.schema.json')).find((p) => p.name === 'name')?.required, false);
});

test('enum values and descriptions deep inside, through $defs', () => {
  const kind = nav.facts(nav.at('cluster.schema.json', ['hosts', 0, 'interfaces', 2, 'kind']));
  assert.ok(kind.enum.includes('thunderbolt'));
  assert.ok(kind.description && kind.description.length > 10);
  const vendor = nav.facts(nav.at('host.schema.json', ['hardware', 'gpus', 0, 'vendor']));
  assert.deepEqual([...vendor.enum].sort(), ['amd', 'apple', 'intel', 'nvidia']);
  const sharding = nav.facts(nav.at('cluster.schema.json', ['exo', 'models', 0, 'sharding']));
  assert.equal(sharding.default, 'pipeline');
});

test('a description next to a $ref wins over the referenced one', () => {
  const system = nav.at('host.schema.json', ['system']);
  assert.match(nav.facts(system).description ?? '', /defaults to `cluster.system`/);
  assert.ok(nav.facts(system).enum.includes('aarch64-darwin'));
});

test('unknown keys lead nowhere; free-form maps use additionalProperties', () => {
  assert.deepEqual(nav.at('cluster.schema.json', ['nope', 'deeper']), []);
  const label = nav.facts(nav.at('host.schema.json', ['labels', 'rack']));
  assert.deepEqual(label.types, ['string']);
});
