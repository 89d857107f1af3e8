// GPU catalogue: model → vendor, memory, CUDA compute capability. Used to default `vramGB` and
// `computeCapability` when a host names only its GPU model, for completion, and for the memory checks.
// Figures are the vendors' published specifications. For Apple Silicon, `vramGB` is the largest unified
// memory the chip ships with; the host's real figure is its `hardware.memoryGB`.

/** The GPU vendors the catalogue knows (and a spec's `gpus[].vendor` names). */
export type GpuVendor = 'nvidia' | 'amd' | 'intel' | 'apple';

export interface GpuModelInfo {
  model: string;
  vendor: GpuVendor;
  /** Memory per GPU in GB (Apple: the largest unified-memory configuration). */
  vramGB: number;
  /** NVIDIA only. */
  computeCapability?: string;
  /** The GPU shares the host's memory (Apple Silicon). */
  unified?: boolean;
  /** Other names people write for it (matched after normalising case and spaces). */
  aliases?: string[];
  kind: 'consumer' | 'workstation' | 'datacenter' | 'soc';
}

export const GPU_CATALOG: readonly GpuModelInfo[] = [
  // NVIDIA GeForce (Ampere, Ada, Blackwell)
  { model: 'RTX 3080', vendor: 'nvidia', vramGB: 10, computeCapability: '8.6', kind: 'consumer', aliases: ['GeForce RTX 3080'] },
  { model: 'RTX 3080 12GB', vendor: 'nvidia', vramGB: 12, computeCapability: '8.6', kind: 'consumer', aliases: ['GeForce RTX 3080 12GB'] },
  { model: 'RTX 3080 Ti', vendor: 'nvidia', vramGB: 12, computeCapability: '8.6', kind: 'consumer', aliases: ['GeForce RTX 3080 Ti'] },
  { model: 'RTX 3090', vendor: 'nvidia', vramGB: 24, computeCapability: '8.6', kind: 'consumer', aliases: ['GeForce RTX 3090'] },
  { model: 'RTX 3090 Ti', vendor: 'nvidia', vramGB: 24, computeCapability: '8.6', kind: 'consumer', aliases: ['GeForce RTX 3090 Ti'] },
  { model: 'RTX 4070 Ti', vendor: 'nvidia', vramGB: 12, computeCapability: '8.9', kind: 'consumer', aliases: ['GeForce RTX 4070 Ti'] },
  { model: 'RTX 4080', vendor: 'nvidia', vramGB: 16, computeCapability: '8.9', kind: 'consumer', aliases: ['GeForce RTX 4080'] },
  {
    model: 'RTX 4080 Super',
    vendor: 'nvidia',
    vramGB: 16,
    computeCapability: '8.9',
    kind: 'consumer',
    aliases: ['GeForce RTX 4080 SUPER'],
  },
  { model: 'RTX 4090', vendor: 'nvidia', vramGB: 24, computeCapability: '8.9', kind: 'consumer', aliases: ['GeForce RTX 4090'] },
  { model: 'RTX 5080', vendor: 'nvidia', vramGB: 16, computeCapability: '12.0', kind: 'consumer', aliases: ['GeForce RTX 5080'] },
  { model: 'RTX 5090', vendor: 'nvidia', vramGB: 32, computeCapability: '12.0', kind: 'consumer', aliases: ['GeForce RTX 5090'] },
  // NVIDIA workstation
  { model: 'RTX A6000', vendor: 'nvidia', vramGB: 48, computeCapability: '8.6', kind: 'workstation' },
  {
    model: 'RTX 6000 Ada',
    vendor: 'nvidia',
    vramGB: 48,
    computeCapability: '8.9',
    kind: 'workstation',
    aliases: ['RTX 6000 Ada Generation'],
  },
  { model: 'RTX PRO 6000 Blackwell', vendor: 'nvidia', vramGB: 96, computeCapability: '12.0', kind: 'workstation' },
  // NVIDIA data centre
  { model: 'T4', vendor: 'nvidia', vramGB: 16, computeCapability: '7.5', kind: 'datacenter', aliases: ['Tesla T4'] },
  { model: 'V100 16GB', vendor: 'nvidia', vramGB: 16, computeCapability: '7.0', kind: 'datacenter' },
  { model: 'V100 32GB', vendor: 'nvidia', vramGB: 32, computeCapability: '7.0', kind: 'datacenter', aliases: ['Tesla V100', 'V100'] },
  { model: 'A10', vendor: 'nvidia', vramGB: 24, computeCapability: '8.6', kind: 'datacenter' },
  { model: 'A30', vendor: 'nvidia', vramGB: 24, computeCapability: '8.0', kind: 'datacenter' },
  { model: 'A40', vendor: 'nvidia', vramGB: 48, computeCapability: '8.6', kind: 'datacenter' },
  {
    model: 'A100 40GB',
    vendor: 'nvidia',
    vramGB: 40,
    computeCapability: '8.0',
    kind: 'datacenter',
    aliases: ['A100-SXM4-40GB', 'A100-PCIE-40GB'],
  },
  {
    model: 'A100 80GB',
    vendor: 'nvidia',
    vramGB: 80,
    computeCapability: '8.0',
    kind: 'datacenter',
    aliases: ['A100-SXM4-80GB', 'A100 80GB PCIe', 'A100'],
  },
  { model: 'L4', vendor: 'nvidia', vramGB: 24, computeCapability: '8.9', kind: 'datacenter' },
  { model: 'L40', vendor: 'nvidia', vramGB: 48, computeCapability: '8.9', kind: 'datacenter' },
  { model: 'L40S', vendor: 'nvidia', vramGB: 48, computeCapability: '8.9', kind: 'datacenter' },
  { model: 'H100 PCIe', vendor: 'nvidia', vramGB: 80, computeCapability: '9.0', kind: 'datacenter' },
  { model: 'H100 SXM', vendor: 'nvidia', vramGB: 80, computeCapability: '9.0', kind: 'datacenter', aliases: ['H100', 'H100 80GB HBM3'] },
  { model: 'H200', vendor: 'nvidia', vramGB: 141, computeCapability: '9.0', kind: 'datacenter' },
  { model: 'GH200', vendor: 'nvidia', vramGB: 96, computeCapability: '9.0', kind: 'datacenter' },
  { model: 'B200', vendor: 'nvidia', vramGB: 180, computeCapability: '10.0', kind: 'datacenter' },
  // AMD Instinct and Radeon
  { model: 'MI100', vendor: 'amd', vramGB: 32, kind: 'datacenter', aliases: ['Instinct MI100'] },
  { model: 'MI210', vendor: 'amd', vramGB: 64, kind: 'datacenter', aliases: ['Instinct MI210'] },
  { model: 'MI250', vendor: 'amd', vramGB: 128, kind: 'datacenter', aliases: ['Instinct MI250'] },
  { model: 'MI250X', vendor: 'amd', vramGB: 128, kind: 'datacenter', aliases: ['Instinct MI250X'] },
  { model: 'MI300X', vendor: 'amd', vramGB: 192, kind: 'datacenter', aliases: ['Instinct MI300X'] },
  { model: 'MI325X', vendor: 'amd', vramGB: 256, kind: 'datacenter', aliases: ['Instinct MI325X'] },
  { model: 'RX 7900 XT', vendor: 'amd', vramGB: 20, kind: 'consumer', aliases: ['Radeon RX 7900 XT'] },
  { model: 'RX 7900 XTX', vendor: 'amd', vramGB: 24, kind: 'consumer', aliases: ['Radeon RX 7900 XTX'] },
  { model: 'Radeon PRO W7900', vendor: 'amd', vramGB: 48, kind: 'workstation', aliases: ['W7900'] },
  // Intel
  { model: 'Arc A750', vendor: 'intel', vramGB: 8, kind: 'consumer' },
  { model: 'Arc A770', vendor: 'intel', vramGB: 16, kind: 'consumer' },
  { model: 'Arc B580', vendor: 'intel', vramGB: 12, kind: 'consumer' },
  { model: 'Flex 170', vendor: 'intel', vramGB: 16, kind: 'datacenter', aliases: ['Data Center GPU Flex 170'] },
  { model: 'Max 1100', vendor: 'intel', vramGB: 48, kind: 'datacenter', aliases: ['Data Center GPU Max 1100'] },
  { model: 'Max 1550', vendor: 'intel', vramGB: 128, kind: 'datacenter', aliases: ['Data Center GPU Max 1550'] },
  // Apple Silicon (unified memory: largest configuration)
  { model: 'M1 Max', vendor: 'apple', vramGB: 64, unified: true, kind: 'soc', aliases: ['Apple M1 Max'] },
  { model: 'M1 Ultra', vendor: 'apple', vramGB: 128, unified: true, kind: 'soc', aliases: ['Apple M1 Ultra'] },
  { model: 'M2 Max', vendor: 'apple', vramGB: 96, unified: true, kind: 'soc', aliases: ['Apple M2 Max'] },
  { model: 'M2 Ultra', vendor: 'apple', vramGB: 192, unified: true, kind: 'soc', aliases: ['Apple M2 Ultra'] },
  { model: 'M3 Max', vendor: 'apple', vramGB: 128, unified: true, kind: 'soc', aliases: ['Apple M3 Max'] },
  { model: 'M3 Ultra', vendor: 'apple', vramGB: 512, unified: true, kind: 'soc', aliases: ['Apple M3 Ultra'] },
  { model: 'M4 Pro', vendor: 'apple', vramGB: 64, unified: true, kind: 'soc', aliases: ['Apple M4 Pro'] },
  { model: 'M4 Max', vendor: 'apple', vramGB: 128, unified: true, kind: 'soc', aliases: ['Apple M4 Max'] },
];

function normalise(model: string): string {
  return model
    .toLowerCase()
    .replace(/^(nvidia|amd|intel|apple)\s+/, '')
    .replace(/^geforce\s+/, '')
    .replace(/[\s_-]+/g, '');
}

const byName = new Map<string, GpuModelInfo>();
for (const gpu of GPU_CATALOG) {
  for (const name of [gpu.model, ...(gpu.aliases ?? [])]) if (!byName.has(normalise(name))) byName.set(normalise(name), gpu);
}

/** The catalogue entry for a model name as people write it ("RTX 4090", "NVIDIA GeForce RTX 4090", "a100-sxm4-80gb"). */
export function findGpu(model: string): GpuModelInfo | undefined {
  return byName.get(normalise(model));
}

/**
 * The memory sizes a model name as written may have: its catalogue entry, and the entries that are the same
 * name with a memory size after it (`A100` is sold as `A100 40GB` and `A100 80GB`). Empty when not catalogued.
 */
export function gpuMemoryVariants(model: string): number[] {
  const name = normalise(model);
  const sizes = new Set<number>();
  const found = byName.get(name);
  if (found) sizes.add(found.vramGB);
  for (const [other, gpu] of byName) if (other.startsWith(name) && /^\d+gb$/.test(other.slice(name.length))) sizes.add(gpu.vramGB);
  return [...sizes].sort((a, b) => a - b);
}
