// The network: segments (unique, subnets and gateways that make sense), each host's interfaces (bonds, VLANs,
// the segment they are on and their addresses in it), and links between interfaces of hosts.

import { hasHostBits, parseAddress, parseCidr, subnetContains, type ParsedCidr } from '../../spec/net';
import { isRecord, splitEndpoint } from '../../spec/workspace';
import { didYouMean, type Path, type Rule } from './rule';

export const segments: Rule = {
  name: 'network.segments',
  needs: 'cluster',
  codes: ['network.duplicate-segment', 'network.subnet-host-bits', 'network.gateway-outside-segment'],
  check({ clusterFile, cluster, segments, report: r }) {
    const file = clusterFile!;
    const list = Array.isArray(cluster!.network?.segments) ? cluster!.network!.segments! : [];
    list.forEach((seg, index) => {
      if (!isRecord(seg) || typeof seg.name !== 'string') return;
      const at: Path = ['network', 'segments', index];
      if (segments.get(seg.name)!.index !== index) {
        r.report(file, [...at, 'name'], 'value', 'network.duplicate-segment', `Segment '${seg.name}' is defined twice.`);
        return;
      }
      const cidr = parseCidr(seg.subnet);
      if (cidr && hasHostBits(cidr)) {
        r.report(
          file,
          [...at, 'subnet'],
          'value',
          'network.subnet-host-bits',
          `Subnet ${seg.subnet} has host bits set; the network address is meant (e.g. ${networkText(seg.subnet, cidr)}).`,
        );
      }
      if (cidr && typeof seg.gateway === 'string') {
        const gw = parseAddress(seg.gateway);
        if (gw && !subnetContains(cidr, gw))
          r.report(
            file,
            [...at, 'gateway'],
            'value',
            'network.gateway-outside-segment',
            `Gateway ${seg.gateway} is not in segment '${seg.name}' (${seg.subnet}).`,
          );
      }
    });
  },
};

function networkText(subnet: string, cidr: ParsedCidr): string {
  if (cidr.family !== 4) return subnet.replace(/\/.*/, `/${cidr.prefix}`);
  const m = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - cidr.prefix)) - 1n);
  const v = cidr.value & m;
  return `${[24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.')}/${cidr.prefix}`;
}

/** Each host's interfaces: bonds and their members, VLANs and their parents, the segment and the addresses on it. */
export const interfaces: Rule = {
  name: 'network.interfaces',
  needs: 'model',
  codes: [
    'interface.bond-without-members',
    'interface.members-not-bond',
    'interface.unknown-member',
    'interface.vlan-incomplete',
    'interface.vlan-fields-not-vlan',
    'interface.unknown-parent',
    'network.vlan-mismatch',
    'network.unknown-segment',
    'network.address-outside-segment',
    'network.prefix-mismatch',
  ],
  check({ hosts, segments, haveCluster, report: r }) {
    for (const info of hosts.values()) {
      const { entry, name } = info;
      const file = entry.file;
      const base = entry.path;
      for (const { iface, index } of info.interfaces.values()) {
        const at: Path = [...base, 'interfaces', index];
        if (iface.kind === 'bond' && !(Array.isArray(iface.members) && iface.members.length)) {
          r.report(
            file,
            [...at, 'name'],
            'value',
            'interface.bond-without-members',
            `Bond '${iface.name}' needs 'members': the interfaces it bonds.`,
          );
        }
        if (iface.kind !== 'bond' && iface.members !== undefined) {
          r.report(
            file,
            [...at, 'members'],
            'key',
            'interface.members-not-bond',
            `'members' only applies to bonds; '${iface.name}' is ${iface.kind}.`,
          );
        }
        if (Array.isArray(iface.members))
          iface.members.forEach((m, j) => {
            if (typeof m !== 'string') return;
            if (m === iface.name) {
              r.report(file, [...at, 'members', j], 'value', 'interface.unknown-member', `Bond '${iface.name}' cannot contain itself.`);
            } else if (!info.interfaces.has(m)) {
              const s = r.suggest(m, () => [...info.interfaces.keys()].filter((n) => n !== iface.name));
              r.report(
                file,
                [...at, 'members', j],
                'value',
                'interface.unknown-member',
                `Bond member '${m}' is not an interface of host '${name}'${didYouMean(s)}`,
                { replacement: s },
              );
            }
          });
        if (iface.kind === 'vlan') {
          if (iface.parent === undefined || iface.vlanId === undefined) {
            const missing = [iface.parent === undefined ? "'parent'" : '', iface.vlanId === undefined ? "'vlanId'" : '']
              .filter(Boolean)
              .join(' and ');
            r.report(file, [...at, 'name'], 'value', 'interface.vlan-incomplete', `VLAN '${iface.name}' needs ${missing}.`);
          }
        } else if (iface.parent !== undefined || iface.vlanId !== undefined) {
          r.report(
            file,
            [...at, iface.parent !== undefined ? 'parent' : 'vlanId'],
            'key',
            'interface.vlan-fields-not-vlan',
            `'parent' and 'vlanId' only apply to VLAN interfaces; '${iface.name}' is ${iface.kind}.`,
          );
        }
        if (typeof iface.parent === 'string' && (iface.parent === iface.name || !info.interfaces.has(iface.parent))) {
          const s =
            iface.parent === iface.name
              ? undefined
              : r.suggest(iface.parent, () => [...info.interfaces.keys()].filter((n) => n !== iface.name));
          r.report(
            file,
            [...at, 'parent'],
            'value',
            'interface.unknown-parent',
            iface.parent === iface.name
              ? `VLAN '${iface.name}' cannot be its own parent.`
              : `VLAN parent '${iface.parent}' is not an interface of host '${name}'${didYouMean(s)}`,
            { replacement: s },
          );
        }
        if (typeof iface.segment === 'string') {
          const seg = segments.get(iface.segment);
          if (seg?.vlan !== undefined && iface.kind === 'vlan' && typeof iface.vlanId === 'number' && iface.vlanId !== seg.vlan) {
            r.report(
              file,
              [...at, 'vlanId'],
              'value',
              'network.vlan-mismatch',
              `VLAN '${iface.name}' has id ${iface.vlanId} but segment '${iface.segment}' is VLAN ${seg.vlan} — did you mean ${seg.vlan}?`,
              { replacement: String(seg.vlan) },
            );
          }
          if (!seg) {
            if (haveCluster) {
              const s = r.suggest(iface.segment, () => segments.keys());
              r.report(
                file,
                [...at, 'segment'],
                'value',
                'network.unknown-segment',
                `Segment '${iface.segment}' is not defined in network.segments${didYouMean(s)}`,
                { replacement: s },
              );
            }
          } else if (seg.cidr && Array.isArray(iface.addresses)) {
            iface.addresses.forEach((a, j) => {
              const cidr = parseCidr(a);
              if (!cidr) return;
              if (!subnetContains(seg.cidr!, cidr)) {
                r.report(
                  file,
                  [...at, 'addresses', j],
                  'value',
                  'network.address-outside-segment',
                  `${a} is outside segment '${iface.segment}' (${networkText('', seg.cidr!)}).`,
                );
              } else if (cidr.prefix !== seg.cidr!.prefix) {
                r.report(
                  file,
                  [...at, 'addresses', j],
                  'value',
                  'network.prefix-mismatch',
                  `${a} has prefix /${cidr.prefix} but segment '${iface.segment}' is /${seg.cidr!.prefix}.`,
                );
              }
            });
          }
        }
      }
    }
  },
};

export const links: Rule = {
  name: 'network.links',
  needs: 'complete',
  codes: [
    'network.link-unknown-host',
    'network.link-unknown-interface',
    'network.link-kind-mismatch',
    'network.link-rdma-mismatch',
    'network.link-to-itself',
  ],
  check({ clusterFile, cluster, hosts, report: r }) {
    const file = clusterFile!;
    const links = Array.isArray(cluster!.network?.links) ? cluster!.network!.links! : [];
    links.forEach((link, i) => {
      if (!isRecord(link)) return;
      for (const end of ['from', 'to'] as const) {
        const text = link[end];
        const colon = typeof text === 'string' ? text.indexOf(':') : -1;
        if (colon < 0) continue; // not host:iface: the schema reports it
        const hostName = (text as string).slice(0, colon);
        const ifaceName = (text as string).slice(colon + 1);
        // ranges are looked up only for a problem: valid links (the common case) cost no position work
        const parts = () => {
          const loc = file.locate(['network', 'links', i, end]);
          return loc && splitEndpoint(file, loc.value, text as string);
        };
        const host = hosts.get(hostName);
        if (!host) {
          const s = r.suggest(hostName, () => hosts.keys());
          const p = parts();
          if (p)
            r.reportAt(
              file,
              p.hostRange,
              'network.link-unknown-host',
              `Link ${end} '${text}': there is no host '${hostName}'${didYouMean(s)}`,
              s,
            );
          continue;
        }
        const iface = host.interfaces.get(ifaceName);
        if (!iface) {
          const s = r.suggest(ifaceName, () => host.interfaces.keys());
          const p = parts();
          if (p)
            r.reportAt(
              file,
              p.ifaceRange,
              'network.link-unknown-interface',
              `Link ${end} '${text}': host '${hostName}' has no interface '${ifaceName}'${didYouMean(s)}`,
              s,
            );
          continue;
        }
        if (link.kind === 'thunderbolt' && iface.iface.kind !== 'thunderbolt') {
          r.report(
            file,
            ['network', 'links', i, end],
            'value',
            'network.link-kind-mismatch',
            `This is a thunderbolt link but '${text}' is a ${iface.iface.kind} interface.`,
          );
        }
        if (link.rdma === true && iface.iface.rdma !== true) {
          r.report(
            file,
            ['network', 'links', i, end],
            'value',
            'network.link-rdma-mismatch',
            `The link carries RDMA but interface '${text}' does not set rdma: true.`,
          );
        }
      }
      if (typeof link.from === 'string' && link.from === link.to) {
        r.report(file, ['network', 'links', i, 'to'], 'value', 'network.link-to-itself', `A link cannot connect '${link.from}' to itself.`);
      }
    });
  },
};
