// Where a host, one of its interfaces or its GPUs is defined in the spec files, from the spec core's symbol
// index and file locations; a plain text search covers models without an index.
import type { Location, SpecModel } from '#core/spec';

export interface RevealTarget {
  host: string;
  interfaceName?: string;
  gpuIndex?: number;
  /** A setting of the host to select, e.g. ['ssh', 'identity']; its closest existing parent when it is not set. */
  setting?: string[];
}

export function specLocation(model: SpecModel, target: RevealTarget): Location | undefined {
  const { symbols, hostSources, files } = model;
  if (target.interfaceName) {
    const def = symbols.definitionsOf('interface', target.host).find((d) => d.name === target.interfaceName);
    if (def) return def.location;
  }
  const source = hostSources.get(target.host);
  const file = source && files.find((f) => f.uri === source.uri);
  const base = source?.index !== undefined ? ['hosts', source.index] : [];
  for (let n = target.setting?.length ?? 0; n > 0 && file; n--) {
    const found = file.locate([...base, ...target.setting!.slice(0, n)]);
    if (found) return { uri: source!.uri, range: found.key ?? found.value };
  }
  if (target.gpuIndex !== undefined && source) {
    const found = file?.locate([...base, 'hardware', 'gpus']);
    if (found) return { uri: source.uri, range: found.key ?? found.value };
  }
  const def = symbols.definitionsOf('host').find((d) => d.name === target.host);
  return def?.location;
}

/** The 0-based line of `name: <host>` in a spec file's text (a host file or an entry of `hosts:`). */
export function hostNameLine(text: string, host: string): number | undefined {
  const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\s*(?:-\\s*)?name:\\s*["']?${escaped}["']?\\s*(?:#.*)?$`);
  const line = text.split(/\r?\n/).findIndex((l) => pattern.test(l));
  return line < 0 ? undefined : line;
}
