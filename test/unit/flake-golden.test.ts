// Golden files of the generated flake for the example clusters. After an intended change:
//   UPDATE_GOLDEN=1 npx tsx --test test/unit/flake-golden.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSpec } from '#core/validate';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { generateFlake, GENERATED_MARKER, type GeneratedFile } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const repo = existsSync(path.join(root, 'examples')) ? root : path.resolve(root, '..');
const goldenDir = path.join(repo, 'test/fixtures/flake-golden');
const update = process.env.UPDATE_GOLDEN === '1';
/** The goldens list these modules; modules added to nix-templates later must not change them. */
const GOLDEN_MODULES = new Set(['checkpoint', 'cluster', 'exo', 'gpu', 'k3s', 'monitoring', 'nats', 'network']);

/** For the 100-node cluster only a sample of hosts is kept as golden files. */
const EXAMPLES: Record<string, (file: GeneratedFile) => boolean> = {
  'two-node-nvidia': () => true,
  'mixed-thunderbolt': () => true,
  'hundred-node': (f) => !f.path.startsWith('hosts/') || /^hosts\/node-000[14]\//.test(f.path),
};

async function generate(example: string) {
  const loaded = await loadSpec(path.join(repo, 'examples', example));
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
    `${example} loads without errors`,
  );
  const all = await readTemplates(findTemplatesDir(repo));
  const templates = all.filter((t) => !/^modules\/[^/]+\.nix$/.test(t.path) || GOLDEN_MODULES.has(t.path.slice(8, -4)));
  return { result: generateFlake(loaded.model, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }), templates, all };
}

for (const [example, keep] of Object.entries(EXAMPLES)) {
  test(`flake golden: ${example}`, async () => {
    const { result, templates, all } = await generate(example);
    const templatePaths = new Set(templates.map((t) => t.path));
    const own = result.files.filter((f) => !templatePaths.has(f.path) && keep(f));
    const dir = path.join(goldenDir, example);
    if (update) {
      rmSync(dir, { recursive: true, force: true });
      for (const f of own) {
        mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
        writeFileSync(path.join(dir, f.path), f.content);
      }
    }
    for (const f of own) {
      const golden = path.join(dir, f.path);
      assert.ok(existsSync(golden), `golden file missing: ${f.path} (UPDATE_GOLDEN=1 to create)`);
      assert.equal(f.content, readFileSync(golden, 'utf8'), `${example}/${f.path} differs from its golden file`);
    }
    // Every template is carried into the flake, marked as generated, and every module is imported.
    const full = generateFlake((await loadSpec(path.join(repo, 'examples', example))).model, {
      templates: all,
      agentBundle: AGENT_BUNDLE_STAND_IN,
    }).files;
    const flake = full.find((f) => f.path === 'flake.nix')!.content;
    for (const t of all) {
      const copy = full.find((f) => f.path === t.path);
      if (/^modules\/[^/]+\.nix$/.test(t.path)) assert.ok(flake.includes(`            ./${t.path}\n`), `flake.nix imports ${t.path}`);
      assert.ok(copy, `template ${t.path} is copied`);
      assert.ok(copy.content.includes(GENERATED_MARKER) && copy.content.endsWith(t.content));
    }
  });
}
