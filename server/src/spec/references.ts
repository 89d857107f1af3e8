// Find references of hosts, interfaces, segments and tags, across cluster.yaml and hosts/*.yaml.

import type { Location, Position } from 'vscode-languageserver/node';
import type { SpecSnapshot } from '#core/validate';
import { toLocation } from './convert';

export function specReferences(snapshot: SpecSnapshot, uri: string, position: Position, includeDeclaration: boolean): Location[] | null {
  const hit = snapshot.model.symbols.at(uri, position);
  if (!hit) return null;
  const symbols = includeDeclaration && hit.definition ? [hit.definition, ...hit.references] : hit.references;
  return symbols.map(toLocation);
}
