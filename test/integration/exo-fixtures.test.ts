// The recorded exo documents are what exo's own code makes and reads: test/fixtures/exo/py/make_fixtures.py
// --check loads exo's source (../shared/upstream/exo, commit b5375f8) on this machine's Python, re-parses every
// recorded document with exo's pydantic models (State, PlacementPreviewResponse, CreateInstanceResponse,
// ErrorResponse), serialises each back and compares, and makes every document afresh to compare with the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { exoUpstream, pythonWithPydantic, REPO } from '../support/exoUpstream';

test("every recorded exo document parses with exo's models and is what exo's code makes today", async (t) => {
  const python = pythonWithPydantic();
  const exo = exoUpstream();
  if (!python || !exo) return t.skip(`needs ${!python ? 'python3 with pydantic 2' : "exo's source in ../shared/upstream/exo"}`);
  const manifest = JSON.parse(readFileSync(path.join(REPO, 'test/fixtures/exo/recorded/manifest.json'), 'utf8')) as {
    exo: { commit: string };
    documents: string[];
  };
  assert.equal(manifest.exo.commit, 'b5375f8cee4368d09e1ce96a56b9f81fb0bc81aa');
  const { stdout } = await promisify(execFile)(python, [path.join(REPO, 'test/fixtures/exo/py/make_fixtures.py'), '--check'], {
    env: { ...process.env, EXO_ROOT: exo },
    timeout: 120_000,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) =>
    assert.fail(`${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`),
  );
  const parsed = stdout
    .split('\n')
    .filter((l) => l.startsWith('ok   '))
    .map((l) => l.slice(5));
  assert.ok(
    parsed.includes('state-ready.json') && parsed.includes('previews-idle.json') && parsed.includes('place-instance-response.json'),
    stdout,
  );
  assert.match(stdout, /^(\d+) documents parsed by exo's models, 0 failures$/m);
  const jsonDocs = manifest.documents.filter((d) =>
    /^(state-|previews-|place-instance-response|delete-instance-response|error-instance)/.test(d),
  );
  assert.deepEqual(
    parsed.filter((d) => jsonDocs.includes(d)).sort(),
    jsonDocs.sort(),
    'every recorded document with an exo model was parsed',
  );
});
