// Bundles the extension-host suite (test/e2e/suite/index.ts and every *.test.ts) into out/e2e/suite/, one file
// per test file so mocha reports them separately. `vscode` and mocha stay external: the extension host
// provides the first, node_modules the second. Used by test/e2e/run.mjs and scripts/test-electron.mjs.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './setup.mjs';

export const suiteOutDir = path.join(repoRoot, 'out', 'e2e', 'suite');

/** Returns the path of the bundled suite entry (the module whose run() executes all tests). */
export async function buildSuite() {
  const srcDir = path.join(repoRoot, 'test', 'e2e', 'suite');
  const entries = readdirSync(srcDir)
    .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
    .map((f) => path.join(srcDir, f));
  rmSync(suiteOutDir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: entries,
    outdir: suiteOutDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'mocha', 'mocha/*'],
    loader: { '.yaml': 'text' },
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return path.join(suiteOutDir, 'index.js');
}
