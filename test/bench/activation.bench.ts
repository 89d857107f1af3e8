// Extension activation, the part measurable outside VS Code: loading dist/client.js (VS Code's "code loading" of an
// extension is this require), in fresh Node processes, against the same client built as one bundle (everything
// inlined, as before the dist/vendor/ split) in the same run; which vendor bundles loading pulls in (none should);
// and what each vendor bundle costs when its feature is first used. The activate() call itself needs the editor:
// the e2e suite prints VS Code's own figure (test/e2e/suite/activation.test.ts). Run with `npm run bench -- activation`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { median } from './measure';

const repoRoot = path.resolve(__dirname, '../../..');
const dist = path.join(repoRoot, 'dist');
const RUNS = Number(process.env.BENCH_ACTIVATION_RUNS ?? 7);
const TARGET_MS = 300;

// Run in a child: `require('vscode')` answers with a stand-in (there is no editor here; a bundle's top level only
// defines classes, and vscode-languageclient extends some of the API's classes), then one require is timed.
const probe = `
const Module = require('node:module');
const standIn = () => new Proxy(function () {}, {
  get: (t, p) => (p === 'prototype' ? t.prototype : p === '__esModule' ? true : typeof p === 'symbol' ? undefined : standIn()),
  apply: () => standIn(), construct: () => standIn(),
});
const vscode = standIn();
const vendors = [];
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'vscode') return vscode;
  if (request.startsWith('./vendor/')) vendors.push(request);
  return load.call(this, request, ...rest);
};
const t0 = performance.now();
require(process.argv[1]);
process.stdout.write(JSON.stringify({ ms: performance.now() - t0, vendors }));
`;

function timeRequire(file: string): { ms: number; vendors: string[] } {
  const r = spawnSync(process.execPath, ['-e', probe, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`requiring ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ms: number; vendors: string[] };
}

const kb = (file: string) => `${Math.round(statSync(file).size / 1024)} KB`;

async function main(): Promise<void> {
  const client = path.join(dist, 'client.js');
  const vendorDir = path.join(dist, 'vendor');
  const vendorFiles = readdirSync(vendorDir)
    .filter((f) => f.endsWith('.js'))
    .sort();
  // The same client source as one bundle, for a comparison within this run (machine load varies between runs).
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'activation-bench-'));
  const single = path.join(tmp, 'client.js');
  try {
    await esbuild.build({
      absWorkingDir: repoRoot,
      entryPoints: ['client/src/extension.ts'],
      outfile: single,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
      loader: { '.yaml': 'text' },
      logLevel: 'warning',
    });
    console.log(
      `bundles: dist/client.js ${kb(client)} (one bundle: ${kb(single)}); ${vendorFiles.map((f) => `dist/vendor/${f} ${kb(path.join(vendorDir, f))}`).join(', ')}`,
    );

    const split: number[] = [];
    const whole: number[] = [];
    const pulled = new Set<string>();
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so both see the same load.
      const s = timeRequire(client);
      s.vendors.forEach((v) => pulled.add(v));
      split.push(s.ms);
      whole.push(timeRequire(single).ms);
    }
    const fmt = (xs: number[]) =>
      `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
    console.log(
      `code loading, ${RUNS} fresh processes each: dist/client.js ${fmt(split)}; one bundle ${fmt(whole)}; target for all of activation < ${TARGET_MS} ms`,
    );
    console.log(`vendor bundles loaded with dist/client.js: ${pulled.size ? [...pulled].join(', ') : 'none'}`);
    for (const f of vendorFiles) {
      const times = Array.from({ length: Math.min(RUNS, 3) }, () => timeRequire(path.join(vendorDir, f)).ms);
      console.log(`first use of dist/vendor/${f}: ${fmt(times)}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
