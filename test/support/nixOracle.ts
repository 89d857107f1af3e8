// Runs the real Nix parser (`nix-instantiate --parse --store dummy://`, Nix 2.8 from Debian's nix-bin)
// and compares it with parseNix + printNixParse. Free variables are made legal by wrapping every
// input in `with {}; …` (2.8's --parse also rejects undefined variables, which is not syntax).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseNix } from '#core/nix';
import { canonicalizeUnordered, printNixParse } from '../../core/src/nix/printNixParse';

export interface OracleResult {
  ok: boolean;
  output: string;
}

export function nixAvailable(): boolean {
  return spawnSync('nix-instantiate', ['--version'], { encoding: 'utf8' }).status === 0;
}

export class NixOracle {
  readonly baseDir: string;
  readonly home = '/nonexistent-home';
  processes = 0;

  constructor() {
    this.baseDir = mkdtempSync(path.join(os.tmpdir(), 'nix-oracle-'));
  }

  dispose(): void {
    rmSync(this.baseDir, { recursive: true, force: true });
  }

  /** `nix-instantiate --parse` of one source text (stdin, so paths resolve against baseDir). */
  parse(source: string): Promise<OracleResult> {
    this.processes++;
    return new Promise((resolve, reject) => {
      const child = spawn('nix-instantiate', ['--parse', '--store', 'dummy://', '-'], {
        cwd: this.baseDir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home, NIX_PATH: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '',
        err = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => resolve(code === 0 ? { ok: true, output: out.replace(/\n$/, '') } : { ok: false, output: err }));
      child.stdin.end(source);
    });
  }

  /** What our parser and printer say about the same text. */
  ours(source: string, pipeOperators = false): OracleResult {
    const r = parseNix(source, { pipeOperators });
    if (r.errors.length > 0) return { ok: false, output: r.errors.map((e) => `${e.start}: ${e.message}`).join('\n') };
    return { ok: true, output: printNixParse(r.root, { baseDir: this.baseDir, home: this.home }) };
  }
}

export const wrapCase = (expr: string) => `with {}; (\n${expr}\n)`;
export const wrapBatch = (exprs: string[]) => `with {}; [\n${exprs.map((e) => `(\n${e}\n)`).join('\n')}\n]`;

export interface Disagreement {
  source: string;
  ours: OracleResult;
  nix: OracleResult;
}

/** Compare one printed pair, ignoring only the orders Nix 2.8 does not fix (formals, let bindings). */
export function samePrint(a: string, b: string): boolean {
  return a === b || canonicalizeUnordered(a) === canonicalizeUnordered(b);
}

/**
 * Checks cases our parser accepts in batches (one nix-instantiate per batch, bisecting a batch that
 * disagrees), and cases we reject one process each, `concurrency` at a time.
 */
export async function differential(
  oracle: NixOracle,
  cases: string[],
  batchSize = 200,
  concurrency = 2,
): Promise<{ agreed: number; accepted: number; disagreements: Disagreement[] }> {
  const disagreements: Disagreement[] = [];
  let agreed = 0;
  const accepted: string[] = [];
  const rejected: string[] = [];
  for (const c of cases) (oracle.ours(wrapCase(c)).ok ? accepted : rejected).push(c);

  const checkBatch = async (batch: string[]): Promise<void> => {
    const source = batch.length === 1 ? wrapCase(batch[0]) : wrapBatch(batch);
    const nix = await oracle.parse(source);
    const ours = oracle.ours(source);
    if (nix.ok === ours.ok && (!nix.ok || samePrint(nix.output, ours.output))) {
      agreed += batch.length;
      return;
    }
    if (batch.length === 1) {
      disagreements.push({ source, ours, nix });
      return;
    }
    const mid = batch.length >> 1;
    await checkBatch(batch.slice(0, mid));
    await checkBatch(batch.slice(mid));
  };
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < accepted.length; i += batchSize) {
    const b = accepted.slice(i, i + batchSize);
    jobs.push(() => checkBatch(b));
  }
  for (const c of rejected) jobs.push(() => checkBatch([c]));
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
  return { agreed, accepted: accepted.length, disagreements };
}
