// exo model ids (as in exo's model list) with the memory each needs to be served.
//
// Quantisation assumption: exo's default shards are 4-bit (the mlx-community `…-4bit` builds), so a
// model needs 0.5 bytes per parameter; ids ending in `-8bit` or `-bf16` need 1 or 2. On top of the weights
// we allow 20% for the KV cache and activations, and round up to whole GB:
//   memoryGB = ceil(parametersB × bytesPerParameter × 1.2)

export interface ExoModelInfo {
  id: string;
  name: string;
  /** Parameters in billions. */
  parametersB: number;
  bits: 4 | 8 | 16;
  /** Memory to serve it, in GB (see the assumption above). */
  memoryGB: number;
  /** Transformer layers: the most nodes a pipeline-sharded model can use. */
  layers: number;
}

const OVERHEAD = 1.2;

function model(id: string, name: string, parametersB: number, layers: number, bits: 4 | 8 | 16 = 4): ExoModelInfo {
  return { id, name, parametersB, bits, layers, memoryGB: Math.ceil(parametersB * (bits / 8) * OVERHEAD) };
}

export const EXO_MODELS: readonly ExoModelInfo[] = [
  model('llama-3.2-1b', 'Llama 3.2 1B', 1.24, 16),
  model('llama-3.2-3b', 'Llama 3.2 3B', 3.21, 28),
  model('llama-3-8b', 'Llama 3 8B', 8.03, 32),
  model('llama-3-70b', 'Llama 3 70B', 70.6, 80),
  model('llama-3.1-8b', 'Llama 3.1 8B', 8.03, 32),
  model('llama-3.1-70b', 'Llama 3.1 70B', 70.6, 80),
  model('llama-3.1-70b-bf16', 'Llama 3.1 70B (bf16)', 70.6, 80, 16),
  model('llama-3.1-405b', 'Llama 3.1 405B', 405.9, 126),
  model('llama-3.1-405b-8bit', 'Llama 3.1 405B (8-bit)', 405.9, 126, 8),
  model('llama-3.3-70b', 'Llama 3.3 70B', 70.6, 80),
  model('nemotron-70b', 'Llama 3.1 Nemotron 70B', 70.6, 80),
  model('mistral-nemo', 'Mistral Nemo 12B', 12.2, 40),
  model('mistral-large', 'Mistral Large 123B', 123, 88),
  model('deepseek-coder-v2-lite', 'DeepSeek Coder V2 Lite', 15.7, 27),
  model('deepseek-v3', 'DeepSeek V3', 671, 61),
  model('deepseek-r1', 'DeepSeek R1', 671, 61),
  model('deepseek-r1-distill-qwen-1.5b', 'DeepSeek R1 Distill Qwen 1.5B', 1.78, 28),
  model('deepseek-r1-distill-qwen-7b', 'DeepSeek R1 Distill Qwen 7B', 7.62, 28),
  model('deepseek-r1-distill-qwen-14b', 'DeepSeek R1 Distill Qwen 14B', 14.8, 48),
  model('deepseek-r1-distill-qwen-32b', 'DeepSeek R1 Distill Qwen 32B', 32.8, 64),
  model('deepseek-r1-distill-llama-8b', 'DeepSeek R1 Distill Llama 8B', 8.03, 32),
  model('deepseek-r1-distill-llama-70b', 'DeepSeek R1 Distill Llama 70B', 70.6, 80),
  model('qwen-2.5-0.5b', 'Qwen 2.5 0.5B', 0.49, 24),
  model('qwen-2.5-1.5b', 'Qwen 2.5 1.5B', 1.54, 28),
  model('qwen-2.5-3b', 'Qwen 2.5 3B', 3.09, 36),
  model('qwen-2.5-7b', 'Qwen 2.5 7B', 7.62, 28),
  model('qwen-2.5-14b', 'Qwen 2.5 14B', 14.8, 48),
  model('qwen-2.5-32b', 'Qwen 2.5 32B', 32.8, 64),
  model('qwen-2.5-72b', 'Qwen 2.5 72B', 72.7, 80),
  model('qwen-2.5-coder-7b', 'Qwen 2.5 Coder 7B', 7.62, 28),
  model('qwen-2.5-coder-14b', 'Qwen 2.5 Coder 14B', 14.8, 48),
  model('qwen-2.5-coder-32b', 'Qwen 2.5 Coder 32B', 32.8, 64),
  model('qwen-2.5-math-72b', 'Qwen 2.5 Math 72B', 72.7, 80),
  model('gemma2-9b', 'Gemma 2 9B', 9.24, 42),
  model('gemma2-27b', 'Gemma 2 27B', 27.2, 46),
  model('phi-3.5-mini', 'Phi 3.5 Mini', 3.82, 32),
  model('phi-4', 'Phi 4', 14.7, 40),
  model('llava-1.5-7b', 'LLaVA 1.5 7B', 7.06, 32),
];

const byId = new Map(EXO_MODELS.map((m) => [m.id, m]));

export function findExoModel(id: string): ExoModelInfo | undefined {
  return byId.get(id);
}
