// The option databases the Nix features consult (one for NixOS, one for nix-darwin), rebuilt when their
// sources change: the bundled nix-templates modules, workspace modules that declare options, and (after
// the client's "Load NixOS Options from This Flake") a flake's evaluated option set. Declarations are
// keyed by file: editing a file replaces its declarations, closing an unsaved one drops them (a file in
// the workspace falls back to its text on disk), so what a file is told never depends on what was open
// before. Which set a file belongs to comes from its `_class`, the workspace's flakes
// (darwinConfigurations vs nixosConfigurations, followed through relative imports) and nix-templates' layout.

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findTemplatesDir } from '#core/flake';
import type { Expr } from '#core/nix';
import {
  buildOptionDatabase,
  classifyModules,
  declarationsInModule,
  declaredModuleClass,
  type ModuleClass,
  type OptionDatabase,
  type OptionDecl,
  type RawOption,
  templateModuleClass,
} from '#core/options';

/** Folders never worth scanning for modules. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'result', 'dist', 'out', '.cache', '.direnv']);
const MAX_SCANNED_FILES = 2000;
const DECLARES = /\bmk(Enable|Package)?Option\b/;

interface ModuleEntry {
  text: string;
  declarations: OptionDecl[];
}

export class OptionStore {
  private dbs: Record<ModuleClass, OptionDatabase> = { nixos: buildOptionDatabase({}, 'nixos'), darwin: buildOptionDatabase({}, 'darwin') };
  /** Files that declare options, by URI. */
  private modules = new Map<string, ModuleEntry>();
  /** Module set of files named by the workspace's flakes (and what they import) and of nix-templates modules. */
  private classes = new Map<string, ModuleClass>();
  private roots: string[] = [];
  private evaluated: RawOption[] | undefined;
  private evaluatedFrom: string | undefined;

  constructor(private readonly templatesDir: string | undefined) {}

  /** Where the evaluated options came from, for hover text. */
  get source(): string {
    return this.evaluatedFrom ? `options evaluated from ${this.evaluatedFrom}` : 'curated NixOS options and nix-templates';
  }

  /** The module set of a file: its own `_class`, else what the flakes and nix-templates say, else unknown. */
  moduleClass(uri: string, root: Expr): ModuleClass | undefined {
    return declaredModuleClass(root) ?? this.classes.get(uri);
  }

  /** The databases a file is checked against: its set's, or both when its set is unknown. */
  databasesFor(uri: string, root: Expr): OptionDatabase[] {
    const cls = this.moduleClass(uri, root);
    return cls ? [this.dbs[cls]] : [this.dbs.nixos, this.dbs.darwin];
  }

  /** The database for hover and completion: the file's set, NixOS when unknown. */
  databaseFor(uri: string, root: Expr): OptionDatabase {
    return this.dbs[this.moduleClass(uri, root) ?? 'nixos'];
  }

  /** Reads the bundled templates and every workspace .nix file: declarations, and module sets from flakes. */
  async scan(workspaceFolders: string[]): Promise<void> {
    this.roots = workspaceFolders.map((f) => fileURLToPath(f));
    const files = await listNixFiles(this.templatesDir ? [this.templatesDir, ...this.roots] : this.roots);
    const texts = new Map<string, string>();
    await Promise.all(
      files.map(async (file) => {
        const text = await readFile(file, 'utf8').catch(() => undefined);
        if (text !== undefined) texts.set(file, text);
      }),
    );
    this.modules = new Map();
    for (const [file, text] of texts) if (DECLARES.test(text)) this.modules.set(pathToFileURL(file).toString(), entry(file, text));
    this.classes = this.classify(texts);
    this.rebuild();
  }

  /** A .nix file changed on disk or in the editor: re-read its declarations (and module sets, for a flake). */
  async updateModule(uri: string, text: string | undefined): Promise<boolean> {
    let changed = false;
    if (uri.endsWith('/flake.nix')) changed = await this.reclassify();
    const declares = text !== undefined && DECLARES.test(text);
    if (!declares && !this.modules.has(uri)) return changed;
    if (declares && this.modules.get(uri)?.text === text) return changed;
    if (declares) this.modules.set(uri, entry(uri, text!));
    else this.modules.delete(uri);
    this.rebuild();
    return true;
  }

  /** An editor closed the file: a workspace file counts with its text on disk, any other file no more. */
  async documentClosed(uri: string): Promise<boolean> {
    const file = uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
    const inside =
      file !== undefined &&
      [...this.roots, ...(this.templatesDir ? [this.templatesDir] : [])].some((root) => !path.relative(root, file).startsWith('..'));
    const text = inside ? await readFile(file!, 'utf8').catch(() => undefined) : undefined;
    return this.updateModule(uri, text);
  }

  async loadEvaluated(jsonFile: string, label: string): Promise<number> {
    const parsed = JSON.parse(await readFile(jsonFile, 'utf8')) as RawOption[];
    if (!Array.isArray(parsed)) throw new Error(`${jsonFile} is not a list of options`);
    this.evaluated = parsed;
    this.evaluatedFrom = label;
    this.rebuild();
    return parsed.length;
  }

  private async reclassify(): Promise<boolean> {
    const files = await listNixFiles(this.templatesDir ? [this.templatesDir, ...this.roots] : this.roots);
    const texts = new Map<string, string>();
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) texts.set(file, text);
    }
    const next = this.classify(texts);
    const same = next.size === this.classes.size && [...next].every(([k, v]) => this.classes.get(k) === v);
    this.classes = next;
    return !same;
  }

  /** Module sets from nix-templates' layout and the workspace's flakes, by URI. */
  private classify(texts: Map<string, string>): Map<string, ModuleClass> {
    const templatesDir = this.templatesDir;
    const fromLayout = templatesDir
      ? (file: string) => templateModuleClass(path.relative(templatesDir, file).split(path.sep).join('/'))
      : undefined;
    return new Map([...classifyModules(texts, fromLayout)].map(([file, cls]) => [pathToFileURL(file).toString(), cls]));
  }

  private rebuild(): void {
    const modules = [...this.modules].map(([uri, m]) => ({ declarations: m.declarations, moduleClass: this.classes.get(uri) }));
    this.dbs = {
      nixos: buildOptionDatabase({ modules, evaluated: this.evaluated }, 'nixos'),
      darwin: buildOptionDatabase({ modules }, 'darwin'),
    };
  }
}

function entry(file: string, text: string): ModuleEntry {
  const uri = file.startsWith('file:') ? file : pathToFileURL(file).toString();
  return { text, declarations: declarationsInModule(uri, text) };
}

async function listNixFiles(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  const queue = [...roots];
  while (queue.length && out.length < MAX_SCANNED_FILES) {
    const dir = queue.shift()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) queue.push(path.join(dir, e.name));
      } else if (e.isFile() && e.name.endsWith('.nix')) out.push(path.join(dir, e.name));
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
