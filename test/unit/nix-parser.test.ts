// Unit tests of the Nix parser's tricky parts: precedence, `or`, strings and indentation stripping,
// numbers, paths, pipe operators, ranges and error recovery. The printed form is Nix 2.8's
// `--parse` form (see printNixParse), which makes grouping visible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { children, type Expr, type Node, nodePathAt, parseNix, walk } from '#core/nix';
import { printNixParse, formatFloat } from '../../core/src/nix/printNixParse';
import { NixGen } from '../support/nixGen';

const opts = { baseDir: '/base', home: '/home/u' };
function print(src: string, pipeOperators = false): string {
  const r = parseNix(src, { pipeOperators });
  assert.deepEqual(r.errors, [], `unexpected errors for ${src}: ${JSON.stringify(r.errors)}`);
  return printNixParse(r.root, opts);
}
function errors(src: string, pipeOperators = false): string[] {
  return parseNix(src, { pipeOperators }).errors.map((e) => e.message);
}

test('precedence and associativity follow parser.y', () => {
  const cases: [string, string][] = [
    ['a + b * c', '(a + (__mul b c))'],
    ['a * b + c', '((__mul a b) + c)'],
    ['a - b - c', '(__sub (__sub a b) c)'],
    ['a ++ b ++ c', '(a ++ (b ++ c))'],
    ['a // b // c', '(a // (b // c))'],
    ['a -> b -> c', '(a -> (b -> c))'],
    ['a || b && c', '(a || (b && c))'],
    ['a && b || c', '((a && b) || c)'],
    ['!a && b', '((! a) && b)'],
    ['!a + b', '(! (a + b))'],
    ['a + !b + c', '(a + (! (b + c)))'],
    ['-a ? b', '(((__sub 0 a)) ? b)'],
    ['!a ? b', '(! ((a) ? b))'],
    ['a ? b ? c', '((((a) ? b)) ? c)'],
    ['a + b ? c', '(a + ((b) ? c))'],
    ['- a * b', '(__mul (__sub 0 a) b)'],
    ['a * - b', '(__mul a (__sub 0 b))'],
    ['f -1', '(__sub f 1)'],
    ['f (-1)', '(f (__sub 0 1))'],
    ['a < b == c > d', '((__lessThan a b) == (__lessThan d c))'],
    ['a <= b', '(! (__lessThan b a))'],
    ['a >= b', '(! (__lessThan a b))'],
    ['a == b -> c', '((a == b) -> c)'],
    ['a // b ++ c', '(a // (b ++ c))'],
    ['f a.b c', '(f (a).b c)'],
    ['(f a) b', '(f a b)'],
    ['if a then b else c + 1', '(if a then b else (c + 1))'],
    ['x: y: x', '(x: (y: x))'],
    ['with a; assert b; c', '(with a; assert b; c)'],
  ];
  for (const [src, want] of cases) assert.equal(print(src), want, src);
});

test('non-associative operators and misplaced keywords are errors', () => {
  for (const src of [
    'a == b == c',
    'a != b == c',
    'a < b < c',
    'a <= b > c',
    '1 + if a then b else c',
    '[ -1 ]',
    'f x: x',
    'or',
    'x or.a',
    'x.y or',
  ]) {
    assert.ok(errors(src).length > 0, src);
  }
});

test('`or`: select default, the cursed `or` argument, and `or` as an attribute name', () => {
  assert.equal(print('a.b or c'), '(a).b or (c)');
  assert.equal(print('a.b.c or d e'), '((a).b.c or (d) e)');
  assert.equal(print('x.y.z or a.b or c'), '(x).y.z or ((a).b or (c))');
  assert.equal(print('f or'), '(f or)');
  assert.equal(print('[ c or d ]'), '[ ((c or)) (d) ]');
  assert.equal(print('(f or) x'), '(f or x)');
  assert.equal(print('<p> or'), '((__findFile __nixPath "p") or)');
  assert.equal(print('{ or = 1; }.or'), '({ or = 1; }).or');
  assert.equal(print('let or = 1; in f or'), '(let or = 1; in (f or))');
  assert.equal(print('x.${a}.or'), '(x)."${a}".or');
});

test('strings: escapes, `$${`, `$` before a quote, CR normalisation, interpolation', () => {
  assert.equal(print(String.raw`"a\nb\tc\rd\"e\\f\qg"`), String.raw`"a\nb\tc\rd\"e\\fqg"`);
  assert.equal(print('"$${x}"'), String.raw`"\$\${x}"`);
  assert.equal(print(String.raw`"\${x}"`), String.raw`"\${x}"`);
  assert.equal(print('"a$"'), String.raw`"a\$"`);
  assert.equal(print('"$$$${x}"'), String.raw`"\$\$\$\${x}"`);
  assert.equal(print('"a\r\nb\rc"'), String.raw`"a\nb\nc"`);
  assert.equal(print('"a${b}c"'), '("a" + b + "c")');
  assert.equal(print('"${a}"'), '(a)');
  assert.equal(print('""'), '""');
  assert.equal(print('"a" + "b" + "c"'), '(("a" + "b") + "c")');
  assert.equal(print('"a\u0000b"'), '"a"'); // Nix's C strings end at a NUL
});

test('indented strings: escapes and indentation stripping', () => {
  assert.equal(print("''\n    a\n      b\n  ''"), String.raw`"a\n  b\n"`);
  assert.equal(print("''a''"), '"a"');
  assert.equal(print("''  a${b}''"), '("a" + b)');
  assert.equal(print("''$'${x}''"), String.raw`("\$" + "'" + x)`);
  assert.equal(print("'' '''$ ''"), String.raw`("" + "''" + "\$ ")`);
  assert.equal(print("''''\\t''"), String.raw`"\t"`);
  assert.equal(print("''''$''"), String.raw`"\$"`);
  assert.equal(print("''$${x}''"), String.raw`"\$\${x}"`);
  assert.equal(print("''\n  a\n\n  b\n''"), String.raw`"a\n\nb\n"`);
  assert.equal(print("''\n\ttab\n''"), String.raw`"\ttab\n"`);
  // The last line is dropped only when it holds nothing but spaces.
  assert.equal(print("''\n  a\n  ''"), String.raw`"a\n"`);
  assert.equal(print("''\n  a\n  b''"), String.raw`"a\nb"`);
  // An interpolation ends the indentation of its line; an escaped newline starts a new line.
  assert.equal(print("''\n  ${x}\n''"), String.raw`("" + x + "\n")`);
  assert.equal(print("''\n  a''\\n  b\n''"), String.raw`("a" + "\n" + "b\n")`);
  assert.ok(errors("''abc").length > 0);
});

test('numbers exactly as the lexer reads them', () => {
  assert.equal(print('1e3'), '(1 e3)');
  assert.equal(print('.5'), '0.5');
  assert.equal(print('00.5'), '(0 0.5)');
  assert.equal(print('01.5'), '(1 0.5)');
  assert.equal(print('1.'), '1');
  assert.equal(print('1.e5'), '100000');
  assert.equal(print('2.5e-5'), '2.5e-05');
  assert.equal(print('123456.7'), '123457');
  assert.equal(print('1234567.0'), '1.23457e+06');
  assert.equal(print('007'), '7');
  assert.equal(print('9223372036854775807'), '9223372036854775807');
  assert.deepEqual(errors('9223372036854775808'), ["invalid integer '9223372036854775808'"]);
  assert.deepEqual(errors('1.0e400'), ["invalid float '1.0e400'"]);
  assert.ok(errors('0.').length > 0);
  assert.equal(formatFloat(0.0001), '0.0001');
  assert.equal(formatFloat(1e-5), '1e-05');
  assert.equal(formatFloat(1.5e308), '1.5e+308');
});

test('paths, search paths and URIs', () => {
  assert.equal(print('./a/../b/.'), '/base/b');
  assert.equal(print('a/b'), '/base/a/b');
  assert.equal(print('../x'), '/x');
  assert.equal(print('/a/./b'), '/a/b');
  assert.equal(print('~/a/../b'), '/home/u/a/../b');
  assert.equal(print('a+/b'), '/base/a+/b');
  assert.equal(print('./a${b}/c'), '(/base/a + b + "/c")');
  assert.equal(print('./${b}'), '(/base/ + b)');
  assert.equal(print('~/${b}'), '(/home/u/ + b)');
  assert.equal(print('<nixpkgs/lib>'), '(__findFile __nixPath "nixpkgs/lib")');
  assert.equal(print('http://x.org/a?b'), '"http://x.org/a?b"');
  assert.equal(print('x:y'), '"x:y"');
  assert.equal(print('a: b:c'), '(a: "b:c")');
  assert.equal(print('a///b'), '(a // /b)');
  assert.deepEqual(errors('./a/'), ['path has a trailing slash']);
  assert.deepEqual(errors('./a${b}/'), ['path has a trailing slash']);
  for (const src of ['~', '~/', '<>', '<a/>', '/', '.']) assert.ok(errors(src).length > 0, src);
});

test('attribute sets: nesting, merging, inherit, dynamic and string names, duplicates', () => {
  assert.equal(print('{ a.b.c = 1; a.b.d = 2; }'), '{ a = { b = { c = 1; d = 2; }; }; }');
  assert.equal(print('{ a.b = 2; a = { c = 1; }; }'), '{ a = { b = 2; c = 1; }; }');
  assert.equal(print('{ a = rec { c = 1; }; a.b = 2; }'), '{ a = rec { b = 2; c = 1; }; }');
  assert.equal(print('{ inherit (x) "a" b; inherit c; }'), '{ a = (x).a; b = (x).b; inherit c ; }');
  assert.equal(print('{ "a b".c = 1; ${x} = 2; "${y}" = 3; ${"s"} = 4; }'), '{ "a b" = { c = 1; }; s = 4; "${x}" = 2; "${(y)}" = 3; }');
  assert.equal(print('{ "if" = 1; "" = 2; "in" = 3; }'), '{ "" = 2; "if" = 1; in = 3; }'); // 2.8 quotes only `if`
  assert.equal(print('let { body = 1; x = 2; }'), '(rec { body = 1; x = 2; }).body');
  assert.equal(print('let a.b = 1; inherit c; in a'), '(let a = { b = 1; }; inherit c; in a)');
  assert.deepEqual(errors('{ a = 1; a = 2; }'), ["attribute 'a' already defined"]);
  assert.deepEqual(errors('{ a = 1; a.b = 2; }'), ["attribute 'a.b' already defined"]);
  assert.deepEqual(errors('{ inherit a; a.b = 1; }'), ["attribute 'a.b' already defined"]);
  assert.deepEqual(errors('{ ${"a"} = 1; a = 2; }'), ["attribute 'a' already defined"]);
  assert.deepEqual(errors('let ${a} = 1; in 2'), ['dynamic attributes not allowed in let']);
  assert.deepEqual(errors('{ inherit ${a}; }'), ['dynamic attributes not allowed in inherit']);
  // Paths sharing a first name: clashes only where one path is a prefix of (or equal to) another,
  // also when other bindings sort between them.
  assert.deepEqual(errors('{ a.b = 1; a.c = 2; a.d.e = 3; a.d.f = 4; }'), []);
  assert.deepEqual(errors('{ a.b = 1; a.b = 2; }'), ["attribute 'a.b' already defined"]);
  assert.deepEqual(errors('{ a.b.c = 1; a.bb = 0; a.b = 2; }'), ["attribute 'a.b' already defined"]);
  assert.deepEqual(errors('{ x.a = 1; y = 2; x.a.b = 3; }'), ["attribute 'x.a.b' already defined"]);
  assert.deepEqual(errors('d: let a.b = 1; a.c = 2; inherit d; in a'), []);
  assert.deepEqual(errors('{ inherit a b; c.d = 1; b.e = 2; }'), ["attribute 'b.e' already defined"]);
  assert.equal(print('let ${"a"} = 1; in a'), '(let a = 1; in a)');
});

test('lambdas: formals, defaults, ellipsis, @-patterns, duplicates', () => {
  assert.equal(print('{ a, b ? 1, ... }@x: x'), '({ a, b ? 1, ... } @ x: x)');
  assert.equal(print('x@{ a, b }: x'), '({ a, b } @ x: x)');
  assert.equal(print('{ a, }: a'), '({ a }: a)');
  assert.equal(print('{}: 1'), '({  }: 1)');
  assert.equal(print('{ ... }: 1'), '({ ... }: 1)');
  assert.deepEqual(errors('{ a, a }: 1'), ["duplicate formal function argument 'a'"]);
  assert.deepEqual(errors('a@{ a }: 1'), ["duplicate formal function argument 'a'"]);
  assert.ok(errors('{ ..., a }: a').length > 0);
  assert.ok(errors('{ , }: a').length > 0);
});

test('pipe operators: only with the option, |> left- and <| right-associative, lowest precedence', () => {
  assert.ok(errors('a |> f').length > 0);
  assert.ok(errors('f <| a').length > 0);
  const left = parseNix('a |> f |> g', { pipeOperators: true });
  assert.deepEqual(left.errors, []);
  const root = left.root;
  assert.ok(root.type === 'Binary' && root.op === '|>' && root.left.type === 'Binary' && root.left.op === '|>');
  const right = parseNix('f <| g <| a', { pipeOperators: true }).root;
  assert.ok(right.type === 'Binary' && right.op === '<|' && right.right.type === 'Binary' && right.right.op === '<|');
  assert.equal(print('a + 1 |> f', true), '(f (a + 1))');
  const lowest = parseNix('a || b |> f', { pipeOperators: true }).root;
  assert.ok(lowest.type === 'Binary' && lowest.op === '|>' && lowest.left.type === 'Binary' && lowest.left.op === '||');
  assert.equal(print('x |> f a', true), '(f a x)');
  assert.equal(print('f a <| x', true), '(f a x)');
  assert.ok(errors('a |> f <| b', true).length > 0);
});

test('every node has a range inside its parent and the walk visits all of them', () => {
  const src = '{ a = x: x.y or "s${z}"; b = [ 1 ./p/${q} ]; inherit (c) d; }';
  const { root } = parseNix(src);
  let count = 0;
  walk(root, {
    enter(node: Node, parent: Node | undefined) {
      count++;
      assert.ok(node.start <= node.end, node.type);
      if (parent) assert.ok(parent.start <= node.start && node.end <= parent.end, `${node.type} in ${parent.type}`);
    },
  });
  assert.ok(count > 20);
  const path = nodePathAt(root, src.indexOf('z}')).map((n) => n.type);
  assert.deepEqual(path.slice(-3), ['String', 'Interpolation', 'Identifier']);
  assert.deepEqual(
    children(root).map((n) => n.type),
    ['Binding', 'Binding', 'Inherit'],
  );
});

test('comments are collected, doc comments attach to the next binding', () => {
  const src = '# line\n{ /* block */ /** The a. */ a = 1; b = 2; }';
  const r = parseNix(src);
  assert.deepEqual(
    r.comments.map((c) => c.kind),
    ['line', 'block', 'doc'],
  );
  const set = r.root as Extract<Expr, { type: 'AttrSet' }>;
  const [a, b] = set.bindings;
  assert.equal(a.type === 'Binding' && a.doc?.text, ' The a. ');
  assert.equal(b.type === 'Binding' && b.doc, undefined);
});

test('error recovery: several diagnostics and the rest of the file still parsed', () => {
  const src = '{\n  a = 1;\n  b = ;\n  c = 3;\n  d = { x = ; y = 2; };\n  e = [ 1 2 ;\n  f = "ok";\n  g = 1 +;\n  h = 5;\n}\n';
  const r = parseNix(src);
  assert.ok(r.errors.length >= 4, JSON.stringify(r.errors));
  const set = r.root as Extract<Expr, { type: 'AttrSet' }>;
  const names = set.bindings.map((b) => (b.type === 'Binding' && b.path.attrs[0].type === 'Identifier' ? b.path.attrs[0].name : '?'));
  assert.deepEqual(names, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  const d = set.bindings[3];
  assert.ok(d.type === 'Binding' && d.value.type === 'AttrSet' && d.value.bindings.length === 2);
  for (const e of r.errors) assert.ok(e.start >= 0 && e.end <= src.length && e.start <= e.end);
});

test('error recovery: an unterminated string ends at its line, a missing semicolon keeps the next binding', () => {
  const r = parseNix('{\n  a = "oops;\n  b = 2;\n}');
  // The string swallowed the `;`, so a missing `;` is reported too; `b` survives either way.
  assert.deepEqual(
    r.errors.map((e) => e.message),
    ['unterminated string', "missing ';' after the value"],
  );
  const set = r.root as Extract<Expr, { type: 'AttrSet' }>;
  assert.deepEqual(
    set.bindings.map((b) => b.type === 'Binding' && (b.path.attrs[0] as { name: string }).name),
    ['a', 'b'],
  );
  const r2 = parseNix('{\n  a = 1\n  b = 2;\n  c = 3;\n}');
  assert.equal(r2.errors.length, 1);
  const set2 = r2.root as Extract<Expr, { type: 'AttrSet' }>;
  assert.deepEqual(
    set2.bindings.map((b) => b.type === 'Binding' && (b.path.attrs[0] as { name: string }).name),
    ['a', 'b', 'c'],
  );
});

test('error recovery: an unclosed parenthesis or interpolation stays inside its binding', () => {
  for (const src of ['{\n  a = f (x;\n  b = 2;\n}', '{\n  a = "${x;\n  b = 2;\n}', '{\n  inherit (x a;\n  b = 2;\n}']) {
    const r = parseNix(src);
    assert.ok(r.errors.length >= 1, src);
    const set = r.root as Extract<Expr, { type: 'AttrSet' }>;
    const last = set.bindings[set.bindings.length - 1];
    assert.ok(last.type === 'Binding' && last.path.attrs[0].type === 'Identifier' && last.path.attrs[0].name === 'b', src);
  }
});

test('error recovery: let, lists, parentheses and trailing garbage', () => {
  const r = parseNix('let a = ; b = 2; in b');
  assert.equal(r.errors.length, 1);
  assert.equal(r.root.type, 'Let');
  assert.ok(parseNix('[ 1 ) 2 ]').errors.length >= 1);
  const unclosed = parseNix('f (a b');
  assert.equal(unclosed.errors.length, 1);
  assert.equal(unclosed.root.type, 'Apply');
  assert.ok(parseNix('1 2 ) 3').errors.length === 1);
  assert.ok(parseNix('{ a = 1; } }').errors.length === 1);
});

test('deep nesting is an error, never a stack overflow; long chains and deep trees still walk', () => {
  for (const src of [
    '('.repeat(5000) + '1' + ')'.repeat(5000),
    '['.repeat(5000) + ']'.repeat(5000),
    'x: '.repeat(5000) + 'x',
    '{ a = '.repeat(3000) + '1' + '; }'.repeat(3000),
  ]) {
    const r = parseNix(src);
    assert.deepEqual(
      r.errors.map((e) => e.code),
      ['nix.too-deep'],
    );
  }
  const chain = parseNix(Array(2500).fill('[ ]').join(' ++ '));
  assert.deepEqual(chain.errors, []);
  const sum = parseNix(Array(20000).fill('1').join(' + '));
  assert.deepEqual(sum.errors, []);
  let nodes = 0;
  walk(sum.root, {
    enter: () => {
      nodes++;
    },
  });
  assert.equal(nodes, 20000 * 2 - 1);
});

test('random malformed input never throws and always yields sane ranges (seeded)', () => {
  const gen = new NixGen(4242);
  for (let i = 0; i < 1500; i++) {
    const src = i % 3 === 0 ? gen.wellFormed() : gen.malformed();
    let r: ReturnType<typeof parseNix>;
    try {
      r = parseNix(src);
    } catch (e) {
      assert.fail(`seed 4242 case ${i} threw ${e}:\n${src}`);
    }
    for (const e of r.errors) assert.ok(0 <= e.start && e.start <= e.end && e.end <= src.length, `error range, case ${i}`);
    walk(r.root, {
      enter(node, parent) {
        assert.ok(0 <= node.start && node.start <= node.end && node.end <= src.length, `${node.type} range, case ${i}:\n${src}`);
        if (parent)
          assert.ok(parent.start <= node.start && node.end <= parent.end, `${node.type} outside ${parent.type}, case ${i}:\n${src}`);
      },
    });
  }
});
