// Ports: two services (exo, NATS, k3s) configured on the same TCP port.

import { exoPorts, natsPorts } from '../../spec/resolve';
import type { Path, Rule } from './rule';

export const ports: Rule = {
  name: 'ports.collisions',
  needs: 'cluster',
  codes: ['ports.collision'],
  check({ clusterFile, spec, report: r }) {
    const file = clusterFile!;
    const exo = exoPorts(spec);
    const nats = natsPorts(spec);
    const tcp: { name: string; port: number; path: Path }[] = [
      { name: 'exo.ports.api', port: exo.api, path: ['exo', 'ports', 'api'] },
      { name: 'exo.ports.zenoh', port: exo.zenoh, path: ['exo', 'ports', 'zenoh'] },
      { name: 'nats.ports.client', port: nats.client, path: ['nats', 'ports', 'client'] },
      { name: 'nats.ports.leafnode', port: nats.leafnode, path: ['nats', 'ports', 'leafnode'] },
      { name: 'nats.ports.monitoring', port: nats.monitoring, path: ['nats', 'ports', 'monitoring'] },
      { name: 'nats.ports.cluster', port: nats.cluster, path: ['nats', 'ports', 'cluster'] },
    ];
    if (spec.k3s?.enable) tcp.push({ name: 'k3s API server (6443)', port: 6443, path: ['k3s', 'enable'] });
    const seen = new Map<number, { name: string; path: Path }>();
    for (const p of tcp) {
      if (typeof p.port !== 'number') continue;
      const first = seen.get(p.port);
      if (!first) {
        seen.set(p.port, p);
        continue;
      }
      // both ends where they are written (a default is not in the file: then the other end only)
      const ends = [p, first].filter((end) => file.locate(end.path));
      for (const end of ends.length ? ends : [p]) {
        const other = end === p ? first : p;
        r.report(
          file,
          end.path,
          'value',
          'ports.collision',
          `Port ${p.port} of ${end.name} is also used by ${other.name}.`,
          ends.length === 2 ? { related: [{ file, path: other.path, message: `${other.name}: ${p.port}` }] } : undefined,
        );
      }
    }
  },
};
