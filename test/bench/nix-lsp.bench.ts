// `npm run bench -- nix-lsp`: our language server on generated NixOS modules of about 1 MB and 10 MB,
// over stdio. Measures open → first diagnostics, a one-line edit → next diagnostics (median of several),
// hover and completion on an option path while the file is open, and the server's memory. A wrongly
// typed value planted afterwards must be reported, showing the option checks ran on the whole file.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompletionRequest, HoverRequest } from 'vscode-languageserver-protocol/node';
import { LineIndex } from '#core/util';
import { fileUri, LspClient } from '../lsp/lsp-client';
import { median, processMemory } from './measure';

const EDITS = Number(process.env.BENCH_EDITS ?? 9);

/** A module of `count` services and users, each using options of the curated NixOS set. */
function generateModule(bytes: number): { text: string; burstLines: number[] } {
  const parts = ['{ config, lib, pkgs, ... }:\nlet\n  basePort = 8000;\nin {\n  networking.firewall.allowedTCPPorts = [ 22 80 443 ];\n'];
  let size = parts[0].length;
  for (let i = 0; size < bytes; i++) {
    const entry = `  systemd.services."svc-${i}" = {
    description = "generated service ${i}";
    wantedBy = [ "multi-user.target" ];
    after = [ "network-online.target" ];
    serviceConfig = { ExecStart = "\${pkgs.coreutils}/bin/sleep infinity"; Restart = "always"; };
    environment.PORT = toString (basePort + ${i});
    startLimitBurst = 5;
  };
  users.users."user-${i}" = { isNormalUser = true; extraGroups = [ "wheel" ]; uid = ${1000 + i}; };
`;
    parts.push(entry);
    size += entry.length;
  }
  parts.push('}\n');
  const text = parts.join('');
  const burstLines: number[] = [];
  text.split('\n').forEach((line, n) => {
    if (line.includes('startLimitBurst = 5;')) burstLines.push(n);
  });
  return { text, burstLines };
}

const time = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

async function measure(dir: string, label: string, bytes: number): Promise<void> {
  const { text, burstLines } = generateModule(bytes);
  // A fresh server per size, so memory figures belong to one file.
  const client = await LspClient.start({ rootPath: dir, settings: { gpuCluster: { validation: { debounceMs: 0 } } }, keepHistory: false });
  try {
    const uri = fileUri(path.join(dir, `module-${label}.nix`));
    const first = client.waitForDiagnostics(uri, () => true, { timeoutMs: 600_000, fresh: true });
    const openMs = await time(async () => {
      await client.open(uri, text, 'nix');
      await first;
    });
    const found = client.latest(uri) ?? [];

    const editMs: number[] = [];
    for (let k = 0; k < EDITS; k++) {
      const line = burstLines[(k * 211 + 17) % burstLines.length];
      const character = '    startLimitBurst = '.length;
      const next = client.waitForDiagnostics(uri, () => true, { timeoutMs: 600_000, fresh: true });
      editMs.push(
        await time(async () => {
          await client.change(uri, [
            { range: { start: { line, character }, end: { line, character: character + 1 } }, text: String(6 + (k % 3)) },
          ]);
          await next;
        }),
      );
    }

    const mid = text.indexOf('startLimitBurst', text.length >> 1);
    const lines = new LineIndex(text);
    const hoverMs: number[] = [];
    const completionMs: number[] = [];
    let hovered = false,
      completed = false;
    for (let k = 0; k < 5; k++) {
      hoverMs.push(
        await time(async () => {
          const hover = await client.connection.sendRequest(HoverRequest.type, {
            textDocument: { uri },
            position: lines.positionAt(mid + 3),
          });
          hovered = /startLimitBurst/.test(JSON.stringify(hover?.contents ?? ''));
        }),
      );
      completionMs.push(
        await time(async () => {
          const items = await client.connection.sendRequest(CompletionRequest.type, {
            textDocument: { uri },
            position: lines.positionAt(mid + 'startLimit'.length),
          });
          const list = Array.isArray(items) ? items : (items?.items ?? []);
          completed = list.some((i) => i.label === 'startLimitIntervalSec');
        }),
      );
    }
    const memory = processMemory(client.pid);

    // A string where an int is expected, in the middle of the file.
    const line = burstLines[burstLines.length >> 1];
    const character = '    startLimitBurst = '.length;
    const reported = client.waitForDiagnostics(
      uri,
      (p) => p.diagnostics.some((d) => d.range.start.line === line && d.code === 'nix.option-type'),
      { timeoutMs: 600_000 },
    );
    await client.change(uri, [{ range: { start: { line, character }, end: { line, character: character + 1 } }, text: '"five"' }]);
    const planted = await reported.then(
      () => true,
      () => false,
    );

    const mb = Buffer.byteLength(text) / 1048576;
    console.log(`${label}: ${mb.toFixed(2)} MiB, ${text.split('\n').length} lines, ${burstLines.length} services and users`);
    console.log(
      `  open → diagnostics ${openMs.toFixed(0)} ms (${found.length} problems); edit → diagnostics median ${median(editMs).toFixed(0)} ms [${editMs.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `  hover median ${median(hoverMs).toFixed(1)} ms${hovered ? '' : ' (NO option shown)'}; completion median ${median(completionMs).toFixed(1)} ms${completed ? '' : ' (NO startLimitIntervalSec offered)'}`,
    );
    console.log(
      `  server RSS ${memory.rssMB.toFixed(0)} MB, peak ${memory.peakMB.toFixed(0)} MB; planted type error reported: ${planted ? 'yes' : 'NO'}`,
    );
    if (!planted || !hovered || !completed || found.length > 0) process.exitCode = 1;
  } finally {
    await client.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nix-lsp-bench-'));
  try {
    console.log(`language server on generated NixOS modules, debounce off; ${EDITS} one-line edits each`);
    await measure(dir, '1 MB', 1e6);
    await measure(dir, '10 MB', 1e7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
