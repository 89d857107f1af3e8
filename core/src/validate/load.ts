// Loads a spec from disk (cluster.yaml plus hosts/*.yaml beside it) for the CLI, the flake generator and
// the client. Reading problems become diagnostics, like everything else.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ParsedSpecFile, SpecDiagnostic, SpecModel } from '../spec/model';
import { inferSpecFileKind, PARSE_LIMITS, parseSpecFile, refusedSpecFile } from '../spec/parse';
import { validateAll } from './validate';
import { buildModel } from '../spec/workspace';

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
    if (
      await stat(candidate).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return candidate;
  }
  throw new Error(`no cluster.yaml in ${dir}`);
}

export function fileUri(p: string): string {
  return pathToFileURL(p).href;
}

/** A spec file's text, or the diagnostic saying why it was not read. */
export type SpecRead = { text: string } | { problem: SpecDiagnostic; missing?: boolean };

/** Files larger than this are refused before reading; parseSpecFile refuses anything over PARSE_LIMITS.maxBytes anyway. */
export const MAX_READ_BYTES = PARSE_LIMITS.maxBytes * 4;

const START = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * Reads a spec file only when it is a regular file no larger than MAX_READ_BYTES: a FIFO would block forever
 * and a link to /dev/zero never ends. Opened non-blocking (a FIFO's open would wait for a writer), checked with
 * fstat on the open file (no race with a swap), and never more than the limit is read even if it grows.
 * Synchronous: four system calls on a small file cost microseconds, while their promises cost far more when a
 * folder of 50,000 host files is read (callers yield between batches).
 */
export function readSpecTextSync(file: string, uri: string): SpecRead {
  const problem = (code: string, message: string): SpecRead => ({ problem: { uri, range: START, severity: 'error', code, message } });
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = fstatSync(fd);
    if (!info.isFile()) {
      const what = info.isFIFO()
        ? 'a named pipe (FIFO)'
        : info.isCharacterDevice() || info.isBlockDevice()
          ? 'a device'
          : info.isDirectory()
            ? 'a folder'
            : 'not a regular file';
      return problem('file.unreadable', `${path.basename(file)} is ${what}, not a regular file; it was not read.`);
    }
    if (info.size > MAX_READ_BYTES) {
      return problem(
        'yaml.too-large',
        `File is ${(info.size / 1048576).toFixed(1)} MiB; spec files larger than ${PARSE_LIMITS.maxBytes / 1048576} MiB are not parsed.`,
      );
    }
    const buffer = Buffer.allocUnsafe(Math.min(info.size, MAX_READ_BYTES) + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, length);
      if (read === 0) break;
      length += read;
    }
    // It grew after fstat: whatever it holds now is more than was checked, and may be more than the limit.
    if (length > info.size) return problem('yaml.too-large', 'The file grew while it was read; it was not parsed.');
    return { text: buffer.toString('utf8', 0, length) };
  } catch (err) {
    return {
      ...problem('file.unreadable', `Cannot read ${file}: ${(err as Error).message}`),
      missing: (err as NodeJS.ErrnoException).code === 'ENOENT',
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** readSpecTextSync for callers that await. */
export async function readSpecText(file: string, uri: string): Promise<SpecRead> {
  return readSpecTextSync(file, uri);
}

/**
 * Reads `cluster.yaml` (given as the file or its folder) and every `hosts/*.yaml` beside it, and validates
 * them. Throws only when there is no cluster file to start from; everything else is a diagnostic.
 */
export async function loadSpec(target: string): Promise<LoadedSpec> {
  const clusterPath = await findClusterFile(target);
  const files: ParsedSpecFile[] = [];
  const add = async (file: string, kind: 'cluster' | 'host') => {
    const uri = fileUri(file);
    const read = await readSpecText(file, uri);
    // A refused file stays in the model as refused, so the others are not judged as if it had nothing in it.
    files.push('text' in read ? parseSpecFile(uri, read.text, 0, kind) : refusedSpecFile(uri, kind, read.problem));
  };
  await add(clusterPath, 'cluster');
  const hostsDir = path.join(path.dirname(clusterPath), 'hosts');
  const names = await readdir(hostsDir).catch(() => [] as string[]);
  const hostPaths = names
    .filter((n) => /\.ya?ml$/i.test(n))
    .sort()
    .map((n) => path.join(hostsDir, n));
  for (const file of hostPaths) await add(file, 'host');
  const model = buildModel(files);
  return { model, diagnostics: validateAll(model), clusterPath, hostPaths };
}
