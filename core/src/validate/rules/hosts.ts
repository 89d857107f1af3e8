// Hosts: unique names (in any file), host files named like their host, interfaces unique per host, and
// addresses used by one host only.

import type { HostEntry } from '../../spec/model';
import { addressKey, parseAddress, parseCidr } from '../../spec/net';
import { fileStem, isRecord } from '../../spec/workspace';
import type { Path, Rule } from './rule';

/** As in host.schema.json: what NixOS accepts as networking.hostName. */
const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const hostNames: Rule = {
  name: 'hosts.names',
  needs: 'model',
  codes: ['host.duplicate-name', 'host.invalid-file-name', 'host.file-name-mismatch', 'interface.duplicate-name'],
  check({ entries, hosts, report: r }) {
    for (const entry of entries) {
      const name = entry.host.name;
      if (typeof name !== 'string') continue;
      const first = hosts.get(name)!;
      if (first.entry !== entry) {
        r.report(
          entry.file,
          [...entry.path, 'name'],
          'value',
          'host.duplicate-name',
          `Host name '${name}' is already used${first.entry.file === entry.file ? '' : ` in ${fileStem(first.entry.file.uri)}.yaml`}; host names must be unique.`,
          { related: [{ file: first.entry.file, path: [...first.entry.path, 'name'], message: `first '${name}'` }] },
        );
        continue;
      }
      if (entry.nameFromFile && !HOST_NAME.test(name)) {
        r.report(
          entry.file,
          [],
          'first-line',
          'host.invalid-file-name',
          `The host takes its name from this file, but '${name}' is not a valid host name (lowercase letters, digits and '-'); rename the file or set 'name'.`,
        );
      }
      if (entry.index === undefined && !entry.nameFromFile && fileStem(entry.file.uri) !== name) {
        r.report(
          entry.file,
          ['name'],
          'value',
          'host.file-name-mismatch',
          `This file is ${fileStem(entry.file.uri)}.yaml but names the host '${name}'; rename one so they match.`,
        );
      }
      const list = Array.isArray(entry.host.interfaces) ? entry.host.interfaces : [];
      list.forEach((iface, index) => {
        if (!isRecord(iface) || typeof iface.name !== 'string' || first.interfaces.get(iface.name)!.index === index) return;
        r.report(
          entry.file,
          [...entry.path, 'interfaces', index, 'name'],
          'value',
          'interface.duplicate-name',
          `Interface '${iface.name}' is defined twice on host '${name}'.`,
        );
      });
    }
  },
};

/** Host addresses and interface addresses must not be used by two hosts (or twice). */
export const hostAddresses: Rule = {
  name: 'hosts.addresses',
  needs: 'model',
  codes: ['host.duplicate-address'],
  check({ entries, report: r }) {
    // where an address is written: host addresses[i] (iface -1) or interfaces[iface].addresses[i]
    type Where = { entry: HostEntry; iface: number; i: number };
    const pathOf = (w: Where): Path =>
      w.iface < 0 ? [...w.entry.path, 'addresses', w.i] : [...w.entry.path, 'interfaces', w.iface, 'addresses', w.i];
    const seen = new Map<string, Where>();
    for (const entry of entries) {
      const host = entry.host;
      const own = new Set<string>();
      const check = (text: unknown, iface: number, i: number) => {
        if (typeof text !== 'string') return;
        const parsed = iface >= 0 ? parseCidr(text) : parseAddress(text);
        if (!parsed) return; // DNS names and malformed addresses: the schema speaks for those
        const key = addressKey(parsed);
        const first = seen.get(key);
        const here = { entry, iface, i };
        if (first && first.entry !== entry) {
          r.report(
            entry.file,
            pathOf(here),
            'value',
            'host.duplicate-address',
            `Address ${text.replace(/\/.*/, '')} is already used by host '${first.entry.host.name}'.`,
            { related: [{ file: first.entry.file, path: pathOf(first), message: `used by '${first.entry.host.name}'` }] },
          );
        } else if (!first) seen.set(key, here);
        else if (iface < 0 && own.has(key))
          r.report(entry.file, pathOf(here), 'value', 'host.duplicate-address', `Address ${text} is listed twice.`);
        if (iface < 0) own.add(key);
      };
      if (Array.isArray(host.addresses)) host.addresses.forEach((a, i) => check(a, -1, i));
      if (Array.isArray(host.interfaces))
        host.interfaces.forEach((iface, k) => {
          if (isRecord(iface) && Array.isArray(iface.addresses)) iface.addresses.forEach((a, i) => check(a, k, i));
        });
    }
  },
};
