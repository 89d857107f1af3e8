// Bundles every entry point with esbuild: one bundle each for the client, the server (and its validation worker), the CLI,
// the node agent and the webview. Entries whose source does not exist yet are skipped.
// The client's large libraries go to bundles of their own under dist/vendor/ (see `clientVendors`), so that activation
// neither parses nor runs SSH, NATS, YAML/JSON-schema or language-client code before a feature first uses it.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = { platform: 'node', target: 'node20', format: 'cjs' };
// ssh2 probes optional native helpers inside try/catch; keep them out of the bundle.
const nodeExternal = ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'];

// Libraries the client loads on first use, grouped so that packages which share a dependency share one copy of it.
// `lazy` groups are reached through static imports: the client gets, per package, a stand-in object whose export
// getters require the vendor bundle when one is first read (export names are read here by loading the package once).
// The other groups are only reached through `import()` in client code, which already defers them; the stand-in
// just requires the vendor bundle.
const clientVendors = [
  { name: 'ssh', lazy: true, packages: ['ssh2'] },
  { name: 'nats', lazy: true, packages: ['@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/obj', '@nats-io/services'] },
  { name: 'spec', lazy: true, packages: ['yaml', 'ajv/dist/2020'] },
  { name: 'languageclient', lazy: false, packages: ['vscode-languageclient/node'] },
];
const requireFromRoot = createRequire(path.join(root, 'package.json'));

/** esbuild plugin: in the client bundle, each vendored package becomes a small stand-in that requires dist/vendor/<group>.js. */
const vendorStandIns = {
  name: 'client-vendor-stand-ins',
  setup(build) {
    const groupOf = new Map(clientVendors.flatMap((g) => g.packages.map((p) => [p, g])));
    const filter = new RegExp(`^(${[...groupOf.keys()].map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'vendor-stand-in' }));
    build.onResolve({ filter: /^\.\/vendor\//, namespace: 'vendor-stand-in' }, (args) => ({ path: args.path, external: true }));
    build.onLoad({ filter: /.*/, namespace: 'vendor-stand-in' }, (args) => {
      const group = groupOf.get(args.path);
      const load = `require(${JSON.stringify(`./vendor/${group.name}.js`)})[${JSON.stringify(args.path)}]`;
      if (!group.lazy) return { contents: `module.exports = ${load};`, loader: 'js' };
      const real = requireFromRoot(args.path);
      const getters = Object.keys(real).map((k) => `${JSON.stringify(k)}: { enumerable: true, get: () => load()[${JSON.stringify(k)}] }`);
      if (real.__esModule) getters.push('__esModule: { value: true }');
      return {
        contents: `let loaded;\nconst load = () => loaded ??= ${load};\nmodule.exports = Object.defineProperties({}, {\n  ${getters.join(',\n  ')}\n});\n`,
        loader: 'js',
      };
    });
  },
};
/** esbuild plugin: `#core/<module>` (package.json "imports", which points node at the compiled out/) is bundled from the
 * module's public face in core/src/<module>/index.ts. */
const coreFaces = {
  name: 'core-public-faces',
  setup(build) {
    build.onResolve({ filter: /^#core\/[a-z0-9]+$/ }, (args) => ({
      path: path.join(root, 'core/src', args.path.slice('#core/'.length), 'index.ts'),
    }));
  },
};
/** The source of one vendor bundle: an object from package name to that package's exports. */
const vendorEntry = (group) => ({
  contents: `module.exports = {\n${group.packages.map((p) => `  ${JSON.stringify(p)}: require(${JSON.stringify(p)}),`).join('\n')}\n};\n`,
  resolveDir: root,
  sourcefile: `vendor-${group.name}.js`,
  loader: 'js',
});

const entries = [
  { in: 'client/src/extension.ts', out: 'dist/client.js', ...node, external: nodeExternal, plugins: [vendorStandIns] },
  ...clientVendors.map((g) => ({
    in: 'client/src/extension.ts',
    stdin: vendorEntry(g),
    out: `dist/vendor/${g.name}.js`,
    ...node,
    external: nodeExternal,
  })),
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

const contexts = await Promise.all(
  entries.map((e) =>
    esbuild.context({
      absWorkingDir: root,
      entryPoints: e.stdin ? undefined : [e.in],
      stdin: e.stdin,
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
      plugins: [coreFaces, ...(e.plugins ?? [])],
    }),
  ),
);
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
