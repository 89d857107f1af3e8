// Test-only extension loaded next to the product by test/e2e/run.mjs. code-server has no --extensionTestsPath,
// so this plays its part: in the window whose folder is GPU_CLUSTER_E2E_WORKSPACE it requires the bundled suite
// (GPU_CLUSTER_E2E_SUITE) and calls its run(), which writes GPU_CLUSTER_E2E_RESULTS. Other windows (the UI
// checks open another folder) are left alone, so the suite runs exactly once.
const fs = require('node:fs');
const vscode = require('vscode');

exports.activate = async function activate() {
  const { GPU_CLUSTER_E2E_SUITE: suite, GPU_CLUSTER_E2E_RESULTS: results, GPU_CLUSTER_E2E_WORKSPACE: workspace } = process.env;
  if (!suite || !results || vscode.workspace.workspaceFolders?.[0]?.uri.fsPath !== workspace) return;
  try {
    await require(suite).run();
  } catch (e) {
    // run() writes the results before it reports failed tests; anything else means the suite never ran.
    if (!fs.existsSync(results)) fs.writeFileSync(results, JSON.stringify({ crashed: String((e && e.stack) || e) }));
  }
};
