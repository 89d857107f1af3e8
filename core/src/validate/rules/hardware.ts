// Hardware: GPUs against the catalogue, and disks: facts about a host's hardware the schema cannot know.

import { findGpu, gpuMemoryVariants } from '../../catalog/gpus';
import { isRecord } from '../../spec/workspace';
import { didYouMean, type Path, type Rule } from './rule';

/** How far a stated vramGB may be from the catalogue's (GiB vs GB, memory reserved by the driver). */
const VRAM_TOLERANCE = 0.1;

export const hardware: Rule = {
  name: 'hardware.gpus-and-disks',
  needs: 'model',
  codes: ['disk.multiple-os-disks', 'disk.data-without-mountpoint', 'gpu.unknown-model', 'gpu.vendor-mismatch', 'gpu.vram-mismatch'],
  check({ entries, report: r }) {
    for (const entry of entries) {
      const disks = Array.isArray(entry.host.disks) ? entry.host.disks : [];
      let osDisk: number | undefined;
      disks.forEach((d, i) => {
        if (!isRecord(d)) return;
        const at: Path = [...entry.path, 'disks', i];
        if ((d.role ?? 'os') === 'os') {
          if (osDisk !== undefined)
            r.report(
              entry.file,
              [...at, 'role'],
              'value',
              'disk.multiple-os-disks',
              `Host '${entry.host.name}' already has an os disk (disk ${osDisk + 1}); set role: data on this one.`,
              { replacement: d.role ? 'data' : undefined },
            );
          else osDisk = i;
        } else if (d.role === 'data' && d.mountpoint === undefined) {
          r.report(entry.file, [...at, 'role'], 'value', 'disk.data-without-mountpoint', `Data disk ${d.device} needs a 'mountpoint'.`);
        }
      });
      const gpus = Array.isArray(entry.host.hardware?.gpus) ? entry.host.hardware!.gpus! : [];
      gpus.forEach((g, i) => {
        if (!isRecord(g) || typeof g.model !== 'string') return;
        const info = findGpu(g.model);
        const at: Path = [...entry.path, 'hardware', 'gpus', i];
        if (!info) {
          r.report(
            entry.file,
            [...at, 'model'],
            'value',
            'gpu.unknown-model',
            `GPU '${g.model}' is not in the catalogue; set vramGB${g.vendor === 'nvidia' ? ' and computeCapability' : ''} yourself.`,
          );
        } else {
          if (typeof g.vendor === 'string' && g.vendor !== info.vendor) {
            r.report(
              entry.file,
              [...at, 'vendor'],
              'value',
              'gpu.vendor-mismatch',
              `${info.model} is not an ${g.vendor} GPU${didYouMean(info.vendor)}`,
              { replacement: info.vendor },
            );
          }
          // Apple's figure is the largest configuration; the host's own is hardware.memoryGB
          if (typeof g.vramGB === 'number' && !info.unified) {
            const known = gpuMemoryVariants(g.model);
            if (!known.some((gb) => Math.abs((g.vramGB as number) - gb) <= gb * VRAM_TOLERANCE)) {
              r.report(
                entry.file,
                [...at, 'vramGB'],
                'value',
                'gpu.vram-mismatch',
                `${info.model} has ${known.join(' or ')} GB per GPU, not ${g.vramGB}; memory checks (which models fit) use this figure.`,
                { replacement: known.length === 1 ? String(known[0]) : undefined },
              );
            }
          }
        }
      });
    }
  },
};
