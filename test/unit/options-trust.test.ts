// The option checker says "unknown option" only where an authoritative source knows every option of the
// namespace (issue 18's six patterns), knows NixOS from nix-darwin, and sees through module wrappers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseNix } from '#core/nix';
import {
  buildOptionDatabase,
  checkModuleOptions,
  declarationsInModule,
  moduleAttrs,
  type OptionDatabase,
  type RawOption,
} from '#core/options';
import { optionFacts } from '../../core/src/options/facts';
import { classifyModules, declaredModuleClass, flakeModuleClasses, templateModuleClass } from '../../core/src/options/moduleClass';
import { findTemplatesDir } from '#core/flake';

const templatesDir = findTemplatesDir(__dirname);
const templates = readdirSync(path.join(templatesDir, 'modules'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.nix'))
  .map((f) => ({
    file: `modules/${f}`,
    text: readFileSync(path.join(templatesDir, 'modules', f), 'utf8'),
    moduleClass: templateModuleClass(`modules/${f}`),
  }));
const nixos = buildOptionDatabase({ modules: templates }, 'nixos');
const darwin = buildOptionDatabase({ modules: templates }, 'darwin');

function problems(text: string, db: OptionDatabase | OptionDatabase[] = nixos) {
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

/** An evaluated option set (as "Load NixOS Options from This Flake" gives) of a host without opt-in modules. */
const evaluated: RawOption[] = [
  { name: 'boot.loader.timeout', type: 'null or signed integer' },
  { name: 'hardware.nvidia.prime.offload.enable', type: 'boolean' },
  { name: 'image.fileName', type: 'string' },
  { name: 'services.openssh.enable', type: 'boolean' },
];
const evaluatedDb = buildOptionDatabase({ modules: templates, evaluated }, 'nixos');

test('1: a workspace declaration never makes its namespace complete', () => {
  const declaring = '{ lib, ... }: { options.hardware.nvidia.someLocalToggle = lib.mkEnableOption "a local toggle"; }';
  const db = buildOptionDatabase({ modules: [...templates, { file: 'local.nix', text: declaring }] }, 'nixos');
  assert.equal(db.lookup(['hardware', 'nvidia', 'someLocalToggle']).status, 'option');
  assert.deepEqual(
    problems(
      `{ ... }: {
    hardware.nvidia.someLocalToggle = true;
    hardware.nvidia.prime.offload.enable = true;
    boot.loader.timeout = 3;
  }`,
      db,
    ),
    [],
  );
  // A file that declares one option and sets its neighbour does not flag itself.
  const self = '{ lib, ... }: { options.hardware.foo.bar = lib.mkEnableOption "bar"; config.hardware.foo.baz = true; }';
  assert.deepEqual(problems(self, buildOptionDatabase({ modules: [{ file: 'self.nix', text: self }] }, 'nixos')), []);
  // Completeness comes only from recorded facts, each with provenance.
  for (const c of optionFacts.complete) {
    assert.ok(c.source.repository && c.source.file, c.namespace);
    if (c.source.repository !== 'nix-gpu-cluster') assert.match(c.source.commit ?? '', /^[0-9a-f]{40}$/, c.namespace);
  }
  assert.deepEqual(
    problems('{ ... }: { hardware.graphics.enabel = true; }').map((p) => [p.text, p.replacement]),
    [['enabel', 'enable']],
  );
});

test('2: options of opt-in nixpkgs modules imported through modulesPath are not called unknown', () => {
  const sdImage = `{ modulesPath, ... }: {
    imports = [ "\${modulesPath}/installer/sd-card/sd-image-aarch64.nix" ];
    sdImage.compressImage = false;
    installer.cloneConfig = false;
    boot.loader.timeout = 1;
  }`;
  assert.deepEqual(problems(sdImage), []);
  assert.deepEqual(problems(sdImage, evaluatedDb), [], 'even against an evaluated set that lacks sdImage');
  const plus =
    '{ modulesPath, ... }: { imports = [ (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix") ]; isoImage.squashfsCompression = "zstd"; }';
  assert.deepEqual(problems(plus, evaluatedDb), []);
  // Without the import the evaluated set decides, and 'image' is too far from 'sdImage' to be offered as a fix.
  const missing = problems('{ ... }: { boot.loader.timeout = 1; sdImage.compressImage = false; }', evaluatedDb);
  assert.deepEqual(
    missing.map((p) => [p.code, p.text, p.replacement]),
    [['nix.unknown-option', 'sdImage', undefined]],
  );
  // An import that may declare anything (a flake input's module) leaves the evaluated set's verdicts unsaid.
  assert.deepEqual(problems('{ inputs, ... }: { imports = [ inputs.sops.nixosModules.sops ]; sops.secrets.x = { }; }', evaluatedDb), []);
});

test('3: files that are not modules by shape are not checked as modules', () => {
  const notModules = [
    '{ lib, callPackage }: rec { uboot = callPackage ./uboot.nix { }; boot = uboot; }',
    '{ lib }: { mkHost = name: { networking.hostName = name; }; boot = 1; }',
    '{ callPackage }: { uboot = callPackage ./uboot.nix { }; firmware = callPackage ./fw.nix { }; }',
    '{ inputs = { }; outputs = { self }: { }; }',
  ];
  for (const text of notModules) {
    assert.equal(moduleAttrs(parseNix(text).root), undefined, text);
    assert.deepEqual(problems(text, evaluatedDb), [], text);
  }
  // Modules whatever their arguments are named: a function or a set with options/config/imports or known options.
  for (const text of ['{ pkgs }: { boot.loader.timeout = 1; }', 'args: { imports = [ ]; }', '{ services.openssh.enable = true; }']) {
    assert.ok(moduleAttrs(parseNix(text).root), text);
  }
});

test('4: _module.args, _module.check and _module.freeformType exist in every module evaluation', () => {
  const text = '{ lib, ... }: { _module.args.hostName = "a"; _module.check = false; _module.freeformType = lib.types.attrs; }';
  assert.deepEqual(problems(text), []);
  assert.deepEqual(problems(text, darwin), []);
  assert.deepEqual(problems(text, evaluatedDb), []);
  assert.deepEqual(
    problems('{ ... }: { _module.chek = false; _module.check = "no"; }').map((p) => [p.code, p.text, p.replacement]),
    [
      ['nix.unknown-option', 'chek', 'check'],
      ['nix.option-type', '"no"', undefined],
    ],
  );
});

test('5: mkEnableOption // { … }, mkPackageOption and mkOption under lib. or with lib; are declarations', () => {
  const decls = declarationsInModule(
    'm.nix',
    `{ lib, pkgs, ... }: {
    options.services.thing = with lib; {
      enable = mkEnableOption "the thing" // { default = true; };
      verbose = lib.mkEnableOption "verbose logs" // { default = false; description = "Log more."; };
      package = lib.mkPackageOption pkgs "hello" { };
      port = lib.mkOption { type = lib.types.port; default = 80; };
      level = mkOption { type = types.enum [ "a" "b" ]; };
    };
  }`,
  );
  const byName = new Map(decls.map((d) => [d.name, d]));
  assert.deepEqual([...byName.keys()].sort(), [
    'services.thing.enable',
    'services.thing.level',
    'services.thing.package',
    'services.thing.port',
    'services.thing.verbose',
  ]);
  assert.equal(byName.get('services.thing.enable')?.default, 'true');
  assert.deepEqual(byName.get('services.thing.enable')?.type, { kind: 'bool' });
  assert.equal(byName.get('services.thing.verbose')?.description, 'Log more.');
  assert.deepEqual(byName.get('services.thing.package')?.type, { kind: 'package' });
  assert.deepEqual(byName.get('services.thing.level')?.type, { kind: 'enum', values: ['a', 'b'] });
});

test('option checks see through mkIf, mkMerge, mkDefault, mkForce, mkOverride, optionalAttrs, //, let and if, with or without lib.', () => {
  const found = problems(`{ config, lib, ... }: with lib; {
    config = mkMerge [
      (lib.mkIf true { services.exo.apiPort = "a"; })
      (optionalAttrs true { services.exo.enable = "b"; })
      { services.exo = lib.mkDefault { zenohPort = "c"; }; }
      ({ services.exo.discoveryPort = mkForce "d"; } // lib.optionalAttrs false { services.exo.namespace = 5; })
      (let x = 1; in { services.exo.offline = mkOverride 50 "e"; })
      (if true then { services.exo.apiPrt = 1; } else { })
      (lib.attrsets.optionalAttrs true { hardware.graphics.enable = "f"; })
    ];
  }`);
  assert.deepEqual(
    found.map((p) => p.text),
    ['"a"', '"b"', '"c"', '"d"', '5', '"e"', 'apiPrt', '"f"'],
  );
});

test('NixOS and nix-darwin files are told apart and each checked against its own module set', () => {
  const exporters = '{ ... }: { gpuCluster.monitoring.exporters = [ "node" "nvidia-gpu" ]; }';
  assert.deepEqual(problems(exporters, nixos), []);
  assert.deepEqual(
    problems(exporters, darwin).map((p) => p.text),
    ['"nvidia-gpu"'],
  );
  const stateVersion = '{ ... }: { system.stateVersion = 6; }';
  assert.deepEqual(problems(stateVersion, darwin), []);
  assert.deepEqual(
    problems(stateVersion, nixos).map((p) => p.message),
    ['system.stateVersion expects a string, but this is an integer.'],
  );
  assert.deepEqual(
    problems('{ ... }: { system.stateVersion = "25.11"; }', darwin).map((p) => p.text),
    ['"25.11"'],
  );
  // A file of unknown set: a verdict one set contradicts is not reported; one only NixOS can judge is.
  assert.deepEqual(problems(stateVersion, [nixos, darwin]), []);
  assert.deepEqual(problems(exporters, [nixos, darwin]), []);
  assert.deepEqual(
    problems('{ ... }: { hardware.graphics.enabel = true; }', [nixos, darwin]).map((p) => p.text),
    ['enabel'],
  );

  assert.equal(declaredModuleClass(parseNix('{ _class = "darwin"; }').root), 'darwin');
  assert.equal(templateModuleClass('modules/darwin/exo.nix'), 'darwin');
  assert.equal(templateModuleClass('modules/exo.nix'), 'nixos');
  assert.equal(templateModuleClass('lib/exo-args.nix'), undefined);
  const flake = parseNix(`{
    outputs = { self, nixpkgs, nix-darwin, ... }: let
      darwinHost = system: m: nix-darwin.lib.darwinSystem { modules = [ self.darwinModules.default m ]; };
    in {
      nixosModules.default = { imports = [ ./modules/exo.nix ]; };
      darwinModules.default = { imports = [ ./modules/darwin/exo.nix ]; };
      nixosConfigurations.hub = nixpkgs.lib.nixosSystem { modules = [ ./hosts/hub ]; };
      darwinConfigurations.mac = darwinHost "aarch64-darwin" ./hosts/mac;
      mini = nix-darwin.lib.darwinSystem { modules = [ ./hosts/mini.nix ]; };
    };
  }`).root;
  assert.deepEqual(
    flakeModuleClasses(flake)
      .map((r) => `${r.moduleClass} ${r.path}`)
      .sort(),
    ['darwin ./hosts/mac', 'darwin ./hosts/mini.nix', 'darwin ./modules/darwin/exo.nix', 'nixos ./hosts/hub', 'nixos ./modules/exo.nix'],
  );
});

test('a quick fix is offered only for a known option within a typo of what was typed', () => {
  assert.deepEqual(
    problems('{ ... }: { services.exo.apiPrt = 1; }').map((p) => p.replacement),
    ['apiPort'],
  );
  // Far from every name: reported, but no replacement that would break the file.
  assert.deepEqual(
    problems('{ ... }: { services.exo.port = 1; }').map((p) => [p.text, p.replacement]),
    [['port', undefined]],
  );
});

test('every namespace marked complete for nix-templates is declared by the file it names', () => {
  for (const c of optionFacts.complete.filter((x) => x.source.repository === 'nix-gpu-cluster')) {
    for (const cls of c.classes) {
      const files = templates.filter((t) => t.moduleClass === cls && path.matchesGlob(path.join('nix-templates', t.file), c.source.file));
      const declared = files.flatMap((t) => declarationsInModule(t.file, t.text)).filter((d) => d.name.startsWith(`${c.namespace}.`));
      assert.ok(declared.length > 0, `${c.namespace} (${cls}) is declared in ${c.source.file}`);
    }
  }
});

test('a module that declares its _class belongs to that set even where no flake names it', () => {
  const texts = new Map([
    [
      '/w/flake.nix',
      '{ outputs = { nixpkgs, ... }: { nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./modules/m.nix ]; }; }; }',
    ],
    ['/w/modules/m.nix', '{ lib, ... }: { options.x.y = lib.mkOption { type = lib.types.int; }; }'],
    ['/w/modules/darwin/m.nix', '{ lib, ... }: { _class = "darwin"; options.x.y = lib.mkOption { type = lib.types.str; }; }'],
  ]);
  const classes = classifyModules(texts);
  assert.equal(classes.get('/w/modules/m.nix'), 'nixos');
  assert.equal(classes.get('/w/modules/darwin/m.nix'), 'darwin');
});
