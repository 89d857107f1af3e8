// The bundled CLI (dist/cli.js, built by `npm test` before the tests) spawned as CI would run it, with a scratch
// folder per test file: `const cli = bundledCli('cli-x-')` registers before/after hooks that make and remove it.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const CLI = path.join(REPO_ROOT, 'dist/cli.js');

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

export function bundledCli(scratchPrefix: string): { run(args: string[], cwd?: string): CliRun; readonly tmp: string } {
  let tmp = '';
  before(() => {
    assert.ok(existsSync(CLI), 'dist/cli.js is built (node scripts/build.mjs)');
    tmp = mkdtempSync(path.join(os.tmpdir(), scratchPrefix));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  return {
    run(args, cwd = REPO_ROOT) {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    },
    get tmp() {
      return tmp;
    },
  };
}
