import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseNix, resolveVariables } from '#core/nix';
import { buildOptionDatabase, checkModuleOptions, declarationsInModule, optionPathAt } from '#core/options';
import { findTemplatesDir } from '#core/flake';

const templatesDir = path.join(findTemplatesDir(__dirname), 'modules');
const templates = readdirSync(templatesDir)
  .filter((f) => f.endsWith('.nix'))
  .map((f) => ({ file: path.join(templatesDir, f), text: readFileSync(path.join(templatesDir, f), 'utf8') }));
const db = buildOptionDatabase({ modules: templates });

function problems(text: string) {
  const { root, errors } = parseNix(text);
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
    'the test module parses',
  );
  return checkModuleOptions(root, db).map((p) => ({
    code: p.code,
    text: text.slice(p.start, p.end),
    message: p.message,
    replacement: p.replacement,
  }));
}

test('declarations are read from nix-templates with types, defaults and locations', () => {
  const exo = declarationsInModule('exo.nix', templates.find((t) => t.file.endsWith('/exo.nix'))!.text);
  const byName = new Map(exo.map((d) => [d.name, d]));
  assert.deepEqual(byName.get('services.exo.enable')?.type, { kind: 'bool' });
  assert.deepEqual(byName.get('services.exo.apiPort')?.type, { kind: 'int', min: 0, max: 65535 });
  assert.equal(byName.get('services.exo.apiPort')?.default, '52415');
  assert.deepEqual(byName.get('services.exo.accelerator')?.type, { kind: 'enum', values: ['cuda', 'rocm', 'intel', 'mlx', 'cpu'] });
  assert.deepEqual(byName.get('services.exo.roles')?.type, { kind: 'listOf', of: { kind: 'enum', values: ['master', 'worker', 'api'] } });
  assert.match(byName.get('services.exo.namespace')?.description ?? '', /namespace/);
  const loc = byName.get('services.exo.apiPort')!.declarations[0];
  assert.equal(loc.file, 'exo.nix');
  assert.ok(loc.line! > 10);
});

test('every module in nix-templates declares options the database then knows', () => {
  for (const t of templates) {
    const decls = declarationsInModule(t.file, t.text);
    for (const d of decls) assert.equal(db.lookup(d.name.split('.').map((s) => s)).status === 'unknown', false, d.name);
  }
  assert.equal(db.lookup(['services', 'exo', 'apiPort']).status, 'option');
});

test('unknown option paths are reported on the misspelled segment with a suggestion', () => {
  const found = problems('{ config, ... }: { services.exo.apiPrt = 1; services.exo.enable = true; }');
  assert.deepEqual(
    found.map((p) => [p.code, p.text, p.replacement]),
    [['nix.unknown-option', 'apiPrt', 'apiPort']],
  );
  assert.match(found[0].message, /No option 'services.exo.apiPrt'.*Did you mean 'apiPort'/);
});

test('nested and dotted definitions, mkIf and mkMerge are all walked', () => {
  const found = problems(`{ lib, config, ... }: {
    config = lib.mkIf true (lib.mkMerge [
      { services = { exo = { enabel = true; }; }; }
      { services.exo.apiPort = 70000; }
    ]);
  }`);
  assert.deepEqual(
    found.map((p) => [p.code, p.text]),
    [
      ['nix.unknown-option', 'enabel'],
      ['nix.option-type', '70000'],
    ],
  );
  assert.match(found[1].message, /between 0 and 65535/);
});

test('literal values are checked against option types', () => {
  const found = problems(`{ ... }: {
    services.exo.enable = "yes";
    services.exo.accelerator = "cdua";
    services.exo.roles = [ "master" 3 ];
    services.exo.namespace = null;
    services.nats.port = "4222";
    services.nats.dataDir = "relative/dir";
    networking.firewall.allowedTCPPorts = [ 22 (-1) ];
    services.k3s.role = "agent";
    services.k3s.tokenFile = ./token;
  }`);
  assert.deepEqual(
    found.map((p) => p.text),
    ['"yes"', '"cdua"', '3', '"4222"', '"relative/dir"', '-1'],
  );
  assert.equal(found[1].replacement, '"cuda"');
});

test('computed values and freeform settings are never judged', () => {
  assert.deepEqual(
    problems(`{ config, lib, pkgs, ... }: let cfg = config.services.exo; in {
    services.exo.enable = cfg.apiPort > 0;
    services.exo.apiPort = lib.mkDefault (1 + 2);
    services.nats.settings = { leafnodes.remotes = [ { url = 1; } ]; anything = true; };
    services.k3s.images = [ ];
    myOwnThing = 1;
  }`).map((p) => p.text),
    [],
    'no top-level name is unknown without an evaluated option set: any import may declare one',
  );
});

test('a flake is not a module: its attributes are not options', () => {
  assert.deepEqual(problems('{ inputs = { }; outputs = { self }: { nixosConfigurations = { }; }; }'), []);
});

test('optionPathAt finds the option under the cursor in keys and nested sets', () => {
  const text = '{ ... }: { services.exo = { apiPort = 1; }; }';
  const { root } = parseNix(text);
  assert.deepEqual(optionPathAt(root, text.indexOf('exo') + 1), {
    path: ['services', 'exo'],
    segment: { name: 'exo', start: text.indexOf('exo'), end: text.indexOf('exo') + 3 },
    inKey: true,
  });
  assert.deepEqual(optionPathAt(root, text.indexOf('apiPort') + 2).path, ['services', 'exo', 'apiPort']);
  assert.deepEqual(optionPathAt(root, text.indexOf('= {') + 3), { path: ['services', 'exo'], inKey: false });
});

test('undefined variables are found; let, rec, lambda formals, inherit and with bind names', () => {
  const names = (text: string) => resolveVariables(parseNix(text).root).undefinedNames.map((u) => u.name);
  assert.deepEqual(names('let a = 1; b = a + c; in { x = b; y = d; }'), ['c', 'd']);
  assert.deepEqual(names('rec { a = b; b = 1; c = { e = a; }; }'), []);
  assert.deepEqual(names('{ a = b; b = 1; }'), ['b']);
  assert.deepEqual(names('{ x, y ? x, ... }@args: x + y + args.z + w'), ['w']);
  assert.deepEqual(names('let inherit (builtins) map; in { inherit map; inherit zz; }'), ['zz']);
  assert.deepEqual(names('with import <nixpkgs> { }; hello + undefinedButMaybeFromWith'), []);
  assert.deepEqual(names('x: "${x} ${y}"'), ['y']);
  assert.deepEqual(names('[ true false null builtins.map __curPos toString ]'), []);
});
