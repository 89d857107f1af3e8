// Test-only extension loaded next to the product by test/e2e/run.mjs. code-server has no --extensionTestsPath,
// so this plays its part: in the window whose folder is GPU_CLUSTER_E2E_WORKSPACE it requires the bundled suite
// (GPU_CLUSTER_E2E_SUITE) and calls its run(), which writes GPU_CLUSTER_E2E_RESULTS. Other windows (the UI
// checks open another folder) are left alone, and the suite runs once even if the extension host restarts.
const fs = require('node:fs');
const vscode = require('vscode');

exports.activate = async function activate() {
  const { GPU_CLUSTER_E2E_SUITE: suite, GPU_CLUSTER_E2E_RESULTS: results, GPU_CLUSTER_E2E_WORKSPACE: workspace } = process.env;
  if (!suite || !results || vscode.workspace.workspaceFolders?.[0]?.uri.fsPath !== workspace) return;
  if (fs.existsSync(results)) {
    // A second activation in the same run means the extension host restarted under the suite: report it.
    const partial = JSON.parse(fs.readFileSync(results, 'utf8'));
    if (!partial.done && !partial.crashed) {
      fs.writeFileSync(
        results,
        JSON.stringify({ ...partial, crashed: `the extension host restarted during: ${partial.running ?? 'startup'}` }),
      );
    }
    return;
  }
  fs.writeFileSync(results, JSON.stringify({ done: false, passed: 0, failed: 0, tests: [] }));
  try {
    await require(suite).run();
  } catch (e) {
    // run() writes the results before it reports failed tests; anything else means the suite did not finish.
    const partial = fs.existsSync(results) ? JSON.parse(fs.readFileSync(results, 'utf8')) : {};
    if (!partial.done) fs.writeFileSync(results, JSON.stringify({ ...partial, crashed: String((e && e.stack) || e) }));
  }
};
