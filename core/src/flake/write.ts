// Puts generated files on disk (node only): compares each with what is there, then writes the new and
// changed ones atomically (temporary file + rename). Files the user owns are created once and then
// never touched; no path may leave the output folder. Generated Nix files the spec no longer produces
// (a host that was removed, a module that was dropped) are removed; only files carrying the generated
// header are, so nothing of the user's goes.

import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { GENERATED_MARKER, type GeneratedFile } from './index';

export type FileStatus = 'new' | 'changed' | 'unchanged' | 'user-kept' | 'removed';

export interface PlannedFile extends GeneratedFile {
  absPath: string;
  status: FileStatus;
  /** What is on disk now (undefined when the file does not exist). */
  current?: string;
}

export interface WritePlan { outDir: string; files: PlannedFile[] }

/** Files `applyPlan` would write or remove. */
export const pendingFiles = (plan: WritePlan) => plan.files.filter((f) => f.status === 'new' || f.status === 'changed' || f.status === 'removed');

function resolveInside(outDir: string, relative: string): string {
  const abs = path.resolve(outDir, relative);
  const rel = path.relative(outDir, abs);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`refusing to write outside ${outDir}: ${relative}`);
  return abs;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Generated Nix files in the folder that are not among `keep` (paths relative to the folder). */
async function leftoverGenerated(root: string, keep: ReadonlySet<string>): Promise<PlannedFile[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const out: PlannedFile[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.nix')) continue;
    const absPath = path.join(e.parentPath, e.name);
    const relative = path.relative(root, absPath).split(path.sep).join('/');
    if (keep.has(relative)) continue;
    const current = await readIfExists(absPath);
    if (current?.split('\n', 1)[0].includes(GENERATED_MARKER)) {
      out.push({ path: relative, content: '', ownership: 'generated', absPath, status: 'removed', current });
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export async function planWrite(outDir: string, files: readonly GeneratedFile[]): Promise<WritePlan> {
  const root = path.resolve(outDir);
  const planned = await Promise.all(files.map(async (f): Promise<PlannedFile> => {
    const absPath = resolveInside(root, f.path);
    const current = await readIfExists(absPath);
    const status: FileStatus = current === undefined ? 'new'
      : f.ownership === 'user-once' ? 'user-kept'
        : current === f.content ? 'unchanged' : 'changed';
    return { ...f, absPath, status, current };
  }));
  const leftovers = await leftoverGenerated(root, new Set(files.map((f) => path.relative(root, resolveInside(root, f.path)).split(path.sep).join('/'))));
  return { outDir: root, files: [...planned, ...leftovers] };
}

/** A unified diff of one planned file against the disk (empty when nothing changes). */
export function unifiedDiff(file: PlannedFile): string {
  if (file.status === 'unchanged' || file.status === 'user-kept') return '';
  return createTwoFilesPatch(
    file.current === undefined ? '/dev/null' : `a/${file.path}`, file.status === 'removed' ? '/dev/null' : `b/${file.path}`,
    file.current ?? '', file.content, undefined, undefined, { context: 3 },
  );
}

/** Writes the plan's new and changed files and removes leftovers; returns the paths touched. Safe to cancel between files. */
export async function applyPlan(plan: WritePlan, shouldStop: () => boolean = () => false): Promise<string[]> {
  const written: string[] = [];
  for (const file of pendingFiles(plan)) {
    if (shouldStop()) break;
    if (file.status === 'removed') {
      await rm(file.absPath, { force: true });
      written.push(file.path);
      continue;
    }
    await mkdir(path.dirname(file.absPath), { recursive: true });
    if (file.ownership === 'user-once') {
      // `wx` fails if the user created the file since the plan was made: theirs wins.
      try {
        await writeFile(file.absPath, file.content, { flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
    } else {
      const temp = `${file.absPath}.${process.pid}.${Date.now()}.tmp`;
      try {
        await writeFile(temp, file.content);
        await rename(temp, file.absPath);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
    }
    written.push(file.path);
  }
  return written;
}
