// References by name: tags declared in cluster.tags, ssh.jump hosts (and jump chains that end), interfaces named
// by k3s and the firewall.

import { isRecord } from '../../spec/workspace';
import type { DiagnosticCode } from '../report/codes';
import { didYouMean, type HostInfo, type Path, type Rule } from './rule';

/** What a host names: its tags, its jump host, its own k3s interface. */
export const hostReferences: Rule = {
  name: 'references.hosts',
  needs: 'model',
  codes: ['tag.unknown', 'ssh.jump-to-self', 'ssh.unknown-jump-host', 'k3s.unknown-interface'],
  check({ hosts, tags, haveCluster, complete, report: r }) {
    for (const info of hosts.values()) {
      const { entry, name } = info;
      const host = entry.host;
      const file = entry.file;
      const base = entry.path;

      if (haveCluster && Array.isArray(host.tags))
        host.tags.forEach((tag, i) => {
          if (typeof tag !== 'string' || tags.has(tag)) return;
          const s = r.suggest(tag, () => tags);
          r.report(file, [...base, 'tags', i], 'value', 'tag.unknown', `Tag '${tag}' is not declared in cluster.tags${didYouMean(s)}`, {
            replacement: s,
          });
        });

      const jump = isRecord(host.ssh) ? host.ssh.jump : undefined;
      if (typeof jump === 'string') {
        if (jump === name)
          r.report(file, [...base, 'ssh', 'jump'], 'value', 'ssh.jump-to-self', `Host '${name}' cannot jump through itself.`);
        else if (!hosts.has(jump) && complete) {
          const s = r.suggest(jump, () => hosts.keys());
          r.report(
            file,
            [...base, 'ssh', 'jump'],
            'value',
            'ssh.unknown-jump-host',
            `Jump host '${jump}' is not a host of this cluster${didYouMean(s)}`,
            { replacement: s },
          );
        }
      }

      const k3sIface = isRecord(host.k3s) ? host.k3s.interface : undefined;
      if (typeof k3sIface === 'string' && !info.interfaces.has(k3sIface)) {
        const s = r.suggest(k3sIface, () => info.interfaces.keys());
        r.report(
          file,
          [...base, 'k3s', 'interface'],
          'value',
          'k3s.unknown-interface',
          `Host '${name}' has no interface '${k3sIface}'${didYouMean(s)}`,
          { replacement: s },
        );
      }
    }
  },
};

/** ssh.jump chains must end at a host reached directly; each cycle is reported once, on its first host. */
export const jumpCycles: Rule = {
  name: 'references.jump-cycles',
  needs: 'model',
  codes: ['ssh.jump-cycle'],
  check({ hosts, report: r }) {
    const jumpOf = (h: HostInfo) =>
      isRecord(h.entry.host.ssh) && typeof h.entry.host.ssh.jump === 'string' ? h.entry.host.ssh.jump : undefined;
    const state = new Map<string, 'visiting' | 'done'>();
    for (const start of hosts.values()) {
      const chain: HostInfo[] = [];
      let current: HostInfo | undefined = start;
      while (current && !state.has(current.name)) {
        state.set(current.name, 'visiting');
        chain.push(current);
        const next = jumpOf(current);
        current = next !== undefined && next !== current.name ? hosts.get(next) : undefined;
      }
      if (current && state.get(current.name) === 'visiting') {
        const cycle = chain.slice(chain.indexOf(current));
        if (cycle.length > 1) {
          const names = [...cycle.map((h) => h.name), current.name].join(' → ');
          r.report(
            current.entry.file,
            [...current.entry.path, 'ssh', 'jump'],
            'value',
            'ssh.jump-cycle',
            `ssh.jump goes round in a circle: ${names}.`,
          );
        }
      }
      for (const h of chain) state.set(h.name, 'done');
    }
  },
};

/** What the cluster file names: interfaces for k3s and the firewall, tags of checkpoint policies. */
export const clusterReferences: Rule = {
  name: 'references.cluster',
  needs: 'complete',
  codes: ['k3s.unknown-interface', 'security.unknown-interface', 'tag.unknown'],
  check({ clusterFile, cluster, hosts, tags, report: r }) {
    const file = clusterFile!;
    const allInterfaces = () => {
      const names = new Set<string>();
      for (const h of hosts.values()) for (const n of h.interfaces.keys()) names.add(n);
      return names;
    };
    let known: Set<string> | undefined;
    const checkInterfaceList = (list: unknown, path: Path, code: DiagnosticCode, what: string) => {
      if (!Array.isArray(list)) return;
      list.forEach((name, i) => {
        if (typeof name !== 'string') return;
        known ??= allInterfaces();
        if (known.has(name)) return;
        const s = r.suggest(name, () => known!);
        r.report(file, [...path, i], 'value', code, `No host has an interface '${name}' (${what})${didYouMean(s)}`, { replacement: s });
      });
    };
    checkInterfaceList(cluster!.k3s?.interfaces, ['k3s', 'interfaces'], 'k3s.unknown-interface', 'k3s.interfaces');
    checkInterfaceList(
      cluster!.security?.firewall?.trustedInterfaces,
      ['security', 'firewall', 'trustedInterfaces'],
      'security.unknown-interface',
      'trustedInterfaces',
    );

    const policies = Array.isArray(cluster!.checkpoints?.policies) ? cluster!.checkpoints!.policies! : [];
    policies.forEach((p, i) => {
      if (!isRecord(p) || !Array.isArray(p.tags)) return;
      p.tags.forEach((tag, j) => {
        if (typeof tag !== 'string' || tags.has(tag)) return;
        const s = r.suggest(tag, () => tags);
        r.report(
          file,
          ['checkpoints', 'policies', i, 'tags', j],
          'value',
          'tag.unknown',
          `Tag '${tag}' is not declared in cluster.tags${didYouMean(s)}`,
          { replacement: s },
        );
      });
    });
  },
};
