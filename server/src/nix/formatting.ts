// Formatting through an external formatter (nixfmt by default, `gpuCluster.nixfmt.path`): the document
// goes to its standard input and the output replaces the whole text. A missing formatter is said once.

import { spawn } from 'node:child_process';
import type { CancellationToken, TextEdit } from 'vscode-languageserver/node';

export type FormatResult = { edits: TextEdit[] } | { error: string; missing?: boolean };

export function formatWithNixfmt(command: string, text: string, lineCount: number, token: CancellationToken): Promise<FormatResult> {
  return new Promise((resolve) => {
    const child = spawn(command, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const cancel = token.onCancellationRequested(() => child.kill());
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      cancel.dispose();
      resolve(
        err.code === 'ENOENT'
          ? {
              missing: true,
              error: `The Nix formatter '${command}' was not found. Install nixfmt (for example \`nix profile install nixpkgs#nixfmt-rfc-style\`) or set gpuCluster.nixfmt.path.`,
            }
          : { error: `${command}: ${err.message}` },
      );
    });
    child.on('close', (code) => {
      cancel.dispose();
      if (token.isCancellationRequested) return resolve({ edits: [] });
      if (code !== 0) return resolve({ error: `${command} could not format this file: ${stderr.trim().split('\n')[0] ?? `exit ${code}`}` });
      if (stdout === text) return resolve({ edits: [] });
      resolve({ edits: [{ range: { start: { line: 0, character: 0 }, end: { line: lineCount, character: 0 } }, newText: stdout }] });
    });
    child.stdin.on('error', () => {
      /* reported through 'error' or 'close' */
    });
    child.stdin.end(text);
  });
}
