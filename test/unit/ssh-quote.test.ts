// Argument quoting is the only way remote commands are built: check what a POSIX shell makes of it.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { argv, quoteArg, sh } from '../../core/src/ssh/quote';

/** What /bin/sh passes to a program for a command line: the argv as seen by printf. */
function shellArgs(commandLine: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `set -- ${commandLine}; for a in "$@"; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const HOSTILE = [
  '$(touch /tmp/pwned)',
  '`id`',
  "it's",
  '"double"',
  'back\\slash',
  'semi;colon',
  'pipe|x',
  'a && b',
  'new\nline',
  '*',
  '~',
  '$HOME',
  '',
  ' lead',
  'tab\there',
  '-rf',
  "''",
  "'\\''",
];

describe('quoteArg / argv', () => {
  it('round-trips every hostile value through a real shell as one argument', () => {
    for (const value of HOSTILE) assert.deepEqual(shellArgs(quoteArg(value)), [value], JSON.stringify(value));
    assert.deepEqual(shellArgs(argv(HOSTILE).text), HOSTILE);
  });

  it('leaves plain words readable', () => {
    assert.equal(argv(['systemctl', 'start', 'exo.service']).text, 'systemctl start exo.service');
    assert.equal(quoteArg('/var/lib/gpu-cluster/checkpoints'), '/var/lib/gpu-cluster/checkpoints');
  });

  it('refuses NUL bytes, empty vectors and non-finite numbers', () => {
    assert.throws(() => quoteArg('a\0b'), /NUL/);
    assert.throws(() => argv([]), /empty/);
    assert.throws(() => argv(['sleep', Number.NaN]), /finite/);
  });
});

describe('sh template', () => {
  it('quotes interpolations, expands arrays into separate arguments and embeds commands as is', () => {
    const units = ['exo.service', "x'; rm -rf / #"];
    const cmd = sh`printf '%s\\n' ${units} ${argv(['a b'])} ${42}`;
    assert.equal(execFileSync('/bin/sh', ['-c', cmd.text], { encoding: 'utf8' }), "exo.service\nx'; rm -rf / #\na b\n42\n");
  });
});
