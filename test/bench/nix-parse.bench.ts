// Parse throughput of parseNix on generated 1 MB and 10 MB Nix files, next to
// `nix-instantiate --parse --store dummy://` (Nix's own parser) on the same files in the same run.
// The files are built from the corpus fixtures (a NixOS module, a flake, the tricky-syntax file)
// and seeded random expressions, all inside one attribute set that Nix accepts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseNix } from '../../core/src/nix/parser';
import { NixGen } from '../support/nixGen';

const root = path.resolve(__dirname, '../..').replace(/\/out$/, '');
const fixtures = ['module.nix', 'flake.nix', 'tricky.nix'].map((f) => readFileSync(path.join(root, 'test/fixtures/nix', f), 'utf8'));

function buildFile(bytes: number, seed: number): string {
  const gen = new NixGen(seed);
  const parts: string[] = ['with {}; {\n'];
  let size = parts[0].length;
  for (let i = 0; size < bytes; i++) {
    let body: string;
    if (i % 4 < 3) body = fixtures[i % 3];
    else {
      do body = gen.wellFormed(); while (parseNix(`(${body}\n)`).errors.length > 0);
    }
    const entry = `  e${i} = (\n${body}\n);\n`;
    parts.push(entry);
    size += entry.length;
  }
  parts.push('}\n');
  return parts.join('');
}

interface Timing { ms: number; cpuMs: number }

/** Best of several runs, wall clock and CPU time (CPU time is steadier on a busy machine). */
function timeOurs(text: string): Timing {
  for (let i = 0; i < 6; i++) parseNix(text); // warm up the JIT (optimised code needs several runs)
  let ms = Infinity, cpuMs = Infinity;
  // No forced gc() between runs: it shrinks the young generation and roughly doubles the next parse's
  // time, which is not how an editor that parses again and again runs.
  for (let i = 0; i < 7; i++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const r = parseNix(text);
    const cpu = process.cpuUsage(c);
    ms = Math.min(ms, Number(process.hrtime.bigint() - t) / 1e6);
    cpuMs = Math.min(cpuMs, (cpu.user + cpu.system) / 1000);
    if (r.errors.length) throw new Error(`generated file has errors: ${r.errors[0].message}`);
  }
  return { ms, cpuMs };
}

/** nix-instantiate's wall clock, and its CPU time from bash's `times`. */
function timeNix(file: string): Timing | undefined {
  let ms = Infinity, cpuMs = Infinity;
  const seconds = (s: string) => { const m = /(\d+)m([\d.]+)s/.exec(s); return m ? Number(m[1]) * 60 + Number(m[2]) : NaN; };
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', 'nix-instantiate --parse --store dummy:// "$1" > /dev/null || exit 1; times', 'bash', file], { encoding: 'utf8', env: { ...process.env, NIX_PATH: '' } });
    ms = Math.min(ms, Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) {
      if (/not found/.test(r.stderr)) return undefined;
      throw new Error(`nix-instantiate rejected ${file}: ${r.stderr}`);
    }
    const children = r.stdout.trim().split('\n').pop()!.split(/\s+/);
    cpuMs = Math.min(cpuMs, (seconds(children[0]) + seconds(children[1])) * 1000);
  }
  return { ms, cpuMs };
}

/**
 * Child mode (`--only-ours <file>`): time parseNix on a file and print one JSON line; used to measure
 * the parser under other V8 heap settings (a tree this size is mostly young-generation GC work).
 */
const onlyOurs = process.argv.indexOf('--only-ours');
if (onlyOurs > 0) {
  console.log(JSON.stringify(timeOurs(readFileSync(process.argv[onlyOurs + 1], 'utf8'))));
  process.exit(0);
}

function timeOursWithFlags(file: string, flags: string[]): Timing | undefined {
  const r = spawnSync(process.execPath, [...flags, ...process.execArgv, __filename, '--only-ours', file], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout.trim().split('\n').pop()!) as Timing) : undefined;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'nix-bench-'));
try {
  const empty = path.join(dir, 'empty.nix');
  writeFileSync(empty, '{ }\n');
  const startup = timeNix(empty);
  if (startup) console.log(`nix-instantiate start-up (empty file): ${startup.ms.toFixed(0)} ms wall, ${startup.cpuMs.toFixed(0)} ms CPU`);
  else console.log('nix-instantiate not found: only our parser is measured');
  const rate = (mb: number, ms: number) => `${(mb / (ms / 1000)).toFixed(1)} MB/s`;
  for (const [label, bytes] of [['1 MB', 1e6], ['10 MB', 1e7]] as const) {
    const text = buildFile(bytes, 42);
    const file = path.join(dir, `bench-${bytes}.nix`);
    writeFileSync(file, text);
    const mb = text.length / 1e6;
    const ours = timeOurs(text);
    console.log(`${label} (${mb.toFixed(2)} MB): parseNix ${ours.ms.toFixed(0)} ms wall = ${rate(mb, ours.ms)}; ${ours.cpuMs.toFixed(0)} ms CPU = ${rate(mb, ours.cpuMs)}`);
    const tuned = timeOursWithFlags(file, ['--max-semi-space-size=64']);
    if (tuned) console.log(`${label}: parseNix with node --max-semi-space-size=64: ${tuned.ms.toFixed(0)} ms wall = ${rate(mb, tuned.ms)}; ${tuned.cpuMs.toFixed(0)} ms CPU = ${rate(mb, tuned.cpuMs)}`);
    const nix = timeNix(file);
    if (nix && startup) {
      console.log(`${label}: nix-instantiate --parse ${nix.ms.toFixed(0)} ms wall = ${rate(mb, nix.ms)}; ${nix.cpuMs.toFixed(0)} ms CPU = ${rate(mb, nix.cpuMs)} (includes start-up and printing the tree)`);
      console.log(`${label}: parseNix vs nix-instantiate: ${(nix.ms / ours.ms).toFixed(2)}x wall, ${(nix.cpuMs / ours.cpuMs).toFixed(2)}x CPU; without Nix's start-up ${((nix.cpuMs - startup.cpuMs) / ours.cpuMs).toFixed(2)}x CPU`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
