// `gpu-cluster validate FILE.nix` and `gpu-cluster check FLAKE_DIR`: the editor's Nix diagnostics on the command line,
// through the bundled CLI (dist/cli.js), as CI would run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundledCli } from '../support/cli';

const cli = bundledCli('cli-nix-');
const run = cli.run;

test('cli: validate FILE.nix reports unknown options, wrong types and undefined variables as the editor does', () => {
  const file = path.join(cli.tmp, 'host.nix');
  writeFileSync(
    file,
    '{ lib, ... }:\n{\n  services.nats.host = "0.0.0.0";\n  services.k3s.role = "master";\n  networking.hostName = lib.mkDefault hostname;\n}\n',
  );
  const r = run(['validate', file], cli.tmp);
  assert.equal(r.code, 1, r.err);
  const lines = r.out.trim().split('\n');
  assert.ok(
    lines.some((l) => /^host\.nix:3:\d+ error nix\.unknown-option .*services\.nats\.host/.test(l)),
    r.out,
  );
  assert.ok(
    lines.some((l) => /^host\.nix:4:\d+ error nix\.option-type .*"server", "agent"/.test(l)),
    r.out,
  );
  assert.ok(
    lines.some((l) => /^host\.nix:5:\d+ error nix\.undefined-variable Undefined variable 'hostname'/.test(l)),
    r.out,
  );
  assert.match(r.err, /3 errors, 0 warnings in 1 file/);
  // Not read as a YAML spec any more.
  assert.doesNotMatch(r.out, /schema\.required/);
});

test('cli: validate on a template module and check on a generated flake: clean, exit 0', () => {
  const clean = run(['validate', 'nix-templates/modules/nats.nix', 'nix-templates/modules/gpu.nix']);
  assert.equal(clean.code, 0, clean.out + clean.err);
  assert.match(clean.err, /0 errors, 0 warnings in 2 files/);
  const flake = path.join(cli.tmp, 'flake');
  assert.equal(run(['generate', 'examples/two-node-nvidia', '-o', flake]).code, 0);
  const checked = run(['check', flake]);
  assert.equal(checked.code, 0, checked.out + checked.err);
  assert.match(checked.err, /^0 errors in \d+ \.nix files$/m);
  writeFileSync(path.join(flake, 'hosts/gpu-a/custom.nix'), '{ ... }: { services.nats.hots = 1; }\n');
  const broken = run(['check', flake]);
  assert.equal(broken.code, 1);
  assert.match(broken.out, /hosts\/gpu-a\/custom\.nix:1:\d+ error nix\.unknown-option/);
  assert.equal(run(['check', cli.tmp]).code, 2, 'a folder without flake.nix is bad usage');
});
