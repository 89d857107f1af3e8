// The extension-host test suite's entry point: `run()` is what @vscode/test-electron calls through
// --extensionTestsPath (scripts/test-electron.mjs), and what the runner extension calls inside code-server
// (test/e2e/run.mjs). It runs every `*.test.js` bundled next to it (from test/e2e/suite/*.test.ts, mocha
// BDD: describe/it) and, when GPU_CLUSTER_E2E_RESULTS names a file, writes per-test results there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type MochaType from 'mocha';
import { FIGURE_EVENT } from './util';

// mocha 12 is an ES module; its CommonJS build is the one every extension host can require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Mocha: typeof MochaType = require('mocha/lib/mocha.cjs');

export interface SuiteResult {
  title: string;
  state: 'passed' | 'failed';
  durationMs?: number;
  error?: string;
}
/** Written after every test, so a harness that gives up can still tell what finished and what was running. */
export interface SuiteResults {
  done: boolean;
  running?: string;
  passed: number;
  failed: number;
  tests: SuiteResult[];
  figures: string[];
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.GPU_CLUSTER_E2E_GREP;
  if (grep) mocha.grep(grep);
  for (const file of fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  await mocha.loadFilesAsync();
  const results: SuiteResults = { done: false, passed: 0, failed: 0, tests: [], figures: [] };
  const out = process.env.GPU_CLUSTER_E2E_RESULTS;
  const save = () => {
    if (!out) return;
    fs.writeFileSync(`${out}.tmp`, JSON.stringify(results, null, 2));
    fs.renameSync(`${out}.tmp`, out); // readers never see half a file
  };
  const onFigure = (line: string) => {
    results.figures.push(line);
    save();
  };
  process.on(FIGURE_EVENT, onFigure);
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('test', (t) => {
      results.running = t.fullTitle();
      save();
    });
    runner.on('pass', (t) => {
      results.passed++;
      results.tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration });
      save();
    });
    runner.on('fail', (t, err: Error) => {
      results.failed++;
      results.tests.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) });
      save();
    });
  });
  process.off(FIGURE_EVENT, onFigure);
  results.done = true;
  results.running = undefined;
  save();
  if (results.failed > 0) throw new Error(`${results.failed} extension-host test(s) failed`);
}
