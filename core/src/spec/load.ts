// Loads a spec from disk (cluster.yaml plus hosts/*.yaml beside it) for the CLI, the flake generator and
// the client. Reading problems become diagnostics, like everything else.

import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ParsedSpecFile, SpecDiagnostic, SpecModel } from './model';
import { inferSpecFileKind, PARSE_LIMITS, parseSpecFile } from './parse';
import { validateAll } from '../validate/index';
import { buildModel } from './workspace';

export interface LoadedSpec {
  model: SpecModel;
  /** Every diagnostic: problems reading files, syntax and limits, schema, and the semantic rules. */
  diagnostics: SpecDiagnostic[];
  /** Absolute path of the cluster file that was read. */
  clusterPath: string;
  /** Absolute paths of the host files that were read. */
  hostPaths: string[];
}

const CLUSTER_NAMES = ['cluster.yaml', 'cluster.yml'];

/** The cluster file for a path: the file itself, the folder holding it, or one of its hosts/*.yaml files. */
export async function findClusterFile(target: string): Promise<string> {
  const abs = path.resolve(target);
  const info = await stat(abs);
  if (!info.isDirectory() && inferSpecFileKind(abs) === 'cluster') return abs;
  const dir = info.isDirectory() ? abs : path.dirname(path.dirname(abs));
  for (const name of CLUSTER_NAMES) {
    const candidate = path.join(dir, name);
    if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  throw new Error(`no cluster.yaml in ${dir}`);
}

export function fileUri(p: string): string {
  return pathToFileURL(p).href;
}

async function readSpecText(file: string, uri: string, diagnostics: SpecDiagnostic[]): Promise<string | undefined> {
  try {
    const info = await stat(file);
    // Refuse before reading: parseSpecFile would refuse anyway, and reading 1 GB into memory is the real risk.
    if (info.size > PARSE_LIMITS.maxBytes * 4) {
      diagnostics.push({ uri, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', code: 'yaml.too-large', message: `File is ${(info.size / 1048576).toFixed(1)} MiB; spec files larger than ${PARSE_LIMITS.maxBytes / 1048576} MiB are not parsed.` });
      return undefined;
    }
    return await readFile(file, 'utf8');
  } catch (err) {
    diagnostics.push({ uri, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', code: 'file.unreadable', message: `Cannot read ${file}: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * Reads `cluster.yaml` (given as the file or its folder) and every `hosts/*.yaml` beside it, and validates
 * them. Throws only when there is no cluster file to start from; everything else is a diagnostic.
 */
export async function loadSpec(target: string): Promise<LoadedSpec> {
  const clusterPath = await findClusterFile(target);
  const diagnostics: SpecDiagnostic[] = [];
  const files: ParsedSpecFile[] = [];
  const add = async (file: string, kind: 'cluster' | 'host') => {
    const uri = fileUri(file);
    const text = await readSpecText(file, uri, diagnostics);
    if (text === undefined) return;
    files.push(parseSpecFile(uri, text, 0, kind));
  };
  await add(clusterPath, 'cluster');
  const hostsDir = path.join(path.dirname(clusterPath), 'hosts');
  const names = await readdir(hostsDir).catch(() => [] as string[]);
  const hostPaths = names.filter((n) => /\.ya?ml$/i.test(n)).sort().map((n) => path.join(hostsDir, n));
  for (const file of hostPaths) await add(file, 'host');
  const model = buildModel(files);
  diagnostics.push(...validateAll(model));
  return { model, diagnostics, clusterPath, hostPaths };
}
