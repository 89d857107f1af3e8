// parseSpecFile: hostile input (size, binary, control characters, deep nesting, alias bombs) gives one
// clear diagnostic quickly and never throws; positions (locate/pathAt) are exact; and the chunked parse
// of big cluster files equals a whole-document parse while reusing unchanged hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { forgetParsedFile, inferSpecFileKind, parseSpecFile, PARSE_LIMITS } from '#core/spec';

const codes = (p: { syntaxDiagnostics: { code: string }[] }) => p.syntaxDiagnostics.map((d) => d.code);

test('parse: kind is inferred from the path', () => {
  assert.equal(inferSpecFileKind('file:///a/cluster.yaml'), 'cluster');
  assert.equal(inferSpecFileKind('file:///a/hosts/gpu-1.yaml'), 'host');
  assert.equal(inferSpecFileKind('C:\\a\\hosts\\gpu-1.yml'), 'host');
  assert.equal(inferSpecFileKind('file:///a/hosts/sub/x.yaml'), 'cluster');
  assert.equal(parseSpecFile('file:///a/hosts/x.yaml', 'name: x\n', 1).kind, 'host');
});

test('parse: a file over the size limit (10 MB) is refused with one diagnostic, fast', () => {
  const line = '# padding padding padding padding padding padding padding padding padding padding\n';
  const text = `cluster:\n  name: x\n${line.repeat(Math.ceil((10 * 1024 * 1024) / line.length))}`;
  const p = parseSpecFile('file:///big/cluster.yaml', text, 1);
  assert.deepEqual(codes(p), ['yaml.too-large']);
  assert.match(p.syntaxDiagnostics[0].message, /File is 10\.0 MiB; spec files larger than 5 MiB are not parsed/);
  assert.equal(p.data, undefined);
  assert.equal(p.locate(['cluster']), undefined);
  assert.equal(PARSE_LIMITS.maxBytes, 5 * 1024 * 1024);
});

test('parse: binary content (NUL bytes) is refused at the first NUL', () => {
  const p = parseSpecFile('file:///b/cluster.yaml', 'cluster:\n  name: x\u0000\u0001\u0002garbage', 1);
  assert.deepEqual(codes(p), ['yaml.binary']);
  assert.deepEqual(p.syntaxDiagnostics[0].range.start, { line: 1, character: 9 });
  assert.equal(p.data, undefined);
});

test('parse: control characters are marked one by one, then summarised', () => {
  const p = parseSpecFile('file:///c/cluster.yaml', 'cluster:\n  name: a\u0007b\n', 1);
  const d = p.syntaxDiagnostics.find((x) => x.code === 'yaml.control-character');
  assert.ok(d);
  assert.deepEqual(d.range.start, { line: 1, character: 9 });
  assert.match(d.message, /U\+0007/);
  const many = parseSpecFile('file:///c/cluster.yaml', `cluster:\n  name: "${'\u0001'.repeat(50)}"\n`, 1);
  const control = many.syntaxDiagnostics.filter((x) => x.code === 'yaml.control-character');
  assert.equal(control.length, PARSE_LIMITS.maxControlCharacterDiagnostics + 1);
  assert.match(control[control.length - 1].message, /50 control characters/);
});

test('parse: deep flow nesting is refused before the recursive parser sees it', () => {
  const depth = 100_000;
  const p = parseSpecFile('file:///d/cluster.yaml', `cluster: ${'['.repeat(depth)}${']'.repeat(depth)}\n`, 1);
  assert.deepEqual(codes(p), ['yaml.too-deep']);
  assert.equal(p.syntaxDiagnostics[0].range.start.line, 0);
  assert.equal(p.data, undefined);
});

test('parse: deep block nesting is refused too, while normal depth is fine', () => {
  const deep = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
  assert.deepEqual(codes(parseSpecFile('file:///d/cluster.yaml', deep, 1)), ['yaml.too-deep']);
  const ok = Array.from({ length: 20 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
  assert.deepEqual(codes(parseSpecFile('file:///d/cluster.yaml', ok, 1)), []);
});

test('parse: an alias bomb is refused with a clear diagnostic on an alias', () => {
  const names = 'abcdefghij';
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < names.length; i++)
    text += `${names[i]}: &${names[i]} [${Array(9)
      .fill(`*${names[i - 1]}`)
      .join(',')}]\n`;
  const p = parseSpecFile('file:///e/cluster.yaml', text, 1);
  assert.deepEqual(codes(p), ['yaml.alias-limit']);
  assert.match(p.syntaxDiagnostics[0].message, /alias bomb/);
  assert.equal(p.syntaxDiagnostics[0].range.start.line, 1, 'placed on the first alias');
  // a few aliases are fine
  const fine = parseSpecFile('file:///e/cluster.yaml', 'defaults: &d { user: root }\nother: *d\n', 1);
  assert.deepEqual(codes(fine), []);
  assert.deepEqual(fine.data, { defaults: { user: 'root' }, other: { user: 'root' } });
});

test('parse: YAML syntax errors and duplicate keys are placed where they are', () => {
  const p = parseSpecFile('file:///f/cluster.yaml', 'cluster:\n  name: a\n  name: b\n', 1);
  const dup = p.syntaxDiagnostics.find((d) => d.code === 'yaml.duplicate-key');
  assert.ok(dup);
  assert.equal(dup.range.start.line, 2);
  const bad = parseSpecFile('file:///f/cluster.yaml', 'cluster:\n  name: "unterminated\n', 1);
  assert.ok(bad.syntaxDiagnostics.some((d) => d.code === 'yaml.syntax' && d.severity === 'error'));
  const two = parseSpecFile('file:///f/cluster.yaml', 'cluster: {}\n---\nmore: 1\n', 1);
  const second = two.syntaxDiagnostics.find((d) => /second document/.test(d.message));
  assert.ok(second);
  assert.equal(second.range.start.line, 1, 'on the --- that starts it');
});

test('parse: a file of a million documents reads the first and says the rest are ignored, once', () => {
  const p = parseSpecFile('file:///docs/cluster.yaml', `cluster: { name: a }\n${'---\n'.repeat(1_000_000)}`, 1);
  assert.deepEqual(codes(p), ['yaml.syntax']);
  assert.match(p.syntaxDiagnostics[0].message, /everything from this second document on is ignored/);
  assert.deepEqual(p.data, { cluster: { name: 'a' } });
});

test('parse: many repeated keys give one diagnostic per repeat, on the repeated key', () => {
  const text = Array.from({ length: 20_000 }, (_, i) => `k${i % 10_000}: v`).join('\n');
  const dups = parseSpecFile('file:///dups/cluster.yaml', text, 1).syntaxDiagnostics.filter((d) => d.code === 'yaml.duplicate-key');
  assert.equal(dups.length, 10_000);
  assert.deepEqual(
    dups
      .map((d) => d.range.start.line)
      .sort((a, b) => a - b)
      .slice(0, 2),
    [10_000, 10_001],
  );
});

test('parse: a file that is not a map says so', () => {
  assert.deepEqual(codes(parseSpecFile('file:///g/cluster.yaml', '- a\n- b\n', 1)), ['yaml.not-a-map']);
  assert.deepEqual(codes(parseSpecFile('file:///g/hosts/x.yaml', 'just text\n', 1)), ['yaml.not-a-map']);
});

test('parse: locate gives exact key and value ranges; pathAt finds the innermost path', () => {
  const text = 'cluster:\n  name: lab\nhosts:\n  - name: "gpu-1"\n    interfaces:\n      - { name: eth0, kind: ethernet }\n';
  const p = parseSpecFile('file:///h/cluster.yaml', text, 1);
  assert.deepEqual(p.locate(['cluster', 'name']), {
    key: { start: { line: 1, character: 2 }, end: { line: 1, character: 6 } },
    value: { start: { line: 1, character: 8 }, end: { line: 1, character: 11 } },
  });
  assert.deepEqual(p.locate(['hosts', 0, 'name'])?.value, { start: { line: 3, character: 10 }, end: { line: 3, character: 17 } });
  assert.deepEqual(p.locate(['hosts', 0, 'interfaces', 0, 'kind'])?.value, {
    start: { line: 5, character: 28 },
    end: { line: 5, character: 36 },
  });
  assert.equal(p.locate(['hosts', 1]), undefined);
  assert.equal(p.locate(['nope']), undefined);
  const off = p.offsetAt({ line: 5, character: 32 });
  assert.deepEqual(p.pathAt(off), { path: ['hosts', 0, 'interfaces', 0, 'kind'], onKey: false });
  assert.deepEqual(p.pathAt(p.offsetAt({ line: 5, character: 25 })), { path: ['hosts', 0, 'interfaces', 0, 'kind'], onKey: true });
  assert.deepEqual(p.positionAt(off), { line: 5, character: 32 });
});

/** A cluster big enough to be parsed in chunks. */
function bigCluster(hosts: number, memory = (i: number) => 64 + i): string {
  let s = '# big\ncluster:\n  name: big\n  domain: big\nnetwork:\n  segments:\n    - name: mgmt\n      subnet: 10.0.0.0/16\nhosts:\n';
  for (let i = 0; i < hosts; i++) {
    s += `  - name: h${i}\n    addresses: [10.0.${i >> 8}.${i & 255}]\n    # host ${i}\n    hardware:\n      memoryGB: ${memory(i)}\n      gpus:\n        - { vendor: nvidia, model: "RTX 4090", count: 1 }\n    interfaces:\n      - { name: eth0, kind: ethernet, segment: mgmt }\n`;
  }
  return `${s}exo:\n  enable: true\n`;
}

test('parse: chunked parsing of a big file equals a whole-document parse, positions included', () => {
  const text = bigCluster(300);
  const uri = 'file:///big/cluster.yaml';
  forgetParsedFile(uri);
  const chunked = parseSpecFile(uri, text, 1);
  assert.deepEqual(chunked.data, parseYaml(text));
  assert.deepEqual(codes(chunked), []);
  // compare with the whole-file parse (a host file of the same text is never chunked)
  const whole = parseSpecFile('file:///big/hosts/whole.yaml', text, 1);
  for (const path of [
    ['cluster', 'name'],
    ['hosts'],
    ['hosts', 0],
    ['hosts', 150, 'hardware', 'gpus', 0, 'model'],
    ['hosts', 299, 'interfaces', 0, 'segment'],
    ['exo', 'enable'],
    ['network', 'segments', 0, 'subnet'],
  ]) {
    assert.deepEqual(chunked.locate(path), whole.locate(path), `locate ${path.join('.')}`);
  }
  for (const offset of [0, 30, text.indexOf('h150'), text.indexOf('RTX 4090', text.indexOf('h77')), text.length - 3]) {
    assert.deepEqual(chunked.pathAt(offset), whole.pathAt(offset), `pathAt ${offset}`);
  }
});

test('parse: an edit re-parses only the changed host; unchanged host objects are reused', () => {
  const uri = 'file:///reuse/cluster.yaml';
  forgetParsedFile(uri);
  const before = parseSpecFile(uri, bigCluster(300), 1);
  const after = parseSpecFile(
    uri,
    bigCluster(300, (i) => (i === 42 ? 999 : 64 + i)),
    2,
  );
  const a = (before.data as { hosts: object[] }).hosts;
  const b = (after.data as { hosts: { hardware: { memoryGB: number } }[] }).hosts;
  assert.equal(b[41], a[41]);
  assert.equal(b[43], a[43]);
  assert.notEqual(b[42], a[42]);
  assert.equal(b[42].hardware.memoryGB, 999);
  // an edit that changes line count shifts positions of later hosts correctly
  const grown = bigCluster(300).replace('  - name: h10\n', '  - name: h10\n    # an extra comment line\n');
  const g = parseSpecFile(uri, grown, 3);
  assert.deepEqual(g.data, parseYaml(grown));
  assert.deepEqual(g.locate(['hosts', 200, 'name'])?.value.start.line, grown.split('\n').indexOf('  - name: h200'));
});

test('parse: the chunked parse falls back to a whole parse when chunks are not independent', () => {
  const uri = 'file:///fallback/cluster.yaml';
  // an anchor in one section used in another
  const anchored = bigCluster(200).replace('cluster:\n  name: big', 'x: &n big\ncluster:\n  name: *n');
  const p = parseSpecFile(uri, anchored, 1);
  assert.deepEqual(p.data, parseYaml(anchored));
  // a top-level key appearing twice is still a duplicate key
  const dup = `${bigCluster(200)}exo:\n  enable: false\n`;
  const d = parseSpecFile(uri, dup, 2);
  assert.ok(d.syntaxDiagnostics.some((x) => x.code === 'yaml.duplicate-key' && x.range.start.line === dup.split('\n').length - 3));
  // a syntax error inside one host is reported where it is
  const broken = bigCluster(200).replace('  - name: h50\n', '  - name: h50\n    bad: [unclosed\n');
  const b = parseSpecFile(uri, broken, 3);
  const e = b.syntaxDiagnostics.find((x) => x.severity === 'error');
  assert.ok(e);
  assert.ok(e.range.start.line >= broken.split('\n').indexOf('    bad: [unclosed'));
});

test('parse: chunked parsing handles CRLF, column-0 items and comments, and a BOM like a whole parse', () => {
  const variants: Record<string, string> = {
    crlf: bigCluster(200).replace(/\n/g, '\r\n'),
    column0: bigCluster(200)
      .replace(/^  - name/gm, '- name')
      .replace(/^ {4}/gm, '  '),
    comments: bigCluster(200).replace(/^  - name: h(\d*0)$/gm, '# rack boundary\n\n  - name: h$1'),
    bom: `\uFEFF${bigCluster(200)}`,
  };
  for (const [name, text] of Object.entries(variants)) {
    const uri = `file:///variant-${name}/cluster.yaml`;
    const chunked = parseSpecFile(uri, text, 1);
    const whole = parseSpecFile(`file:///variant-${name}/hosts/whole.yaml`, text, 1);
    assert.deepEqual(chunked.data, whole.data, name);
    assert.deepEqual(codes(chunked), codes(whole), name);
    for (const path of [
      ['hosts', 0, 'name'],
      ['hosts', 120, 'interfaces', 0, 'name'],
      ['exo', 'enable'],
    ]) {
      assert.deepEqual(chunked.locate(path), whole.locate(path), `${name} ${path.join('.')}`);
    }
    // an edit still reuses hosts
    const edited = text.replace('memoryGB: 100', 'memoryGB: 1000');
    const again = parseSpecFile(uri, edited, 2);
    const hosts = (d: unknown) => (d as { hosts: object[] }).hosts;
    assert.equal(hosts(again.data)[0], hosts(chunked.data)[0], `${name}: host 0 reused`);
    assert.deepEqual(again.data, parseSpecFile(`file:///variant-${name}/hosts/whole.yaml`, edited, 2).data);
  }
});

test('parse: never throws, whatever the bytes', () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alphabet = 'ab: -[]{}&*!|>\'"#%@`,?\n\t\\';
  for (let i = 0; i < 300; i++) {
    const len = Math.floor(rand() * 200);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
    const p = parseSpecFile('file:///fuzz/cluster.yaml', s, i);
    assert.ok(Array.isArray(p.syntaxDiagnostics));
    p.locate(['a', 0, 'b']);
    p.pathAt(Math.floor(len / 2));
  }
});
