// `npm run bench -- lsp`: our language server against yaml-language-server on a generated 2,000-host
// cluster.yaml, both over stdio in this run. Measures cold open → first diagnostics and a one-line edit →
// next diagnostics (median of several edits), and each server's memory (VmRSS/VmHWM from /proc).
// yaml-language-server validates the same file against schemas/cluster.schema.json; ours also runs the
// semantic rules. After timing, each server must report a planted error, showing it was validating.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HoverRequest, type TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol/node';
import { generateBigSpec } from '../lsp/big-spec';
import { ensureServerBuilt, fileUri, LspClient, repoRoot, serverPath } from '../lsp/lsp-client';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 2000);
const EDITS = Number(process.env.BENCH_EDITS ?? 9);
/** yaml-language-server waits this long after a change before validating (not configurable). */
const YLS_DELAY_MS = 200;
/** Ours is configured without debounce here, so its figure is all work. */
const OUR_DEBOUNCE_MS = 0;

interface Result {
  name: string;
  coldMs: number;
  /** Hovers on a small spec in another folder, sent every few ms while the big file is validated cold. */
  hoverMs: number[];
  editMs: number[];
  rssMB: number;
  peakMB: number;
  fixedDelayMs: number;
  plantedErrorSeen: boolean;
}

function memoryOf(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function run(name: string, client: LspClient, settings: Record<string, unknown>, file: string, small: string, fixedDelayMs: number): Promise<Result> {
  const spec = generateBigSpec(HOSTS);
  const uri = fileUri(file);
  try {
    // yaml-language-server reads its settings only after didChangeConfiguration.
    await client.configure(settings);
    const smallUri = fileUri(small);
    const smallText = readFileSync(small, 'utf8');
    const smallFirst = client.waitForDiagnostics(smallUri, () => true, { timeoutMs: 60_000, fresh: true });
    await client.open(smallUri, smallText);
    await smallFirst;
    const hoverAt = { line: smallText.split('\n').findIndex((l) => l.includes('memoryGB: 256')), character: 6 };

    const opened = performance.now();
    let validated = false;
    const first = client.waitForDiagnostics(uri, () => true, { timeoutMs: 300_000, fresh: true }).then(() => { validated = true; });
    await client.open(uri, spec.text);
    const hoverMs: number[] = [];
    while (!validated) {
      const t = performance.now();
      const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: smallUri }, position: hoverAt });
      if (!hover) throw new Error(`${name} gave no hover on the small spec`);
      hoverMs.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
    await first;
    const coldMs = performance.now() - opened;

    const editMs: number[] = [];
    for (let k = 0; k < EDITS; k++) {
      const at = spec.memoryLines[(k * 211 + 17) % spec.memoryLines.length];
      const digits = String(at.value).length;
      at.value += 1;
      const change: TextDocumentContentChangeEvent = {
        range: { start: { line: at.line, character: at.character }, end: { line: at.line, character: at.character + digits } },
        text: String(at.value),
      };
      const next = client.waitForDiagnostics(uri, () => true, { timeoutMs: 300_000, fresh: true });
      const t = performance.now();
      await client.change(uri, [change]);
      await next;
      editMs.push(performance.now() - t);
    }
    const memory = memoryOf(client.pid);

    // Plant a schema error (an unknown interface kind) and check the server reports it.
    const lines = spec.text.split('\n');
    const line = lines.findIndex((l, i) => i > spec.memoryLines[HOSTS >> 1].line && l.includes('kind: ethernet'));
    const col = lines[line].indexOf('ethernet');
    const reported = client.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.range.start.line === line), { timeoutMs: 300_000 });
    await client.change(uri, [{ range: { start: { line, character: col }, end: { line, character: col + 'ethernet'.length } }, text: 'ethernett' }]);
    const plantedErrorSeen = await reported.then(() => true, () => false);
    return { name, coldMs, hoverMs, editMs, fixedDelayMs, plantedErrorSeen, ...memory };
  } finally {
    await client.stop();
  }
}

async function main(): Promise<void> {
  ensureServerBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lsp-bench-'));
  try {
    const file = path.join(dir, 'big', 'cluster.yaml');
    const small = path.join(dir, 'lab', 'cluster.yaml');
    cpSync(path.join(repoRoot, 'examples/lab'), path.dirname(small), { recursive: true });
    mkdirSync(path.dirname(file));
    const spec = generateBigSpec(HOSTS);
    writeFileSync(file, spec.text);
    console.log(`spec: ${HOSTS} hosts, ${spec.text.split('\n').length} lines, ${(Buffer.byteLength(spec.text) / 1048576).toFixed(2)} MiB; ${EDITS} one-line edits`);

    const ourSettings = { gpuCluster: { validation: { debounceMs: OUR_DEBOUNCE_MS } } };
    const ours = await run('nix-gpu-cluster', await LspClient.start({
      rootPath: dir,
      command: { file: process.execPath, args: [serverPath, '--stdio'] },
      settings: ourSettings,
      keepHistory: false,
    }), ourSettings, file, small, OUR_DEBOUNCE_MS);

    const schemaUri = fileUri(path.join(repoRoot, 'schemas/cluster.schema.json'));
    const yaml = { validate: true, hover: true, completion: true, schemaStore: { enable: false }, schemas: { [schemaUri]: ['**/cluster.yaml'] }, maxItemsComputed: 5000 };
    const ylsBin = path.join(repoRoot, 'node_modules/yaml-language-server/bin/yaml-language-server');
    const ylsSettings = { yaml, '[yaml]': {}, editor: {}, http: {}, files: {} };
    const yls = await run('yaml-language-server', await LspClient.start({
      rootPath: dir,
      command: { file: process.execPath, args: [ylsBin, '--stdio'] },
      settings: ylsSettings,
      keepHistory: false,
    }), ylsSettings, file, small, YLS_DELAY_MS);

    const row = (r: Result) => {
      const edit = median(r.editMs);
      return `${r.name.padEnd(22)} ${r.coldMs.toFixed(0).padStart(8)} ${edit.toFixed(1).padStart(10)} ${(edit - r.fixedDelayMs).toFixed(1).padStart(12)} ${String(r.fixedDelayMs).padStart(7)} ${r.rssMB.toFixed(0).padStart(8)} ${r.peakMB.toFixed(0).padStart(8)}  ${r.plantedErrorSeen ? 'yes' : 'NO'}`;
    };
    console.log('');
    console.log(`${'server'.padEnd(22)} ${'cold ms'.padStart(8)} ${'edit ms'.padStart(10)} ${'edit work ms'.padStart(12)} ${'delay'.padStart(7)} ${'RSS MB'.padStart(8)} ${'peak MB'.padStart(8)}  planted error reported`);
    console.log(row(ours));
    console.log(row(yls));
    const ourEdit = median(ours.editMs);
    const ylsEdit = median(yls.editMs);
    console.log('');
    console.log(`cold open: ${(yls.coldMs / ours.coldMs).toFixed(1)}× faster than yaml-language-server`);
    console.log(`warm edit, end to end (ours without debounce, theirs with its fixed ${YLS_DELAY_MS} ms delay): ${(ylsEdit / ourEdit).toFixed(1)}×`);
    console.log(`warm edit, work only (each server's fixed delay subtracted): ${((ylsEdit - YLS_DELAY_MS) / (ourEdit - OUR_DEBOUNCE_MS)).toFixed(1)}×`);
    console.log(`memory (RSS after the edits): ${(yls.rssMB / ours.rssMB).toFixed(1)}× less; peak ${(yls.peakMB / ours.peakMB).toFixed(1)}× less`);
    const worst = (r: Result) => Math.max(...r.hoverMs).toFixed(0);
    console.log(`hover on another spec during the cold validation: ours ${ours.hoverMs.length} answered, median ${median(ours.hoverMs).toFixed(0)} ms, worst ${worst(ours)} ms; yaml-language-server ${yls.hoverMs.length} answered, median ${median(yls.hoverMs).toFixed(0)} ms, worst ${worst(yls)} ms`);
    console.log(`edit samples ms: ours [${ours.editMs.map((x) => x.toFixed(0)).join(', ')}], yaml-language-server [${yls.editMs.map((x) => x.toFixed(0)).join(', ')}]`);
    if (!ours.plantedErrorSeen || !yls.plantedErrorSeen) {
      console.error('a server did not report the planted error: its timings do not show validation work');
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
