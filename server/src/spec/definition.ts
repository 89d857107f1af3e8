// Go to definition of hosts, interfaces, segments and tags, across cluster.yaml and hosts/*.yaml.

import type { Location, Position } from 'vscode-languageserver/node';
import type { SpecSnapshot } from '#core/validate';
import { toLocation } from './convert';

export function specDefinition(snapshot: SpecSnapshot, uri: string, position: Position): Location[] | null {
  const hit = snapshot.model.symbols.at(uri, position);
  if (!hit) return null;
  const { symbol } = hit;
  if (symbol.kind === 'interface' && symbol.host === undefined) {
    // An unscoped interface name (k3s.interfaces, trustedInterfaces) means that name on every host.
    const all = snapshot.model.symbols.definitionsOf('interface').filter((d) => d.name === symbol.name);
    return all.length ? all.map(toLocation) : null;
  }
  return hit.definition ? [toLocation(hit.definition)] : null;
}
