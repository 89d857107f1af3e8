// hosts/<name>/disko.nix: the disk layout nixos-anywhere partitions and formats, from the spec's disks.
// The `os` disk gets an EFI system partition, optional swap and the root file system; `data` disks one
// file system at their mount point. ZFS disks get a pool each.

import type { DiskSpec } from '../spec/types';
import type { HostPlan } from './plan';
import { nixValue, type NixValue } from '../nix/emit';

export interface DiskoResult {
  text: string;
  usesZfs: boolean;
  hasRoot: boolean;
  warnings: string[];
}

function diskNames(disks: readonly DiskSpec[]): string[] {
  const used = new Map<string, number>();
  return disks.map((d) => {
    const base = (d.device.split('/').pop() || 'disk').replace(/[^A-Za-z0-9_-]/g, '_');
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}

function fsContent(layout: DiskSpec['layout'], mountpoint: string, pool: string): NixValue {
  switch (layout) {
    case 'btrfs':
      return {
        type: 'btrfs',
        extraArgs: ['-f'],
        subvolumes:
          mountpoint === '/'
            ? {
                '/root': { mountpoint: '/', mountOptions: ['compress=zstd', 'noatime'] },
                '/nix': { mountpoint: '/nix', mountOptions: ['compress=zstd', 'noatime'] },
              }
            : { '/data': { mountpoint, mountOptions: ['compress=zstd', 'noatime'] } },
      };
    case 'zfs':
      return { type: 'zfs', pool };
    default:
      return { type: 'filesystem', format: layout, mountpoint, mountOptions: ['noatime'] };
  }
}

export function renderDisko(host: HostPlan, header: string): DiskoResult | undefined {
  if (host.disks.length === 0) return undefined;
  const warnings: string[] = [];
  const names = diskNames(host.disks);
  const disk: Record<string, NixValue> = {};
  const zpool: Record<string, NixValue> = {};
  let hasRoot = false;
  host.disks.forEach((d, index) => {
    const name = names[index];
    const isOs = (d.role ?? (index === 0 ? 'os' : 'data')) === 'os' && !hasRoot;
    let mountpoint = isOs ? '/' : d.mountpoint;
    if (!mountpoint) {
      mountpoint = `/srv/${name}`;
      warnings.push(`${host.name}: data disk ${d.device} has no mountpoint; mounting it at ${mountpoint}.`);
    }
    const pool = isOs ? 'zroot' : `z${name}`;
    const partitions: Record<string, NixValue> = {};
    if (isOs) {
      partitions.ESP = {
        size: `${d.espSizeMB ?? 1024}M`,
        type: 'EF00',
        content: { type: 'filesystem', format: 'vfat', mountpoint: '/boot', mountOptions: ['umask=0077'] },
      };
    }
    if (d.swapGB) partitions.swap = { size: `${d.swapGB}G`, content: { type: 'swap', discardPolicy: 'both' } };
    partitions[isOs ? 'root' : 'data'] = { size: '100%', content: fsContent(d.layout, mountpoint, pool) };
    disk[name] = { type: 'disk', device: d.device, content: { type: 'gpt', partitions } };
    if (d.layout === 'zfs') {
      zpool[pool] = {
        type: 'zpool',
        rootFsOptions: { compression: 'zstd', acltype: 'posixacl', xattr: 'sa', 'com.sun:auto-snapshot': 'false' },
        options: { ashift: '12' },
        datasets: isOs
          ? {
              root: { type: 'zfs_fs', mountpoint: '/', options: { mountpoint: 'legacy' } },
              nix: { type: 'zfs_fs', mountpoint: '/nix', options: { mountpoint: 'legacy' } },
            }
          : { data: { type: 'zfs_fs', mountpoint, options: { mountpoint: 'legacy' } } },
      };
    }
    hasRoot ||= isOs;
  });
  if (!hasRoot) warnings.push(`${host.name}: no disk has role "os"; set fileSystems."/" in hosts/${host.name}/custom.nix.`);
  const devices: NixValue = Object.keys(zpool).length ? { disk, zpool } : { disk };
  const text = `${header}\n{\n  disko.devices = ${nixValue(devices, '  ')};\n}\n`;
  return { text, usesZfs: Object.keys(zpool).length > 0, hasRoot, warnings };
}
