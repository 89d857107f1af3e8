// The diagnostic codes: every code the sources emit is in the registry (codes.ts), each semantic rule declares
// the codes its file reports, the registry and the table in docs/spec.md agree, and the example in docs/spec.md
// is a valid spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { codeInfo, DIAGNOSTIC_CODES } from '../../core/src/validate/report/codes';
import { RULES } from '../../core/src/validate/rules/index';
import { buildModel, parseSpecFile } from '#core/spec';
import { validateAll } from '../../core/src/validate/validate';

const root = path.resolve(__dirname, '../..').replace(/[\\/]out$/, '');
const doc = readFileSync(path.join(root, 'docs/spec.md'), 'utf8');

/** Code-shaped string literals of a source file that are registered codes. */
function registeredCodesIn(src: string): Set<string> {
  return new Set([...src.matchAll(/'([a-z0-9]+\.[a-z0-9-]+)'/g)].map((m) => m[1]).filter((c) => codeInfo(c)));
}

test('codes: every code emitted by the spec core is registered', () => {
  const emitted = new Set<string>();
  for (const dir of ['core/src/spec', 'core/src/validate']) {
    for (const f of readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).filter(
      (n) => n.endsWith('.ts') && n !== 'codes.ts',
    )) {
      const src = readFileSync(path.join(root, dir, f), 'utf8');
      // outside the rule set, codes are passed as string literals right after a range/placement/severity argument
      for (const m of src.matchAll(
        /'(error|warning|information|hint)',\s*'([a-z0-9]+\.[a-z0-9-]+)'|code:\s*'([a-z0-9]+\.[a-z0-9-]+)'|'(yaml\.[a-z-]+|schema\.[a-z-]+|file\.[a-z-]+)'/g,
      )) {
        emitted.add(m[2] ?? m[3] ?? m[4]);
      }
    }
  }
  for (const rule of RULES) for (const code of rule.codes) emitted.add(code);
  assert.ok(emitted.size > 40, `${emitted.size} codes found in the sources`);
  assert.deepEqual([...emitted].filter((c) => !codeInfo(c)).sort(), []);
  // every registered code is reported by something: a rule, or the parser, schema and limits outside the rule set
  assert.deepEqual(
    Object.keys(DIAGNOSTIC_CODES)
      .filter((c) => !emitted.has(c))
      .sort(),
    [],
  );
});

test('codes: each rule family file reports only the codes its rules declare, and declares only codes it reports', () => {
  const dir = path.join(root, 'core/src/validate/rules');
  const byFamily = new Map<string, Set<string>>();
  for (const rule of RULES) {
    const family = rule.name.split('.')[0];
    const declared = byFamily.get(family) ?? new Set<string>();
    for (const code of rule.codes) declared.add(code);
    byFamily.set(family, declared);
  }
  const files = readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'rule.ts' && n !== 'index.ts');
  assert.deepEqual(files.map((f) => f.replace(/\.ts$/, '')).sort(), [...byFamily.keys()].sort(), 'one file per rule family');
  for (const f of files) {
    const family = f.replace(/\.ts$/, '');
    const src = readFileSync(path.join(dir, f), 'utf8');
    // the `codes` lists themselves are literals too: take the literals outside them
    const reported = registeredCodesIn(src.replace(/codes: \[[^\]]*\]/g, ''));
    assert.deepEqual([...reported].sort(), [...byFamily.get(family)!].sort(), f);
  }
});

test('codes: docs/spec.md has a row for every registered code, and no other, with its severity and summary', () => {
  const rows = [...doc.matchAll(/^\| `([a-z0-9]+\.[a-z0-9-]+)` \| (\w+) \| (.*) \|$/gm)].map((m) => [m[1], m[2], m[3]]);
  assert.deepEqual(rows.map(([c]) => c).sort(), Object.keys(DIAGNOSTIC_CODES).sort());
  for (const [code, severity, meaning] of rows) {
    assert.equal(severity, codeInfo(code)?.severity, code);
    assert.equal(meaning, codeInfo(code)?.summary, code);
  }
});

test('codes: the example in docs/spec.md validates with no diagnostics', () => {
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 2);
  const files = [parseSpecFile('file:///doc/cluster.yaml', blocks[0], 1), parseSpecFile('file:///doc/hosts/gpu-2.yaml', blocks[1], 1)];
  assert.deepEqual(
    validateAll(buildModel(files)).map((d) => `${d.code} ${d.message}`),
    [],
  );
});
