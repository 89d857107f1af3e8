// `gpu-cluster validate` end to end: the bundled CLI (dist/cli.js, built by `npm test` before the tests)
// spawned as CI would run it, on the example, a broken spec, bad arguments and JSON output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundledCli, REPO_ROOT } from '../support/cli';

const cli = bundledCli('cli-validate-');
const run = cli.run;
const root = REPO_ROOT;

test('cli: the example validates clean: exit 0, nothing on stdout', () => {
  const r = run(['validate', 'examples/lab']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '');
  assert.match(r.err, /0 errors, 0 warnings in 2 files/);
});

test('cli: a broken spec prints file:line:col severity code message and exits 1', () => {
  const r = run(['validate', 'test/fixtures/spec/broken/cluster.yaml']);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  for (const line of lines)
    assert.match(
      line,
      /^test\/fixtures\/spec\/broken\/(cluster\.yaml|hosts\/gpu-2\.yaml):\d+:\d+ (error|warning|information|hint) [a-z0-9-]+\.[a-z0-9-]+ .+$/,
    );
  assert.ok(
    lines.includes(
      "test/fixtures/spec/broken/cluster.yaml:23:5 error schema.unknown-property Unknown property 'adresses' — did you mean 'addresses'?",
    ),
  );
  assert.ok(
    lines.includes(
      "test/fixtures/spec/broken/hosts/gpu-2.yaml:7:44 error network.unknown-segment Segment 'mgnt' is not defined in network.segments — did you mean 'mgmt'?",
    ),
  );
  assert.ok(lines.some((l) => l.startsWith('test/fixtures/spec/broken/cluster.yaml:15:11 error network.link-unknown-host')));
  assert.match(r.err, /\d+ errors, 0 warnings in 2 files/);
});

test('cli: every marked line of the broken fixture gets its diagnostic', () => {
  const out = run(['validate', 'test/fixtures/spec/broken']).out;
  for (const file of ['cluster.yaml', 'hosts/gpu-2.yaml']) {
    readFileSync(path.join(root, 'test/fixtures/spec/broken', file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const m = /#\s+([a-z0-9]+\.[a-z0-9-]+)/.exec(line);
        if (!m || line.trimStart().startsWith('#')) return;
        for (const code of line.slice(line.indexOf('#')).match(/[a-z0-9]+\.[a-z0-9-]+/g)!) {
          assert.ok(
            out.includes(`broken/${file}:${i + 1}:`) &&
              out.split('\n').some((l) => l.startsWith(`test/fixtures/spec/broken/${file}:${i + 1}:`) && l.includes(` ${code} `)),
            `${file}:${i + 1} ${code}`,
          );
        }
      });
  }
});

test('cli: --format json gives 1-based positions and the same diagnostics', () => {
  const r = run(['validate', '--format', 'json', 'test/fixtures/spec/broken']);
  assert.equal(r.code, 1);
  const items = JSON.parse(r.out) as {
    file: string;
    line: number;
    column: number;
    endLine: number;
    endColumn: number;
    severity: string;
    code: string;
    message: string;
  }[];
  const unknown = items.find((d) => d.code === 'schema.unknown-property');
  assert.deepEqual(unknown && [unknown.file, unknown.line, unknown.column, unknown.endLine, unknown.endColumn], [
    'test/fixtures/spec/broken/cluster.yaml',
    23,
    5,
    23,
    13,
  ]);
  assert.equal(items.length, run(['validate', 'test/fixtures/spec/broken']).out.trim().split('\n').length);
});

test('cli: several paths, a host file path, and warnings only (exit 0)', () => {
  const dir = path.join(cli.tmp, 'warn');
  mkdirSync(path.join(dir, 'hosts'), { recursive: true });
  writeFileSync(
    path.join(dir, 'cluster.yaml'),
    'cluster: { name: w, domain: w }\nhosts:\n  - name: a\n    addresses: [10.0.0.1]\n    roles: [nats-hub]\n',
  );
  writeFileSync(path.join(dir, 'hosts', 'b.yaml'), 'name: c\naddresses: [10.0.0.2]\n');
  const r = run(['validate', path.join(dir, 'hosts', 'b.yaml'), dir, 'examples/lab']);
  assert.equal(r.code, 0, r.out + r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 1, 'the cluster named twice is validated once');
  assert.match(lines[0], /hosts\/b\.yaml:1:7 warning host\.file-name-mismatch /);
  assert.match(r.err, /0 errors, 1 warning in 4 files/);
});

test('cli: hostile files give a diagnostic, not a crash', () => {
  const dir = path.join(cli.tmp, 'hostile');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'cluster.yaml'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
  const r = run(['validate', dir]);
  assert.equal(r.code, 1);
  assert.match(r.out, /cluster\.yaml:3:1 error yaml\.binary /, "at the first NUL, after the PNG signature's line breaks");
});

test('cli: usage errors exit 2', () => {
  assert.equal(run(['validate']).code, 2);
  assert.match(run(['validate']).err, /no PATH given/);
  assert.equal(run(['validate', '--format', 'xml', 'examples/lab']).code, 2);
  assert.equal(run(['validate', '--bogus', 'examples/lab']).code, 2);
  const missing = run(['validate', 'no/such/dir']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /no\/such\/dir: no such file or folder/);
  assert.equal(run(['validate', 'test/fixtures']).code, 2);
  assert.equal(run([]).code, 2);
  assert.equal(run(['frobnicate']).code, 2);
  const help = run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /validate .*\n.*generate/);
  assert.match(run(['validate', '--help']).out, /usage: gpu-cluster validate/);
});
