// The spec schemas as a navigator, for completion and hover (validation compiles them separately).

import { loadSchemas } from '#core/validate';
import { SchemaNavigator, type SpecFileKind } from '#core/spec';

export function loadSpecSchemas(): SchemaNavigator {
  const { cluster, host } = loadSchemas();
  return new SchemaNavigator({ 'cluster.schema.json': cluster, 'host.schema.json': host });
}

export function schemaFileOf(kind: SpecFileKind): string {
  return kind === 'cluster' ? 'cluster.schema.json' : 'host.schema.json';
}
