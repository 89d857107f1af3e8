// Schema descriptions and spec values in hovers and completion docs: Markdown markup is escaped, code spans kept.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { escapeMarkdown } from '../../server/src/spec/markdown';

test('angle brackets, emphasis and links outside code spans are escaped', () => {
  assert.equal(escapeMarkdown('In hosts/<name>.yaml'), 'In hosts/\\<name\\>.yaml');
  assert.equal(escapeMarkdown('a *b* _c_ [d](e) #f'), 'a \\*b\\* \\_c\\_ \\[d\\](e) \\#f');
});

test('code spans are left as written', () => {
  assert.equal(escapeMarkdown('One end, `<host>:<interface>`.'), 'One end, `<host>:<interface>`.');
  assert.equal(escapeMarkdown('`a_b` and a_b'), '`a_b` and a\\_b');
});
