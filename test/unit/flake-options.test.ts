// The language server's Nix checks (option paths and literal types, against nixpkgs' curated options and
// the modules in nix-templates/, NixOS or nix-darwin as the generated flake says) find nothing wrong in
// the generated files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseNix, resolveVariables } from '#core/nix';
import { buildOptionDatabase, checkModuleOptions, classifyModules, templateModuleClass } from '#core/options';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { loadSpec } from '#core/validate';

test('every generated file is checked against its own module set (NixOS or nix-darwin) and has no problem', async () => {
  const templatesDir = findTemplatesDir(__dirname);
  const templates = await readTemplates(templatesDir);
  const modules = templates.map((t) => ({ file: t.path, text: t.content, moduleClass: templateModuleClass(t.path) }));
  const dbs = { nixos: buildOptionDatabase({ modules }, 'nixos'), darwin: buildOptionDatabase({ modules }, 'darwin') };
  let checked = 0;
  let darwinHosts = 0;
  for (const example of ['lab', 'two-node-nvidia', 'mixed-thunderbolt']) {
    const { model } = await loadSpec(path.join(path.dirname(templatesDir), 'examples', example));
    const files = generateFlake(model, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files.filter((f) => f.path.endsWith('.nix'));
    const root = path.join(path.sep, 'flake');
    const classes = classifyModules(new Map(files.map((f) => [path.join(root, f.path), f.content])));
    for (const file of files) {
      const parsed = parseNix(file.content);
      assert.deepEqual(parsed.errors, [], `${example}/${file.path} parses`);
      const cls = classes.get(path.join(root, file.path));
      const isDarwinHost = model.spec.hosts.some((h) => (h.system ?? '').endsWith('-darwin') && file.path.startsWith(`hosts/${h.name}/`));
      if (/^hosts\/[^/]+\/default\.nix$/.test(file.path)) {
        assert.equal(cls, isDarwinHost ? 'darwin' : 'nixos', `${example}/${file.path} belongs to its host's module set`);
        if (isDarwinHost) darwinHosts++;
      }
      const problems = checkModuleOptions(parsed.root, cls ? dbs[cls] : [dbs.nixos, dbs.darwin]);
      assert.deepEqual(
        problems.map((p) => p.message),
        [],
        `${example}/${file.path}`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 40, `${checked} files checked`);
  assert.ok(darwinHosts >= 1, 'a nix-darwin host is among them');
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
    assert.deepEqual(
      resolveVariables(root).undefinedNames.map((u) => u.name),
      [],
      `${file.path} has no undefined variables`,
    );
  }
});
