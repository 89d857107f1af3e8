// Diagnostics a user can trust, over the protocol: what a file is told does not depend on what was
// opened before, and a generated flake's NixOS and nix-darwin hosts are each checked against their own
// module set.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateFlake } from '../../core/src/flake/generate';
import { findTemplatesDir, readTemplates } from '../../core/src/flake/templates';
import { loadSpec } from '#core/validate';
import { AGENT_BUNDLE_STAND_IN } from '../fixtures/flake/agentBundle';
import { fileUri, LspClient, repoRoot } from './lsp-client';

let dir: string;
let client: LspClient;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nix-trust-'));
  const templates = await readTemplates(findTemplatesDir(repoRoot));
  const { model } = await loadSpec(path.join(repoRoot, 'examples', 'mixed-thunderbolt'));
  for (const f of generateFlake(model, { templates, agentBundle: AGENT_BUNDLE_STAND_IN }).files) {
    mkdirSync(path.dirname(path.join(dir, 'flake', f.path)), { recursive: true });
    writeFileSync(path.join(dir, 'flake', f.path), f.content);
  }
  client = await LspClient.start({ rootPath: dir });
});

after(async () => {
  await client?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const codes = (p: { diagnostics: { code?: unknown }[] }) => p.diagnostics.map((d) => String(d.code));

test('6: declarations of a closed, unsaved file are dropped; the same file gets the same diagnostics whatever was open before', async () => {
  const user = fileUri(path.join(dir, 'user.nix'));
  const text = '{ ... }: {\n  networking.hostName = "a";\n  gpuCluster.monitoring.extraExporterPort = 9200;\n}\n';
  writeFileSync(path.join(dir, 'user.nix'), text);
  await client.open(user, text, 'nix');
  const first = await client.diagnosticsForVersion(user, 1);
  assert.deepEqual(codes(first), ['nix.unknown-option']);
  await client.close(user);

  // An unsaved module declaring the option: while it is open, the option exists.
  const declaring = fileUri(path.join(dir, 'unsaved-module.nix'));
  await client.open(
    declaring,
    '{ lib, ... }: {\n  options.gpuCluster.monitoring.extraExporterPort = lib.mkOption { type = lib.types.port; };\n}\n',
    'nix',
  );
  await client.diagnosticsForVersion(declaring, 1);
  await client.open(user, text, 'nix');
  await client.waitForDiagnostics(user, (p) => p.diagnostics.length === 0, { fresh: true });
  // Closed without saving: the declaration goes, and the open file is told again.
  await client.close(declaring);
  const again = await client.waitForDiagnostics(user, (p) => p.diagnostics.length > 0, { fresh: true });
  assert.deepEqual(again.diagnostics, first.diagnostics);
  await client.close(user);
});

test('a module that declares one option and sets its neighbours does not flag itself', async () => {
  const uri = fileUri(path.join(dir, 'local-toggle.nix'));
  const text = `{ config, lib, ... }: {
  options.hardware.nvidia.someLocalToggle = lib.mkEnableOption "a local toggle";
  config = lib.mkIf config.hardware.nvidia.someLocalToggle {
    hardware.nvidia.prime.offload.enable = true;
    boot.loader.timeout = 3;
  };
}
`;
  writeFileSync(path.join(dir, 'local-toggle.nix'), text);
  await client.open(uri, text, 'nix');
  assert.deepEqual((await client.diagnosticsForVersion(uri, 1)).diagnostics, []);
  await client.close(uri);
});

test('a generated flake gets no diagnostics; its nix-darwin host is checked against nix-darwin, its NixOS hosts against NixOS', async () => {
  const file = (p: string) => path.join(dir, 'flake', p);
  const open = async (p: string, text: string) => {
    const uri = fileUri(file(p));
    await client.open(uri, text, 'nix');
    const published = await client.diagnosticsForVersion(uri, 1);
    await client.close(uri);
    return published.diagnostics;
  };
  const { readFileSync, readdirSync } = await import('node:fs');
  const nixFiles = readdirSync(file('.'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.nix'));
  assert.ok(nixFiles.length > 20);
  for (const p of nixFiles) {
    const found = await open(p, readFileSync(file(p), 'utf8'));
    assert.deepEqual(
      found.map((d) => String(d.message)),
      [],
      p,
    );
  }
  const darwinHost = readFileSync(file('hosts/studio/default.nix'), 'utf8');
  assert.match(darwinHost, /system\.stateVersion = 6;/);
  const linuxHost = nixFiles.find((p) => /^hosts\/[^/]+\/default\.nix$/.test(p) && /nvidia-gpu/.test(readFileSync(file(p), 'utf8')))!;
  assert.ok(linuxHost, 'a NixOS host runs the nvidia-gpu exporter');
  // The host's exporters become [ "nvidia-gpu" ] (set where the host sets them, else added), a string state version.
  const plant = (text: string) =>
    (/exporters = \[[^\]]*\];/.test(text)
      ? text.replace(/exporters = \[[^\]]*\];/, 'exporters = [ "nvidia-gpu" ];')
      : text.replace(/\n}\s*$/, '\n  gpuCluster.monitoring.exporters = [ "nvidia-gpu" ];\n}\n')
    ).replace('system.stateVersion = 6;', 'system.stateVersion = "25.11";');
  const onDarwin = await open('hosts/studio/default.nix', plant(darwinHost));
  assert.deepEqual(
    onDarwin.map((d) => d.code),
    ['nix.option-type', 'nix.option-type'],
    JSON.stringify(onDarwin),
  );
  const messages = onDarwin.map((d) => String(d.message)).sort();
  assert.match(messages[0], /^Each element of gpuCluster\.monitoring\.exporters expects one of "node"; got "nvidia-gpu"/);
  assert.match(messages[1], /^system\.stateVersion expects integer between 1 and 7 \(both inclusive\), but this is a string/);
  assert.deepEqual(await open(linuxHost, plant(readFileSync(file(linuxHost), 'utf8'))), []);
});
