// `gpu-cluster check FLAKE_DIR`: the editor's Nix diagnostics over every .nix file of a (generated) flake, printed as
// `validate` prints them. Exit 1 when any file has an error, 2 on bad arguments. The evaluation with nixpkgs' module
// system and nats-server's own check run in the test suite (test/integration/flake-eval.test.ts), which has the
// pinned upstream sources.

import { statSync } from 'node:fs';
import path from 'node:path';
import { processIo, type CliIo } from '../common/io';
import { nixFileDiagnostics, nixFilesIn } from '../common/nixDiagnostics';
import { formatDiagnostic, templatesDirOrNone } from './validate';

export const USAGE = 'usage: gpu-cluster check FLAKE_DIR\n  FLAKE_DIR  a folder with flake.nix (e.g. the output of gpu-cluster generate)\n';

export async function runCheck(args: readonly string[], io: CliIo = processIo, cwd = process.cwd()): Promise<number> {
  if (args.length !== 1 || args[0].startsWith('-')) {
    io.err(
      `gpu-cluster check: ${args.length ? `unexpected ${args.filter((a) => a !== args[0]).join(' ') || args[0]}` : 'no FLAKE_DIR given'}\n${USAGE}`,
    );
    return 2;
  }
  const dir = path.resolve(cwd, args[0]);
  try {
    statSync(path.join(dir, 'flake.nix'));
  } catch {
    io.err(`gpu-cluster check: ${args[0]} has no flake.nix\n`);
    return 2;
  }
  const files = await nixFilesIn(dir);
  const diagnostics = await nixFileDiagnostics(files, templatesDirOrNone());
  for (const d of diagnostics) io.out(`${formatDiagnostic(d, cwd)}\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  io.err(`${errors} error${errors === 1 ? '' : 's'} in ${files.length} .nix file${files.length === 1 ? '' : 's'}\n`);
  return errors > 0 ? 1 : 0;
}
