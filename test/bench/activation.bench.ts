// Extension activation, the part measurable outside VS Code: loading dist/client.js (VS Code's "code loading" of an
// extension is this require) and calling its activate() (what VS Code times after it, up to the returned services),
// in fresh Node processes, against the same client built as one bundle (everything inlined, as before the
// dist/vendor/ split) in the same run; which vendor bundles loading pulls in (none should); and what each vendor
// bundle costs when its feature is first used. `vscode` is a stand-in here with every namespace, class and enum
// of the API (names read from @types/vscode), each answering anything; every feature must register without an
// error, or the figure would leave its work out. The e2e suite prints VS Code's own figure
// (test/e2e/suite/activation.test.ts). Run with `npm run bench -- activation`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { median, reportTarget } from './measure';

const repoRoot = path.resolve(__dirname, '../../..');
const dist = path.join(repoRoot, 'dist');
const RUNS = Number(process.env.BENCH_ACTIVATION_RUNS ?? 7);
const TARGET_MS = 300;

/** The API's top-level names (namespaces, classes, enums, functions) as @types/vscode declares them. */
const API_NAMES = [
  ...new Set(
    [
      ...readFileSync(path.join(repoRoot, 'node_modules/@types/vscode/index.d.ts'), 'utf8').matchAll(
        /^\texport (?:namespace|class|enum|const|function|let) ([A-Za-z]+)/gm,
      ),
    ].map((m) => m[1]),
  ),
];

// Run in a child: \`require('vscode')\` answers with the stand-in (there is no editor here; vscode-languageclient
// extends some of the API's classes), then the require and the activate() call are timed. Paths the extension
// asks its context for are a temporary folder; errors the extension logs are collected.
const probe = `
const Module = require('node:module');
const { mkdtempSync } = require('node:fs');
const tmp = mkdtempSync(require('node:os').tmpdir() + '/activation-');
const errors = [];
const standIn = (name) => new Proxy(function () {}, {
  set: (t, p, v) => { try { t[p] = v; } catch {} return true; },
  get: (t, p) =>
    p === 'prototype' ? t.prototype
    : p === '__esModule' ? true
    : p === 'then' ? undefined
    : p === 'fsPath' || p === 'path' ? tmp
    : p === 'extensionPath' ? process.argv[3]
    : p === Symbol.iterator ? function* () {}
    : p === Symbol.toPrimitive ? () => name
    : typeof p === 'symbol' ? undefined
    : Object.hasOwn(t, p) && p !== 'name' && p !== 'length' ? t[p]
    : standIn(name + '.' + p),
  apply: (t, self, args) => {
    if (name.endsWith('.error')) errors.push(String(args[0]).slice(0, 500));
    return standIn(name + '()');
  },
  construct: () => standIn('new ' + name),
});
const vscode = Object.fromEntries(JSON.parse(process.argv[2]).map((n) => [n, standIn('vscode.' + n)]));
const vendors = [];
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'vscode') return vscode;
  if (request.startsWith('./vendor/')) vendors.push(request);
  return load.call(this, request, ...rest);
};
const t0 = performance.now();
const extension = require(process.argv[1]);
const t1 = performance.now();
let activateMs;
if (typeof extension.activate === 'function') {
  try {
    extension.activate(standIn('context'));
  } catch (e) {
    errors.push('activate threw: ' + (e.stack || e));
  }
  activateMs = performance.now() - t1;
}
process.stdout.write(JSON.stringify({ ms: t1 - t0, activateMs, vendors, errors }));
require('node:fs').rmSync(tmp, { recursive: true, force: true });
process.exit(0);
`;

interface Probe {
  /** require() of the file */
  ms: number;
  /** the activate() call, when the file has one */
  activateMs?: number;
  vendors: string[];
  errors: string[];
}

function timeRequire(file: string): Probe {
  const r = spawnSync(process.execPath, ['-e', probe, file, JSON.stringify(API_NAMES), repoRoot], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`requiring ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Probe;
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
    const activated: number[] = [];
    const activatedWhole: number[] = [];
    const pulled = new Set<string>();
    const errors = new Set<string>();
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so both see the same load.
      const s = timeRequire(client);
      s.vendors.forEach((v) => pulled.add(v));
      s.errors.forEach((e) => errors.add(e));
      split.push(s.ms);
      activated.push(s.ms + (s.activateMs ?? NaN));
      const w = timeRequire(single);
      whole.push(w.ms);
      activatedWhole.push(w.ms + (w.activateMs ?? NaN));
    }
    const fmt = (xs: number[]) =>
      `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
    console.log(`code loading, ${RUNS} fresh processes each: dist/client.js ${fmt(split)}; one bundle ${fmt(whole)}`);
    console.log(
      `activation (code loading + activate() until it returns), ${RUNS} fresh processes each: dist/client.js ${fmt(activated)}; one bundle ${fmt(activatedWhole)}; target < ${TARGET_MS} ms`,
    );
    reportTarget({
      name: 'activation: code loading + activate()',
      ms: median(activated),
      limitMs: TARGET_MS,
      peers: `one bundle (before the split) ${median(activatedWhole).toFixed(0)} ms`,
    });
    if (errors.size) {
      console.error(`features failed to register under the stand-in, so their work is not in the figure:\n${[...errors].join('\n')}`);
      process.exitCode = 1;
    }
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
