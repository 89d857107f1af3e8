// Which module set a .nix file belongs to: NixOS or nix-darwin. Their options differ (nix-darwin's
// system.stateVersion is an integer, NixOS's a string), so a file is checked against its own set. The
// evidence: a module's own `_class`, and a flake naming the file under darwinConfigurations /
// darwinSystem / darwinModules or nixosConfigurations / nixosSystem / nixosModules; files a classified
// module imports by relative path share its class.

import path from 'node:path';
import type { Expr } from '../nix/ast';
import { children } from '../nix/ast';
import { parseNix } from '../nix/parser';
import { attrNameText, bindingsOf, calleeName, literalString, moduleBody, unparen } from '../nix/syntax';

export type ModuleClass = 'nixos' | 'darwin';

const CLASS_OF_NAME: Record<string, ModuleClass> = {
  darwinConfigurations: 'darwin',
  darwinModules: 'darwin',
  darwinModule: 'darwin',
  darwinSystem: 'darwin',
  nixosConfigurations: 'nixos',
  nixosModules: 'nixos',
  nixosModule: 'nixos',
  nixosSystem: 'nixos',
};

/** The class a module declares for itself with `_class = "nixos"` / `"darwin"`. */
export function declaredModuleClass(root: Expr): ModuleClass | undefined {
  for (const b of bindingsOf(moduleBody(root)) ?? []) {
    if (b.type !== 'Binding' || b.path.attrs.length !== 1 || attrNameText(b.path.attrs[0]) !== '_class') continue;
    const value = literalString(unparen(b.value));
    if (value === 'nixos' || value === 'darwin') return value;
  }
  return undefined;
}

/** The text of a path literal without interpolation (`./hosts/mac`), else undefined. */
export function pathLiteral(expr: Expr): string | undefined {
  const e = unparen(expr);
  if (e.type !== 'Path') return undefined;
  let out = '';
  for (const part of e.parts) {
    if (part.type !== 'StringText') return undefined;
    out += part.value;
  }
  return out;
}

/**
 * Relative paths a flake names in a NixOS or nix-darwin context: inside `darwinConfigurations = …`,
 * an argument of `darwinSystem`, a `darwinModules` set (and the nixos counterparts).
 */
export function flakeModuleClasses(root: Expr): { path: string; moduleClass: ModuleClass }[] {
  const out: { path: string; moduleClass: ModuleClass }[] = [];
  const visit = (node: Expr, current: ModuleClass | undefined) => {
    const e = unparen(node);
    if (e.type === 'Path') {
      const p = pathLiteral(e);
      if (current && p !== undefined && !p.startsWith('<')) out.push({ path: p, moduleClass: current });
      return;
    }
    if (e.type === 'AttrSet' || e.type === 'Let' || e.type === 'LegacyLet') {
      for (const b of e.bindings) {
        if (b.type !== 'Binding') {
          if (b.from) visit(b.from, current);
          continue;
        }
        const names = b.path.attrs.map(attrNameText);
        const named = names.map((n) => (n ? CLASS_OF_NAME[n] : undefined)).find(Boolean);
        visit(b.value, named ?? current);
      }
      if (e.type === 'Let') visit(e.body, current);
      return;
    }
    if (e.type === 'Apply') {
      const name = calleeName(e.fn)?.last;
      const named = name ? CLASS_OF_NAME[name] : undefined;
      visit(e.fn, current);
      visit(e.arg, named ?? current);
      return;
    }
    for (const c of children(e)) if (isExpr(c)) visit(c, current);
  };
  visit(root, undefined);
  return out;
}

function isExpr(node: { type: string }): node is Expr {
  return !['Binding', 'Inherit', 'AttrPath', 'Formals', 'Formal', 'StringText', 'Interpolation', 'Comment'].includes(node.type);
}

/** Relative paths in a module's `imports = [ … ]` (`./disko.nix`, `../common`). */
export function relativeImports(root: Expr): string[] {
  const out: string[] = [];
  for (const value of importExprs(root)) {
    const p = pathLiteral(value);
    if (p !== undefined && (p.startsWith('./') || p.startsWith('../'))) out.push(p);
  }
  return out;
}

/** The elements of a module's `imports` list. */
export function importExprs(root: Expr): Expr[] {
  const out: Expr[] = [];
  for (const b of bindingsOf(moduleBody(root)) ?? []) {
    if (b.type !== 'Binding' || b.path.attrs.length !== 1 || attrNameText(b.path.attrs[0]) !== 'imports') continue;
    const list = unparen(b.value);
    if (list.type === 'List') out.push(...list.elements);
    else out.push(list);
  }
  return out;
}

/** The module set of a file in nix-templates/ (path relative to it): modules/darwin/*.nix are nix-darwin's, modules/*.nix NixOS's. */
export function templateModuleClass(relativePath: string): ModuleClass | undefined {
  if (/^modules\/darwin\/[^/]+\.nix$/.test(relativePath)) return 'darwin';
  if (/^modules\/[^/]+\.nix$/.test(relativePath)) return 'nixos';
  return undefined;
}

/**
 * The module set of each file in `texts` (absolute path → text) that a flake among them names or that
 * `fromLayout` classifies, followed through relative imports (`./dir` means `./dir/default.nix`). A file
 * reached as both NixOS and nix-darwin gets no class, unless it declares its own `_class`.
 */
export function classifyModules(
  texts: ReadonlyMap<string, string>,
  fromLayout?: (file: string) => ModuleClass | undefined,
): Map<string, ModuleClass> {
  const classes = new Map<string, ModuleClass>();
  const conflicting = new Set<string>();
  const queue: [string, ModuleClass][] = [];
  const mark = (file: string, cls: ModuleClass) => {
    const resolved = texts.has(file) ? file : texts.has(path.join(file, 'default.nix')) ? path.join(file, 'default.nix') : undefined;
    if (!resolved || conflicting.has(resolved)) return;
    const had = classes.get(resolved);
    if (had === cls) return;
    if (had) {
      conflicting.add(resolved);
      classes.delete(resolved);
      return;
    }
    classes.set(resolved, cls);
    queue.push([resolved, cls]);
  };
  // A module that names its class (`_class`, which the module system itself enforces) is that class, whoever
  // imports it or does not: a nix-darwin module lying in a NixOS-only flake declares nothing for NixOS.
  const declared = new Map<string, ModuleClass>();
  for (const [file, text] of texts) {
    const cls = text.includes('_class') ? declaredModuleClass(parseNix(text).root) : undefined;
    if (cls) {
      declared.set(file, cls);
      mark(file, cls);
    }
  }
  for (const file of texts.keys()) {
    const cls = fromLayout?.(file);
    if (cls) mark(file, cls);
  }
  for (const [file, text] of texts) {
    if (path.basename(file) !== 'flake.nix') continue;
    for (const ref of flakeModuleClasses(parseNix(text).root)) mark(path.resolve(path.dirname(file), ref.path), ref.moduleClass);
  }
  for (let i = 0; i < queue.length; i++) {
    const [file, cls] = queue[i];
    for (const rel of relativeImports(parseNix(texts.get(file)!).root)) mark(path.resolve(path.dirname(file), rel), cls);
  }
  for (const [file, cls] of declared) classes.set(file, cls);
  return classes;
}
