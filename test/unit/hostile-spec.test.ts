// Hostile and unusual specs (issue 13): control bytes in the CLI's text output, files that are not regular,
// alias reuse versus alias bombs, the 8,000-address anchor shared by 9 hosts, tens of thousands of diagnostics,
// refused files without follow-on errors, and the rules that missed or misworded problems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Alias } from 'yaml';
import { main } from '../../cli/src/main';
import { loadSpec } from '#core/validate';
import { buildModel, PARSE_LIMITS, parseSpecFile } from '#core/spec';
import { capPerFile, MAX_DIAGNOSTICS_PER_FILE, validateAll } from '../../core/src/validate/validate';
import { closest } from '../../core/src/util/suggest';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const lab = readFileSync(path.join(root, 'examples/lab/cluster.yaml'), 'utf8');
const labHost = readFileSync(path.join(root, 'examples/lab/hosts/gpu-2.yaml'), 'utf8');

function capture() {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => {
      io.stdout += t;
    },
    err: (t: string) => {
      io.stderr += t;
    },
  };
  return io;
}

function withLab(fn: (dir: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
    try {
      cpSync(path.join(root, 'examples/lab'), dir, { recursive: true });
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Diagnostics of an in-memory cluster.yaml (and host files), as `code message` lines. */
function check(cluster: string, hosts: Record<string, string> = {}) {
  const files = [
    parseSpecFile('file:///s/cluster.yaml', cluster, 1),
    ...Object.entries(hosts).map(([n, t]) => parseSpecFile(`file:///s/hosts/${n}.yaml`, t, 1)),
  ];
  return validateAll(buildModel(files));
}

// --- item 5 ---

test(
  'validate escapes control characters from spec values and file names in its text output',
  withLab(async (dir) => {
    const evil = 'gpu-\u001b[2J\u001b]0;owned\u0007\rfake.yaml:1:1 error forged\u202e';
    writeFileSync(
      path.join(dir, 'hosts', 'gpu-2.yaml'),
      labHost.replace(
        'tags: [gpu]',
        `tags: ["${evil
          .replace(/\u001b/g, '\\e')
          .replace(/\u0007/g, '\\a')
          .replace(/\r/g, '\\r')
          .replace(/\u202e/g, '\\u202E')}"]`,
      ),
    );
    writeFileSync(path.join(dir, 'hosts', 'x\u001b[31m.yaml'), 'name: x\n');
    const io = capture();
    assert.equal(await main(['validate', dir], io), 1);
    assert.doesNotMatch(io.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/, 'no raw control character reaches the terminal');
    assert.match(io.stdout, /Tag 'gpu-\\x1b\[2J\\x1b\]0;owned\\x07\\x0dfake\.yaml:1:1 error forged\\u\{202e\}' is not declared/);
    assert.match(io.stdout, /hosts\/x\\x1b\[31m\.yaml:\d+:\d+ /);
    for (const line of io.stdout.trim().split('\n'))
      assert.match(line, /^[^:]+\.yaml:\d+:\d+ (error|warning|information|hint) /, 'every line is one diagnostic');
    // JSON keeps the values exact (JSON escapes them itself)
    const json = capture();
    await main(['validate', '--format', 'json', dir], json);
    assert.ok((JSON.parse(json.stdout) as { message: string }[]).some((d) => d.message.includes(evil)));
  }),
);

// --- item 9 ---

test(
  'a FIFO and a link to /dev/zero in hosts/ are reported, not read',
  { timeout: 60_000 },
  withLab(async (dir) => {
    execFileSync('mkfifo', [path.join(dir, 'hosts', 'pipe.yaml')]);
    symlinkSync('/dev/zero', path.join(dir, 'hosts', 'zero.yaml'));
    const loaded = await loadSpec(dir);
    const of = (name: string) => loaded.diagnostics.filter((d) => d.uri.endsWith(`/hosts/${name}`)).map((d) => `${d.code} ${d.message}`);
    assert.deepEqual(of('pipe.yaml'), ['file.unreadable pipe.yaml is a named pipe (FIFO), not a regular file; it was not read.']);
    assert.deepEqual(of('zero.yaml'), ['file.unreadable zero.yaml is a device, not a regular file; it was not read.']);
    assert.deepEqual(
      loaded.diagnostics.filter((d) => !d.uri.includes('/pipe.yaml') && !d.uri.includes('/zero.yaml')),
      [],
      'the rest of the spec is unaffected',
    );
  }),
);

test(
  'a file over the read limit is refused by its size before reading',
  withLab(async (dir) => {
    writeFileSync(path.join(dir, 'hosts', 'big.yaml'), Buffer.alloc(PARSE_LIMITS.maxBytes * 4 + 1, 0x20));
    const loaded = await loadSpec(dir);
    assert.deepEqual(
      loaded.diagnostics.map((d) => d.code),
      ['yaml.too-large'],
    );
  }),
);

// --- item 6 ---

test('an anchor reused by 110 hosts is valid YAML: the expanded size is limited, not the uses', () => {
  const hosts = Array.from(
    { length: 110 },
    (_, i) =>
      `  - name: leaf-${i}\n    addresses: [10.0.${i >> 8}.${i & 255}]\n    roles: [${i ? 'nats-leaf' : 'nats-hub'}]\n    disks: ${i ? '*leaf-disks' : '&leaf-disks [{ device: /dev/nvme0n1, layout: ext4, role: os }]'}`,
  );
  const text = `cluster: { name: fleet, domain: fleet }\nhosts:\n${hosts.join('\n')}\n`;
  const parsed = parseSpecFile('file:///f/cluster.yaml', text, 1);
  assert.deepEqual(parsed.syntaxDiagnostics, []);
  const data = parsed.data as { hosts: { disks: unknown }[] };
  assert.deepEqual(data.hosts[109].disks, [{ device: '/dev/nvme0n1', layout: 'ext4', role: 'os' }]);
  assert.deepEqual(
    validateAll(buildModel([parsed])).filter((d) => d.severity === 'error'),
    [],
  );
});

test('an alias inside its own anchor is refused (the data would be infinite)', () => {
  const p = parseSpecFile('file:///c/cluster.yaml', 'cluster: &c { name: x, self: *c }\n', 1);
  assert.deepEqual(
    p.syntaxDiagnostics.map((d) => d.code),
    ['yaml.alias-limit'],
  );
  assert.match(p.syntaxDiagnostics[0].message, /contains it/);
});

// --- item 7 ---

/** 9 hosts sharing one anchored list of 8,000 addresses (each address is then used by 9 hosts). */
function sharedAnchorSpec(): string {
  const addresses = Array.from({ length: 8000 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  const hosts = Array.from(
    { length: 9 },
    (_, h) =>
      `  - name: h${h}\n    roles: [${h ? 'nats-leaf' : 'nats-hub'}]\n    addresses: ${h ? '*addrs' : `&addrs [${addresses.join(', ')}]`}`,
  );
  return `cluster: { name: q, domain: q }\nhosts:\n${hosts.join('\n')}\n`;
}

test('9 hosts sharing an 8,000-address anchor: every duplicate found, aliases never resolved by walking the document', () => {
  // Alias.resolve without a context walks the whole document: once per diagnostic, that was the quadratic case
  const resolve = Alias.prototype.resolve;
  let walks = 0;
  Alias.prototype.resolve = function (this: Alias, ...args: Parameters<typeof resolve>) {
    if (!args[1]) walks++;
    return resolve.apply(this, args);
  };
  try {
    const diagnostics = check(sharedAnchorSpec());
    assert.equal(diagnostics.filter((d) => d.code === 'host.duplicate-address').length, 8 * 8000);
    assert.equal(walks, 0);
    // each duplicate sits on its own alias's line, with the first use as related information
    const last = diagnostics.filter((d) => d.code === 'host.duplicate-address').at(-1)!;
    assert.equal(last.range.start.line, 2 + 3 * 8 + 2);
    assert.equal(last.related?.[0].location.range.start.line, 4);
  } finally {
    Alias.prototype.resolve = resolve;
  }
});

test('uniqueItems on a list whose items are a $ref still finds the duplicate, in one pass', () => {
  const addresses = Array.from({ length: 8000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  addresses.push('10.0.0.7');
  const d = check(
    `cluster: { name: u, domain: u }\nhosts:\n  - name: a\n    roles: [nats-hub]\n    addresses: [${addresses.join(', ')}]\n`,
  ).filter((x) => x.code === 'schema.duplicate-item');
  assert.equal(d.length, 1);
  assert.match(d[0].message, /Duplicate '10\.0\.0\.7': the same value is item 8 of this list\./);
});

// --- item 8 ---

test(
  '130,000 diagnostics (the issue had 65,000 hosts with 2 each): no stack overflow, 1,000 listed per file and the rest counted',
  { timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostile-many-'));
    try {
      // 13,000 hosts with 10 errors each: as many diagnostics, a fifth of the parsing
      const bogus = Array.from({ length: 9 }, (_, k) => `x${k}: 1`).join(', ');
      const hosts = Array.from(
        { length: 13_000 },
        (_, i) => `- {name: h${i}, addresses: [10.${i >> 16}.${(i >> 8) & 255}.${i & 255}], ${bogus}, roles: [nats-leaf, spy]}`,
      );
      writeFileSync(path.join(dir, 'cluster.yaml'), `cluster: {name: m, domain: m}\nhosts:\n${hosts.join('\n')}\n`);
      const io = capture();
      assert.equal(await main(['validate', dir], io), 1);
      const lines = io.stdout.trim().split('\n');
      assert.equal(lines.length, MAX_DIAGNOSTICS_PER_FILE + 1);
      assert.match(
        lines.at(-1)!,
        /cluster\.yaml:1:1 error spec\.too-many-problems \d+ more problems in this file \(\d+ errors\) not listed: only the first 1000 are shown/,
      );
      const [, errors] = /^(\d+) errors/.exec(io.stderr) ?? [];
      assert.ok(Number(errors) >= 130_000, io.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('capPerFile keeps the first diagnostics of each file and sums up the rest by severity', () => {
  const at = (uri: string, severity: 'error' | 'warning') => ({
    uri,
    severity,
    code: 'x.y',
    message: 'm',
    range: { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } },
  });
  const list = [at('a', 'warning'), at('a', 'error'), at('a', 'warning'), at('a', 'warning'), at('b', 'error')];
  const capped = capPerFile(list, 1);
  assert.deepEqual(
    capped.map((d) => [d.uri, d.severity, d.code]),
    [
      ['a', 'warning', 'x.y'],
      ['b', 'error', 'x.y'],
      ['a', 'error', 'spec.too-many-problems'],
    ],
  );
  assert.match(capped[2].message, /^3 more problems in this file \(1 error, 2 warnings\)/);
});

// --- item 15 ---

test('a refused cluster.yaml (NUL byte, too large) gives the valid host files no follow-on errors', () => {
  for (const refused of [`${lab}\u0000`, `${lab}${'#'.repeat(PARSE_LIMITS.maxBytes)}\n`]) {
    const diagnostics = check(refused, { 'gpu-2': labHost });
    assert.deepEqual(
      diagnostics.filter((d) => d.uri.endsWith('/gpu-2.yaml')).map((d) => d.code),
      [],
    );
    assert.equal(diagnostics.filter((d) => d.uri.endsWith('/cluster.yaml')).length, 1);
  }
});

test('a refused host file does not make references to its host unknown', () => {
  const diagnostics = check(lab, { 'gpu-2': `${labHost}\u0000` });
  assert.deepEqual(
    diagnostics.map((d) => d.code),
    ['yaml.binary'],
    'the link to gpu-2:eth1 in cluster.yaml is not reported',
  );
});

// --- items 12 to 14 ---

const gpuOf = (gpu: string) => labHost.replace(/    - \{ vendor: nvidia, model: A100 80GB.*\n/, `    - ${gpu}\n`);

test('a GPU whose vramGB contradicts its catalogued model is reported; memory variants are not', () => {
  const wrong = check(lab, { 'gpu-2': gpuOf('{ vendor: nvidia, model: RTX 3080 Ti, vramGB: 24, count: 1 }') }).filter(
    (d) => d.code === 'gpu.vram-mismatch',
  );
  assert.equal(wrong.length, 1);
  assert.equal(wrong[0].severity, 'warning');
  assert.match(wrong[0].message, /RTX 3080 Ti has 12 GB per GPU, not 24/);
  assert.equal(wrong[0].fixes?.[0].edits[0].edits[0].newText, '12');
  for (const fine of [
    '{ vendor: nvidia, model: A100, vramGB: 40, count: 1 }',
    '{ vendor: nvidia, model: V100, vramGB: 16, count: 1 }',
    '{ vendor: nvidia, model: RTX 3080, vramGB: 12, count: 1 }',
    '{ vendor: nvidia, model: RTX 4090, vramGB: 23, count: 1 }',
  ]) {
    assert.deepEqual(
      check(lab, { 'gpu-2': gpuOf(fine) })
        .filter((d) => d.code === 'gpu.vram-mismatch')
        .map((d) => d.message),
      [],
      fine,
    );
  }
});

test('a port collision is marked on both ends, each pointing at the other', () => {
  const text = lab
    .replace('exo:\n  enable: true\n', 'exo:\n  enable: true\n  ports: { api: 4222 }\n')
    .replace('\nnats:\n', '\nnats:\n  ports: { client: 4222 }\n');
  const found = check(text, { 'gpu-2': labHost }).filter((d) => d.code === 'ports.collision');
  assert.equal(found.length, 2);
  const lines = text.split('\n');
  assert.deepEqual(found.map((d) => lines[d.range.start.line].trim()).sort(), ['ports: { api: 4222 }', 'ports: { client: 4222 }']);
  for (const d of found) assert.notEqual(d.related?.[0].location.range.start.line, d.range.start.line);
});

test("'gpu:' suggests 'gpus' (a shared start wins a tie), not 'cpu'", () => {
  assert.equal(closest('gpu', ['cpu', 'memoryGB', 'gpus', 'facterReport']), 'gpus');
  const d = check(lab, { 'gpu-2': labHost.replace('  gpus:\n', '  gpu:\n') }).find((x) => x.code === 'schema.unknown-property');
  assert.match(d?.message ?? '', /Unknown property 'gpu' — did you mean 'gpus'\?/);
});

test("an 8-bit model that does not fit says it is 8-bit (from exo's model card)", () => {
  const text = lab.replace(
    '{ id: mlx-community/Llama-3.3-70B-Instruct-4bit, sharding: pipeline, minNodes: 2 }',
    '{ id: mlx-community/DeepSeek-V3.1-8bit }',
  );
  assert.notEqual(text, lab, 'the lab example places the model this test replaces');
  const d = check(text, { 'gpu-2': labHost }).find((x) => x.code === 'exo.model-too-large');
  assert.match(d?.message ?? '', /\(8bit\)/);
  assert.doesNotMatch(d?.message ?? '', /4-?bit/);
});
