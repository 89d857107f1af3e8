// Our own output passes our own checker: the editor's Nix diagnostics (syntax, undefined variables, option paths and
// types; what `gpu-cluster validate FILE.nix` and `gpu-cluster check FLAKE_DIR` print) find nothing in nix-templates/
// and in any file of the flakes generated from the examples.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nixFileDiagnostics, nixFilesIn } from '../../cli/src/common/nixDiagnostics';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, planWrite } from '#core/flake';
import { loadSpec } from '#core/validate';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';

const templatesDir = findTemplatesDir(__dirname);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nix-own-output-'));
const generated: string[] = [];
const darwinHostFiles: string[] = [];

after(() => rmSync(tmp, { recursive: true, force: true }));

before(async () => {
  const templates = await readTemplates(templatesDir);
  for (const example of ['lab', 'two-node-nvidia', 'mixed-thunderbolt', 'hundred-node']) {
    const { model } = await loadSpec(path.join(path.dirname(templatesDir), 'examples', example));
    const dir = path.join(tmp, example);
    await applyPlan(await planWrite(dir, generateFlake(model, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files));
    const darwinHosts = model.spec.hosts
      .filter((h) => (h.system ?? model.spec.cluster.system) === 'aarch64-darwin')
      .map((h) => `hosts/${h.name}/`);
    for (const file of await nixFilesIn(dir)) {
      const isDarwinHost = darwinHosts.some((prefix) => path.relative(dir, file).startsWith(prefix));
      (isDarwinHost ? darwinHostFiles : generated).push(file);
    }
  }
});

const show = (d: { uri: string; range: { start: { line: number } }; message: string }) => `${d.uri}:${d.range.start.line + 1} ${d.message}`;

test('nix-templates/ has no Nix diagnostics', async () => {
  const files = await nixFilesIn(templatesDir);
  assert.ok(files.length >= 15, `${files.length} template files`);
  assert.deepEqual((await nixFileDiagnostics(files, templatesDir)).map(show), []);
});

test('no file of the generated flakes (flake.nix, cluster-data.nix, modules, NixOS hosts, disko layouts) has a Nix diagnostic', async () => {
  assert.ok(generated.length > 350, `${generated.length} generated files`);
  assert.deepEqual((await nixFileDiagnostics(generated, templatesDir)).map(show), []);
});

// nix-darwin host files are checked against NixOS's option set today (system.stateVersion is an integer on nix-darwin):
// telling nix-darwin files from NixOS ones is checker work on branch nix-checker.
test('nix-darwin host files have no Nix diagnostics', async () => {
  assert.ok(darwinHostFiles.length >= 4);
  assert.deepEqual((await nixFileDiagnostics(darwinHostFiles, templatesDir)).map(show), []);
});
