// `npm run bench`: compiles, bundles, then runs every out/test/bench/*.bench.js in turn (or only those
// named: `npm run bench -- lsp nix-parse`), each sealed in a loopback-only network namespace like the tests
// (scripts/sealed.mjs). Each benchmark prints its own figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
process.exit(failed ? 1 : 0);
