// `npm run bench -- lsp`: our language server against yaml-language-server on a generated 2,000-host
// cluster.yaml, both over stdio in this run. Measures cold open → first diagnostics and a one-line edit →
// next diagnostics (median of several edits), and each server's memory (VmRSS/VmHWM from /proc).
// yaml-language-server validates the same file against schemas/cluster.schema.json; ours also runs the
// semantic rules. After timing, each server must report a planted error, showing it was validating.
// Then the responsiveness targets of issue 13, for both servers: hover p95 on another spec while the big one
// validates cold (< 50 ms), the first hover on a freshly opened 5 MiB cluster.yaml (< 300 ms from sending the open;
// the median of five files the server has not seen, yaml-language-server once: it takes minutes), and a spec with
// 50,000 hosts/*.yaml files, opened → first diagnostics of its cluster.yaml (< 10 s; yaml-language-server reads
// only the open file, ours reads and cross-checks all 50,000).

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HoverRequest, type TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol/node';
import { generateBigSpec } from '../lsp/big-spec';
import { ensureServerBuilt, fileUri, LspClient, repoRoot, serverPath } from '../lsp/lsp-client';
import { median, processMemory, reportTarget } from './measure';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 2000);
const EDITS = Number(process.env.BENCH_EDITS ?? 9);
/** yaml-language-server waits this long after a change before validating (not configurable). */
const YLS_DELAY_MS = 200;
/** Ours is configured without debounce here, so its figure is all work. */
const OUR_DEBOUNCE_MS = 0;

interface Result {
  name: string;
  /** Open a 5 MiB cluster.yaml, hover on a host in its middle at once: time to the answer (one per fresh file). */
  firstHoverMs: number[];
  /** Open the cluster.yaml of a folder with 50,000 host files: time to its first diagnostics. */
  manyFilesMs: number;
  coldMs: number;
  /** Hovers on a small spec in another folder, sent every few ms while the big file is validated cold. */
  hoverMs: number[];
  editMs: number[];
  rssMB: number;
  peakMB: number;
  fixedDelayMs: number;
  plantedErrorSeen: boolean;
}

/** One server under test, with its own copy of the generated spec (edits change the copy). */
class Subject {
  readonly spec = generateBigSpec(HOSTS);
  readonly result: Result;
  constructor(
    readonly client: LspClient,
    readonly uri: string,
    name: string,
    fixedDelayMs: number,
  ) {
    this.result = {
      name,
      firstHoverMs: [],
      manyFilesMs: 0,
      coldMs: 0,
      hoverMs: [],
      editMs: [],
      rssMB: 0,
      peakMB: 0,
      fixedDelayMs,
      plantedErrorSeen: false,
    };
  }

  /** Settings, then a small spec in another folder, validated, for the hover probe. */
  async prepare(settings: Record<string, unknown>, small: string): Promise<() => Promise<unknown>> {
    // yaml-language-server reads its settings only after didChangeConfiguration.
    await this.client.configure(settings);
    const smallUri = fileUri(small);
    const smallText = readFileSync(small, 'utf8');
    const validated = this.client.waitForDiagnostics(smallUri, () => true, { timeoutMs: 60_000, fresh: true });
    await this.client.open(smallUri, smallText);
    await validated;
    const position = { line: smallText.split('\n').findIndex((l) => l.includes('memoryGB: 256')), character: 6 };
    return () => this.client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: smallUri }, position });
  }

  /** Cold open → first diagnostics, hovering on the small spec all along. */
  async coldOpen(hover: () => Promise<unknown>): Promise<void> {
    const opened = performance.now();
    let validated = false;
    const first = this.client
      .waitForDiagnostics(this.uri, () => true, { timeoutMs: 600_000, fresh: true })
      .then(() => {
        validated = true;
      });
    await this.client.open(this.uri, this.spec.text);
    while (!validated) {
      const t = performance.now();
      if (!(await hover())) throw new Error(`${this.result.name} gave no hover on the small spec`);
      this.result.hoverMs.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
    await first;
    this.result.coldMs = performance.now() - opened;
  }

  /** One-line edit → next diagnostics. */
  async edit(k: number): Promise<void> {
    const at = this.spec.memoryLines[(k * 211 + 17) % this.spec.memoryLines.length];
    const digits = String(at.value).length;
    at.value += 1;
    const change: TextDocumentContentChangeEvent = {
      range: { start: { line: at.line, character: at.character }, end: { line: at.line, character: at.character + digits } },
      text: String(at.value),
    };
    const next = this.client.waitForDiagnostics(this.uri, () => true, { timeoutMs: 600_000, fresh: true });
    const t = performance.now();
    await this.client.change(this.uri, [change]);
    await next;
    this.result.editMs.push(performance.now() - t);
  }

  /**
   * Opens a 5 MiB spec the server has not seen and hovers at once on a host in its middle: time from sending the
   * open (the client encoding it included) to the answer. Then waits for its first diagnostics, so the next run
   * does not start while this file still validates.
   */
  async firstHover(file: string, spec: ReturnType<typeof generateBigSpec>): Promise<void> {
    const uri = fileUri(file);
    const at = spec.memoryLines[spec.memoryLines.length >> 1];
    const validated = this.client.waitForDiagnostics(uri, () => true, { timeoutMs: 600_000, fresh: true });
    const t = performance.now();
    await this.client.open(uri, spec.text);
    const hover = await this.client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: at.line, character: 8 },
    });
    this.result.firstHoverMs.push(performance.now() - t);
    if (!hover) throw new Error(`${this.result.name} gave no hover on the 5 MiB spec`);
    await validated;
    await this.client.close(uri);
  }

  /** Opens the cluster.yaml of a folder with many host files: time to its first diagnostics. */
  async manyFiles(file: string): Promise<void> {
    const uri = fileUri(file);
    const first = this.client.waitForDiagnostics(uri, () => true, { timeoutMs: 600_000, fresh: true });
    const t = performance.now();
    await this.client.open(uri, readFileSync(file, 'utf8'));
    await first;
    this.result.manyFilesMs = performance.now() - t;
    await this.client.close(uri);
  }

  /** Plants a schema error (an unknown interface kind); the server must report it. */
  async plantError(): Promise<void> {
    const lines = this.spec.text.split('\n');
    const line = lines.findIndex((l, i) => i > this.spec.memoryLines[HOSTS >> 1].line && l.includes('kind: ethernet'));
    const col = lines[line].indexOf('ethernet');
    const reported = this.client.waitForDiagnostics(this.uri, (p) => p.diagnostics.some((d) => d.range.start.line === line), {
      timeoutMs: 600_000,
    });
    await this.client.change(this.uri, [
      { range: { start: { line, character: col }, end: { line, character: col + 'ethernet'.length } }, text: 'ethernett' },
    ]);
    this.result.plantedErrorSeen = await reported.then(
      () => true,
      () => false,
    );
  }
}

/** The largest generated spec under the 5 MiB parse limit. */
function specNear5MiB(): ReturnType<typeof generateBigSpec> {
  const limit = 5 * 1048576;
  let hosts = 6000;
  let spec = generateBigSpec(hosts);
  while (Buffer.byteLength(spec.text) > limit) spec = generateBigSpec((hosts = Math.floor(hosts * 0.98)));
  return spec;
}

/** A spec folder with a small cluster.yaml and one hosts/<name>.yaml per host. */
function writeManyHostFiles(dir: string, count: number): string {
  mkdirSync(path.join(dir, 'hosts'), { recursive: true });
  const cluster = path.join(dir, 'cluster.yaml');
  writeFileSync(
    cluster,
    [
      'cluster: { name: many, domain: many.lab, system: x86_64-linux, stateVersion: "25.05", tags: { gpu: GPU nodes } }',
      'network:',
      '  segments:',
      '    - { name: mgmt, subnet: 10.16.0.0/16 }',
      'nats: { url: "nats://10.16.0.1:4222" }',
      '',
    ].join('\n'),
  );
  for (let i = 0; i < count; i++) {
    const name = `host-${String(i).padStart(5, '0')}`;
    const address = `10.16.${(i + 1) >> 8}.${(i + 1) & 255}`;
    writeFileSync(
      path.join(dir, 'hosts', `${name}.yaml`),
      [
        `name: ${name}`,
        `addresses: [${address}]`,
        `roles: [${i === 0 ? 'nats-hub' : 'nats-leaf'}]`,
        'tags: [gpu]',
        'hardware:',
        '  gpus: [{ vendor: nvidia, model: RTX 4090, vramGB: 24, count: 1 }]',
        'interfaces:',
        `  - { name: eth0, kind: ethernet, segment: mgmt, addresses: [${address}/16] }`,
        '',
      ].join('\n'),
    );
  }
  return cluster;
}

const MANY_FILES = Number(process.env.BENCH_HOST_FILES ?? 50_000);
/** Fresh 5 MiB files opened and hovered at once by our server (the median is the figure). */
const FIRST_HOVERS = Number(process.env.BENCH_FIRST_HOVERS ?? 5);

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
    const big5 = specNear5MiB();
    const manyFile = writeManyHostFiles(path.join(dir, 'many'), MANY_FILES);
    console.log(
      `spec: ${HOSTS} hosts, ${spec.text.split('\n').length} lines, ${(Buffer.byteLength(spec.text) / 1048576).toFixed(2)} MiB; ${EDITS} one-line edits`,
    );

    const ourSettings = { gpuCluster: { validation: { debounceMs: OUR_DEBOUNCE_MS } } };
    const schemaUri = fileUri(path.join(repoRoot, 'schemas/cluster.schema.json'));
    const yaml = {
      validate: true,
      hover: true,
      completion: true,
      schemaStore: { enable: false },
      schemas: { [schemaUri]: ['**/cluster.yaml'] },
      maxItemsComputed: 5000,
    };
    const ylsSettings = { yaml, '[yaml]': {}, editor: {}, http: {}, files: {} };
    const ylsBin = path.join(repoRoot, 'node_modules/yaml-language-server/bin/yaml-language-server');
    const uri = fileUri(file);
    const subjects = [
      new Subject(
        await LspClient.start({
          rootPath: dir,
          command: { file: process.execPath, args: [serverPath, '--stdio'] },
          settings: ourSettings,
          keepHistory: false,
        }),
        uri,
        'nix-gpu-cluster',
        OUR_DEBOUNCE_MS,
      ),
      new Subject(
        await LspClient.start({
          rootPath: dir,
          command: { file: process.execPath, args: [ylsBin, '--stdio'] },
          settings: ylsSettings,
          keepHistory: false,
        }),
        uri,
        'yaml-language-server',
        YLS_DELAY_MS,
      ),
    ];
    try {
      const hovers = [await subjects[0].prepare(ourSettings, small), await subjects[1].prepare(ylsSettings, small)];
      // One after the other for the cold open; edits alternate, so a busy machine slows both alike.
      for (const [i, subject] of subjects.entries()) await subject.coldOpen(hovers[i]);
      for (let k = 0; k < EDITS; k++) for (const subject of subjects) await subject.edit(k);
      for (const subject of subjects) Object.assign(subject.result, processMemory(subject.client.pid));
      for (const subject of subjects) await subject.plantError();
      // several fresh files for ours; yaml-language-server parses the whole file for a hover (minutes here): once
      for (let k = 0; k < FIRST_HOVERS; k++) {
        const copy = path.join(dir, `big5-${k}`, 'cluster.yaml');
        mkdirSync(path.dirname(copy));
        writeFileSync(copy, big5.text);
        for (const subject of k ? subjects.slice(0, 1) : subjects) await subject.firstHover(copy, big5);
      }
      for (const subject of subjects) await subject.manyFiles(manyFile);
    } finally {
      await Promise.all(subjects.map((s) => s.client.stop()));
    }
    const [ours, yls] = subjects.map((s) => s.result);

    const row = (r: Result) => {
      const edit = median(r.editMs);
      return `${r.name.padEnd(22)} ${r.coldMs.toFixed(0).padStart(8)} ${edit.toFixed(1).padStart(10)} ${(edit - r.fixedDelayMs).toFixed(1).padStart(12)} ${String(r.fixedDelayMs).padStart(7)} ${r.rssMB.toFixed(0).padStart(8)} ${r.peakMB.toFixed(0).padStart(8)}  ${r.plantedErrorSeen ? 'yes' : 'NO'}`;
    };
    console.log('');
    console.log(
      `${'server'.padEnd(22)} ${'cold ms'.padStart(8)} ${'edit ms'.padStart(10)} ${'edit work ms'.padStart(12)} ${'delay'.padStart(7)} ${'RSS MB'.padStart(8)} ${'peak MB'.padStart(8)}  planted error reported`,
    );
    console.log(row(ours));
    console.log(row(yls));
    const ourEdit = median(ours.editMs);
    const ylsEdit = median(yls.editMs);
    console.log('');
    console.log(`cold open: ${(yls.coldMs / ours.coldMs).toFixed(1)}× faster than yaml-language-server`);
    console.log(
      `warm edit, end to end (ours without debounce, theirs with its fixed ${YLS_DELAY_MS} ms delay): ${(ylsEdit / ourEdit).toFixed(1)}×`,
    );
    console.log(
      `warm edit, work only (each server's fixed delay subtracted): ${((ylsEdit - YLS_DELAY_MS) / (ourEdit - OUR_DEBOUNCE_MS)).toFixed(1)}×`,
    );
    console.log(
      `memory (RSS after the edits): ${(yls.rssMB / ours.rssMB).toFixed(1)}× less; peak ${(yls.peakMB / ours.peakMB).toFixed(1)}× less`,
    );
    const worst = (r: Result) => Math.max(...r.hoverMs).toFixed(0);
    console.log(
      `hover on another spec during the cold validation: ours ${ours.hoverMs.length} answered, median ${median(ours.hoverMs).toFixed(0)} ms, worst ${worst(ours)} ms; yaml-language-server ${yls.hoverMs.length} answered, median ${median(yls.hoverMs).toFixed(0)} ms, worst ${worst(yls)} ms`,
    );
    console.log(
      `edit samples ms: ours [${ours.editMs.map((x) => x.toFixed(0)).join(', ')}], yaml-language-server [${yls.editMs.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];
    const target = (value: number, limit: number) => `${value.toFixed(0)} ms (target < ${limit} ms: ${value < limit ? 'met' : 'NOT met'})`;
    console.log('');
    console.log(
      `responsiveness targets (issue 13); 5 MiB spec: ${big5.hostNames.length} hosts, ${(Buffer.byteLength(big5.text) / 1048576).toFixed(2)} MiB; ${MANY_FILES} host files`,
    );
    console.log(
      `  hover p95 on another spec while one validates: ours ${target(p95(ours.hoverMs), 50)}; yaml-language-server ${p95(yls.hoverMs).toFixed(0)} ms`,
    );
    console.log(
      `  first hover on a freshly opened 5 MiB spec:    ours ${target(median(ours.firstHoverMs), 300)} (median of ${ours.firstHoverMs.length} fresh files: ${ours.firstHoverMs.map((x) => x.toFixed(0)).join(', ')} ms); yaml-language-server ${yls.firstHoverMs[0].toFixed(0)} ms`,
    );
    console.log(
      `  ${MANY_FILES} host files, open → first diagnostics: ours ${target(ours.manyFilesMs, 10_000)}; yaml-language-server ${yls.manyFilesMs.toFixed(0)} ms (the open file only)`,
    );
    const ylsFigure = (ms: number, what = '') => `yaml-language-server ${ms.toFixed(0)} ms${what}`;
    reportTarget({
      name: 'hover p95 on another spec while one validates',
      ms: p95(ours.hoverMs),
      limitMs: 50,
      peers: ylsFigure(p95(yls.hoverMs)),
    });
    reportTarget({
      name: 'first hover on a freshly opened 5 MiB spec',
      ms: median(ours.firstHoverMs),
      limitMs: 300,
      peers: ylsFigure(yls.firstHoverMs[0]),
    });
    reportTarget({
      name: `${MANY_FILES} host files: open → first diagnostics`,
      ms: ours.manyFilesMs,
      limitMs: 10_000,
      peers: ylsFigure(yls.manyFilesMs, ' (the open file only)'),
    });
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
