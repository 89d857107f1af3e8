// Puts generated files on disk (node only): compares each with what is there, then writes the new and
// changed ones atomically (temporary file + rename).
//
// What may be touched is decided by a manifest (MANIFEST_PATH) listing every generated file with the hash of
// the content written. A file is replaced without asking only when the manifest vouches for what is on disk
// (it is what we wrote); anything else in the way — a hand-written flake.nix, a generated file edited since —
// is a `conflict`, written only when the caller says so (after asking the user). A file the spec no longer
// produces is removed only when the manifest lists it, it is unchanged since, and it still looks generated.
// Files the user owns (`user-once`) are created once and never touched.
//
// No path may leave the output folder, and no symbolic link inside it is followed: a link anywhere on the
// way to a file (`modules -> /etc`, `hosts/x -> ..`) or at the file itself refuses the whole plan. Files are
// opened with O_NOFOLLOW and the folders on the way are checked again just before each write or removal.

import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { GENERATED_MARKER, type GeneratedFile } from './generate';

export type FileStatus =
  /** Not on disk yet. */
  | 'new'
  /** On disk as we last wrote it; the spec now produces something else. */
  | 'changed'
  | 'unchanged'
  /** A user-owned file (custom.nix) that exists: never touched. */
  | 'user-kept'
  /** Generated before, no longer produced, and unchanged since: removed. */
  | 'removed'
  /** On disk with content the manifest does not vouch for (hand-written, or edited since it was generated). */
  | 'conflict'
  /** No longer produced, but edited since it was generated (or not ours): left alone. */
  | 'left-alone';

export interface PlannedFile extends GeneratedFile {
  absPath: string;
  status: FileStatus;
  /** What is on disk now (undefined when the file does not exist). */
  current?: string;
}

export interface WritePlan {
  outDir: string;
  files: PlannedFile[];
  /** The manifest as read (path → sha256 of the content we wrote). */
  manifest: Map<string, string>;
}

/** Relative to the output folder; kept with the flake (commit it) so a clone knows what was generated. */
export const MANIFEST_PATH = '.gpu-cluster-manifest.json';
/** Larger files in the output folder are not read (the agent bundle is about 1 MB). */
const MAX_READ_BYTES = 64 * 1024 * 1024;

export class UnsafeOutputError extends Error {}

/** Files `applyPlan` would write or remove; conflicts only when they are to be overwritten. */
export const pendingFiles = (plan: WritePlan, overwrite = false) =>
  plan.files.filter(
    (f) => f.status === 'new' || f.status === 'changed' || f.status === 'removed' || (overwrite && f.status === 'conflict'),
  );

/** Files in the way of the plan that the user must agree to overwrite. */
export const conflicts = (plan: WritePlan) => plan.files.filter((f) => f.status === 'conflict');

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function resolveInside(outDir: string, relative: string): string {
  const abs = path.resolve(outDir, relative);
  const rel = path.relative(outDir, abs);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw new UnsafeOutputError(`refusing to write outside ${outDir}: ${relative}`);
  return abs;
}

const relativeOf = (root: string, abs: string) => path.relative(root, abs).split(path.sep).join('/');

/**
 * Checks every folder between `root` and `abs` and `abs` itself: none may be a symbolic link, the folders
 * must be folders and the file (when present) a regular file. Returns whether the file exists.
 */
async function checkPath(root: string, abs: string): Promise<boolean> {
  const parts = path.relative(root, abs).split(path.sep);
  let at = root;
  for (const [i, part] of parts.entries()) {
    at = path.join(at, part);
    const info = await lstat(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!info) return false;
    const last = i === parts.length - 1;
    if (info.isSymbolicLink()) {
      throw new UnsafeOutputError(`refusing to follow the symbolic link ${relativeOf(root, at)} in ${root}; remove it and generate again`);
    }
    if (!last && !info.isDirectory()) throw new UnsafeOutputError(`${relativeOf(root, at)} in ${root} is not a folder`);
    if (last && !info.isFile()) throw new UnsafeOutputError(`${relativeOf(root, at)} in ${root} is not a regular file`);
  }
  return true;
}

/** Reads a regular file without following a link at its name; undefined when it does not exist. */
async function readNoFollow(file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new UnsafeOutputError(`refusing to follow the symbolic link ${file}`);
    throw err;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UnsafeOutputError(`${file} is not a regular file`);
    if (info.size > MAX_READ_BYTES) throw new UnsafeOutputError(`${file} is ${(info.size / 1048576).toFixed(0)} MiB; not read`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function readManifest(root: string): Promise<Map<string, string>> {
  const abs = path.join(root, MANIFEST_PATH);
  if (!(await checkPath(root, abs))) return new Map();
  const text = await readNoFollow(abs);
  const manifest = new Map<string, string>();
  try {
    const files = (JSON.parse(text ?? '{}') as { files?: unknown }).files;
    if (files && typeof files === 'object') {
      for (const [p, hash] of Object.entries(files)) {
        // entries that are not a plain path inside the folder were not written by us: ignored
        const inside = path.relative(root, path.resolve(root, p)).split(path.sep).join('/') === p && !p.startsWith('..');
        if (inside && typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) manifest.set(p, hash);
      }
    }
  } catch {
    // An unreadable manifest vouches for nothing: every existing file becomes a conflict.
  }
  return manifest;
}

/** A file we could have generated and that still says so: only such files are ever removed. */
function looksGenerated(relative: string, content: string): boolean {
  return /^hosts\/[^/]+\/facter\.json$/.test(relative) || content.split('\n', 1)[0].includes(GENERATED_MARKER);
}

export async function planWrite(outDir: string, files: readonly GeneratedFile[]): Promise<WritePlan> {
  const given = path.resolve(outDir);
  // The output folder itself is the user's choice (it may be a link); inside it, nothing is followed.
  const root = await realpath(given).catch(() => given);
  const manifest = await readManifest(root);
  const planned: PlannedFile[] = [];
  for (const f of files) {
    const absPath = resolveInside(root, f.path);
    const current = (await checkPath(root, absPath)) ? await readNoFollow(absPath) : undefined;
    const relative = relativeOf(root, absPath);
    let status: FileStatus;
    if (current === undefined) status = 'new';
    else if (f.ownership === 'user-once') status = 'user-kept';
    else if (current === f.content) status = 'unchanged';
    else status = manifest.get(relative) === sha256(current) ? 'changed' : 'conflict';
    planned.push({ ...f, path: relative, absPath, status, current });
  }
  const produced = new Set(planned.map((f) => f.path));
  const leftovers: PlannedFile[] = [];
  for (const [relative, hash] of [...manifest].sort(([a], [b]) => a.localeCompare(b))) {
    if (produced.has(relative)) continue;
    const absPath = resolveInside(root, relative);
    const current = (await checkPath(root, absPath)) ? await readNoFollow(absPath) : undefined;
    if (current === undefined) continue;
    const ours = sha256(current) === hash && looksGenerated(relative, current);
    leftovers.push({ path: relative, content: '', ownership: 'generated', absPath, status: ours ? 'removed' : 'left-alone', current });
  }
  return { outDir: root, files: [...planned, ...leftovers], manifest };
}

/** A unified diff of one planned file against the disk (empty when nothing changes). */
export function unifiedDiff(file: PlannedFile): string {
  if (file.status === 'unchanged' || file.status === 'user-kept' || file.status === 'left-alone') return '';
  return createTwoFilesPatch(
    file.current === undefined ? '/dev/null' : `a/${file.path}`,
    file.status === 'removed' ? '/dev/null' : `b/${file.path}`,
    file.current ?? '',
    file.content,
    undefined,
    undefined,
    { context: 3 },
  );
}

/** Creates the folders up to `dir` one at a time, refusing any link on the way. */
async function makeFolders(root: string, dir: string): Promise<void> {
  let at = root;
  for (const part of path.relative(root, dir).split(path.sep).filter(Boolean)) {
    at = path.join(at, part);
    await mkdir(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    const info = await lstat(at);
    if (info.isSymbolicLink() || !info.isDirectory())
      throw new UnsafeOutputError(`${relativeOf(root, at)} in ${root} is not a plain folder`);
  }
}

/** Creates `file` exclusively (never through a link) and writes `content`. */
async function createExclusive(file: string, content: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

async function writeManifest(root: string, manifest: Map<string, string>): Promise<void> {
  const files = Object.fromEntries([...manifest].sort(([a], [b]) => a.localeCompare(b)));
  const text = `${JSON.stringify({ note: 'Files Generate Flake wrote, with the SHA-256 of their content: only these are replaced or removed without asking.', files }, null, 2)}\n`;
  await replaceFile(root, path.join(root, MANIFEST_PATH), text);
}

/** Writes through a fresh temporary file renamed over the target (rename replaces a link, never follows it). */
async function replaceFile(root: string, file: string, content: string): Promise<void> {
  await checkPath(root, file);
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await createExclusive(temp, content);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export interface ApplyOptions {
  /** Checked between files: cancelling leaves every file either old or new, and the manifest true. */
  shouldStop?: () => boolean;
  /** Replace the `conflict` files too (the user agreed); otherwise they are left as they are. */
  overwrite?: boolean;
}

/** Writes the plan's new and changed files and removes leftovers; returns the paths touched. */
export async function applyPlan(plan: WritePlan, options: ApplyOptions = {}): Promise<string[]> {
  const root = plan.outDir;
  const manifest = new Map(plan.manifest);
  const touched: string[] = [];
  await mkdir(root, { recursive: true });
  // Generated files left as they are: the manifest keeps vouching only for what is still ours on disk.
  for (const file of plan.files) {
    if (file.status === 'unchanged' && file.ownership === 'generated') manifest.set(file.path, sha256(file.content));
    if (file.status === 'left-alone' || (file.status === 'conflict' && !options.overwrite)) manifest.delete(file.path);
  }
  try {
    for (const file of pendingFiles(plan, options.overwrite)) {
      if (options.shouldStop?.()) break;
      if (file.status === 'removed') {
        if (await checkPath(root, file.absPath)) await unlink(file.absPath);
        manifest.delete(file.path);
        touched.push(file.path);
        continue;
      }
      await makeFolders(root, path.dirname(file.absPath));
      if (file.ownership === 'user-once') {
        // Exclusive create fails if the user created the file since the plan was made: theirs wins.
        try {
          await createExclusive(file.absPath, file.content);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw err;
        }
      } else {
        // The file may have been edited since the plan was made: then it is no longer ours to replace.
        const now = (await checkPath(root, file.absPath)) ? await readNoFollow(file.absPath) : undefined;
        if (now !== file.current) continue;
        await replaceFile(root, file.absPath, file.content);
        manifest.set(file.path, sha256(file.content));
      }
      touched.push(file.path);
    }
  } finally {
    await writeManifest(root, manifest);
  }
  return touched;
}
