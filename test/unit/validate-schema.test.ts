// Schema errors: each kind is placed on the offending key or value (exact ranges), worded for people, and
// offers a fix where there is an obvious one; host files are validated as one host; results per host are
// cached by object so an edit re-checks only the host that changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecFile, type SpecDiagnostic } from '#core/spec';
import { validateFile } from '#core/validate';
import { schemaProblems } from '../../core/src/validate/schema';

const HEAD = 'cluster:\n  name: lab\n  domain: lab\n';
let version = 0;

function check(text: string, uri = 'file:///s/cluster.yaml'): SpecDiagnostic[] {
  return validateFile(parseSpecFile(uri, text, ++version));
}

/** [line, startCol, endCol] (0-based) of the nth occurrence of needle. */
function span(text: string, needle: string, nth = 1): [number, number, number] {
  let at = -1;
  for (let i = 0; i < nth; i++) at = text.indexOf(needle, at + 1);
  assert.ok(at >= 0, `text has ${needle}`);
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  const col = at - before.lastIndexOf('\n') - 1;
  return [line, col, col + needle.length];
}

function only(diags: SpecDiagnostic[], code: string): SpecDiagnostic {
  const found = diags.filter((d) => d.code === code);
  assert.equal(found.length, 1, `exactly one ${code}; got ${diags.map((d) => `${d.code}: ${d.message}`).join(' | ')}`);
  return found[0];
}

function assertAt(d: SpecDiagnostic, [line, start, end]: [number, number, number]): void {
  assert.deepEqual(d.range, { start: { line, character: start }, end: { line, character: end } });
}

test('schema: the example cluster and host file have no schema errors', () => {
  assert.deepEqual(check(`${HEAD}hosts:\n  - name: a\n    addresses: [10.0.0.1]\n`), []);
});

test('schema: unknown property on its key, with did-you-mean and a fix', () => {
  const text = `${HEAD}hosts:\n  - name: a\n    adresses: [10.0.0.1]\n`;
  const diags = check(text);
  const d = only(diags, 'schema.unknown-property');
  assertAt(d, span(text, 'adresses'));
  assert.equal(d.message, "Unknown property 'adresses' — did you mean 'addresses'?");
  assert.equal(d.fixes?.[0].edits[0].edits[0].newText, 'addresses');
  // the missing 'addresses' is the same mistake: not reported twice
  assert.ok(!diags.some((x) => x.code === 'schema.required'));
});

test('schema: unknown property without a near match lists what is allowed', () => {
  const text = `${HEAD}  colour: blue\n`;
  const d = only(check(text), 'schema.unknown-property');
  assertAt(d, span(text, 'colour'));
  assert.match(d.message, /Unknown property 'colour'\. Allowed here: name, domain, nixpkgs, system, stateVersion, timeZone, tags\./);
  assert.equal(d.fixes, undefined);
});

test('schema: missing required property on the parent key, or the first line of a list item', () => {
  const text = 'cluster:\n  name: lab\n';
  assertAt(only(check(text), 'schema.required'), span(text, 'cluster'));
  const hostText = `${HEAD}hosts:\n  - name: a\n    roles: [exo-worker]\n`;
  const d = only(check(hostText), 'schema.required');
  assert.equal(d.message, "Missing required property 'addresses'.");
  assertAt(d, span(hostText, 'name: a'));
});

test('schema: wrong type on the value', () => {
  const text = `${HEAD}hosts:\n  - name: a\n    addresses: 10.0.0.1\n`;
  const d = only(check(text), 'schema.type');
  assertAt(d, span(text, '10.0.0.1'));
  assert.equal(d.message, "Expected a list, got a string ('10.0.0.1').");
  const n = `${HEAD}hosts:\n  - name: a\n    addresses: [10.0.0.1]\n    hardware: { memoryGB: lots }\n`;
  assertAt(only(check(n), 'schema.type'), span(n, 'lots'));
});

test('schema: enum lists the allowed values, suggests and fixes', () => {
  const text = `${HEAD}hosts:\n  - name: a\n    addresses: [10.0.0.1]\n    roles: [exo-wroker]\n`;
  const d = only(check(text), 'schema.enum');
  assertAt(d, span(text, 'exo-wroker'));
  assert.equal(
    d.message,
    "'exo-wroker' is not allowed — did you mean 'exo-worker'? Allowed: exo-master, exo-worker, exo-api, nats-hub, nats-leaf, k3s-server, k3s-agent, checkpoint-agent.",
  );
  assert.equal(d.fixes?.[0].edits[0].edits[0].newText, 'exo-worker');
  const quoted = `${HEAD}  system: "x86-64-linux"\n`;
  const q = only(check(quoted), 'schema.enum');
  // the fix replaces the text inside the quotes
  assert.deepEqual(q.fixes?.[0].edits[0].edits[0].range, { start: { line: 3, character: 11 }, end: { line: 3, character: 23 } });
  assert.equal(q.fixes?.[0].edits[0].edits[0].newText, 'x86_64-linux');
});

test("schema: pattern errors use the schema's human message", () => {
  const text = `${HEAD}hosts:\n  - name: a\n    addresses: [10.0.0.300]\n`;
  const d = only(check(text), 'schema.pattern');
  assertAt(d, span(text, '10.0.0.300'));
  assert.match(d.message, /^'10\.0\.0\.300': Expected an IPv4 address/);
  const cidr = `${HEAD}network:\n  segments:\n    - { name: m, subnet: 10.0.0.0 }\n`;
  assert.match(only(check(cidr), 'schema.pattern').message, /prefix length/);
});

test('schema: invalid map keys (tag names) are marked on the key', () => {
  const text = `${HEAD}  tags:\n    Bad Tag: nope\n`;
  const d = only(check(text), 'schema.pattern');
  assertAt(d, span(text, 'Bad Tag'));
  assert.match(d.message, /lowercase/);
});

test('schema: numbers out of range and lists too short', () => {
  const text = `${HEAD}exo:\n  ports: { api: 70000 }\n`;
  const d = only(check(text), 'schema.range');
  assertAt(d, span(text, '70000'));
  assert.equal(d.message, '70000 is out of range: must be <= 65535.');
  const empty = `${HEAD}hosts:\n  - name: a\n    addresses: []\n`;
  assertAt(only(check(empty), 'schema.length'), span(empty, '[]'));
});

test('schema: duplicate list items mark the later one', () => {
  const text = `${HEAD}hosts:\n  - name: a\n    addresses: [10.0.0.1]\n    roles: [exo-worker, nats-leaf, exo-worker]\n`;
  const d = only(check(text), 'schema.duplicate-item');
  assertAt(d, span(text, 'exo-worker', 2));
});

test('schema: a wrong block is marked on its key, not over all its lines', () => {
  const text = `${HEAD}hosts:\n  - name: a\n    addresses: [10.0.0.1]\n    ssh:\n      - root\n      - 22\n`;
  assertAt(only(check(text), 'schema.type'), span(text, 'ssh'));
});

test('schema: a host file is one host; name is optional there', () => {
  const uri = 'file:///s/hosts/gpu-1.yaml';
  assert.deepEqual(check('addresses: [10.0.0.1]\n', uri), []);
  const text = 'addresses: [10.0.0.1]\nhardware:\n  gpus:\n    - { vendor: nvdia, model: RTX 4090 }\n';
  const d = only(check(text, uri), 'schema.enum');
  assertAt(d, span(text, 'nvdia'));
  assert.match(d.message, /did you mean 'nvidia'/);
  assert.equal(only(check('', uri), 'schema.required').message, "Missing required property 'addresses'.");
});

test('schema: an empty cluster file says what it lacks', () => {
  assert.equal(only(check(''), 'schema.required').message, "Missing required property 'cluster'.");
});

test('schema: errors in a file with syntax errors are still reported, and refused files get none', () => {
  const text = `${HEAD}  colour: blue\nhosts: [\n`;
  const diags = check(text);
  assert.ok(diags.some((d) => d.code === 'yaml.syntax'));
  const binary = check('cluster:\u0000\n');
  assert.deepEqual(
    binary.map((d) => d.code),
    ['yaml.binary'],
  );
});

test('schema: host results are cached by host object; an unchanged host is not re-validated', () => {
  const host = { name: 'a', addresses: ['10.0.0.1'], roles: ['exo-wroker'] };
  const first = schemaProblems('cluster', { cluster: { name: 'x', domain: 'x' }, hosts: [host] });
  host.roles = ['exo-worker']; // mutation behind the cache's back: the cached answer comes back
  const second = schemaProblems('cluster', { cluster: { name: 'x', domain: 'x' }, hosts: [host] });
  assert.deepEqual(second, first);
  const fresh = schemaProblems('cluster', { cluster: { name: 'x', domain: 'x' }, hosts: [{ ...host }] });
  assert.deepEqual(fresh, []);
});

test('schema: validateFile is cached per parsed file', () => {
  const parsed = parseSpecFile('file:///s/cluster.yaml', `${HEAD}  colour: blue\n`, 1);
  assert.equal(validateFile(parsed), validateFile(parsed));
});
