// Bundles every entry point with esbuild: one bundle each for the client, the server (and its validation worker), the CLI,
// the node agent and the webview. Entries whose source does not exist yet are skipped.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = { platform: 'node', target: 'node20', format: 'cjs' };
// ssh2 probes optional native helpers inside try/catch; keep them out of the bundle.
const nodeExternal = ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'];
const entries = [
  { in: 'client/src/extension.ts', out: 'dist/client.js', ...node, external: nodeExternal },
  // the Kubernetes client (client-node) of the k3s view, loaded by client/src/k3s/register.ts when it is used
  { in: 'client/src/k3s/kubeApi.ts', out: 'dist/k3s.js', ...node, external: nodeExternal },
  { in: 'server/src/server.ts', out: 'dist/server.js', ...node, external: nodeExternal },
  // the server's validation worker thread: started from dist/server.js by file name
  { in: 'server/src/spec/specWorker.ts', out: 'dist/specWorker.js', ...node, external: nodeExternal },
  { in: 'cli/src/main.ts', out: 'dist/cli.js', ...node, external: nodeExternal, banner: { js: '#!/usr/bin/env node' } },
  { in: 'agent/src/main.ts', out: 'dist/agent.js', ...node, external: nodeExternal, banner: { js: '#!/usr/bin/env node' } },
  // Minified in every build: the page parses it before its first paint, and it is almost all cytoscape.
  { in: 'webview/src/main.ts', out: 'dist/webview.js', platform: 'browser', target: 'es2022', format: 'iife', minify: true },
].filter((e) => existsSync(path.join(root, e.in)));

const contexts = await Promise.all(entries.map((e) => esbuild.context({
  absWorkingDir: root,
  entryPoints: [e.in],
  outfile: e.out,
  bundle: true,
  platform: e.platform,
  target: e.target,
  format: e.format,
  external: e.external ?? [],
  banner: e.banner,
  sourcemap: production ? false : 'linked',
  minify: e.minify ?? production,
  logLevel: 'warning',
  legalComments: 'none',
  loader: { '.yaml': 'text' },
})));
// The topology webview starts ELK's own worker build (already minified) only when it needs a layered layout.
if (entries.some((e) => e.out === 'dist/webview.js')) {
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  copyFileSync(path.join(root, 'node_modules/elkjs/lib/elk-worker.min.js'), path.join(root, 'dist/elk-worker.js'));
}
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${entries.length} bundles`);
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  console.log(`built ${entries.map((e) => e.out).join(', ')}`);
}
