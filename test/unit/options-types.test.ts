import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTypeDescription } from '../../core/src/options/typeDescription';
import { describeType } from '../../core/src/options/types';
import { buildOptionDatabase, OptionDatabase } from '#core/options';

test('nixpkgs type descriptions read back into option types', () => {
  assert.deepEqual(parseTypeDescription('boolean'), { kind: 'bool' });
  assert.deepEqual(parseTypeDescription('16 bit unsigned integer; between 0 and 65535 (both inclusive)'), {
    kind: 'int',
    min: 0,
    max: 65535,
  });
  assert.deepEqual(parseTypeDescription('integer between 0 and 32 (both inclusive)'), { kind: 'int', min: 0, max: 32 });
  assert.deepEqual(parseTypeDescription('null or path'), { kind: 'nullOr', of: { kind: 'path' } });
  assert.deepEqual(parseTypeDescription('null or (list of string)'), { kind: 'nullOr', of: { kind: 'listOf', of: { kind: 'str' } } });
  assert.deepEqual(parseTypeDescription('string or list of string'), {
    kind: 'oneOf',
    of: [{ kind: 'str' }, { kind: 'listOf', of: { kind: 'str' } }],
  });
  assert.deepEqual(parseTypeDescription('one of "server", "agent"'), { kind: 'enum', values: ['server', 'agent'] });
  assert.deepEqual(parseTypeDescription('signed integer or one of "auto"'), {
    kind: 'oneOf',
    of: [{ kind: 'int' }, { kind: 'enum', values: ['auto'] }],
  });
  assert.deepEqual(parseTypeDescription('attribute set of (submodule)'), { kind: 'attrsOf', of: { kind: 'submodule' } });
  assert.deepEqual(parseTypeDescription('list of (optionally newline-terminated) single-line string'), {
    kind: 'listOf',
    of: { kind: 'str', singleLine: true },
  });
  assert.deepEqual(parseTypeDescription('value "x" (singular enum)'), { kind: 'enum', values: ['x'] });
  assert.deepEqual(parseTypeDescription('signed integer or floating point number'), { kind: 'number' });
});

test('unknown type phrases accept anything rather than guess', () => {
  assert.equal(parseTypeDescription('nixpkgs config').kind, 'any');
  assert.equal(parseTypeDescription('Nix config atom (null, bool, int, float, str, path or package)').kind, 'any');
});

test('describeType and parseTypeDescription agree on the common types', () => {
  for (const text of [
    'boolean',
    'string',
    'path',
    'package',
    'signed integer',
    'list of string',
    'null or boolean',
    '16 bit unsigned integer; between 0 and 65535 (both inclusive)',
    'attribute set of string',
    'one of "a", "b"',
  ]) {
    assert.equal(describeType(parseTypeDescription(text)), text);
  }
});

test('the curated database knows NixOS options and reports typos only in namespaces it knows completely', () => {
  const db = buildOptionDatabase();
  assert.ok(db.size > 150);
  const port = db.lookup(['services', 'nats', 'port']);
  assert.equal(port.status, 'option');
  assert.deepEqual(port.status === 'option' && port.decl.type, { kind: 'int', min: 0, max: 65535 });
  const typo = db.lookup(['services', 'nats', 'jetstreem']);
  assert.equal(typo.status, 'unknown');
  assert.ok(typo.status === 'unknown' && typo.candidates.includes('jetstream'));
  // The top level is never complete from curated facts: modules outside nixpkgs add top-level options.
  assert.equal(db.lookup(['servics', 'nats']).status, 'unchecked');
  // services.k3s is curated but not complete: an option we do not list is not called unknown.
  assert.equal(db.lookup(['services', 'k3s', 'images']).status, 'unchecked');
  assert.equal(db.lookup(['services', 'nats', 'settings', 'leafnodes', 'remotes']).status, 'value');
  assert.equal(db.lookup(['services', 'nats']).status, 'group');
});

test('wildcard levels match any attribute name and list elements', () => {
  const db = buildOptionDatabase();
  const after = db.lookup(['systemd', 'services', 'exo', 'after']);
  assert.equal(after.status, 'option');
  const prefix = db.lookup(['networking', 'interfaces', 'eth0', 'ipv4', 'addresses', '*', 'prefixLength']);
  assert.equal(prefix.status, 'option');
  assert.ok(db.childrenOf(['systemd', 'services', 'exo']).some((c) => c.name === 'serviceConfig'));
});

test('an evaluated option set makes every namespace complete', () => {
  const db = buildOptionDatabase({
    evaluated: [
      { name: 'services.k3s.enable', type: 'boolean', description: 'Whether to enable k3s.' },
      { name: 'services.k3s.role', type: 'one of "server", "agent"' },
    ],
  });
  assert.equal(db.lookup(['services', 'k3s', 'rolle']).status, 'unknown');
});

test('options added later win, and childrenOf lists groups and options', () => {
  const db = new OptionDatabase();
  db.addRaw({ 'a.b.c': { type: 'boolean' }, 'a.d': { type: 'string' } });
  const kids = db.childrenOf(['a']).sort((x, y) => x.name.localeCompare(y.name));
  assert.deepEqual(
    kids.map((k) => [k.name, k.isGroup, !!k.decl]),
    [
      ['b', true, false],
      ['d', false, true],
    ],
  );
});
