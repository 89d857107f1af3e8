// runLocal with stdoutFile: a large single-line output (as `nix eval --json` prints) lands in the file intact,
// and the result still carries stderr lines for the error message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLocal } from '#core/ops';

test('standard output goes to the file as it is, stderr stays in the tail', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'run-local-'));
  try {
    const file = path.join(dir, 'out.json');
    const script = 'process.stdout.write(JSON.stringify(Array.from({ length: 200000 }, (_, i) => i))); console.error("error: done")';
    const r = await runLocal(process.execPath, ['-e', script], { stdoutFile: file });
    assert.equal(r.code, 0);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as number[];
    assert.equal(parsed.length, 200000);
    assert.equal(parsed[199999], 199999);
    assert.deepEqual(r.tail, ['error: done']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
