// exo's model catalogue: the inference model cards exo ships (resources/inference_model_cards/*.toml in
// exo-explore/exo), read by exo's own ModelCard class and written to exoModelCards.json by
// test/fixtures/exo/py/make_fixtures.py, with the exo commit they came from.
//
// The id is the Hugging Face repo id `POST /place_instance` takes (`mlx-community/...`). An id without a card
// makes exo fetch its config.json from Hugging Face, which fails for a short name such as `llama-3.1-70b`.
// Memory: exo places a model only on a cycle of nodes whose available RAM together is at least the card's
// storage size (exo/master/placement_utils.py filter_cycles_by_memory), so the storage size is the need.

import cards from './exoModelCards.json';

export interface ExoModelInfo {
  /** Hugging Face repo id, as exo's API takes it. */
  id: string;
  /** The card's base model, e.g. "Llama 3.3 70B". */
  name: string;
  family: string;
  /** e.g. "4bit", "8bit", "bf16", "MXFP4-Q8". */
  quantization: string;
  /** Bytes of weights (the card's storage_size). */
  storageBytes: number;
  /** GiB of memory the placement needs (storage size in GiB, as exo's Memory.in_gb). */
  memoryGB: number;
  /** Transformer layers: the most nodes a pipeline-sharded model can use. */
  layers: number;
  hiddenSize: number;
  supportsTensor: boolean;
  contextLength: number;
  capabilities: readonly string[];
  tasks: readonly string[];
  /** Engines that can run it: MlxMetal (Apple), MlxCuda (NVIDIA), MlxCpu. */
  backends: readonly string[];
}

interface RecordedCard {
  model_id: string;
  storage_size: { in_bytes: number };
  n_layers: number;
  hidden_size: number;
  supports_tensor: boolean;
  family?: string;
  quantization?: string;
  base_model?: string;
  context_length?: number;
  capabilities?: string[];
  tasks: string[];
  backends: string[];
}

/** The exo commit the cards were read from. */
export const EXO_MODEL_CARDS_COMMIT: string = cards.exoCommit;

export const EXO_MODELS: readonly ExoModelInfo[] = (cards.cards as RecordedCard[]).map((c) => ({
  id: c.model_id,
  name: c.base_model || c.model_id.split('/').pop()!,
  family: c.family ?? '',
  quantization: c.quantization ?? '',
  storageBytes: c.storage_size.in_bytes,
  memoryGB: Math.round((c.storage_size.in_bytes / 2 ** 30) * 10) / 10,
  layers: c.n_layers,
  hiddenSize: c.hidden_size,
  supportsTensor: c.supports_tensor,
  contextLength: c.context_length ?? 0,
  capabilities: c.capabilities ?? [],
  tasks: c.tasks,
  backends: c.backends,
}));

const byId = new Map(EXO_MODELS.map((m) => [m.id, m]));

export function findExoModel(id: string): ExoModelInfo | undefined {
  return byId.get(id);
}

/** A Hugging Face repo id (`owner/name`): exo can fetch a card for one it does not ship. */
export function isRepoId(id: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(id);
}

// Words of an id (without its owner) or name: lower case, split at separators and between a version and a size ("3.1-70b").
function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/^[^/\s]*\//, '')
    .split(/[\s/_-]+/)
    .filter(Boolean);
}

const sizeOf = (ws: string[]) => ws.map((w) => /^(\d+(?:\.\d+)?)b$/.exec(w)).find(Boolean)?.[1];

/**
 * The real ids closest to a short or old one (`llama-3.1-70b` → `mlx-community/Meta-Llama-3.1-70B-Instruct-4bit`):
 * ranked by the words they share with it (family, version, size), then by the nearest size, then 4-bit first
 * (exo's usual build), then the shorter id.
 */
export function closestExoModels(id: string, count = 3): ExoModelInfo[] {
  const query = words(id);
  if (!query.length) return [];
  const size = Number(sizeOf(query) ?? NaN);
  const scored = EXO_MODELS.map((m) => {
    const own = new Set([...words(m.id), ...words(m.name)]);
    const shared = query.filter((w) => own.has(w)).length;
    const modelSize = Number(sizeOf([...own]) ?? NaN);
    const sizeGap = Number.isFinite(size) && Number.isFinite(modelSize) ? Math.abs(Math.log(modelSize / size)) : 10;
    return { m, shared, sizeGap, fourBit: m.quantization === '4bit' ? 0 : 1 };
  }).filter((s) => s.shared > 0 && words(s.m.id).concat(words(s.m.name)).includes(query[0]));
  scored.sort(
    (a, b) =>
      b.shared - a.shared ||
      a.sizeGap - b.sizeGap ||
      a.fourBit - b.fourBit ||
      a.m.id.length - b.m.id.length ||
      a.m.id.localeCompare(b.m.id),
  );
  return scored.slice(0, count).map((s) => s.m);
}
