// `gpu-cluster generate`: writes, is idempotent, previews with --dry-run, refuses specs with errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../cli/src/main';
import { findTemplatesDir } from '../../core/src/flake/templates';

const repo = path.dirname(findTemplatesDir(__dirname));

function capture() {
  const io = { stdout: '', stderr: '', out: (t: string) => { io.stdout += t; }, err: (t: string) => { io.stderr += t; } };
  return io;
}

test('generate writes the flake, then finds nothing to change', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flake-cli-'));
  try {
    const out = path.join(dir, 'flake');
    const first = capture();
    assert.equal(await main(['generate', path.join(repo, 'examples/two-node-nvidia'), '-o', out], first), 0, first.stderr);
    assert.match(first.stdout, /^new {7}flake\.nix$/m);
    assert.ok(existsSync(path.join(out, 'hosts/gpu-a/default.nix')));
    const second = capture();
    assert.equal(await main(['generate', path.join(repo, 'examples/two-node-nvidia'), '-o', out], second), 0);
    assert.match(second.stdout, /^0 file\(s\) written/m);
    assert.match(second.stdout, /^user-kept hosts\/gpu-a\/custom\.nix$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--dry-run shows the diff of a changed spec and writes nothing', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flake-cli-'));
  try {
    const spec = path.join(dir, 'spec');
    cpSync(path.join(repo, 'examples/two-node-nvidia'), spec, { recursive: true });
    const out = path.join(dir, 'flake');
    assert.equal(await main(['generate', spec, '-o', out], capture()), 0);
    const yaml = path.join(spec, 'cluster.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('namespace: two-node', 'namespace: renamed'));
    const before = readFileSync(path.join(out, 'hosts/gpu-a/default.nix'), 'utf8');
    const dry = capture();
    assert.equal(await main(['generate', spec, '-o', out, '--dry-run'], dry), 0);
    assert.match(dry.stdout, /^changed {3}hosts\/gpu-a\/default\.nix$/m);
    assert.match(dry.stdout, /^-    namespace = "two-node";\n\+    namespace = "renamed";$/m);
    assert.match(dry.stdout, /nothing written/);
    assert.equal(readFileSync(path.join(out, 'hosts/gpu-a/default.nix'), 'utf8'), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a spec with errors is refused with its errors; bad arguments are usage errors', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flake-cli-'));
  try {
    writeFileSync(path.join(dir, 'cluster.yaml'), 'cluster: { name: x, domain: x }\nhosts:\n  - name: a\n    addresses: [10.0.0.1]\n    roles: [exo-wrker]\n');
    const io = capture();
    assert.equal(await main(['generate', dir, '-o', path.join(dir, 'flake')], io), 1);
    assert.match(io.stderr, /^Not generated: the spec has \d+ error\(s\):$/m);
    assert.match(io.stderr, /^ {2}\S*cluster\.yaml:5:13 'exo-wrker' is not allowed.*\[schema\.enum\]$/m);
    assert.ok(!existsSync(path.join(dir, 'flake')));
    const usage = capture();
    assert.equal(await main(['generate', dir], usage), 2);
    assert.match(usage.stderr, /-o DIR is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
