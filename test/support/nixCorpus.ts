// The corpus of third-party NixOS modules (test/fixtures/nix-corpus, MANIFEST.json says from where),
// opened through the language server one after another: what it reports on each file.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { fileUri, LspClient, repoRoot } from '../lsp/lsp-client';

export const corpusDir = path.join(repoRoot, 'test/fixtures/nix-corpus');

export interface CorpusManifest {
  repositories: { repository: string; commit: string; license: string; files: number }[];
  /** Diagnostics that are real problems of upstream code: file (relative to the corpus), code and why. */
  realProblems: { file: string; code: string; line: number; reason: string }[];
}

export const corpusManifest = JSON.parse(readFileSync(path.join(corpusDir, 'MANIFEST.json'), 'utf8')) as CorpusManifest;

export function corpusFiles(): string[] {
  return readdirSync(corpusDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.nix'))
    .sort();
}

export interface CorpusResult {
  files: number;
  /** Every diagnostic, by corpus-relative file. */
  diagnostics: { file: string; diagnostic: Diagnostic }[];
  ms: number;
  /** Diagnostics of a planted, unsaved module with a typo and a wrong type, opened after the corpus in the same server. */
  planted: Diagnostic[];
}

/** Opened after the corpus: shows the checks are live in that workspace. */
export const PLANTED = '{ ... }: {\n  hardware.graphics.enabel = true;\n  hardware.graphics.enable32Bit = "yes";\n}\n';

/** Opens every corpus file in a server whose workspace is the corpus, waits for its diagnostics, closes it. */
export async function checkCorpus(): Promise<CorpusResult> {
  const client = await LspClient.start({ rootPath: corpusDir, keepHistory: false });
  try {
    const files = corpusFiles();
    const diagnostics: CorpusResult['diagnostics'] = [];
    const started = performance.now();
    for (const file of files) {
      const uri = fileUri(path.join(corpusDir, file));
      await client.open(uri, readFileSync(path.join(corpusDir, file), 'utf8'), 'nix');
      const published = await client.diagnosticsForVersion(uri, 1);
      for (const diagnostic of published.diagnostics) diagnostics.push({ file, diagnostic });
      await client.close(uri);
    }
    const ms = performance.now() - started;
    const planted = fileUri(path.join(corpusDir, 'planted-by-the-test.nix'));
    await client.open(planted, PLANTED, 'nix');
    return { files: files.length, diagnostics, ms, planted: (await client.diagnosticsForVersion(planted, 1)).diagnostics };
  } finally {
    await client.stop();
  }
}

/** Whether a diagnostic is one the manifest lists as a real problem of the upstream file. */
export function isKnownReal(file: string, d: Diagnostic): boolean {
  return corpusManifest.realProblems.some((r) => r.file === file && r.code === d.code && r.line === d.range.start.line + 1);
}
