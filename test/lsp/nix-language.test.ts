// The Nix language over the protocol: diagnostics, option completion (dotted and nested), hover,
// go to definition into nix-templates, quick fix, outline, folding, and the missing-formatter message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CodeActionRequest,
  CompletionRequest,
  DefinitionRequest,
  DocumentFormattingRequest,
  DocumentSymbolRequest,
  FoldingRangeRequest,
  HoverRequest,
  type CompletionItem,
  type CompletionList,
} from 'vscode-languageserver-protocol/node';
import { fileUri, LspClient, repoRoot } from './lsp-client';

let dir: string;
let client: LspClient;

const MODULE = `{ config, lib, pkgs, ... }:
let
  cfg = config.services.exo;
in
{
  services.exo.enable = true;
  services.exo.apiPrt = 52415;
  services.exo.accelerator = 42;
  services.exo.namespace = "lab";
  services = {
    nats = {
      jetstream = true;
    };
  };
  networking.firewall.allowedTCPPorts = [ cfg.apiPort ];
}
`;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nix-lsp-'));
  client = await LspClient.start({ rootPath: dir, settings: { gpuCluster: { nixfmt: { path: 'nixfmt-that-does-not-exist' } } } });
});

after(async () => {
  await client?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const offsetToPosition = (text: string, offset: number) => {
  const lines = text.slice(0, offset).split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1].length };
};
const items = (r: CompletionList | CompletionItem[] | null) => (Array.isArray(r) ? r : (r?.items ?? []));

test('an unknown option and a wrongly typed value show as diagnostics on the right ranges', async () => {
  const uri = fileUri(path.join(dir, 'host.nix'));
  writeFileSync(path.join(dir, 'host.nix'), MODULE);
  await client.open(uri, MODULE, 'nix');
  const { diagnostics } = await client.waitForDiagnostics(uri, (p) => p.diagnostics.length >= 2);
  const byCode = new Map(diagnostics.map((d) => [d.code, d]));
  const unknown = byCode.get('nix.unknown-option')!;
  assert.match(String(unknown.message), /Did you mean 'apiPort'/);
  assert.deepEqual(unknown.range.start, offsetToPosition(MODULE, MODULE.indexOf('apiPrt')));
  const typed = byCode.get('nix.option-type')!;
  assert.deepEqual(typed.range.start, offsetToPosition(MODULE, MODULE.indexOf('42')));
  assert.match(String(typed.message), /one of "cuda", "rocm", "intel", "mlx", "cpu"/);
  assert.equal(diagnostics.length, 2, JSON.stringify(diagnostics));

  const actions = await client.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: unknown.range,
    context: { diagnostics: [unknown] },
  });
  const edit = (actions as { edit?: { changes?: Record<string, { newText: string }[]> } }[])[0]?.edit?.changes?.[uri];
  assert.equal(edit?.[0].newText, 'apiPort');
});

test('option paths complete in dotted and nested form, with enum values after =', async () => {
  const complete = async (name: string, text: string, needle: string) => {
    const uri = fileUri(path.join(dir, name));
    await client.open(uri, text, 'nix');
    const position = offsetToPosition(text, text.indexOf(needle) + needle.length);
    return items(await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position })).map((i) => i.label);
  };
  const dotted = await complete('dotted.nix', '{ ... }: {\n  services.exo.api\n}\n', 'services.exo.api');
  assert.ok(dotted.includes('apiPort'), dotted.join());
  assert.ok(!dotted.includes('services'), 'children of services.exo, not top-level names');
  const nested = await complete('nested.nix', '{ ... }: {\n  services = { exo = { dis }; };\n}\n', '{ dis');
  assert.ok(nested.includes('discoveryPort'), nested.join());
  const topLevel = await complete('top.nix', '{ ... }: {\n  netw\n}\n', 'netw');
  assert.ok(topLevel.includes('networking'), topLevel.join());
  const values = await complete('values.nix', '{ ... }: {\n  services.exo.accelerator = "\n}\n', 'accelerator = "');
  assert.deepEqual(values.sort(), ['"cpu"', '"cuda"', '"intel"', '"mlx"', '"rocm"']);
  const refs = await complete('ref.nix', '{ config, ... }: { x = config.services.exo.zen; }', '.zen');
  assert.ok(refs.includes('zenohPort'), refs.join());
});

test('hover shows type, default and description; definition opens the declaration in nix-templates', async () => {
  const uri = fileUri(path.join(dir, 'host.nix'));
  const position = offsetToPosition(MODULE, MODULE.indexOf('namespace') + 2);
  const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  const value = (hover!.contents as { value: string }).value;
  assert.match(value, /services\.exo\.namespace/);
  assert.match(value, /null or string/);
  assert.match(value, /namespace/);
  const def = await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position });
  const loc = (Array.isArray(def) ? def[0] : def) as { uri: string; range: { start: { line: number } } };
  assert.equal(loc.uri, fileUri(path.join(repoRoot, 'nix-templates/modules/exo.nix')));
  assert.ok(loc.range.start.line > 0);
  const cfgPos = offsetToPosition(MODULE, MODULE.indexOf('cfg.apiPort') + 1);
  const cfgDef = await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: cfgPos });
  assert.deepEqual(((Array.isArray(cfgDef) ? cfgDef[0] : cfgDef) as { range: unknown }).range, {
    start: offsetToPosition(MODULE, MODULE.indexOf('cfg =')),
    end: offsetToPosition(MODULE, MODULE.indexOf('cfg =') + 3),
  });
});

test('syntax errors are reported several at a time and the rest of the file is still checked', async () => {
  const text = '{ ... }: {\n  a = ;\n  b = 1 +;\n  services.exo.enable = "no";\n}\n';
  const uri = fileUri(path.join(dir, 'broken.nix'));
  await client.open(uri, text, 'nix');
  const { diagnostics } = await client.waitForDiagnostics(uri, (p) => p.diagnostics.length >= 3);
  assert.ok(diagnostics.filter((d) => d.source === 'nix').length >= 2, JSON.stringify(diagnostics));
  assert.ok(diagnostics.some((d) => d.code === 'nix.option-type' && d.range.start.line === 3));
});

test('outline, folding, and a clear message when the formatter is missing', async () => {
  const uri = fileUri(path.join(dir, 'host.nix'));
  const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as {
    name: string;
    children?: { name: string }[];
  }[];
  assert.deepEqual(
    symbols.map((s) => s.name),
    [
      'cfg',
      'services.exo.enable',
      'services.exo.apiPrt',
      'services.exo.accelerator',
      'services.exo.namespace',
      'services',
      'networking.firewall.allowedTCPPorts',
    ],
  );
  assert.deepEqual(
    symbols[5].children?.map((c) => c.name),
    ['nats'],
  );
  const folds = await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } });
  assert.ok(folds && folds.some((f) => f.startLine === 9), JSON.stringify(folds));
  // vscode-languageserver sends warnings as window/showMessageRequest (they may carry actions).
  const warned = new Promise<string>((resolve) =>
    client.connection.onRequest('window/showMessageRequest', (p: { message: string }) => {
      resolve(p.message);
      return null;
    }),
  );
  const edits = await client.connection.sendRequest(DocumentFormattingRequest.type, {
    textDocument: { uri },
    options: { tabSize: 2, insertSpaces: true },
  });
  assert.equal(edits, null);
  assert.match(await warned, /nixfmt-that-does-not-exist' was not found/);
});
