// The option database the Nix features consult, rebuilt when its sources change: the bundled
// nix-templates modules, NixOS modules in the workspace that declare options, and (after the client's
// "Load NixOS Options from This Flake") a flake's evaluated option set.

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findTemplatesDir } from '../../../core/src/flake/templates';
import { buildOptionDatabase, type OptionDatabase, type RawOption } from '../../../core/src/options';

/** Folders never worth scanning for modules. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'result', 'dist', 'out', '.cache', '.direnv']);
const MAX_SCANNED_FILES = 2000;

export class OptionStore {
  private db: OptionDatabase = buildOptionDatabase();
  private modules = new Map<string, string>();
  private evaluated: RawOption[] | undefined;
  private evaluatedFrom: string | undefined;

  constructor(private readonly templatesDir: string | undefined) {}

  get database(): OptionDatabase { return this.db; }

  /** Where the evaluated options came from, for hover text. */
  get source(): string { return this.evaluatedFrom ? `options evaluated from ${this.evaluatedFrom}` : 'curated NixOS options and nix-templates'; }

  /** Reads the bundled templates and every workspace .nix file that declares options. */
  async scan(workspaceFolders: string[]): Promise<void> {
    const roots = workspaceFolders.map((f) => fileURLToPath(f));
    const files = await listNixFiles(this.templatesDir ? [this.templatesDir, ...roots] : roots);
    const modules = new Map<string, string>();
    await Promise.all(files.map(async (file) => {
      const text = await readFile(file, 'utf8').catch(() => '');
      if (/\bmk(Enable|Package)?Option\b/.test(text)) modules.set(pathToFileURL(file).toString(), text);
    }));
    this.modules = modules;
    this.rebuild();
  }

  /** A .nix file changed on disk or in the editor: re-read it if it declares options. */
  updateModule(uri: string, text: string | undefined): boolean {
    const declares = text !== undefined && /\bmk(Enable|Package)?Option\b/.test(text);
    if (!declares && !this.modules.has(uri)) return false;
    if (declares && this.modules.get(uri) === text) return false;
    if (declares) this.modules.set(uri, text!); else this.modules.delete(uri);
    this.rebuild();
    return true;
  }

  async loadEvaluated(jsonFile: string, label: string): Promise<number> {
    const parsed = JSON.parse(await readFile(jsonFile, 'utf8')) as RawOption[];
    if (!Array.isArray(parsed)) throw new Error(`${jsonFile} is not a list of options`);
    this.evaluated = parsed;
    this.evaluatedFrom = label;
    this.rebuild();
    return parsed.length;
  }

  private rebuild(): void {
    this.db = buildOptionDatabase({
      modules: [...this.modules].map(([file, text]) => ({ file, text })),
      evaluated: this.evaluated,
    });
  }
}

async function listNixFiles(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  const queue = [...roots];
  while (queue.length && out.length < MAX_SCANNED_FILES) {
    const dir = queue.shift()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) { if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) queue.push(path.join(dir, e.name)); }
      else if (e.isFile() && e.name.endsWith('.nix')) out.push(path.join(dir, e.name));
    }
  }
  return out;
}

/** The extension's nix-templates/ (dist/server.js → <extension>/nix-templates), or none when it is missing. */
export function defaultTemplatesDir(): string | undefined {
  try {
    return findTemplatesDir(__dirname);
  } catch {
    return undefined;
  }
}
