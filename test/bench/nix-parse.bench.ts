// Parse throughput of parseNix on generated 1 MB and 10 MB Nix files, next to
// `nix-instantiate --parse --store dummy://` (Nix's own parser) on the same files in the same run.
// The files are built from the corpus fixtures (a NixOS module, a flake, the tricky-syntax file)
// and seeded random expressions, all inside one attribute set that Nix accepts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { NixGen } from '../support/nixGen';
import { median } from './measure';

const root = path.resolve(__dirname, '../..').replace(/\/out$/, '');

/**
 * The parser as it ships: bundled by esbuild with the settings of scripts/build.mjs. Run from source
 * through tsx, every `Tok.X` in parser.ts would be a getter call into lexer.ts's module object
 * (esbuild inlines the enum only in a bundle), which makes the parser about twice as slow.
 */
function loadBundledParser(dir: string): typeof import('../../core/src/nix/parser') {
  const outfile = path.join(dir, 'nix-parser.js');
  buildSync({
    absWorkingDir: root,
    entryPoints: ['core/src/nix/parser.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  return require(outfile) as typeof import('../../core/src/nix/parser');
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'nix-bench-'));
const { parseNix } = loadBundledParser(dir);
const fixtures = ['module.nix', 'flake.nix', 'tricky.nix'].map((f) => readFileSync(path.join(root, 'test/fixtures/nix', f), 'utf8'));

function buildFile(bytes: number, seed: number): string {
  const gen = new NixGen(seed);
  const parts: string[] = ['with {}; {\n'];
  let size = parts[0].length;
  for (let i = 0; size < bytes; i++) {
    let body: string;
    if (i % 4 < 3) body = fixtures[i % 3];
    else {
      do body = gen.wellFormed();
      while (parseNix(`(${body}\n)`).errors.length > 0);
    }
    const entry = `  e${i} = (\n${body}\n);\n`;
    parts.push(entry);
    size += entry.length;
  }
  parts.push('}\n');
  return parts.join('');
}

interface Timing {
  wallMs: number;
  cpuMs: number;
  gcMs?: number;
}
interface Summary {
  median: Timing;
  best: Timing;
}

function summarize(runs: Timing[]): Summary {
  const pick = (f: (xs: number[]) => number): Timing => ({
    wallMs: f(runs.map((r) => r.wallMs)),
    cpuMs: f(runs.map((r) => r.cpuMs)),
    gcMs: runs[0].gcMs === undefined ? undefined : f(runs.map((r) => r.gcMs!)),
  });
  return { median: pick(median), best: pick((xs) => Math.min(...xs)) };
}

/** Main-thread GC pauses, from perf_hooks (entries arrive on a later macrotask). */
const gcPauses: { startTime: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ startTime: e.startTime, duration: e.duration });
}).observe({ entryTypes: ['gc'] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const gcPauseMsBetween = (from: number, to: number) =>
  gcPauses.reduce((sum, e) => (e.startTime >= from && e.startTime < to ? sum + e.duration : sum), 0);

/**
 * parseNix after a JIT warm-up (optimised code needs several runs): wall clock, process CPU time
 * (includes V8's GC helper threads) and the main thread's GC pauses, per run.
 */
async function timeOurs(text: string, runs: number): Promise<Summary> {
  for (let i = 0; i < 4; i++) parseNix(text);
  await settle();
  const out: Timing[] = [];
  // No forced gc() between runs: it shrinks the young generation and roughly doubles the next parse's
  // time, which is not how an editor that parses again and again runs.
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const r = parseNix(text);
    const cpu = process.cpuUsage(c);
    const done = performance.now();
    await settle();
    out.push({ wallMs: done - t, cpuMs: (cpu.user + cpu.system) / 1000, gcMs: gcPauseMsBetween(t, done) });
    if (r.errors.length) throw new Error(`generated file has errors: ${r.errors[0].message}`);
  }
  return summarize(out);
}

/**
 * nix-instantiate's wall clock, and its CPU time from bash's `times`. `--parse` prints the whole tree;
 * `--eval` of `import file` parses and binds variables (Nix's bindVars, as our scope checks do) and
 * evaluates only the outer `with {}; { … }`, printing nothing: the closest Nix comes to parse only.
 */
const NIX_PARSE = 'nix-instantiate --parse --store dummy:// "$1" > /dev/null';
const NIX_IMPORT =
  'nix-instantiate --eval --store dummy:// --argstr file "$1" -E \'{ file }: builtins.seq (import (/. + file)) null\' > /dev/null';
function timeNix(command: string, file: string, runs: number): Summary | undefined {
  const out: Timing[] = [];
  const seconds = (s: string) => {
    const m = /(\d+)m([\d.]+)s/.exec(s);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  // One untimed run first: the first start after a while loads Nix's libraries from disk.
  for (let i = -1; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', `${command} || exit 1; times`, 'bash', file], {
      encoding: 'utf8',
      env: { ...process.env, NIX_PATH: '' },
    });
    const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) {
      if (/not found/.test(r.stderr)) return undefined;
      throw new Error(`nix-instantiate rejected ${file}: ${r.stderr}`);
    }
    const children = r.stdout.trim().split('\n').pop()!.split(/\s+/);
    if (i >= 0) out.push({ wallMs, cpuMs: (seconds(children[0]) + seconds(children[1])) * 1000 });
  }
  return summarize(out);
}

/**
 * Child mode (`--retained <file>`, run with --expose-gc): what one parsed tree keeps alive (JS heap and
 * array buffers, after a full GC) and its node count, as one JSON line.
 */
const retainedArg = process.argv.indexOf('--retained');
function measureRetained(text: string): void {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const before = process.memoryUsage();
  const result = parseNix(text);
  gc();
  const after = process.memoryUsage();
  console.log(
    JSON.stringify({
      heapMB: (after.heapUsed - before.heapUsed) / 1048576,
      arrayBuffersMB: (after.arrayBuffers - before.arrayBuffers) / 1048576,
      nodes: result.tree.count,
    }),
  );
}
function retainedInChild(file: string): { heapMB: number; arrayBuffersMB: number; nodes: number } | undefined {
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, __filename, '--retained', file], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()!) : undefined;
}

const rate = (mb: number, ms: number) => `${(mb / (ms / 1000)).toFixed(1)} MB/s`;
function line(label: string, mb: number, s: Summary): string {
  const m = s.median,
    b = s.best;
  const gc = m.gcMs === undefined ? '' : `; GC pauses ${((100 * m.gcMs) / m.wallMs).toFixed(0)}% of wall`;
  return (
    `${label}: CPU ${rate(mb, m.cpuMs)} (${m.cpuMs.toFixed(0)} ms), wall ${rate(mb, m.wallMs)} (${m.wallMs.toFixed(0)} ms)${gc}` +
    ` [best: CPU ${rate(mb, b.cpuMs)}, wall ${rate(mb, b.wallMs)}]`
  );
}

async function main(): Promise<void> {
  try {
    if (retainedArg > 0) return measureRetained(readFileSync(process.argv[retainedArg + 1], 'utf8'));
    const empty = path.join(dir, 'empty.nix');
    writeFileSync(empty, '{ }\n');
    const startup = timeNix(NIX_PARSE, empty, 5);
    if (startup)
      console.log(
        `nix-instantiate start-up (empty file), median: ${startup.median.wallMs.toFixed(0)} ms wall, ${startup.median.cpuMs.toFixed(0)} ms CPU`,
      );
    else console.log('nix-instantiate not found: only our parser is measured');
    console.log('Medians of 7 runs (parseNix after 4 warm-up runs) and of 5 nix-instantiate runs; MB/s of the same file in the same run.');
    for (const [label, bytes] of [
      ['1 MB', 1e6],
      ['10 MB', 1e7],
    ] as const) {
      const text = buildFile(bytes, 42);
      const file = path.join(dir, `bench-${bytes}.nix`);
      writeFileSync(file, text);
      const mb = text.length / 1e6;
      const ours = await timeOurs(text, 7);
      console.log(line(`${label} (${mb.toFixed(2)} MB) parseNix`, mb, ours));
      const kept = retainedInChild(file);
      if (kept)
        console.log(
          `${label} parseNix tree: ${kept.nodes} nodes, keeps ${kept.heapMB.toFixed(1)} MB of JS heap and ${kept.arrayBuffersMB.toFixed(1)} MB of typed arrays alive`,
        );
      const nix = timeNix(NIX_PARSE, file, 5);
      if (nix && startup) {
        console.log(line(`${label} nix-instantiate --parse (start-up and printing the tree included)`, mb, nix));
        const imported = timeNix(NIX_IMPORT, file, 5)!;
        console.log(
          line(
            `${label} nix-instantiate --eval 'builtins.seq (import file) null' (start-up and variable binding included, no printing)`,
            mb,
            imported,
          ),
        );
        const m = nix.median,
          o = ours.median;
        console.log(
          `${label} parseNix speed vs nix-instantiate: ${(m.wallMs / o.wallMs).toFixed(2)}x wall, ${(m.cpuMs / o.cpuMs).toFixed(2)}x CPU; ` +
            `${((m.cpuMs - startup.median.cpuMs) / o.cpuMs).toFixed(2)}x CPU without Nix's start-up; ` +
            `${(imported.median.wallMs / o.wallMs).toFixed(2)}x wall, ${(imported.median.cpuMs / o.cpuMs).toFixed(2)}x CPU against the import variant`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
