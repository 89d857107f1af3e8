// Reads a host's `hardware.facterReport` (node only) for the flake and the NATS object store. The spec names
// the file, and a spec may come from anyone: only a regular file inside the spec's folder (after resolving
// links) is read, never more than MAX_FACTER_BYTES, and only when it has the shape of a nixos-facter report,
// so a spec cannot have `../secrets/config.json` copied into a flake or a bucket.
//
// The shape is nixos-facter's `Report` (numtide/nixos-facter pkg/facter/facter.go, commit 2922fddb8ff9):
// top-level keys version, system (e.g. "x86_64-linux"), virtualisation, hardware, smbios and swap, nothing else.

import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';

export const MAX_FACTER_BYTES = 16 * 1024 * 1024;

const REPORT_KEYS = new Set(['version', 'system', 'virtualisation', 'hardware', 'smbios', 'swap']);

export type FacterRead = { text: string } | { error: string };

/** Why `relative` may not name a report (absolute, or leaving the spec folder), or undefined when it may. */
export function facterPathProblem(relative: string): string | undefined {
  if (path.isAbsolute(relative) || /^[A-Za-z]:[\\/]/.test(relative)) return 'it must be relative to the spec folder';
  const normal = path.posix.normalize(relative.replace(/\\/g, '/'));
  if (normal === '..' || normal.startsWith('../')) return 'it must be inside the spec folder';
  return undefined;
}

/** Why `data` is not a nixos-facter report, or undefined when it has the shape of one. */
export function facterShapeProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'it is not a JSON object';
  const report = data as Record<string, unknown>;
  const extra = Object.keys(report).filter((k) => !REPORT_KEYS.has(k));
  if (extra.length) return `it has keys a nixos-facter report does not have (${extra.slice(0, 3).join(', ')})`;
  if (typeof report.system !== 'string' || !/^[a-z0-9_]+-[a-z]+$/.test(report.system)) return 'it has no "system" like "x86_64-linux"';
  if (typeof report.hardware !== 'object' || report.hardware === null) return 'it has no "hardware"';
  if (report.version !== undefined && !Number.isInteger(report.version)) return '"version" is not a whole number';
  return undefined;
}

/** The report's text, or why it was not read. */
export async function readFacterReport(specDir: string, relative: string): Promise<FacterRead> {
  const refused = facterPathProblem(relative);
  if (refused) return { error: `${relative}: ${refused}` };
  let handle;
  try {
    const base = await realpath(specDir);
    const file = await realpath(path.resolve(base, relative));
    const rel = path.relative(base, file);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return { error: `${relative}: it leads outside the spec folder` };
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile()) return { error: `${relative}: not a regular file` };
    if (info.size > MAX_FACTER_BYTES)
      return { error: `${relative}: ${(info.size / 1048576).toFixed(1)} MiB, larger than a facter report can be` };
    const text = await handle.readFile('utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return { error: `${relative}: not JSON` };
    }
    const shape = facterShapeProblem(data);
    return shape ? { error: `${relative}: not a nixos-facter report: ${shape}` } : { text };
  } catch (err) {
    return { error: `${relative}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message}` };
  } finally {
    await handle?.close();
  }
}
