// Writing the flake: idempotent, atomic, never overwrites files the user owns, never leaves the folder or follows a link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, conflicts, MANIFEST_PATH, pendingFiles, planWrite, unifiedDiff } from '../../core/src/flake/write';
import { syntheticCluster } from '../support/flakeClusters';

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flake-write-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a second run with the same spec changes nothing', () =>
  withDir(async (dir) => {
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

test('user-owned files are created once and never overwritten; generated ones are updated', () =>
  withDir(async (dir) => {
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

test('a user file that appears between preview and write wins', () =>
  withDir(async (dir) => {
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

test('paths outside the output folder are refused before anything is written', () =>
  withDir(async (dir) => {
    const out = path.join(dir, 'flake');
    await assert.rejects(planWrite(out, [{ path: '../escape.nix', content: 'x', ownership: 'generated' }]), /outside/);
    assert.ok(!existsSync(path.join(dir, 'escape.nix')));
  }));

test('cancelling stops between files', () =>
  withDir(async (dir) => {
    const plan = await planWrite(dir, generateFlake(syntheticCluster(2), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files);
    let calls = 0;
    const written = await applyPlan(plan, { shouldStop: () => ++calls > 2 });
    assert.equal(written.length, 2);
  }));

test("generated files the spec no longer produces are removed; the user's files stay", () =>
  withDir(async (dir) => {
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
    assert.deepEqual(
      pendingFiles(await planWrite(dir, generateFlake(syntheticCluster(2), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files)),
      [],
    );
  }));

// --- links and ownership (issue 13, items 2 and 4) ---

const oneHost = () =>
  generateFlake(syntheticCluster(1), {
    templates: [{ path: 'modules/exo.nix', content: '{ ... }: { }\n' }],
    agentBundle: AGENT_BUNDLE_STAND_IN,
  }).files;

test('a symbolic link in the output folder refuses the plan; nothing is written through it', () =>
  withDir(async (dir) => {
    const out = path.join(dir, 'flake');
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(out);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, path.join(out, 'modules'));
    await assert.rejects(planWrite(out, oneHost()), /symbolic link modules/);
    assert.deepEqual(readdirSync(elsewhere), []);

    // a link for a host folder, and a link in place of a file, are refused alike
    rmSync(path.join(out, 'modules'));
    mkdirSync(path.join(out, 'hosts'));
    symlinkSync(elsewhere, path.join(out, 'hosts/node-0001'));
    await assert.rejects(planWrite(out, oneHost()), /symbolic link hosts\/node-0001/);
    rmSync(path.join(out, 'hosts/node-0001'));
    const victim = path.join(elsewhere, 'victim.nix');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, path.join(out, 'flake.nix'));
    await assert.rejects(planWrite(out, oneHost()), /symbolic link flake\.nix/);
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  }));

test('a link made between plan and write is not followed', () =>
  withDir(async (dir) => {
    const out = path.join(dir, 'flake');
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const plan = await planWrite(out, oneHost());
    mkdirSync(out);
    symlinkSync(elsewhere, path.join(out, 'hosts'));
    await assert.rejects(applyPlan(plan), /not a plain folder|symbolic link/);
    assert.deepEqual(readdirSync(elsewhere), []);
  }));

test('a hand-written flake.nix is a conflict: kept unless the user agrees to replace it', () =>
  withDir(async (dir) => {
    writeFileSync(path.join(dir, 'flake.nix'), '{ outputs = _: { }; }\n');
    const plan = await planWrite(dir, oneHost());
    assert.deepEqual(
      conflicts(plan).map((f) => f.path),
      ['flake.nix'],
    );
    assert.ok(!pendingFiles(plan).some((f) => f.path === 'flake.nix'));
    await applyPlan(plan);
    assert.equal(readFileSync(path.join(dir, 'flake.nix'), 'utf8'), '{ outputs = _: { }; }\n');
    // still not ours next time: asked again, and replaced only with overwrite
    const again = await planWrite(dir, oneHost());
    assert.deepEqual(
      conflicts(again).map((f) => f.path),
      ['flake.nix'],
    );
    assert.ok((await applyPlan(again, { overwrite: true })).includes('flake.nix'));
    assert.match(readFileSync(path.join(dir, 'flake.nix'), 'utf8'), /Generated by Nix GPU Cluster/);
    assert.deepEqual(conflicts(await planWrite(dir, oneHost())), [], 'replaced with consent: ours from now on');
  }));

test('a generated file edited since is a conflict, not silently overwritten', () =>
  withDir(async (dir) => {
    await applyPlan(await planWrite(dir, oneHost()));
    const host = path.join(dir, 'hosts/node-0001/default.nix');
    writeFileSync(host, `${readFileSync(host, 'utf8')}# my tweak\n`);
    const changed = syntheticCluster(1);
    changed.exo = { ...changed.exo, namespace: 'renamed' };
    const plan = await planWrite(
      dir,
      generateFlake(changed, { templates: [{ path: 'modules/exo.nix', content: '{ ... }: { }\n' }], agentBundle: AGENT_BUNDLE_STAND_IN })
        .files,
    );
    assert.equal(plan.files.find((f) => f.path === 'hosts/node-0001/default.nix')?.status, 'conflict');
    assert.equal(
      plan.files.find((f) => f.path === 'cluster-data.nix')?.status,
      'changed',
      'unedited generated files update without asking',
    );
    await applyPlan(plan);
    assert.match(readFileSync(host, 'utf8'), /# my tweak/);
  }));

test('only files the manifest lists, unchanged and still generated, are removed', () =>
  withDir(async (dir) => {
    await applyPlan(await planWrite(dir, generateFlake(syntheticCluster(3), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files));
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST_PATH), 'utf8')).files as Record<string, string>;
    assert.ok(
      manifest['hosts/node-0003/default.nix'] && !manifest['hosts/node-0003/custom.nix'],
      'user-owned files are not in the manifest',
    );
    // a copy of a generated module the user started from keeps the header but is not in the manifest
    const copy = path.join(dir, 'modules/my-exo.nix');
    mkdirSync(path.dirname(copy), { recursive: true });
    writeFileSync(copy, readFileSync(path.join(dir, 'hosts/node-0001/default.nix')));
    // an edited generated file of the removed host stays
    const edited = path.join(dir, 'hosts/node-0003/disko.nix');
    writeFileSync(edited, `${readFileSync(edited, 'utf8')}# keep me\n`);
    const plan = await planWrite(dir, generateFlake(syntheticCluster(2), { templates: [], agentBundle: AGENT_BUNDLE_STAND_IN }).files);
    assert.deepEqual(
      plan.files.filter((f) => f.status === 'removed').map((f) => f.path),
      ['hosts/node-0003/default.nix'],
    );
    assert.deepEqual(
      plan.files.filter((f) => f.status === 'left-alone').map((f) => f.path),
      ['hosts/node-0003/disko.nix'],
    );
    await applyPlan(plan);
    assert.ok(existsSync(copy) && existsSync(edited));
    assert.ok(!existsSync(path.join(dir, 'hosts/node-0003/default.nix')));
    const after = JSON.parse(readFileSync(path.join(dir, MANIFEST_PATH), 'utf8')).files as Record<string, string>;
    assert.ok(!('hosts/node-0003/disko.nix' in after), 'an edited file is no longer vouched for');
  }));

test('a hostile manifest cannot have user files removed or paths outside deleted', () =>
  withDir(async (dir) => {
    const out = path.join(dir, 'flake');
    mkdirSync(out);
    writeFileSync(path.join(out, 'README.md'), 'mine\n');
    writeFileSync(path.join(dir, 'outside.nix'), '# Generated by Nix GPU Cluster\n');
    const hash = (t: string) => createHash('sha256').update(t).digest('hex');
    writeFileSync(path.join(out, MANIFEST_PATH), JSON.stringify({ files: { 'README.md': hash('mine\n') } }));
    const plan = await planWrite(out, oneHost());
    assert.equal(plan.files.find((f) => f.path === 'README.md')?.status, 'left-alone', 'not generated-looking: never removed');
    await applyPlan(plan);
    assert.ok(existsSync(path.join(out, 'README.md')));
    writeFileSync(path.join(out, MANIFEST_PATH), JSON.stringify({ files: { '../outside.nix': hash('# Generated by Nix GPU Cluster\n') } }));
    const ignored = await planWrite(out, oneHost());
    assert.ok(!ignored.files.some((f) => f.path.includes('outside')), 'entries leading outside are ignored');
    await applyPlan(ignored);
    assert.ok(existsSync(path.join(dir, 'outside.nix')));
  }));
