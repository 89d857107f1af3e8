// The language server's Nix checks (option paths and literal types, against nixpkgs' curated options and
// the modules in nix-templates/) find nothing wrong in the generated host files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseNix } from '../../core/src/nix/parser';
import { buildOptionDatabase } from '../../core/src/options/index';
import { checkModuleOptions } from '../../core/src/options/checkModule';
import { resolveVariables } from '../../core/src/nix/scope';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { generateFlake } from '../../core/src/flake/index';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { loadSpec } from '../../core/src/spec/load';

test('generated host files use only known options with values of the right type', async () => {
  const templatesDir = findTemplatesDir(__dirname);
  const templates = await readTemplates(templatesDir);
  const db = buildOptionDatabase({ modules: templates.map((t) => ({ file: t.path, text: t.content })) });
  let checked = 0;
  for (const example of ['lab', 'two-node-nvidia', 'mixed-thunderbolt']) {
    const { model } = await loadSpec(path.join(path.dirname(templatesDir), 'examples', example));
    for (const file of generateFlake(model, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files) {
      if (!/^hosts\/.+\.nix$/.test(file.path)) continue;
      const parsed = parseNix(file.content);
      assert.deepEqual(parsed.errors, [], `${example}/${file.path} parses`);
      const darwin = model.spec.hosts.some((h) => h.system === 'aarch64-darwin' && file.path.startsWith(`hosts/${h.name}/`));
      // The option database is NixOS's: nix-darwin's system.stateVersion is an integer there.
      const problems = checkModuleOptions(parsed.root, db).filter((p) => !(darwin && p.code === 'nix.option-type'));
      assert.deepEqual(problems.map((p) => p.message), [], `${example}/${file.path}`);
      checked++;
    }
  }
  assert.ok(checked >= 15, `${checked} host files checked`);
});

test('no generated file and no module uses an undefined variable', async () => {
  const templatesDir = findTemplatesDir(__dirname);
  const templates = await readTemplates(templatesDir);
  const { model } = await loadSpec(path.join(path.dirname(templatesDir), 'examples', 'mixed-thunderbolt'));
  const files = generateFlake(model, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files.filter((f) => f.path.endsWith('.nix'));
  assert.ok(files.length > 20);
  for (const file of files) {
    const { root, errors } = parseNix(file.content);
    assert.deepEqual(errors, [], `${file.path} parses`);
    assert.deepEqual(resolveVariables(root).undefinedNames.map((u) => u.name), [], `${file.path} has no undefined variables`);
  }
});
