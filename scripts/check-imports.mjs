// Checks the import graph of the TypeScript sources (`npm test` runs it): every relative or `#core/...` import is
// resolved to a file, files are grouped by folder, and the check fails when
//   - folders import each other in a loop (a strongly connected component of more than one folder), or
//   - an import runs back up: a file imports from a folder that is an ancestor of its own (the composition roots,
//     e.g. client/src/extension.ts, sit above their features and are never imported by them), or a lower layer
//     imports a higher one (core < server < cli; core < client; core < agent; core < webview < client), or
//   - code outside core reaches into a core module past its public face (`#core/<module>`, its index.ts).
// Usage: node scripts/check-imports.mjs [--graph]   (--graph prints the folder graph)
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const PACKAGES = ['core', 'server', 'client', 'cli', 'agent', 'webview'];
// which package may import which (beside itself)
const MAY_IMPORT = {
  core: [],
  server: ['core'],
  cli: ['core', 'server'],
  client: ['core', 'webview'],
  agent: ['core'],
  webview: ['core'],
};

function sourceFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// import/export statements at the start of a line (their lists may span lines), and import()/require() calls
// outside comments: enough for this code base without a full parser (the TypeScript 7 package has no JS API).
const STATIC = /^\s*(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
const CALL = /\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;
function specifiers(text) {
  const found = [...text.matchAll(STATIC)].map((m) => m[1] ?? m[2]);
  for (const line of text.split('\n')) {
    if (/^\s*(\/\/|\*|\/\*)/.test(line)) continue;
    const code = line.replace(/\s\/\/\s.*$/, '');
    for (const m of code.matchAll(CALL)) found.push(m[1]);
  }
  return found;
}

function resolveFile(base) {
  for (const c of [base, `${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
}

function resolve(from, spec) {
  if (spec.startsWith('#core/')) return resolveFile(path.join(root, 'core/src', spec.slice('#core/'.length), 'index.ts'));
  if (!spec.startsWith('.')) return undefined; // a package
  return resolveFile(path.resolve(path.dirname(from), spec));
}

const rel = (p) => path.relative(root, p).split(path.sep).join('/');
const packageOf = (p) => rel(p).split('/')[0];
const folderOf = (p) => rel(path.dirname(p));
const coreModuleOf = (p) => {
  const r = rel(p).split('/');
  return r[0] === 'core' && r[1] === 'src' && r.length > 3 ? r[2] : undefined;
};

const problems = [];
const edges = new Map(); // folder -> Set(folder)
const files = PACKAGES.flatMap((p) => (existsSync(path.join(root, p, 'src')) ? sourceFiles(path.join(root, p, 'src')) : []));
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  for (const spec of specifiers(text)) {
    if (spec.startsWith('#') && !spec.startsWith('#core/')) {
      problems.push(`${rel(file)}: unknown alias ${spec}`);
      continue;
    }
    const target = resolve(file, spec);
    if (!target) {
      if (spec.startsWith('.') || spec.startsWith('#')) {
        if (!/\.(json|yaml|css|html|svg)$/.test(spec)) problems.push(`${rel(file)}: cannot resolve ${spec}`);
      }
      continue;
    }
    if (!target.endsWith('.ts')) continue;
    const [fromPkg, toPkg] = [packageOf(file), packageOf(target)];
    if (fromPkg !== toPkg && !MAY_IMPORT[fromPkg]?.includes(toPkg))
      problems.push(`${rel(file)}: ${fromPkg} may not import ${toPkg} (${spec})`);
    if (fromPkg !== 'core' && toPkg === 'core' && !spec.startsWith('#core/'))
      problems.push(`${rel(file)}: imports core past its public face (${spec}); use #core/${coreModuleOf(target)}`);
    const [a, b] = [folderOf(file), folderOf(target)];
    if (a === b) continue;
    if (a.startsWith(`${b}/`) && !(fromPkg !== 'core' && toPkg === 'core'))
      problems.push(`${rel(file)}: imports back up into ${b} (${spec})`);
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a).add(b);
  }
}

// Tarjan's strongly connected components over the folder graph.
let index = 0;
const idx = new Map(),
  low = new Map(),
  stack = [],
  onStack = new Set(),
  loops = [];
function connect(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) loops.push(scc.sort());
  }
}
for (const v of edges.keys()) if (!idx.has(v)) connect(v);
for (const scc of loops) {
  const detail = scc.flatMap((a) => [...(edges.get(a) ?? [])].filter((b) => scc.includes(b)).map((b) => `${a} -> ${b}`));
  problems.push(`folder import loop: ${detail.join(', ')}`);
}

if (process.argv.includes('--graph')) {
  for (const [a, bs] of [...edges].sort()) console.log(`${a} -> ${[...bs].sort().join(', ')}`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`check-imports: ${problems.length} problem(s) in ${files.length} files`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, ${edges.size} folders, no folder loops, no upward or deep imports`);
