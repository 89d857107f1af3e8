// Writing the flake: idempotent, atomic, never overwrites files the user owns, never leaves the folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { generateFlake } from '../../core/src/flake/index';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, pendingFiles, planWrite, unifiedDiff } from '../../core/src/flake/write';
import { syntheticCluster } from '../support/flakeClusters';

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flake-write-'));
  try { await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('a second run with the same spec changes nothing', () => withDir(async (dir) => {
  const templates = await readTemplates(findTemplatesDir(__dirname));
  const { files } = generateFlake(syntheticCluster(3), { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
  const first = await planWrite(dir, files);
  assert.ok(first.files.every((f) => f.status === 'new'));
  const written = await applyPlan(first);
  assert.equal(written.length, files.length);
  const again = await planWrite(dir, generateFlake(syntheticCluster(3), { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files);
  assert.deepEqual(pendingFiles(again), []);
  assert.deepEqual(new Set(again.files.map((f) => f.status)), new Set(['unchanged', 'user-kept']));
  assert.deepEqual(await applyPlan(again), []);
  assert.ok(!readdirSync(path.join(dir, 'hosts/node-0001')).some((n) => n.endsWith('.tmp')), 'no temporary files left');
}));

test('user-owned files are created once and never overwritten; generated ones are updated', () => withDir(async (dir) => {
  const templates = [{ path: 'modules/exo.nix', content: '{ ... }: { }\n' }];
  await applyPlan(await planWrite(dir, generateFlake(syntheticCluster(1), { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files));
  const custom = path.join(dir, 'hosts/node-0001/custom.nix');
  writeFileSync(custom, '{ ... }: { services.foo.enable = true; }\n');
  const changed = syntheticCluster(1);
  changed.exo = { ...changed.exo, namespace: 'renamed' };
  const plan = await planWrite(dir, generateFlake(changed, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files);
  const byPath = new Map(plan.files.map((f) => [f.path, f]));
  assert.equal(byPath.get('hosts/node-0001/custom.nix')?.status, 'user-kept');
  assert.equal(byPath.get('hosts/node-0001/default.nix')?.status, 'changed');
  assert.match(unifiedDiff(byPath.get('hosts/node-0001/default.nix')!), /^-    namespace = "dc";\n\+    namespace = "renamed";$/m);
  assert.equal(unifiedDiff(byPath.get('hosts/node-0001/custom.nix')!), '');
  await applyPlan(plan);
  assert.equal(readFileSync(custom, 'utf8'), '{ ... }: { services.foo.enable = true; }\n');
  assert.match(readFileSync(path.join(dir, 'hosts/node-0001/default.nix'), 'utf8'), /namespace = "renamed";/);
}));

test('a user file that appears between preview and write wins', () => withDir(async (dir) => {
  const plan = await planWrite(dir, generateFlake(syntheticCluster(1), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files);
  const custom = path.join(dir, 'hosts/node-0001/custom.nix');
  assert.equal(plan.files.find((f) => f.absPath === custom)?.status, 'new');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.dirname(custom), { recursive: true });
  writeFileSync(custom, 'mine\n');
  const written = await applyPlan(plan);
  assert.ok(!written.includes('hosts/node-0001/custom.nix'));
  assert.equal(readFileSync(custom, 'utf8'), 'mine\n');
}));

test('paths outside the output folder are refused before anything is written', () => withDir(async (dir) => {
  const out = path.join(dir, 'flake');
  await assert.rejects(planWrite(out, [{ path: '../escape.nix', content: 'x', ownership: 'generated' }]), /outside/);
  assert.ok(!existsSync(path.join(dir, 'escape.nix')));
}));

test('cancelling stops between files', () => withDir(async (dir) => {
  const plan = await planWrite(dir, generateFlake(syntheticCluster(2), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files);
  let calls = 0;
  const written = await applyPlan(plan, () => ++calls > 2);
  assert.equal(written.length, 2);
}));

test('generated files the spec no longer produces are removed; the user\'s files stay', () => withDir(async (dir) => {
  await applyPlan(await planWrite(dir, generateFlake(syntheticCluster(3), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files));
  writeFileSync(path.join(dir, 'hosts/node-0003/extra.nix'), '# my own module\n{ }\n');
  writeFileSync(path.join(dir, 'notes.nix'), '{ }\n');
  const plan = await planWrite(dir, generateFlake(syntheticCluster(2), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files);
  const removed = plan.files.filter((f) => f.status === 'removed').map((f) => f.path);
  assert.deepEqual(removed, ['hosts/node-0003/default.nix', 'hosts/node-0003/disko.nix']);
  assert.match(unifiedDiff(plan.files.find((f) => f.status === 'removed')!), /^\+\+\+ \/dev\/null/m);
  await applyPlan(plan);
  assert.ok(!existsSync(path.join(dir, 'hosts/node-0003/default.nix')));
  for (const kept of ['hosts/node-0003/custom.nix', 'hosts/node-0003/extra.nix', 'notes.nix']) {
    assert.ok(existsSync(path.join(dir, kept)), `${kept} stays`);
  }
  assert.deepEqual(pendingFiles(await planWrite(dir, generateFlake(syntheticCluster(2), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files)), []);
}));
