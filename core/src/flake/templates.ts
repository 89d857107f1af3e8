// Reads nix-templates/ (node only): the modules, pure helpers and package definitions the generated
// flake carries a copy of. Every file is included, so a module added there needs no code change here.
// Also reads the node agent's bundle, dist/agent.js, which sits beside nix-templates/ in the extension and the repository.

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TemplateFile } from './generate';

/** The nix-templates folder at or above `start` (the extension root, the repository, or dist/'s parent). */
export function findTemplatesDir(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'nix-templates');
    if (existsSync(path.join(candidate, 'modules'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no nix-templates folder at or above ${start}`);
  }
}

export async function readTemplates(dir: string): Promise<TemplateFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.nix')).map((e) => path.join(e.parentPath, e.name));
  const out = await Promise.all(
    files.map(async (file) => ({
      path: path.relative(dir, file).split(path.sep).join('/'),
      content: await readFile(file, 'utf8'),
    })),
  );
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** dist/agent.js beside a nix-templates folder. */
export function agentBundlePath(templatesDir: string): string {
  return path.join(path.dirname(templatesDir), 'dist', 'agent.js');
}

export async function readAgentBundle(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`the node agent bundle ${file} is missing, and the flake packages it: run npm run build`);
    }
    throw err;
  }
}
