// NATS: exactly one hub, which the agents and the extension connect to.

import type { Path, Rule } from './rule';
import { rolePath, withRole } from './rule';

export const natsHub: Rule = {
  name: 'nats.hub',
  needs: 'complete',
  codes: ['nats.no-hub', 'nats.multiple-hubs'],
  check({ clusterFile, spec, entries, report: r }) {
    const file = clusterFile!;
    if (!entries.length) return;
    const hubs = withRole(spec, entries, 'nats-hub');
    if (hubs.length === 0) {
      const at: Path = file.locate(['nats']) ? ['nats'] : file.locate(['hosts']) ? ['hosts'] : ['cluster'];
      r.report(
        file,
        at,
        'key',
        'nats.no-hub',
        'No host has the role nats-hub: exactly one host must run the NATS hub that agents and the extension connect to.',
      );
      return;
    }
    for (const extra of hubs.slice(1)) {
      const at = rolePath(extra, 'nats-hub', file, spec);
      const first = rolePath(hubs[0], 'nats-hub', file, spec);
      r.report(
        at.file,
        at.path,
        'value',
        'nats.multiple-hubs',
        `Host '${extra.host.name}' is a second NATS hub ('${hubs[0].host.name}' is one already); make it a nats-leaf.`,
        { replacement: 'nats-leaf', related: [{ file: first.file, path: first.path, message: `hub '${hubs[0].host.name}'` }] },
      );
    }
  },
};
