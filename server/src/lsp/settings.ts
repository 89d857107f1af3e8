// The `gpuCluster` settings section as the server uses it. Values arrive untyped from the client, so each
// is checked and falls back to the manifest default (package.json `contributes.configuration`).

export interface ServerSettings {
  /** Glob patterns of files treated as cluster or host specs. */
  specPatterns: string[];
  validation: { debounceMs: number };
  /** The whole `gpuCluster` section, for languages with settings of their own (e.g. `nixfmt.path`). */
  raw: Record<string, unknown>;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  specPatterns: ['**/cluster.yaml', '**/cluster.yml', '**/hosts/*.yaml', '**/hosts/*.yml'],
  validation: { debounceMs: 150 },
  raw: {},
};

export function readSettings(section: unknown): ServerSettings {
  const raw = isRecord(section) ? section : {};
  const patterns = raw.specPatterns;
  const validation = isRecord(raw.validation) ? raw.validation : {};
  const debounce = validation.debounceMs ?? raw['validation.debounceMs'];
  return {
    specPatterns:
      Array.isArray(patterns) && patterns.every((p) => typeof p === 'string') && patterns.length > 0
        ? patterns
        : DEFAULT_SETTINGS.specPatterns,
    validation: {
      debounceMs:
        typeof debounce === 'number' && Number.isFinite(debounce) && debounce >= 0 ? debounce : DEFAULT_SETTINGS.validation.debounceMs,
    },
    raw,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
