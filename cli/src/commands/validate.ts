// `gpu-cluster validate PATH...`: validates cluster specs (cluster.yaml, its folder, or one of its
// hosts/*.yaml files) and .nix files (the editor's Nix diagnostics), and prints every diagnostic as
// `file:line:col severity code message`, as the editor shows them. Exit 1 when there are errors, 2 on bad
// arguments or a path without a cluster.yaml. The text output escapes control characters from spec values and file
// names; at most MAX_DIAGNOSTICS_PER_FILE are listed per file (then one line counts the rest), while the totals
// count them all. JSON output lists every one.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTemplatesDir } from '#core/flake';
import { capPerFile, findClusterFile, loadSpec } from '#core/validate';
import type { SpecDiagnostic } from '#core/spec';
import { escapeControl, processIo, type CliIo } from '../common/io';
import { nixFileDiagnostics } from '../common/nixDiagnostics';

export const USAGE =
  'usage: gpu-cluster validate [--format text|json] PATH...\n' +
  '  PATH           cluster.yaml, the folder holding it, one of its hosts/*.yaml, or a .nix file\n' +
  '  --format json  print the diagnostics as a JSON array\n';

interface Options {
  paths: string[];
  format: 'text' | 'json';
}

function parseArgs(args: readonly string[]): Options | string {
  const paths: string[] = [];
  let format: Options['format'] = 'text';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let value: string | undefined;
    if (a === '--format' || a === '-f') value = args[++i];
    else if (a.startsWith('--format=')) value = a.slice('--format='.length);
    else if (a === '--') {
      paths.push(...args.slice(i + 1));
      break;
    } else if (a.startsWith('-')) return `unknown option ${a}`;
    else {
      paths.push(a);
      continue;
    }
    if (value !== 'text' && value !== 'json') return `--format must be text or json${value ? `, not ${value}` : ''}`;
    format = value;
  }
  if (!paths.length) return 'no PATH given';
  return { paths, format };
}

/** The path people see: relative to the working directory when inside it. */
function displayPath(uri: string, cwd: string): string {
  const file = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function formatDiagnostic(d: SpecDiagnostic, cwd: string): string {
  return escapeControl(
    `${displayPath(d.uri, cwd)}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.severity} ${d.code} ${d.message}`,
  );
}

export async function runValidate(args: readonly string[], io: CliIo = processIo, cwd = process.cwd()): Promise<number> {
  const options = parseArgs(args);
  if (typeof options === 'string') {
    io.err(`gpu-cluster validate: ${options}\n${USAGE}`);
    return 2;
  }
  // several paths may name the same cluster (its folder and one of its host files): validate it once
  const clusters: string[] = [];
  const nixFiles: string[] = [];
  for (const p of options.paths) {
    if (p.endsWith('.nix')) {
      if (!existsSync(path.resolve(cwd, p))) {
        io.err(`gpu-cluster validate: ${p}: no such file or folder\n`);
        return 2;
      }
      nixFiles.push(path.resolve(cwd, p));
      continue;
    }
    try {
      const file = await findClusterFile(path.resolve(cwd, p));
      if (!clusters.includes(file)) clusters.push(file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      io.err(`gpu-cluster validate: ${escapeControl(e.code === 'ENOENT' ? `${p}: no such file or folder` : e.message)}\n`);
      return 2;
    }
  }
  let diagnostics: SpecDiagnostic[] = [];
  let files = 0;
  for (const file of clusters) {
    const loaded = await loadSpec(file);
    files += 1 + loaded.hostPaths.length;
    diagnostics = diagnostics.concat(loaded.diagnostics);
  }
  if (nixFiles.length) {
    diagnostics = diagnostics.concat(await nixFileDiagnostics(nixFiles, templatesDirOrNone()));
    files += nixFiles.length;
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  if (options.format === 'json') {
    io.out(
      `${JSON.stringify(
        diagnostics.map((d) => ({
          file: displayPath(d.uri, cwd),
          line: d.range.start.line + 1,
          column: d.range.start.character + 1,
          endLine: d.range.end.line + 1,
          endColumn: d.range.end.character + 1,
          severity: d.severity,
          code: d.code,
          message: d.message,
        })),
        null,
        2,
      )}\n`,
    );
  } else {
    // one write per thousand lines: 100,000 small writes to a pipe are slow
    const lines = capPerFile(diagnostics).map((d) => `${formatDiagnostic(d, cwd)}\n`);
    for (let i = 0; i < lines.length; i += 1000) io.out(lines.slice(i, i + 1000).join(''));
    io.err(
      `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}

/** The extension's nix-templates/ beside the CLI (or the repository's), whose modules declare the cluster's options. */
export function templatesDirOrNone(): string | undefined {
  try {
    return findTemplatesDir(__dirname);
  } catch {
    return undefined;
  }
}
