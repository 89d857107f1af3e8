// `npm test`: type-check and compile, bundle, run the node:test suites (unit, LSP, integration against
// real nats-server/sshd/nix), then the real-VS-Code suite in code-server. Ends with one summary line.
//   --only unit,lsp,integration,e2e   run a subset
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { DEBIAN_PACKAGES, ensureDebianPackages } from './system-packages.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : null;
const wanted = (suite) => !only || only.has(suite);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', env: { ...process.env, ...opts.env } });
  if (opts.capture) process.stdout.write(r.stdout ?? '');
  return r;
}
function must(cmd, args) {
  const r = run(cmd, args);
  if (r.status !== 0) { console.error(`${cmd} ${args.join(' ')} failed`); process.exit(1); }
}

try {
  ensureDebianPackages([
    ...(wanted('integration') ? DEBIAN_PACKAGES.tests : []),
    ...(wanted('e2e') ? [...DEBIAN_PACKAGES.browser, ...DEBIAN_PACKAGES.codeServer] : []),
  ], (m) => console.log(`test: ${m}`));
} catch (err) {
  console.error(`test: ${err.message}`);
  process.exit(1);
}
if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) must('npm', ['install', '--no-audit', '--no-fund']);
must(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b']);
must(process.execPath, [path.join(root, 'scripts/build.mjs')]);

let passed = 0, failed = 0;
const count = (out) => {
  const num = (k) => Number((out.match(new RegExp(`^ℹ ${k} (\\d+)`, 'm')) ?? [])[1] ?? 0);
  passed += num('pass'); failed += num('fail') + num('cancelled');
};
for (const suite of ['unit', 'lsp', 'integration']) {
  const dir = path.join(root, 'out/test', suite);
  if (!wanted(suite) || !existsSync(dir) || !readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.test.js'))) continue;
  console.log(`\n== ${suite} tests`);
  const r = run(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', dir], { capture: true });
  count(r.stdout ?? '');
  if (r.status !== 0 && !/^ℹ fail [1-9]/m.test(r.stdout ?? '')) failed += 1; // crashed runner
}
const e2e = path.join(root, 'test/e2e/run.mjs');
if (wanted('e2e') && existsSync(e2e)) {
  console.log('\n== end-to-end tests in code-server');
  const r = run(process.execPath, [e2e, '--no-build'], { capture: true });
  const m = (r.stdout ?? '').match(/^e2e: (\d+) passed, (\d+) failed/m);
  if (m) { passed += Number(m[1]); failed += Number(m[2]); } else failed += 1;
  if (r.status !== 0 && !m) console.error('end-to-end run crashed');
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
