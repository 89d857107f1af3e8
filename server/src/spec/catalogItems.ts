// Completion items of the GPU catalogue and the exo model list (core/src/catalog), shared by completion
// and hover so both describe a GPU or a model the same way.

import { CompletionItemKind, MarkupKind, type CompletionItem } from 'vscode-languageserver/node';
import { EXO_MODEL_CARDS_COMMIT, EXO_MODELS, type ExoModelInfo, GPU_CATALOG, type GpuModelInfo } from '#core/catalog';

const VENDOR_NAMES: Record<string, string> = { nvidia: 'NVIDIA', amd: 'AMD', intel: 'Intel', apple: 'Apple' };

export function describeGpu(gpu: GpuModelInfo): string {
  const memory = gpu.unified ? `up to ${gpu.vramGB} GB unified memory` : `${gpu.vramGB} GB VRAM`;
  const cc = gpu.computeCapability ? `, compute capability ${gpu.computeCapability}` : '';
  return `${VENDOR_NAMES[gpu.vendor] ?? gpu.vendor} ${gpu.model}: ${memory}${cc} (${gpu.kind})`;
}

export function describeExoModel(m: ExoModelInfo): string {
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GB`;
  const facts = [
    m.quantization,
    `${m.layers} layers`,
    m.supportsTensor ? 'pipeline or tensor sharding' : 'pipeline sharding only',
    m.contextLength ? `${Math.round(m.contextLength / 1024)}k context` : undefined,
    m.capabilities.length ? m.capabilities.join(', ') : undefined,
    `runs on ${m.backends.join(', ')}`,
  ]
    .filter(Boolean)
    .join(' · ');
  return `**${m.name}** (${m.family || 'exo'}): needs ${gib(m.storageBytes)} of memory across the nodes it is placed on (its weights; exo places it only where the nodes' free memory together holds them).\n\n${facts}\n\nFrom exo's model card \`${m.id}\` (exo ${EXO_MODEL_CARDS_COMMIT.slice(0, 7)}).`;
}

/** GPU models, those of `vendor` first when the entry already names one. */
export function gpuCatalogItems(vendor: unknown): CompletionItem[] {
  return GPU_CATALOG.map((gpu, i) => {
    const matches = typeof vendor !== 'string' || gpu.vendor === vendor;
    return {
      label: gpu.model,
      kind: CompletionItemKind.Value,
      detail: `${VENDOR_NAMES[gpu.vendor]} · ${gpu.vramGB} GB${gpu.computeCapability ? ` · CC ${gpu.computeCapability}` : ''}`,
      documentation: { kind: MarkupKind.Markdown, value: describeGpu(gpu) },
      sortText: `${matches ? 0 : 1}${String(i).padStart(3, '0')}`,
    };
  });
}

export function exoModelItems(): CompletionItem[] {
  return EXO_MODELS.map((m, i) => ({
    label: m.id,
    kind: CompletionItemKind.Value,
    detail: `${m.memoryGB} GB · ${m.name} · ${m.quantization}`,
    documentation: { kind: MarkupKind.Markdown, value: describeExoModel(m) },
    sortText: String(i).padStart(3, '0'),
  }));
}
