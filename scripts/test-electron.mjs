// `npm run test:electron`: the extension-host suite (test/e2e/suite/*.test.ts) in a downloaded desktop VS Code
// through @vscode/test-electron, for machines that can download it. Where that is impossible the same suite
// runs inside code-server (test/e2e/run.mjs, part of `npm test`).
//   VSCODE_VERSION=1.100.0 picks the VS Code build (default: stable).
import { runTests } from '@vscode/test-electron';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, repoRoot } from '../test/e2e/setup.mjs';
import { buildSuite } from '../test/e2e/suite-build.mjs';

ensureBuilt();
const extensionTestsPath = await buildSuite();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'gpu-cluster-electron-'));
// As in code-server: a one-folder multi-root workspace, so tests may add folders without a restart.
cpSync(path.join(repoRoot, 'examples', 'lab'), path.join(scratch, 'ws-suite'), { recursive: true });
const workspace = path.join(scratch, 'suite.code-workspace');
writeFileSync(workspace, JSON.stringify({ folders: [{ path: 'ws-suite' }] }));
let code = 0;
try {
  await runTests({
    version: process.env.VSCODE_VERSION,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(scratch, 'user')}`],
  });
} catch (e) {
  console.error(`extension-host suite failed: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(code);
