// nix-templates/modules/k3s.nix with the generated host settings through nixpkgs' real lib.evalModules: the objects
// of k3s-manifests.nix reach `services.k3s.manifests.<name>.content` on the servers (and only there), node labels
// become `--node-label` flags. nixpkgs' NixOS modules are not on this machine, so the `services.k3s` options the
// module sets are declared here with the types nixpkgs gives them (nixos/modules/services/cluster/rancher/default.nix
// at 4c53d514eb4a4b055dd757808acafadc7ad27436; recorded in core/src/options/option-facts.json).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadSpec } from '#core/validate';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { applyPlan, planWrite } from '#core/flake';
import { k3sManifests } from '../../core/src/k3s/manifests';
import { nodeLabels } from '../../core/src/k3s/nodes';
import { nixString } from '../../core/src/nix/emit';
import type { ClusterSpec } from '#core/spec';
import { nixpkgsLib } from '../support/upstream';

const run = promisify(execFile);
const repo = path.dirname(findTemplatesDir(__dirname));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'k3s-module-'));
const specs = new Map<string, ClusterSpec>();

after(() => rmSync(tmp, { recursive: true, force: true }));

before(async () => {
  const templates = await readTemplates(findTemplatesDir(repo));
  for (const example of ['lab', 'two-node-nvidia']) {
    const loaded = await loadSpec(path.join(repo, 'examples', example));
    specs.set(example, loaded.model.spec);
    const { files } = generateFlake(loaded.model, { templates, agentBundle: AGENT_BUNDLE_STAND_IN });
    await applyPlan(await planWrite(path.join(tmp, example), files));
  }
});

/** Evaluates k3s.nix with a host's generated `gpuCluster.k3s` and returns what it sets on nixpkgs' options. */
async function evalHost(
  example: string,
  host: string,
): Promise<{ role: string; extraFlags: string; manifests: Record<string, { content: unknown; enable: boolean }> | null }> {
  const dir = path.join(tmp, example);
  const expr = `
let
  lib = import ${nixString(nixpkgsLib())};
  t = lib.types;
  opt = type: default: lib.mkOption { inherit type default; };
  upstream = {
    options.services.k3s = {
      enable = opt t.bool false;
      role = opt (t.enum [ "server" "agent" ]) "server";
      clusterInit = opt t.bool false;
      serverAddr = opt t.str "";
      tokenFile = opt (t.nullOr t.path) null;
      extraFlags = opt (t.either t.str (t.listOf t.str)) [ ];
      manifests = opt (t.attrsOf (t.submodule {
        options = {
          enable = opt t.bool true;
          target = lib.mkOption { type = t.nonEmptyStr; };
          content = opt (t.nullOr (t.either t.attrs (t.listOf t.attrs))) null;
        };
      })) { };
    };
    options.networking.firewall = { allowedTCPPorts = opt (t.listOf t.port) [ ]; allowedUDPPorts = opt (t.listOf t.port) [ ]; };
    options.assertions = opt (t.listOf t.unspecified) [ ];
  };
  host = { gpuCluster.k3s = (import ${nixString(path.join(dir, 'hosts', host, 'default.nix'))} { }).gpuCluster.k3s; };
  cfg = (lib.evalModules { modules = [ upstream ${nixString(path.join(dir, 'modules/k3s.nix'))} host ]; }).config;
  failed = builtins.filter (a: !a.assertion) cfg.assertions;
in
  assert failed == [ ];
  {
    inherit (cfg.services.k3s) role extraFlags;
    manifests = if cfg.services.k3s.manifests == { } then null
      else lib.mapAttrs (_: m: { inherit (m) content enable; }) cfg.services.k3s.manifests;
  }`;
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--store', 'dummy://', '-E', expr], {
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout);
}

test('k3s servers hand every generated object to services.k3s.manifests, one manifest each, unchanged', async () => {
  for (const [example, server] of [
    ['lab', 'hub-1'],
    ['two-node-nvidia', 'gpu-a'],
  ]) {
    const spec = specs.get(example)!;
    const expected = k3sManifests(spec);
    assert.ok(
      expected.some((m) => m.object.kind === 'EndpointSlice'),
      `${example} registers exo`,
    );
    const got = await evalHost(example, server);
    assert.equal(got.role, 'server');
    assert.deepEqual(Object.keys(got.manifests ?? {}).sort(), expected.map((m) => m.name).sort());
    for (const m of expected) {
      assert.deepEqual(got.manifests![m.name].content, m.object, `${example} ${m.name}`);
      assert.equal(got.manifests![m.name].enable, true);
    }
  }
});

test('k3s agents set no manifests (nixpkgs deploys them only on servers) and register with the GPU node labels', async () => {
  for (const [example, agent] of [
    ['lab', 'gpu-2'],
    ['two-node-nvidia', 'gpu-b'],
  ]) {
    const spec = specs.get(example)!;
    const got = await evalHost(example, agent);
    assert.equal(got.role, 'agent');
    assert.equal(got.manifests, null);
    const labels = nodeLabels(
      spec,
      spec.hosts.find((h) => h.name === agent)!,
    );
    assert.ok(Object.keys(labels).length >= 4, JSON.stringify(labels));
    // extraFlags is one shell-quoted string (lib.escapeShellArgs); every label is one flag in it
    for (const [k, v] of Object.entries(labels))
      assert.ok(got.extraFlags.includes(`--node-label=${k}=${v}`), `${k}=${v} in ${got.extraFlags}`);
  }
});
