// `gpu-cluster generate SPEC -o DIR [--dry-run] [--overwrite]`: generates the flake of a cluster spec into DIR.
// Lists every file with what would happen to it; --dry-run also prints the diffs and writes nothing.
// A spec with errors is refused with the list of errors (exit 1); bad arguments exit 2. Files in the way that
// Generate did not write (or that were edited since) are conflicts: nothing is written unless --overwrite.

import path from 'node:path';
import { applyPlan, conflicts, findTemplatesDir, pendingFiles, planWrite, prepareGeneration, unifiedDiff } from '#core/flake';
import { escapeControl, processIo, type CliIo } from '../common/io';

export const USAGE =
  'usage: gpu-cluster generate SPEC -o DIR [--dry-run] [--overwrite]\n' +
  '  SPEC     cluster.yaml, or the folder holding it\n' +
  '  -o DIR   folder the flake is written to (created when missing)\n' +
  '  --dry-run  show what would change, with diffs, and write nothing\n' +
  '  --overwrite  also replace files Generate did not write or that were edited since (conflicts)\n';

function parseArgs(args: readonly string[]): { spec: string; outDir: string; dryRun: boolean; overwrite: boolean } | string {
  let spec: string | undefined;
  let outDir: string | undefined;
  let dryRun = false;
  let overwrite = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-o' || a === '--out') {
      if (!args[i + 1]) return `${a} needs a folder`;
      outDir = args[++i];
    } else if (a.startsWith('--out=')) outDir = a.slice('--out='.length);
    else if (a === '--dry-run') dryRun = true;
    else if (a === '--overwrite') overwrite = true;
    else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (spec === undefined) spec = a;
    else return `unexpected argument ${a}`;
  }
  if (!spec) return 'SPEC is missing';
  if (!outDir) return '-o DIR is missing';
  return { spec, outDir, dryRun, overwrite };
}

export async function runGenerate(args: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.err(`gpu-cluster generate: ${parsed}\n${USAGE}`);
    return 2;
  }
  let prepared;
  try {
    prepared = await prepareGeneration(parsed.spec, findTemplatesDir(__dirname));
  } catch (err) {
    io.err(`gpu-cluster generate: ${(err as Error).message}\n`);
    return 1;
  }
  if (!prepared.result) {
    io.err(
      `Not generated: the spec has ${prepared.errors.length} error(s):\n${prepared.errors.map((e) => `  ${escapeControl(e)}\n`).join('')}`,
    );
    return 1;
  }
  for (const w of prepared.result.warnings) io.err(`warning: ${escapeControl(w)}\n`);
  let plan;
  try {
    plan = await planWrite(path.resolve(parsed.outDir), prepared.result.files);
  } catch (err) {
    io.err(`gpu-cluster generate: ${escapeControl((err as Error).message)}\n`);
    return 1;
  }
  const pending = pendingFiles(plan, parsed.overwrite);
  for (const f of plan.files) io.out(`${f.status.padEnd(9)} ${f.path}\n`);
  if (parsed.dryRun) {
    for (const f of pending) io.out(unifiedDiff(f));
    io.out(`${pending.length} file(s) would be written to ${plan.outDir} (dry run: nothing written)\n`);
    return 0;
  }
  const inTheWay = conflicts(plan);
  if (inTheWay.length && !parsed.overwrite) {
    io.err(
      `Not written: ${inTheWay.length} file(s) in ${plan.outDir} were not written by Generate or were edited since:\n` +
        `${inTheWay.map((f) => `  ${f.path}\n`).join('')}Move them away, or run again with --overwrite to replace them.\n`,
    );
    return 1;
  }
  const written = await applyPlan(plan, { overwrite: parsed.overwrite });
  io.out(`${written.length} file(s) written to ${plan.outDir}\n`);
  return 0;
}
