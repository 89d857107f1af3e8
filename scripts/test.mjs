// `npm test`: install what the suites need (Debian packages, npm dependencies, code-server: the only steps that
// use the network), type-check and compile, bundle, then run the node:test suites (unit, LSP, integration against
// real nats-server/sshd/nix) and the real-VS-Code suite in code-server, each inside a network namespace with only
// loopback up (scripts/sealed.mjs), so no test can reach another machine. Ends with one summary line.
// With the unit suite (also under --only unit) the code is checked first: lint (oxlint: the ESLint and
// typescript-eslint rules ported to Rust, which need no TypeScript API: TypeScript 7 ships none), the import graph
// (scripts/check-imports.mjs: no folder loops, no imports running back up, core only through its public faces) and
// the formatting (Prettier; `npm run format` rewrites).
//   --only unit,lsp,integration,e2e   run a subset
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { DEBIAN_PACKAGES, ensureDebianPackages } from './system-packages.mjs';
import { isSealed, runSealed, sealingPrefix } from './sealed.mjs';
import { ensureCodeServer24 } from '../test/e2e/setup.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : null;
const wanted = (suite) => !only || only.has(suite);
/** The folders of TypeScript and JavaScript code the checks read. */
const CODE_DIRS = ['core', 'server', 'client', 'cli', 'agent', 'webview', 'test', 'scripts'];

/** Runs a suite sealed, echoing its output and returning it for the counts. */
function runSuite(args) {
  const r = runSealed(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 << 20 });
  process.stdout.write(r.stdout ?? '');
  return r;
}
function must(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${cmd} ${args.join(' ')} failed`);
    process.exit(1);
  }
}

try {
  ensureDebianPackages(
    [
      ...(wanted('integration') ? DEBIAN_PACKAGES.tests : []),
      ...(wanted('e2e') ? [...DEBIAN_PACKAGES.browser, ...DEBIAN_PACKAGES.codeServer] : []),
    ],
    (m) => console.log(`test: ${m}`),
  );
} catch (err) {
  console.error(`test: ${err.message}`);
  process.exit(1);
}
// Fail early, before minutes of installing, when the suites could not be sealed.
if (!isSealed()) {
  const sealing = sealingPrefix();
  if (sealing.problem) {
    console.error(`test: ${sealing.problem}`);
    process.exit(1);
  }
}
if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) must('npm', ['install', '--no-audit', '--no-fund']);
const e2e = path.join(root, 'test/e2e/run.mjs');
if (wanted('e2e') && existsSync(e2e)) {
  try {
    ensureCodeServer24({ log: (m) => console.log(`test: ${m}`) });
  } catch (err) {
    console.error(`test: the end-to-end suite needs code-server: ${err.message}`);
    process.exit(1);
  }
}
must(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b']);
must(process.execPath, [path.join(root, 'scripts/build.mjs')]);
if (wanted('unit')) {
  console.log('\n== lint, import graph, formatting');
  must(process.execPath, [path.join(root, 'node_modules/oxlint/bin/oxlint'), '--deny-warnings', ...CODE_DIRS]);
  must(process.execPath, [path.join(root, 'scripts/check-imports.mjs')]);
  must(process.execPath, [
    path.join(root, 'node_modules/prettier/bin/prettier.cjs'),
    '--check',
    '--log-level',
    'warn',
    `{${CODE_DIRS.join(',')}}/**/*.{ts,mjs,js}`,
  ]);
}

let passed = 0,
  failed = 0;
const count = (out) => {
  const num = (k) => Number((out.match(new RegExp(`^ℹ ${k} (\\d+)`, 'm')) ?? [])[1] ?? 0);
  passed += num('pass');
  failed += num('fail') + num('cancelled');
};
for (const suite of ['unit', 'lsp', 'integration']) {
  const dir = path.join(root, 'out/test', suite);
  if (!wanted(suite) || !existsSync(dir) || !readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.test.js'))) continue;
  console.log(`\n== ${suite} tests`);
  const r = runSuite(['--test', '--test-reporter=spec', '--test-concurrency=2', dir]);
  count(r.stdout ?? '');
  if (r.status !== 0 && !/^ℹ fail [1-9]/m.test(r.stdout ?? '')) failed += 1; // crashed runner
}
if (wanted('e2e') && existsSync(e2e)) {
  console.log('\n== end-to-end tests in code-server');
  const r = runSuite([e2e, '--no-build']);
  const m = (r.stdout ?? '').match(/^e2e: (\d+) passed, (\d+) failed/m);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  } else failed += 1;
  if (r.status !== 0 && !m) console.error('end-to-end run crashed');
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
