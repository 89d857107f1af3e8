// The one parser of the `@@name` blocks that the remote checks (probe, pre-flight, checkpoint prerequisites) print.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isComplete, parseSections, sectionText } from '../../core/src/ops/sections';

test('sections: blocks by name, lines before the first header ignored, CRLF line ends, cut short without @@end', () => {
  const output = 'motd line\n@@uname\nLinux\r\nx86_64\n@@empty\n@@os-release\nID=nixos\n@@end\n';
  const sections = parseSections(output);
  assert.deepEqual([...sections.keys()], ['uname', 'empty', 'os-release', 'end']);
  assert.deepEqual(sections.get('uname'), ['Linux', 'x86_64']);
  assert.deepEqual(sections.get('empty'), []);
  assert.equal(isComplete(sections), true);
  assert.equal(isComplete(parseSections(output.slice(0, output.indexOf('@@end')))), false);
});

test('sections: only a whole `@@name` line is a header; trimming and the text of a block', () => {
  const sections = parseSections('@@driver\n  550.54  \n@@rc 0 is not a header\n@@criu\n/usr/bin/criu\n', { trim: true });
  assert.deepEqual(sections.get('driver'), ['550.54', '@@rc 0 is not a header']);
  assert.equal(sectionText(sections, 'criu'), '/usr/bin/criu');
  assert.equal(sectionText(sections, 'missing'), '');
  assert.deepEqual(parseSections('@@a\n  x  \n').get('a'), ['  x  ', '']);
});
