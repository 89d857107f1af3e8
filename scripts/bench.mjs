// `npm run bench`: compiles, bundles, then runs every out/test/bench/*.bench.js in turn (or only those
// named: `npm run bench -- lsp nix-parse`), each sealed in a loopback-only network namespace like the tests
// (scripts/sealed.mjs). Each benchmark prints its own figures; those with a responsiveness target (issue 13) also
// record them (test/bench/measure.ts, reportTarget), and a table of them against their targets and the peers ends
// the run, with the load average each was measured at (the machine is shared).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { runSealed } from './sealed.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const names = process.argv.slice(2);
for (const step of [['node_modules/typescript/bin/tsc', '-b'], ['scripts/build.mjs']]) {
  const r = spawnSync(process.execPath, [path.join(root, step[0]), ...step.slice(1)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const dir = path.join(root, 'out/test/bench');
const benches = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.bench.js'))
      .sort()
  : [];
const summaryDir = mkdtempSync(path.join(os.tmpdir(), 'bench-summary-'));
process.env.BENCH_SUMMARY = path.join(summaryDir, 'targets.jsonl');
let failed = 0;
for (const file of benches) {
  const name = file.replace(/\.bench\.js$/, '');
  if (names.length && !names.includes(name)) continue;
  console.log(`\n=== ${name}`);
  const r = runSealed(process.execPath, ['--expose-gc', path.join(dir, file)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${name}: exited with ${r.status}`);
  }
}
const figures = existsSync(process.env.BENCH_SUMMARY)
  ? readFileSync(process.env.BENCH_SUMMARY, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
rmSync(summaryDir, { recursive: true, force: true });
if (figures.length) {
  const width = Math.max(...figures.map((f) => f.name.length));
  console.log(`\n=== responsiveness targets (issue 13); ${os.cpus().length} cores`);
  console.log(`${'target'.padEnd(width)}  ${'ours'.padStart(9)}  ${'limit'.padStart(9)}  met  load  peers in the same run`);
  for (const f of figures) {
    const ms = (x) => `${x.toFixed(0)} ms`.padStart(9);
    console.log(
      `${f.name.padEnd(width)}  ${ms(f.ms)}  ${ms(f.limitMs)}  ${f.ms < f.limitMs ? 'yes' : 'NO '}  ${f.load.toFixed(1).padStart(4)}  ${f.peers}`,
    );
  }
}
process.exit(failed ? 1 : 0);
