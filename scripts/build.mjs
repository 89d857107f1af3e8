// Bundles every entry point with esbuild: one bundle each for the client, the server, the CLI,
// the node agent and the webview. Entries whose source does not exist yet are skipped.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
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
  { in: 'cli/src/main.ts', out: 'dist/cli.js', ...node, external: nodeExternal, banner: { js: '#!/usr/bin/env node' } },
  { in: 'agent/src/main.ts', out: 'dist/agent.js', ...node, external: nodeExternal, banner: { js: '#!/usr/bin/env node' } },
  { in: 'webview/src/main.ts', out: 'dist/webview.js', platform: 'browser', target: 'es2022', format: 'iife' },
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
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  loader: { '.yaml': 'text' },
})));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${entries.length} bundles`);
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  console.log(`built ${entries.map((e) => e.out).join(', ')}`);
}
